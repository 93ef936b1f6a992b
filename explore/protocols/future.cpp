// The future's state machine and its done signal, explored.
#include "cf/future.hpp"

#include <string>

#include "protocol.hpp"

namespace cf::explore {
namespace {

// cancel() x set_running_or_notify_cancel()+set_result() x
// add_done_callback(), one actor each, on one pending future.
void state_machine() {
  Future<int> f;
  int callbacks = 0;
  bool cancel_won = false;
  enum { kNotYet, kRan, kSkipped } worker = kNotYet;
  bool set_refused = false;
  run_actors({
      [&] { cancel_won = f.cancel(); },
      [&] {
        if (!f.set_running_or_notify_cancel()) {
          worker = kSkipped;
          return;
        }
        worker = kRan;
        try {
          f.set_result(7);
        } catch (const InvalidStateError&) {
          set_refused = true;
        }
      },
      [&] { f.add_done_callback([&](const Future<int>&) { ++callbacks; }); },
  });
  check(f.done(), "FUT-STATE-3",
        "the future is not done after cancel and completion both returned");
  check(callbacks == 1, "FUT-CB-1",
        "the done-callback ran " + std::to_string(callbacks) + " times, not once");
  if (cancel_won) {
    check(f.cancelled(), "FUT-STATE-4", "cancel() returned true but the future is not cancelled");
    check(worker == kSkipped, "FUT-SET-1",
          "cancel() returned true, yet set_running_or_notify_cancel() let the call run");
  } else {
    check(worker == kRan, "FUT-CANCEL-2",
          "cancel() returned false, yet the call did not run (it was not running or done)");
    check(!set_refused, "FUT-SET-5", "set_result() of a running future was refused");
    check(!f.cancelled() && f.result() == 7, "FUT-RESULT-1", "the result is not the value set");
  }
}

CF_EXPLORE_PROTOCOL(
    "future.state_machine",
    "FUT-CANCEL-1 FUT-CANCEL-2 FUT-STATE-2 FUT-STATE-3 FUT-STATE-4 FUT-SET-1 FUT-SET-5 FUT-CB-1 "
    "FUT-CB-3 FUT-RESULT-1",
    "cancel() races set_running_or_notify_cancel()+set_result() and add_done_callback(): "
    "exactly one of cancel and run wins, the callback runs once [FUT-CANCEL-1] [FUT-CANCEL-2] "
    "[FUT-SET-1] [FUT-CB-1] [FUT-CB-3]",
    3, Bounds{2, 1, 20000}, state_machine);

// result() without and with a timeout, blocked on the done signal's futex,
// while a third actor completes the future.
void result_wait() {
  using namespace std::chrono_literals;
  Future<int> f;
  int untimed = 0;
  bool timed_out = false;
  int timed = 0;
  Nanos deadline{}, completed_at = Nanos::max(), timed_out_at{};
  run_actors({
      [&] { untimed = f.result(); },
      [&] {
        deadline = now() + Nanos(10ms);
        try {
          timed = f.result(10ms);
        } catch (const TimeoutError&) {
          timed_out = true;
          timed_out_at = now();
        }
      },
      [&] {
        f.set_running_or_notify_cancel();
        f.set_result(7);
        completed_at = now();
      },
  });
  check(untimed == 7, "FUT-RESULT-5", "result() without a timeout did not return the value");
  if (timed_out) {
    check(timed_out_at >= deadline, "FUT-RESULT-4",
          "result(timeout) timed out before its deadline");
    check(completed_at >= deadline, "FUT-RESULT-4",
          "result(timeout) timed out although the future completed before the deadline");
    check(f.done() && f.result() == 7, "FUT-RESULT-4", "the timeout changed the future");
  } else {
    check(timed == 7, "FUT-RESULT-1", "result(timeout) returned without the value");
  }
}

CF_EXPLORE_PROTOCOL(
    "future.result_wait", "FUT-RESULT-1 FUT-RESULT-4 FUT-RESULT-5",
    "result() and result(timeout) block on the done signal (spin, announce a sleeper, futex) "
    "while set_result() publishes: the untimed reader always wakes, the timed one times out "
    "only when nothing completed before its deadline [FUT-RESULT-4] [FUT-RESULT-5]",
    3, Bounds{2, 1, 20000}, result_wait);

}  // namespace
}  // namespace cf::explore
