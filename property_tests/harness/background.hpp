// background.hpp — one blocking call on its own thread, for tests that must
// act while a wait/result/as_completed call is blocked and then check, with a
// bound, that it returned.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include "suite.hpp"

namespace cf::conformance {

// Runs one blocking call on its own thread, so the test can act while it is
// blocked and then check, with a bound, that it returned.
//
// `clause` is the rule that says the call must return (a cancel wakes a
// reader [FUT-CANCEL-5], shutdown(wait=true) returns once the work is done
// [SHUT-WAIT-1]): while the call runs, that clause is in progress on its
// thread, so a hang inside it is charged there.
//
// Destroying it while the call is still blocked (a test that failed early, or
// an implementation that missed a wake-up) first releases every gate and runs
// `rescue`, so the call's futures complete and it can return. A call still
// blocked kLateSlack after that is a hang of `clause`, recorded, and its
// thread is detached: a failed check, not a hung run. The call must own what
// it uses (copies of the FuturePtrs), since a detached thread outlives the
// test.
template <class T>
class Background {
 public:
  Background(Lab& lab, const char* clause, std::function<T()> call,
             std::function<void()> rescue = {})
      : lab_(lab), clause_(clause), rescue_(std::move(rescue)) {
    std::packaged_task<T()> task([clause, call = std::move(call)] {
      check::Step step(clause, "a blocking call on its own thread", __FILE__, __LINE__);
      return call();
    });
    result_ = task.get_future();
    thread_ = std::thread(std::move(task));
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() {
    // After get() the future is empty: the call has returned.
    if (result_.valid() && !returns_within(std::chrono::nanoseconds(0))) {
      lab_.open_all();
      if (rescue_) rescue_();
      if (!returns_within(kLateSlack)) {
        run::add_finding({clause_, "hang",
                          "[" + clause_ + "] a blocking call was still blocked " +
                              std::to_string(kLateSlack.count()) +
                              " s after every gate was opened (its thread is leaked)",
                          "", "a blocking call never returned"});
        thread_.detach();
        return;
      }
    }
    thread_.join();
  }

  // True once the call has returned (or thrown); waits at most `limit`.
  bool returns_within(std::chrono::nanoseconds limit) {
    return result_.wait_for(limit) == std::future_status::ready;
  }
  // What the call returned; rethrows what it threw. Only after returns_within.
  T get() { return result_.get(); }

 private:
  Lab& lab_;
  std::string clause_;
  std::function<void()> rescue_;
  std::future<T> result_;
  std::thread thread_;
};

}  // namespace cf::conformance
