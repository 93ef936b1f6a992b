// cf/executor.hpp — what an executor is, and map() over any of them.
//
// cf::Executor is the concept every cf executor models (Python's Executor):
// submit() returns a Future and shutdown(wait, cancel_futures) stops it.
// cf::map() is Python's Executor.map for any Executor: results in input order
// [MAP-ORDER-1], a timeout measured from the call [MAP-TIMEOUT-1], a call's
// exception raised at its position [MAP-EXC-1], and the calls not yet started
// cancelled when the result range is abandoned [MAP-ABANDON-1].
//
// Requires: the executor outlives the MapResult when `buffersize` is set
// (later calls are submitted while the results are consumed).
// Thread-safety: a MapResult is used from one thread at a time.
#pragma once

#include <concepts>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "cf/errors.hpp"
#include "cf/future.hpp"
#include "cf/timeout.hpp"

namespace cf {

template <class E>
concept Executor = requires(E& executor) {
  { executor.submit([] { return 0; }) } -> std::same_as<Future<int>>;
  executor.shutdown(true, false);
};

struct MapOptions {
  Timeout timeout = Timeout::none();       // none by default; from the call [MAP-TIMEOUT-1]
  std::optional<std::size_t> buffersize = std::nullopt;  // calls in flight; none = submit all now [MAP-EAGER-1]
};

// The results of one map() call, in input order. next() returns the next
// result, nullopt at the end, or throws: a call's exception [MAP-EXC-1] or
// TimeoutError [MAP-TIMEOUT-1]. After a throw the range is finished and the
// remaining calls are cancelled [MAP-EXC-2] [MAP-TIMEOUT-2].
template <class R>
class MapResult {
 public:
  using value_type = R;
  // Submits the next input's call, or returns nullopt when input is exhausted.
  using Pull = std::function<std::optional<Future<R>>()>;

  MapResult(std::deque<Future<R>> submitted, Pull pull, Deadline deadline)
      : futures_(std::move(submitted)), pull_(std::move(pull)), deadline_(deadline) {}
  MapResult(MapResult&&) noexcept = default;
  MapResult& operator=(MapResult&&) noexcept = default;
  ~MapResult() { close(); }

  std::optional<R> next() {
    if (futures_.empty() || finished_) {
      finished_ = true;
      return std::nullopt;
    }
    // One more call enters the window before the oldest is awaited [MAP-BUF-1].
    if (pull_) {
      if (auto more = pull_()) {
        futures_.push_back(std::move(*more));
      } else {
        pull_ = nullptr;
      }
    }
    Future<R> head = std::move(futures_.front());
    futures_.pop_front();
    try {
      if (!AnyFuture(head).state().wait_done(deadline_)) {
        head.cancel();  // the awaited call too [MAP-TIMEOUT-2]
        throw TimeoutError();
      }
      return std::optional<R>(std::move(head).result());
    } catch (...) {
      close();
      throw;
    }
  }

  // Cancels every call not yet yielded; running calls finish [MAP-ABANDON-1].
  void close() {
    finished_ = true;
    pull_ = nullptr;
    for (auto& f : futures_) f.cancel();
    futures_.clear();
  }

  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    R& operator*() { return *current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return !it.current_.has_value();
    }

   private:
    friend class MapResult;
    explicit iterator(MapResult* owner) : owner_(owner), current_(owner->next()) {}
    MapResult* owner_ = nullptr;
    std::optional<R> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  std::deque<Future<R>> futures_;
  Pull pull_;
  Deadline deadline_;
  bool finished_ = false;
};

// Python's executor.map(fn, inputs, timeout=, buffersize=) for one input range.
// Throws std::invalid_argument for buffersize 0 before submitting anything
// [MAP-BUF-2], and ShutdownError (like submit) on a shut-down executor
// [MAP-SHUTDOWN-1].
template <class E, class F, std::ranges::input_range Inputs>
auto map(E& executor, F fn, Inputs&& inputs, MapOptions options = {}) {
  using R = std::invoke_result_t<F&, std::ranges::range_reference_t<Inputs>>;
  static_assert(!std::is_void_v<R>, "cf::map needs a function that returns a value");
  auto deadline = options.timeout.deadline();  // measured from the call [MAP-TIMEOUT-1]
  if (options.buffersize && *options.buffersize < 1) throw std::invalid_argument(msg::kBufferSize);

  std::deque<Future<R>> submitted;
  auto cancel_all = [&] {
    for (auto& f : submitted) f.cancel();
  };
  if (!options.buffersize) {
    // Every call is submitted now, before the first result is asked for [MAP-EAGER-1].
    try {
      for (auto&& input : inputs) submitted.push_back(executor.submit(fn, input));
    } catch (...) {
      cancel_all();
      throw;
    }
    return MapResult<R>(std::move(submitted), nullptr, deadline);
  }

  // Lazy: the input is kept and read one element per call [MAP-BUF-3].
  struct Source {
    std::views::all_t<Inputs> view;
    std::ranges::iterator_t<std::views::all_t<Inputs>> it;
    explicit Source(Inputs&& in) : view(std::views::all(std::forward<Inputs>(in))), it(view.begin()) {}
  };
  auto source = std::make_shared<Source>(std::forward<Inputs>(inputs));
  auto pull = [&executor, fn, source]() -> std::optional<Future<R>> {
    if (source->it == std::ranges::end(source->view)) return std::nullopt;
    auto future = executor.submit(fn, *source->it);
    ++source->it;
    return future;
  };
  try {
    for (std::size_t i = 0; i < *options.buffersize; ++i) {
      auto f = pull();
      if (!f) break;
      submitted.push_back(std::move(*f));
    }
  } catch (...) {
    cancel_all();
    throw;
  }
  return MapResult<R>(std::move(submitted), std::move(pull), deadline);
}

}  // namespace cf
