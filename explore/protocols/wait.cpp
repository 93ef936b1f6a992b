// The waiter protocol of wait() and as_completed(): install a waiter on each
// future, be notified under the future's lock, remove the waiters, with and
// without a timeout, explored.
#include "cf/wait.hpp"

#include <chrono>
#include <string>

#include "cf/future.hpp"
#include "protocol.hpp"

namespace cf::explore {
namespace {

using namespace std::chrono_literals;

// wait(FIRST_COMPLETED, 5 ms) on two futures while one actor completes the
// first and another cancels the second.
void first_completed() {
  Future<int> a, b;
  Nanos a_at = Nanos::max(), b_at = Nanos::max(), deadline{}, returned_at{};
  DoneAndNotDone split;
  run_actors({
      [&] {
        deadline = now() + Nanos(5ms);
        split = cf::wait({a, b}, FIRST_COMPLETED, 5ms);
        returned_at = now();
      },
      [&] {
        a.set_result(1);
        a_at = now();
      },
      [&] {
        b.cancel();
        b_at = now();
      },
  });
  check(split.done.size() + split.not_done.size() == 2, "WAIT-FIRST-1",
        "the split does not hold both futures");
  for (const AnyFuture& f : split.done)
    check(f.done(), "WAIT-FIRST-1", "a future in done is not done");
  const Nanos first = std::min(a_at, b_at);
  if (split.done.empty()) {
    check(returned_at >= deadline, "WAIT-TIMEOUT-1", "wait() returned nothing before its deadline");
    check(first >= deadline, "WAIT-FIRST-1",
          "wait() timed out with nothing done although a future completed before the deadline");
  } else if (first < deadline) {
    check(returned_at < deadline, "WAIT-FIRST-1",
          "a future completed before the deadline but wait() returned only at the deadline");
  }
  if (b_at < deadline && split.done.empty()) {
    check(false, "WAIT-CANCEL-1", "a cancelled future did not count as done");
  }
}

CF_EXPLORE_PROTOCOL(
    "wait.first_completed", "WAIT-FIRST-1 WAIT-TIMEOUT-1 WAIT-CANCEL-1",
    "wait(FIRST_COMPLETED, timeout) while one future completes and another is cancelled: it "
    "returns at the first completion, and times out only when none came before the deadline "
    "[WAIT-FIRST-1] [WAIT-TIMEOUT-1] [WAIT-CANCEL-1]",
    3, Bounds{2, 1, 20000}, first_completed);

// wait(ALL_COMPLETED) without a timeout on {a, b, a} while a completes and b
// is cancelled: it must return, with both done.
void all_completed() {
  Future<int> a, b;
  DoneAndNotDone split;
  run_actors({
      [&] {
        split = cf::wait({a, b, a}, ALL_COMPLETED);
      },
      [&] { a.set_result(1); },
      [&] { b.cancel(); },
  });
  check(split.done.size() == 2 && split.not_done.empty(), "WAIT-ALL-1",
        "wait(ALL_COMPLETED) returned with " + std::to_string(split.not_done.size()) +
            " futures not done");
  check(split.done.count(AnyFuture(b)) == 1, "WAIT-CANCEL-1",
        "the cancelled future is not in done");
}

CF_EXPLORE_PROTOCOL(
    "wait.all_completed", "WAIT-ALL-1 WAIT-CANCEL-1 WAIT-DUP-1",
    "wait(ALL_COMPLETED) on {a, b, a} while a completes and b is cancelled, racing the "
    "waiter's install: it returns once both are done, never hangs [WAIT-ALL-1] "
    "[WAIT-CANCEL-1] [WAIT-DUP-1]",
    3, Bounds{2, 1, 20000}, all_completed);

// as_completed({a, b, c}, 5 ms) after the consumer spent 2 ms elsewhere,
// while one actor completes a and b and another cancels c.
void as_completed_timeout() {
  Future<int> a, b, c, elsewhere;
  int yielded_a = 0, yielded_b = 0, yielded_c = 0;
  bool timed_out = false;
  Nanos deadline{}, timed_out_at{};
  Nanos c_at = Nanos::max();
  run_actors({
      [&] {
        deadline = now() + Nanos(5ms);
        auto it = cf::as_completed({a, b, c}, 5ms);
        // Other work first: the deadline was fixed at the call [ASC-TIMEOUT-1].
        try {
          elsewhere.result(2ms);
        } catch (const TimeoutError&) {
        }
        try {
          for (const AnyFuture& f : it) {
            yielded_a += f == AnyFuture(a);
            yielded_b += f == AnyFuture(b);
            yielded_c += f == AnyFuture(c);
          }
        } catch (const TimeoutError&) {
          timed_out = true;
          timed_out_at = now();
        }
      },
      [&] {
        a.set_result(1);
        b.set_result(2);
      },
      [&] {
        c.cancel();
        c_at = now();
      },
  });
  check(yielded_a <= 1 && yielded_b <= 1 && yielded_c <= 1, "ASC-ALL-1",
        "a future was yielded twice");
  if (timed_out) {
    check(timed_out_at == deadline, "ASC-TIMEOUT-1",
          "as_completed timed out " + std::to_string((timed_out_at - deadline).count()) +
              " ns after the deadline fixed at the call");
  } else {
    check(yielded_a == 1 && yielded_b == 1 && yielded_c == 1, "ASC-ALL-1",
          "as_completed ended without yielding every future");
  }
  if (c_at < deadline)
    check(yielded_c == 1, "ASC-CANCEL-1", "a future cancelled in time was not yielded");
}

CF_EXPLORE_PROTOCOL(
    "as_completed.timeout", "ASC-ALL-1 ASC-TIMEOUT-1 ASC-CANCEL-1",
    "as_completed(timeout) consumed after other work, while futures complete and one is "
    "cancelled: each is yielded once, and the timeout falls at the deadline fixed at the call "
    "[ASC-ALL-1] [ASC-TIMEOUT-1] [ASC-CANCEL-1]",
    3, Bounds{2, 1, 20000}, as_completed_timeout);

}  // namespace
}  // namespace cf::explore
