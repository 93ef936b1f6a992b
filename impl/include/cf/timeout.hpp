// cf/timeout.hpp — how long a blocking call may wait.
//
// A Timeout is either "none" (wait without limit) or a length of time given as
// any std::chrono::duration. It is converted without overflow: zero and
// negative lengths mean "check once, do not block" [FUT-RESULT-6]; lengths too
// large to add to the steady clock's now(), up to duration::max() of any
// representation, mean "none" [FUT-RESULT-7] [EXT-TIMEOUT-1]. Negative
// infinity is zero; NaN has no meaning and throws std::invalid_argument.
//
// Every timeout in cf is measured from the call that receives it
// [WAIT-TIMEOUT-1] [ASC-TIMEOUT-1] [MAP-TIMEOUT-1]: the call turns it into a
// Deadline at once.
//
// Thread-safety: both types are values; copies may be used from any thread.
#pragma once

#include <chrono>
#include <stdexcept>
#include <type_traits>

#include "cf/detail/sync.hpp"

namespace cf {

using Clock = detail::sync::Clock;  // std::chrono::steady_clock in production

// A fixed point in time after which a wait gives up, or "never".
class Deadline {
 public:
  static Deadline never() { return Deadline(); }
  static Deadline at(Clock::time_point when) { return Deadline(when); }

  bool is_never() const { return never_; }
  Clock::time_point when() const { return when_; }
  bool passed() const { return !never_ && Clock::now() >= when_; }
  // Time left; zero once passed. Meaningless for never().
  Clock::duration remaining() const {
    auto left = when_ - Clock::now();
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }

 private:
  Deadline() = default;
  explicit Deadline(Clock::time_point when) : never_(false), when_(when) {}
  bool never_ = true;
  Clock::time_point when_{};
};

class Timeout {
 public:
  // No limit.
  constexpr Timeout() = default;
  static constexpr Timeout none() { return Timeout(); }

  // Implicit, so `f.result(100ms)` reads like Python's `f.result(0.1)`.
  // Integral lengths convert exactly; floating ones round up to the next
  // clock tick, so a call never gives up before the time asked for.
  template <class Rep, class Period>
  Timeout(std::chrono::duration<Rep, Period> length) {  // NOLINT(google-explicit-constructor)
    long double seconds = to_seconds(length);
    if (seconds != seconds) throw std::invalid_argument(kNanMessage);
    if (seconds >= kForeverSeconds) return;  // as good as none [FUT-RESULT-7]
    none_ = false;
    if (seconds <= 0) return;  // zero or negative: poll once [FUT-RESULT-6]
    // Below kForeverSeconds every length fits Clock::duration (nanoseconds).
    if constexpr (std::is_floating_point_v<Rep>) {
      length_ = std::chrono::ceil<Clock::duration>(std::chrono::duration<long double>(seconds));
    } else {
      length_ = exact_ticks(length);
    }
  }

  // A plain number, where its meaning does not depend on a unit: zero or a
  // negative number is a poll in every unit, so `f.result(0)` and
  // `cf::as_completed(fs, 0)` read as in Python [EXT-TIMEOUT-2]. A positive
  // number needs a unit (`2s`, `500ms`): it does not compile, and neither
  // does a number known only at run time.
  template <class N>
  requires(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>) consteval Timeout(
      N number)  // NOLINT(google-explicit-constructor)
      : none_(false) {
    if (!(number <= 0)) a_positive_timeout_needs_a_unit_such_as_2s_or_500ms();
  }

  bool is_none() const { return none_; }
  // The length (zero for a poll). Meaningless for none().
  Clock::duration length() const { return length_; }

  // The deadline this timeout gives a call made at `now`.
  Deadline deadline_from(Clock::time_point now) const {
    return none_ ? Deadline::never() : Deadline::at(now + length_);
  }
  Deadline deadline() const { return deadline_from(Clock::now()); }

 private:
  // Beyond about 30 years a wait is indistinguishable from "none", and
  // now() + length stays far from the clock's overflow.
  static constexpr long double kForeverSeconds = 1e9L;
  static constexpr const char* kNanMessage = "timeout must not be NaN";

  // Long double holds any duration's count without overflow, so hours::max()
  // or nanoseconds::max() compare safely against kForeverSeconds.
  template <class Rep, class Period>
  static long double to_seconds(std::chrono::duration<Rep, Period> length) {
    return static_cast<long double>(length.count()) * Period::num / Period::den;
  }

  // ceil(length / tick), exactly, in 128-bit arithmetic: std::chrono's own
  // conversion is checked at compile time and refuses periods such as
  // ratio<INT64_MAX>. Called only for 0 < length < kForeverSeconds, where
  // every product below fits.
  template <class Rep, class Period>
  static Clock::duration exact_ticks(std::chrono::duration<Rep, Period> length) {
    __extension__ using Wide = __int128;
    Wide numerator = static_cast<Wide>(length.count()) * Period::num * Clock::period::den;
    Wide denominator = static_cast<Wide>(Period::den) * Clock::period::num;
    Wide ticks = numerator / denominator + (numerator % denominator != 0 ? 1 : 0);
    return Clock::duration(static_cast<Clock::rep>(ticks));
  }

  // Not constexpr: reaching it from the consteval constructor is the
  // compile-time error that names the fix.
  static void a_positive_timeout_needs_a_unit_such_as_2s_or_500ms() {}

  bool none_ = true;
  Clock::duration length_{0};
};

}  // namespace cf
