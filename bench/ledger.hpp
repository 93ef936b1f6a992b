// bench/ledger.hpp — every benchmark checks its own work.
//
// Each call a shape makes counts its run in a Ledger slot (slot = call index
// modulo the ledger's size) and returns its index; the shape compares every
// result with its index, and at the end settle() checks that each slot was
// counted exactly as often as calls were made for it. A run that lost,
// duplicated or mixed up work reports an error (SkipWithError) instead of a
// figure, and bench/compare publishes nothing from a run with an error.
//
// Slots are a cache line each, so two workers counting neighbouring calls do
// not share a line. The ledger's memory can be shared with worker processes
// (SharedLedger, reference_process.cpp): the counters are lock-free atomics.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cf::bench {

struct alignas(64) LedgerSlot {
  std::atomic<std::uint32_t> runs{0};
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// A view of `size` slots in memory someone else owns.
class LedgerView {
 public:
  LedgerView() = default;
  LedgerView(LedgerSlot* slots, std::size_t size) : slots_(slots), size_(size) {}

  // Counts a run of call `i`; called by the task, wherever it runs.
  void ran(std::size_t i) const { slots_[i % size_].runs.fetch_add(1, std::memory_order_relaxed); }

  // After `calls` calls numbered 0..calls-1 (all completed): "" if each ran
  // exactly once, else what went wrong. Resets the counts.
  std::string settle(std::size_t calls) const {
    std::string error;
    for (std::size_t s = 0; s < size_; ++s) {
      std::size_t want = calls / size_ + (s < calls % size_ ? 1 : 0);
      std::size_t got = slots_[s].runs.exchange(0, std::memory_order_relaxed);
      if (got != want && error.empty()) {
        error = "lost or duplicated work: calls for slot " + std::to_string(s) + " ran " +
                std::to_string(got) + " times, expected " + std::to_string(want);
      }
    }
    return error;
  }

 private:
  LedgerSlot* slots_ = nullptr;
  std::size_t size_ = 0;
};

// A ledger in this process's heap (thread pools).
class Ledger {
 public:
  explicit Ledger(std::size_t size) : slots_(new LedgerSlot[size]), view_(slots_, size) {}
  ~Ledger() { delete[] slots_; }
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  const LedgerView& view() const { return view_; }

 private:
  LedgerSlot* slots_;
  LedgerView view_;
};

// Reports `error` (a settle() result, or a wrong value) on the row, once.
inline void report(benchmark::State& state, const std::string& error) {
  if (!error.empty() && !state.error_occurred()) state.SkipWithError(error.c_str());
}

inline std::string wrong_value(long long got, long long want) {
  return "wrong result: got " + std::to_string(got) + ", expected " + std::to_string(want);
}

}  // namespace cf::bench
