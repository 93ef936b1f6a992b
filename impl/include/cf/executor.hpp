// cf/executor.hpp — what an executor is, and map() over any of them.
//
// cf::Executor is the concept every cf executor models (Python's Executor):
// submit() returns a Future and shutdown(wait, cancel_futures) stops it.
// cf::map() is Python's Executor.map for any Executor, over one range or
// several (zipped, stopping at the shortest [MAP-ZIP-1]), for functions that
// return a value or nothing (each call then yields a cf::None [MAP-VOID-1]):
// results in input order [MAP-ORDER-1], a timeout measured from the call
// [MAP-TIMEOUT-1], a call's exception raised at its position [MAP-EXC-1].
//
// Abandoning the results follows CPython's generator: a MapResult destroyed or
// closed after its first step cancels the calls not yet started
// [MAP-ABANDON-1]; one never stepped cancels nothing, so `pool.map(f, xs);`
// as a statement runs every call [MAP-ABANDON-2]. cancel() withdraws the rest
// explicitly, stepped or not [EXT-MAPCANCEL-1].
//
// Example:
//   for (int sq : pool.map(square, xs)) ...                     // one range
//   for (double p : pool.map(pow_fn, bases, exponents)) ...     // two, zipped
//   auto r = pool.map(f, xs, cf::MapOptions{.timeout = 2s, .buffersize = 8});
//
// Requires: the executor outlives the MapResult when `buffersize` is set
// (later calls are submitted while the results are consumed).
// Thread-safety: a MapResult is used from one thread at a time.
#pragma once

#include <concepts>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cf/errors.hpp"
#include "cf/future.hpp"
#include "cf/timeout.hpp"

namespace cf {

template <class E>
concept Executor = requires(E& executor) {
  {
    executor.submit([] { return 0; })
    } -> std::same_as<Future<int>>;
  executor.shutdown(true, false);
};

// What map() yields for a call of a function that returns nothing: Python's None.
struct None {
  friend bool operator==(None, None) { return true; }
};

struct MapOptions {
  // None by default; measured from the call [MAP-TIMEOUT-1].
  Timeout timeout = Timeout::none();
  // Calls submitted and not yet yielded; none = submit every call now
  // [MAP-EAGER-1]. Below 1 throws std::invalid_argument [MAP-BUF-2] (signed,
  // so that -1 is an error, not "a very large buffer").
  std::optional<std::ptrdiff_t> buffersize = std::nullopt;
  // Inputs per call on a process pool [PPE-CHUNK-2]; validated and ignored
  // by every other executor [MAP-CHUNK-1]. Below 1 throws std::invalid_argument.
  int chunksize = 1;
};

namespace detail {
template <class R>
using map_value_t = std::conditional_t<std::is_void_v<R>, None, R>;

// True when the last of the arguments is a MapOptions.
template <class... T>
struct ends_with_options : std::false_type {};
template <class T>
struct ends_with_options<T> : std::is_same<std::remove_cvref_t<T>, MapOptions> {};
template <class T, class U, class... Rest>
struct ends_with_options<T, U, Rest...> : ends_with_options<U, Rest...> {};

// Throws std::invalid_argument for a bad option, before anything is submitted.
inline void validate(const MapOptions& options) {
  if (options.buffersize && *options.buffersize < 1) throw std::invalid_argument(msg::kBufferSize);
  if (options.chunksize < 1) throw std::invalid_argument(msg::kChunkSize);
}
}  // namespace detail

// The results of one map() call, in input order. next() returns the next
// result, nullopt at the end, or throws: a call's exception [MAP-EXC-1] or
// TimeoutError [MAP-TIMEOUT-1]. After a throw the range is finished and the
// remaining calls are cancelled [MAP-EXC-2] [MAP-TIMEOUT-2].
template <class R>
class MapResult {
 public:
  using value_type = detail::map_value_t<R>;
  // Submits the next input's call, or returns nullopt when input is exhausted.
  using Pull = std::function<std::optional<Future<R>>()>;

