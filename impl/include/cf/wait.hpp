// cf/wait.hpp — watching many futures: wait() and as_completed().
//
// Both accept any range of futures whose elements convert to cf::AnyFuture,
// of mixed result types and from any executors [EXT-ANY-1]. Duplicates count
// once [WAIT-DUP-1] [ASC-DUP-1]. A cancelled future is done for both, however
// it was cancelled [WAIT-CANCEL-1] [ASC-CANCEL-1]; CPython instead ignores a
// cancellation until an executor notices it (a recorded CPython deviation).
// Timeouts are measured from the call [WAIT-TIMEOUT-1] [ASC-TIMEOUT-1].
//
// Thread-safety: any number of threads may wait on the same futures at once.
// Blocking: wait() blocks until its condition holds or the timeout passes;
// AsCompleted::next() blocks until the next future completes or the deadline
// passes. Neither busy-waits: completions are pushed to them by the futures.
#pragma once

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cf/future.hpp"
#include "cf/timeout.hpp"

namespace cf {

enum class ReturnWhen {
  kFirstCompleted,  // [WAIT-FIRST-1] [WAIT-FIRST-2]
  kFirstException,  // [WAIT-FEXC-1..3]; ALL_COMPLETED when nothing fails
  kAllCompleted,    // [WAIT-ALL-1]
};
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::kFirstCompleted;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::kFirstException;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::kAllCompleted;

using FutureSet = std::unordered_set<AnyFuture, AnyFuture::Hash>;

// Python's DoneAndNotDoneFutures: a disjoint split of the (de-duplicated)
// input. Every future in `done` is done; every future in `not_done` was not
// done when wait() took the split.
struct DoneAndNotDone {
  FutureSet done;
  FutureSet not_done;
};

namespace detail {
DoneAndNotDone wait_impl(std::vector<AnyFuture> futures, ReturnWhen when, Deadline deadline);
}

// Returns when `when` holds or `timeout` has passed, whichever is first; never
// throws TimeoutError [WAIT-TIMEOUT-1]. An empty input returns at once
// [WAIT-EMPTY-1].
template <std::ranges::input_range Futures>
DoneAndNotDone wait(Futures&& futures, ReturnWhen when = ALL_COMPLETED, Timeout timeout = {}) {
  auto deadline = timeout.deadline();
  std::vector<AnyFuture> all;
  for (auto&& f : futures) all.emplace_back(f);
  return detail::wait_impl(std::move(all), when, deadline);
}
inline DoneAndNotDone wait(std::initializer_list<AnyFuture> futures,
                           ReturnWhen when = ALL_COMPLETED, Timeout timeout = {}) {
  auto deadline = timeout.deadline();
  return detail::wait_impl(std::vector<AnyFuture>(futures), when, deadline);
}

// The futures of one as_completed() call, yielded as they complete: first
// those already done at the call [ASC-DONE-1], then in completion order
// [ASC-ORDER-1], each exactly once [ASC-ALL-1]. next() throws
// TimeoutError("N (of M) futures unfinished") once the deadline fixed at the
// call has passed with futures outstanding [ASC-TIMEOUT-1]; already-done
// futures are yielded even with a zero timeout [ASC-TIMEOUT-2].
//
// Use from one thread at a time. Destroying it stops watching the futures.
class AsCompleted {
 public:
  AsCompleted(std::vector<AnyFuture> futures, Deadline deadline);
  AsCompleted(AsCompleted&&) noexcept;
  AsCompleted& operator=(AsCompleted&&) noexcept;
  ~AsCompleted();

  // The next completed future, or nullopt when all have been yielded.
  std::optional<AnyFuture> next();
  // Futures not yet yielded.
  std::size_t remaining() const;

  class iterator {
   public:
    using value_type = AnyFuture;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    const AnyFuture& operator*() const { return *current_; }
    const AnyFuture* operator->() const { return &*current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return !it.current_.has_value();
    }

   private:
    friend class AsCompleted;
    explicit iterator(AsCompleted* owner) : owner_(owner), current_(owner->next()) {}
    AsCompleted* owner_ = nullptr;
    std::optional<AnyFuture> current_;
  };
  // Starts yielding; throws like next().
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  struct Watch;
  std::unique_ptr<Watch> watch_;
};

template <std::ranges::input_range Futures>
AsCompleted as_completed(Futures&& futures, Timeout timeout = {}) {
  auto deadline = timeout.deadline();  // measured from the call [ASC-TIMEOUT-1]
  std::vector<AnyFuture> all;
  for (auto&& f : futures) all.emplace_back(f);
  return AsCompleted(std::move(all), deadline);
}
inline AsCompleted as_completed(std::initializer_list<AnyFuture> futures, Timeout timeout = {}) {
  auto deadline = timeout.deadline();
  return AsCompleted(std::vector<AnyFuture>(futures), deadline);
}

}  // namespace cf
