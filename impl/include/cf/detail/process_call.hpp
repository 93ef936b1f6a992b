// cf/detail/process_call.hpp — one call waiting for, or running in, a worker
// process.
//
// Internal. The pool's manager thread owns the queue of calls. A call knows
// its task name and encoded arguments (one per input; several for a map
// chunk) and how to complete its future(s) from the worker's reply. Replies
// are untrusted: succeed() throws if a result does not decode, and the pool
// then breaks [PPE-FRAME-1].
#pragma once

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "cf/codec.hpp"
#include "cf/future.hpp"

namespace cf::detail {

class ProcessCall {
 public:
  explicit ProcessCall(std::string task_name) : task(std::move(task_name)) {}
  virtual ~ProcessCall() = default;

  // PENDING -> RUNNING and true; false if cancelled (skip the call).
  virtual bool set_running() = 0;
  // Decodes every result and completes; throws if one does not decode.
  virtual void succeed(const std::vector<std::string>& results) = 0;
  // Completes with `error`; ignores a future already done.
  virtual void fail(const std::exception_ptr& error) = 0;
  // Cancels what was not started (shutdown(cancel_futures=true)).
  virtual void cancel() = 0;
  // Nothing left to run: every future of the call is cancelled.
  virtual bool cancelled() const = 0;

  std::string task;
  std::vector<std::string> args;
  std::exception_ptr encode_error;  // arguments that failed to encode
};

template <class Fut>
void fail_future(const Fut& future, const std::exception_ptr& error) {
  try {
    future.set_exception(error);
  } catch (const InvalidStateError&) {
    // Cancelled or completed already: its first outcome stands [FUT-SET-3].
  }
}

template <class R>
void set_decoded(const Future<R>& future, const std::string& bytes) {
  if constexpr (std::is_void_v<R>) {
    decode<NoValue>(bytes);
    future.set_result();
  } else {
    future.set_result(decode<R>(bytes));
  }
}

template <class R>
class SingleCall final : public ProcessCall {
 public:
  SingleCall(Future<R> future, std::string task_name)
      : ProcessCall(std::move(task_name)), future_(std::move(future)) {}

  bool set_running() override { return future_.set_running_or_notify_cancel(); }
  void succeed(const std::vector<std::string>& results) override {
    if (results.size() != 1) throw std::runtime_error("expected one result");
    set_decoded(future_, results[0]);
  }
  void fail(const std::exception_ptr& error) override { fail_future(future_, error); }
  void cancel() override { future_.cancel(); }
  bool cancelled() const override { return future_.cancelled(); }

 private:
  Future<R> future_;
};

// Several inputs of one map(chunksize=N) sent as one call. An exception in
// any input fails every item of the chunk, so map raises it at the chunk's
// first position, as Python's chained chunk results do [PPE-CHUNK-2].
template <class R>
class ChunkCall final : public ProcessCall {
 public:
  explicit ChunkCall(std::string task_name) : ProcessCall(std::move(task_name)) {}

  // A chunk with a cancelled item (map abandoned or timed out: it cancels
  // every item from there on) is not run; its other items are cancelled too.
  bool set_running() override {
    if (std::any_of(items.begin(), items.end(), [](const auto& f) { return f.cancelled(); })) {
      cancel();
      return false;
    }
    bool any = false;
    for (auto& item : items) {
      try {
        if (item.set_running_or_notify_cancel()) any = true;
      } catch (const InvalidStateError&) {
      }
    }
    // Cancelled between the check and here: Python cannot cancel part of a
    // chunk either; the cancelled items stay cancelled, the rest run.
    return any;
  }
  void succeed(const std::vector<std::string>& results) override {
    if (results.size() != items.size()) throw std::runtime_error("wrong number of chunk results");
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].done()) {
        decode_only(results[i]);
        continue;
      }
      try {
        set_decoded(items[i], results[i]);
      } catch (const InvalidStateError&) {
      }
    }
  }
  void fail(const std::exception_ptr& error) override {
    for (auto& item : items) fail_future(item, error);
  }
  void cancel() override {
    for (auto& item : items) item.cancel();
  }
  bool cancelled() const override {
    return std::all_of(items.begin(), items.end(), [](const auto& f) { return f.cancelled(); });
  }

  std::vector<Future<R>> items;

 private:
  static void decode_only(const std::string& bytes) {
    if constexpr (std::is_void_v<R>) {
      decode<NoValue>(bytes);
    } else {
      decode<R>(bytes);
    }
  }
};

}  // namespace cf::detail
