// lab_server.hpp — serves a test's Lab to probes running in CPython (its
// threads or its worker processes) over an abstract Unix socket: one thread
// per connection, one request line at a time ("G lab slot" passes a gate,
// "R lab slot value" records), each answered "ok".
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "harness/lab.hpp"

namespace cf::conformance::cpython {

class LabServer {
 public:
  LabServer();  // throws std::runtime_error when the socket cannot listen
  ~LabServer();
  LabServer(const LabServer&) = delete;
  LabServer& operator=(const LabServer&) = delete;

  // The abstract socket's name, passed to driver.py.
  const std::string& name() const { return name_; }

  // Registers the lab an executor's probes use and returns the id they name
  // it by. The server keeps its own mapping of the lab's block, so a probe
  // that outlives its test (CPython's process pool can go on running calls
  // after shutdown(wait=True) returned, see SHUT-WAIT-1) never touches a
  // destroyed Lab, and each registration has a fresh id, so such a probe
  // never reaches a later test's lab that happens to live at the same address.
  int enroll(Lab& lab);
  // The executor that used `id` is gone: later requests naming it are
  // answered without effect (a gate passes, a record is dropped).
  void retire(int id);

 private:
  void accept_loop();
  void serve(int fd);

  std::string name_;
  int listen_fd_ = -1;
  std::thread accept_thread_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::unordered_map<int, std::shared_ptr<Lab>> labs_;
  int next_lab_ = 0;
};

}  // namespace cf::conformance::cpython