  MapResult(std::deque<Future<R>> submitted, Pull pull, Deadline deadline)
      : futures_(std::move(submitted)), pull_(std::move(pull)), deadline_(deadline) {}
  MapResult(MapResult&&) noexcept = default;
  MapResult& operator=(MapResult&&) noexcept = default;
  ~MapResult() { close(); }

  std::optional<value_type> next() {
    if (finished_) return std::nullopt;
    stepped_ = true;
    if (futures_.empty()) {
      finished_ = true;
      // With buffersize, an input the executor refused after shutdown ends
      // the sequence with that error, after every result submitted before
      // it was delivered [MAP-BUF-5].
      if (refused_) std::rethrow_exception(std::exchange(refused_, nullptr));
      return std::nullopt;
    }
    Future<R> head = std::move(futures_.front());
    futures_.pop_front();
    try {
      if (!AnyFuture(head).state().wait_done(deadline_)) {
        head.cancel();  // the awaited call too [MAP-TIMEOUT-2]
        throw TimeoutError();
      }
      std::optional<value_type> value;
      if constexpr (std::is_void_v<R>) {
        head.result();
        value.emplace();
      } else {
        value.emplace(std::move(head).result());
      }
      // The next input enters only once the oldest call has left, so no more
      // than buffersize calls are ever submitted and not yet yielded
      // [MAP-BUF-4] (CPython submits first, then waits: gh-131466).
      refill();
      return value;
    } catch (...) {
      close();
      throw;
    }
  }

  // Python's close(): ends the sequence. After a first step it cancels every
  // call not yet yielded, running calls finish [MAP-ABANDON-1]; before it,
  // nothing is cancelled and every submitted call runs [MAP-ABANDON-2].
  void close() {
    if (stepped_) cancel_rest();
    finished_ = true;
    pull_ = nullptr;
    futures_.clear();
    refused_ = nullptr;
  }

  // Ends the sequence and cancels every call not yet started, whether or not
  // it was stepped [EXT-MAPCANCEL-1].
  void cancel() {
    cancel_rest();
    close();
  }

  class iterator {
   public:
    using value_type = MapResult::value_type;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    value_type& operator*() { return *current_; }
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
    std::optional<value_type> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  void refill() {
    if (!pull_) return;
    try {
      if (auto more = pull_()) {
        futures_.push_back(std::move(*more));
      } else {
        pull_ = nullptr;
      }
    } catch (const std::invalid_argument&) {
      throw;  // the caller's own input (an unregistered task): not a refusal
    } catch (...) {
      pull_ = nullptr;
      refused_ = std::current_exception();
    }
  }
  void cancel_rest() {
    for (auto& f : futures_) f.cancel();
  }

  std::deque<Future<R>> futures_;
  Pull pull_;
  Deadline deadline_;
  std::exception_ptr refused_;  // submit refused a refill [MAP-BUF-5]
  bool stepped_ = false;
  bool finished_ = false;
};

namespace detail {

// The inputs of one map() call: one or more ranges read in step, ending with
// the shortest [MAP-ZIP-1]. Kept by value (views::all), so a lazy map can
// read them later.
template <class... Ranges>
class ZipSource {
 public:
  explicit ZipSource(Ranges&&... ranges)
      : views_(std::views::all(std::forward<Ranges>(ranges))...),
        its_(std::apply([](auto&... v) { return std::tuple(std::ranges::begin(v)...); }, views_)) {}

  bool exhausted() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return ((std::get<I>(its_) == std::ranges::end(std::get<I>(views_))) || ...);
    }
    (std::index_sequence_for<Ranges...>{});
  }
  // Calls fn with the current element of every range.
  template <class Fn>
  decltype(auto) with_current(Fn&& fn) {
    return std::apply([&](auto&... it) -> decltype(auto) { return std::forward<Fn>(fn)(*it...); },
                      its_);
  }
  void advance() {
    std::apply([](auto&... it) { (++it, ...); }, its_);
  }

