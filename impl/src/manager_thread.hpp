// The manager thread of a pool whose calls run in other processes
// (ProcessPoolExecutor, MpiPoolExecutor): started by the first submit, joined
// by shutdown(wait=true), never joined from itself (a done-callback of the
// pool's futures runs on it).
#pragma once

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace cf::detail {

class ManagerThread {
 public:
  // Starts `body` the first time; later calls do nothing. Call under the
  // pool's mutex.
  template <class F>
  void start(F&& body) {
    if (started_) return;
    thread_ = std::thread(std::forward<F>(body));
    id_ = thread_.get_id();
    started_ = true;
  }

  // Whether the caller is the manager: a done-callback of the pool's futures.
  bool is_current() const { return started_ && std::this_thread::get_id() == id_; }

  // Waits until the manager has ended. From the manager itself, throws
  // std::logic_error naming `pool`.
  void join(const char* pool) {
    std::lock_guard lock(join_mutex_);
    if (is_current()) {
      throw std::logic_error(std::string(pool) +
                             "::shutdown(wait=true) called from one of its own done-callbacks");
    }
    if (thread_.joinable()) thread_.join();
  }

  // Lets the manager end on its own: the pool is destroyed from one of its
  // own done-callbacks, and the manager finishes the work and exits.
  void detach() {
    std::lock_guard lock(join_mutex_);
    if (thread_.joinable()) thread_.detach();
  }

 private:
  std::thread thread_;
  std::thread::id id_;
  bool started_ = false;
  std::mutex join_mutex_;
};

}  // namespace cf::detail
