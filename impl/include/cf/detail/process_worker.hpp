// cf/detail/process_worker.hpp — the worker side of ProcessPoolExecutor.
//
// Internal. A worker is this same program, spawned with argv
// {name, kWorkerFlag, <socket fd>, <call queue fd>, <parent pid>};
// CF_PROCESS_WORKER_ENTRY sees the flag and runs worker_main instead of the
// user's main [PPE-SPAWN-1]. The socket is the worker's own: the pool's config
// comes in on it and the worker's results go out on it. The call queue is
// shared by every worker of the pool (call_queue.hpp).
#pragma once

namespace cf::detail {

inline constexpr const char* kWorkerFlag = "--cf-process-worker";

// The worker loop: reads the config, runs the initializer, then takes one
// call at a time from the queue until it ends (the pool shut down) or the
// task limit is reached. Returns the exit code: 0 normal, 1 initializer
// failed, 2 protocol error.
int worker_main(int socket_fd, int call_queue_fd);

// In a worker, the socket to the parent (for fault-injection tests); else -1.
int worker_socket_fd();

}  // namespace cf::detail
