#include "cf/detail/done_signal.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "cf/detail/spin_wait.hpp"

namespace cf::detail {
#if (defined(CF_EXPLORE) && CF_EXPLORE) || (defined(CF_EXPLORE_RELACY) && CF_EXPLORE_RELACY)
using sync::futex_wait;      // the exploration scheduler's futex
using sync::futex_wake_all;  // (cf/explore/sync.hpp)
#else
namespace {

static_assert(sizeof(sync::Atomic<std::uint32_t>) == sizeof(std::uint32_t));

std::uint32_t* futex_word(sync::Atomic<std::uint32_t>& word) {
  return reinterpret_cast<std::uint32_t*>(&word);
}

// Sleeps while *word == expected, until woken or `when` (absolute, steady
// clock = CLOCK_MONOTONIC, the clock FUTEX_WAIT_BITSET uses by default).
void futex_wait(sync::Atomic<std::uint32_t>& word, std::uint32_t expected,
                const Deadline& deadline) {
  timespec when{};
  timespec* timeout = nullptr;
  if (!deadline.is_never()) {
    auto since_epoch = deadline.when().time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    when.tv_sec = static_cast<time_t>(seconds.count());
    when.tv_nsec = static_cast<long>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count());
    timeout = &when;
  }
  // EINTR, EAGAIN (value changed) and ETIMEDOUT all send the caller back to
  // re-check the word and the deadline.
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_BITSET_PRIVATE, expected, timeout, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

void futex_wake_all(sync::Atomic<std::uint32_t>& word) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace
#endif

void DoneSignal::set() {
  if (word_.exchange(kSet, std::memory_order_acq_rel) == kSleepers) futex_wake_all(word_);
}

bool DoneSignal::wait_until(const Deadline& deadline) const {
  if (is_set()) return true;
  if (spin_until([&] { return is_set() || deadline.passed(); }) && is_set()) return true;
  for (;;) {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    if (word == kSet) return true;
    if (deadline.passed()) return false;
    // Announce a sleeper before sleeping, so set() knows to wake it. If set()
    // came in between, the CAS fails (or the futex sees kSet) and we re-check.
    if (word == kUnset &&
        !word_.compare_exchange_weak(word, kSleepers, std::memory_order_acq_rel)) {
      continue;
    }
    futex_wait(word_, kSleepers, deadline);
  }
}

}  // namespace cf::detail
