// cf/detail/call_pool.hpp — submit() and map() of the pools whose calls run
// in other processes (ProcessPoolExecutor, MpiPoolExecutor).
//
// Internal. Both take plain functions registered with CF_REGISTER_TASK,
// encode the arguments at the call, and hand a detail::ProcessCall to the
// pool's enqueue(); only how the call reaches a worker differs. Pool derives
// from CallPool<Pool> and befriends it.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/codec.hpp"
#include "cf/detail/process_call.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"

namespace cf::detail {

template <class F, class... Args>
using process_result_t =
    std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;

template <class Pool>
class CallPool {
 public:
  // Schedules fn(args...) in a worker [EXEC-SUBMIT-1]. fn must be a plain
  // function registered with CF_REGISTER_TASK: anything else fails to
  // compile [PPE-REG-1], an unregistered one throws UnregisteredTaskError
  // [PPE-REG-2]. Arguments are converted to fn's parameter types and encoded
  // now; if encoding throws, the future holds that error. Throws
  // ShutdownError after shutdown and BrokenProcessPool once broken.
  template <class F, class... Args>
  auto submit(F&& f, Args&&... args) -> Future<process_result_t<F, Args...>> {
    using Fn = std::decay_t<F>;
    static_assert(is_function_pointer_v<Fn>,
                  "submit takes a plain function registered with CF_REGISTER_TASK(fn); a lambda "
                  "or function object cannot run in another process");
    using R = process_result_t<F, Args...>;
    Fn fn = f;
    const TaskEntry& entry = task_for(reinterpret_cast<AnyFunction>(fn));
    Future<R> future;
    auto call = std::make_shared<SingleCall<R>>(future, entry.name);
    try {
      call->args.push_back(encode_args(fn, std::forward<Args>(args)...));
    } catch (...) {
      call->encode_error = std::current_exception();
    }
    pool().enqueue(std::move(call));
    return future;
  }

  // Python's map(fn, *iterables, timeout, chunksize, buffersize).
  // options.chunksize > 1 sends the inputs in chunks of that many per call
  // [PPE-CHUNK-2]; below 1 throws std::invalid_argument("chunksize must be
  // >= 1.") [PPE-CHUNK-1]. The trailing `chunksize` argument is the same
  // option (kept for callers that pass it apart). See cf/executor.hpp for the rest.
  template <class F, std::ranges::input_range Inputs>
  auto map(F fn, Inputs&& inputs, MapOptions options = {}, int chunksize = 1) {
    if (chunksize < 1) throw std::invalid_argument(msg::kChunkSize);
    if (chunksize != 1) options.chunksize = chunksize;
    return map_zipped(std::move(fn), options, std::forward<Inputs>(inputs));
  }
  // Two or more ranges, read in step [MAP-ZIP-1]; a cf::MapOptions may follow.
  template <class F, std::ranges::input_range R1, std::ranges::input_range R2, class... Rest>
  auto map(F fn, R1&& first, R2&& second, Rest&&... rest) {
    if constexpr (ends_with_options<Rest...>::value) {
      auto args = std::forward_as_tuple(std::forward<Rest>(rest)...);
      MapOptions options = std::get<sizeof...(Rest) - 1>(args);
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return map_zipped(std::move(fn), options, std::forward<R1>(first), std::forward<R2>(second),
                          std::get<I>(std::move(args))...);
      }
      (std::make_index_sequence<sizeof...(Rest) - 1>{});
    } else {
      return map_zipped(std::move(fn), MapOptions{}, std::forward<R1>(first),
                        std::forward<R2>(second), std::forward<Rest>(rest)...);
    }
  }

 protected:
  CallPool() = default;

 private:
  Pool& pool() { return static_cast<Pool&>(*this); }

  template <class F, class... Ranges>
  auto map_zipped(F fn, MapOptions options, Ranges&&... ranges) {
    validate(options);
    // Chunks are queued all at once: a bound on them is not offered, and is
    // refused rather than ignored [PPE-CHUNK-3].
    if (options.chunksize > 1 && options.buffersize) {
      throw std::invalid_argument(msg::kChunkedBuffersize);
    }
    if (options.chunksize == 1) {
      return map_ranges(pool(), std::move(fn), options, std::forward<Ranges>(ranges)...);
    }
    return map_chunked(std::move(fn), std::move(options), std::forward<Ranges>(ranges)...);
  }

  template <class F, class... Ranges>
  auto map_chunked(F fn, MapOptions options, Ranges&&... ranges) {
    static_assert(is_function_pointer_v<F>,
                  "map takes a plain function registered with CF_REGISTER_TASK(fn)");
    using R = process_result_t<F, std::ranges::range_reference_t<Ranges>...>;
    auto deadline = options.timeout.deadline();  // measured from the call [MAP-TIMEOUT-1]
    if (options.buffersize && *options.buffersize < 1) {
      throw std::invalid_argument(msg::kBufferSize);
    }
    const std::size_t chunksize = static_cast<std::size_t>(options.chunksize);
    const TaskEntry& entry = task_for(reinterpret_cast<AnyFunction>(fn));
    // Each input is a future of its own, completed when its chunk is; every
    // chunk is queued now (buffersize does not apply to chunks). A chunk with a
    // cancelled item is not run [PPE-CHUNK-2] (ChunkCall::set_running).
    std::deque<Future<R>> items;
    std::shared_ptr<ChunkCall<R>> chunk;
    std::vector<std::shared_ptr<ChunkCall<R>>> chunks;
    ZipSource<Ranges...> source(std::forward<Ranges>(ranges)...);
    for (; !source.exhausted(); source.advance()) {
      if (!chunk) {
        chunk = std::make_shared<ChunkCall<R>>(entry.name);
        chunk->items.reserve(chunksize);
        chunk->args.reserve(chunksize);
      }
      Future<R> item;
      chunk->items.push_back(item);
      items.push_back(std::move(item));
      try {
        chunk->args.push_back(
            source.with_current([&](auto&&... args) { return encode_args(fn, args...); }));
      } catch (...) {
        if (!chunk->encode_error) chunk->encode_error = std::current_exception();
      }
      if (chunk->items.size() == chunksize) chunks.push_back(std::move(chunk));
    }
    if (chunk) chunks.push_back(std::move(chunk));
    try {
      for (auto& c : chunks) pool().enqueue(std::move(c));
    } catch (...) {
      for (auto& f : items) f.cancel();
      throw;
    }
    // The order, timeout and cancel-on-abandon rules of cf::map, over the items.
    return MapResult<R>(std::move(items), nullptr, deadline);
  }
};

}  // namespace cf::detail
