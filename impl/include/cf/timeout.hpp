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

namespace cf {

using Clock = std::chrono::steady_clock;

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
  template <class Rep, class Period>
  Timeout(std::chrono::duration<Rep, Period> length)  // NOLINT(google-explicit-constructor)
      : none_(false), seconds_(to_seconds(length)) {
    if (seconds_ != seconds_) throw std::invalid_argument(kNanMessage);
  }

  bool is_none() const { return none_; }

  // The deadline this timeout gives a call made at `now`.
  Deadline deadline_from(Clock::time_point now) const {
    if (none_ || seconds_ >= kForeverSeconds) return Deadline::never();
    if (seconds_ <= 0) return Deadline::at(now);  // zero or negative: poll once
    auto length = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<long double>(seconds_));
    return Deadline::at(now + length);
  }
  Deadline deadline() const { return deadline_from(Clock::now()); }

 private:
  // Beyond about 30 years a wait is indistinguishable from "none", and
  // now() + length stays far from the clock's overflow.
  static constexpr long double kForeverSeconds = 1e9L;
  static constexpr const char* kNanMessage = "timeout must not be NaN";

  // Long double holds any integral duration's count without overflow, so
  // hours::max() or nanoseconds::max() convert safely.
  template <class Rep, class Period>
  static long double to_seconds(std::chrono::duration<Rep, Period> length) {
    return static_cast<long double>(length.count()) * Period::num / Period::den;
  }

  bool none_ = true;
  long double seconds_ = 0;
};

}  // namespace cf