 private:
  std::tuple<std::views::all_t<Ranges>...> views_;
  std::tuple<std::ranges::iterator_t<std::views::all_t<Ranges>>...> its_;
};

template <class F, class... Ranges>
using map_result_t = std::invoke_result_t<F&, std::ranges::range_reference_t<Ranges>...>;

template <class E, class F, class... Ranges>
auto map_ranges(E& executor, F fn, const MapOptions& options, Ranges&&... ranges) {
  static_assert(sizeof...(Ranges) >= 1, "cf::map needs at least one input range");
  static_assert((std::ranges::input_range<Ranges> && ...),
                "cf::map takes the function, then one or more input ranges, then optionally a "
                "cf::MapOptions");
  using R = std::remove_cvref_t<map_result_t<F, Ranges...>>;
  auto deadline = options.timeout.deadline();  // measured from the call [MAP-TIMEOUT-1]
  validate(options);

  using Source = ZipSource<Ranges...>;
  auto source = std::make_shared<Source>(std::forward<Ranges>(ranges)...);
  auto pull = [&executor, fn, source]() -> std::optional<Future<R>> {
    if (source->exhausted()) return std::nullopt;
    auto future =
        source->with_current([&](auto&&... args) { return executor.submit(fn, args...); });
    source->advance();
    return future;
  };
  std::deque<Future<R>> submitted;
  try {
    // Without buffersize every call is submitted now, before the first result
    // is asked for [MAP-EAGER-1]; with it, the first B [MAP-BUF-1] and the
    // rest lazily [MAP-BUF-3].
    for (std::ptrdiff_t i = 0; !options.buffersize || i < *options.buffersize; ++i) {
      auto f = pull();
      if (!f) break;
      submitted.push_back(std::move(*f));
    }
  } catch (...) {
    for (auto& f : submitted) f.cancel();
    throw;
  }
  if (!options.buffersize) return MapResult<R>(std::move(submitted), nullptr, deadline);
  return MapResult<R>(std::move(submitted), std::move(pull), deadline);
}

}  // namespace detail

// Python's executor.map(fn, inputs, timeout=, buffersize=) for one input range.
// Throws std::invalid_argument for a buffersize or chunksize below 1 before
// submitting anything [MAP-BUF-2] [MAP-CHUNK-1], and ShutdownError (like
// submit) on a shut-down executor [MAP-SHUTDOWN-1].
template <class E, class F, std::ranges::input_range Inputs>
auto map(E& executor, F fn, Inputs&& inputs, MapOptions options = {}) {
  return detail::map_ranges(executor, std::move(fn), options, std::forward<Inputs>(inputs));
}

// Python's executor.map(fn, *iterables, ...): two or more ranges, read in
// step, ending with the shortest [MAP-ZIP-1]; a cf::MapOptions may follow.
template <class E, class F, std::ranges::input_range R1, std::ranges::input_range R2, class... Rest>
auto map(E& executor, F fn, R1&& first, R2&& second, Rest&&... rest) {
  if constexpr (detail::ends_with_options<Rest...>::value) {
    auto args = std::forward_as_tuple(std::forward<Rest>(rest)...);
    const MapOptions& options = std::get<sizeof...(Rest) - 1>(args);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::map_ranges(executor, std::move(fn), options, std::forward<R1>(first),
                                std::forward<R2>(second), std::get<I>(std::move(args))...);
    }
    (std::make_index_sequence<sizeof...(Rest) - 1>{});
  } else {
    return detail::map_ranges(executor, std::move(fn), MapOptions{}, std::forward<R1>(first),
                              std::forward<R2>(second), std::forward<Rest>(rest)...);
  }
}

}  // namespace cf
