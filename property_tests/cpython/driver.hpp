// driver.hpp — the interpreter process that runs driver.py, and the request
// protocol with it: each C++ thread's requests are answered on the driver's
// proxy thread for it; done-callbacks and probe makers registered here run in
// C++ when driver.py sends their events (see client.hpp for the threading).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lab_server.hpp"
#include "protocol.hpp"

namespace cf::conformance::cpython {

class Driver {
 public:
  // `launcher` runs before the interpreter (mpiexec for mpi4py); empty for none.
  // `interpreter`: the column's own python; empty: $CF_PYTHON if set, else
  // the one chosen at configure time (CMake CF_PYTHON).
  Driver(std::vector<std::string> launcher, const std::string& interpreter);
  ~Driver();  // closes the pipe: driver.py stops its workers and exits
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  LabServer& lab() { return lab_; }
  pid_t pid() const { return pid_; }

  // Sends `request` for the calling thread and returns the reply's value;
  // a raised error becomes Raised. Events addressed to this thread (done
  // callbacks its request triggered) run here while it waits.
  json call(json request);

  std::int64_t add_callback(std::function<void(const CallbackEvent&)> callback);
  std::int64_t add_maker(std::function<Probe(std::int64_t)> make);

  // While this C++ thread runs a done-callback on behalf of a CPython thread
  // (which waits for it), that thread's token: "the calling thread" is the
  // CPython one then.
  static std::optional<std::int64_t> python_thread();

 private:
  struct Slot {
    std::optional<json> reply;
    std::deque<json> events;
  };

  void read_loop();
  // Events raised by CPython threads that stand for no C++ thread (pool
  // workers, the process pool's manager thread).
  void dispatch_loop();
  void run_event(const json& event);

  LabServer lab_;
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<std::int64_t, Slot> slots_;  // node-based: references stay valid
  std::deque<json> dispatch_queue_;
  std::unordered_map<std::int64_t, std::function<void(const CallbackEvent&)>> callbacks_;
  std::unordered_map<std::int64_t, std::function<Probe(std::int64_t)>> makers_;
  std::int64_t next_id_ = 0;
  bool dead_ = false;
  bool stop_ = false;
  std::thread reader_;
  std::thread dispatcher_;
};

}  // namespace cf::conformance::cpython
