// cf/detail/process_worker.hpp — the worker side of ProcessPoolExecutor.
//
// Internal. A worker is this same program, spawned with argv
// {name, kWorkerFlag, <socket fd>, <call queue fd>, <parent pid>, <doorbells
// fd>, <doorbell slot>} (the last two -1 for a pool without doorbells);
// CF_PROCESS_WORKER_ENTRY sees the flag and runs worker_main instead of the
// user's main [PPE-SPAWN-1]. The socket is the worker's own: the pool's config
// comes in on it, and a call sent to this worker alone, and the worker's
// results go out on it. The call queue is shared by every worker of the pool
// (call_queue.hpp), and so are the pool's doorbells (doorbells.hpp).
#pragma once

#include <string>

#include "cf/detail/frame.hpp"

namespace cf::detail {

inline constexpr const char* kWorkerFlag = "--cf-process-worker";
// argv[1] of a rank spawned by cf::MpiPoolExecutor (cf/mpi_pool.hpp).
inline constexpr const char* kMpiWorkerFlag = "--cf-mpi-worker";
// The MPI tag under which that pool and its ranks send frames (config, call,
// result); fault-injection tests send garbage under it.
inline constexpr int kMpiFrameTag = 1;

// The worker loop: reads the config, runs the initializer, then takes one
// call at a time, from its socket first, then from the queue, until the pool
// closes them (it shut down) or the task limit is reached. Returns the exit code: 0 normal, 1
// initializer failed, 2 protocol error.
int worker_main(int socket_fd, int call_queue_fd, int doorbells_fd, int doorbell_slot);

// Runs one call in this process: the reply carries the task's results or the
// error it threw [PPE-REMOTE-1] (an unregistered task is such an error).
ResultFrame run_call(const CallFrame& call);
// Runs the registered initializer `name` with its encoded `args`; throws what
// it throws, or std::invalid_argument if it is not registered [PPE-INIT-1].
void run_initializer(const std::string& name, const std::string& args);
// The result frame of `reply`; a body over the frame limit is replaced by a
// std::length_error reply.
std::string encode_reply_frame(const ResultFrame& reply);

// In a worker, the socket to the parent (for fault-injection tests); else -1.
int worker_socket_fd();

}  // namespace cf::detail
