// cf/detail/process_worker.hpp — the worker side of ProcessPoolExecutor.
//
// Internal. A worker is this same program, spawned with argv
// {name, kWorkerFlag, <socket fd>, <parent pid>}; CF_PROCESS_WORKER_ENTRY sees
// the flag and runs worker_main instead of the user's main [PPE-SPAWN-1].
#pragma once

namespace cf::detail {

inline constexpr const char* kWorkerFlag = "--cf-process-worker";

// The worker loop: reads the config, runs the initializer, then one call at
// a time until EOF (the pool shut down) or its task limit. Returns the exit
// code: 0 normal, 1 initializer failed, 2 protocol error.
int worker_main(int socket_fd);

// In a worker, the socket to the parent (for fault-injection tests); else -1.
int worker_socket_fd();

}  // namespace cf::detail
