// client.hpp — the C++ side of the cpython-* adapters: CPython's own
// concurrent.futures, driven through property_tests/cpython/driver.py.
//
// One interpreter per test program, started with posix_spawn (no shell) on
// first use: $CF_PYTHON if set, else the interpreter chosen at configure time
// (CMake option CF_PYTHON, default python3). Every adapter call is one
// request line to the driver, answered on the driver's proxy thread for the
// calling C++ thread (see driver.py), so blocking calls block there and
// "the calling thread" means the same thing on both sides. Done-callbacks run
// in C++: on the C++ thread whose request made CPython call them (cancel,
// add_done_callback on a done future), else on a dispatcher thread; CPython's
// calling thread waits for them, so their effects are ordered as in CPython.
//
// Probes run in CPython (threads or worker processes); their gates and logs
// are served from the test's Lab over an abstract Unix socket.
//
// One column per interpreter: "cpython-<kind>" for the default one and
// "cpython-<kind>-<major>.<minor>" for each of CMake's CF_PYTHONS; the about
// line names the exact version, and clauses are judged by that version's
// profile (follows()). Capabilities CPython gained later (map buffersize,
// 3.14) are declared by that version.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "harness/adapter.hpp"

namespace cf::conformance::cpython {

class Driver;

class CpythonImplementation : public Implementation {
 public:
  // name: the report's column. kind: the executor driver.py makes: "thread"
  // (ThreadPoolExecutor) or "process" (ProcessPoolExecutor). interpreter:
  // the python to run; empty: $CF_PYTHON, else CMake's CF_PYTHON.
  CpythonImplementation(std::string name, std::string kind, std::string interpreter = {});
  ~CpythonImplementation() override;

  std::string name() const override { return name_; }
  std::string about() const override { return about_; }
  // The interpreter's "major.minor": its version profile [SPEC "Profiles"].
  std::string follows() const override;
  Caps caps() const override;
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override;
  FuturePtr make_future() override;
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override;
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override;
  std::int64_t thread_token() override;
  std::string thread_name_of(std::int64_t worker_token) override;
  std::vector<std::string> take_logged() override;
  // Has the interpreter print every thread's Python stack to stderr.
  void on_hang() override;

 private:
  Driver& driver();  // throws Raised when the interpreter could not start

  std::string name_;
  std::string kind_;
  std::string about_;
  std::array<int, 3> version_{0, 0, 0};
  std::unique_ptr<Driver> driver_;
};

}  // namespace cf::conformance::cpython
