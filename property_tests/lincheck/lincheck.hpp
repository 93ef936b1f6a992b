// lincheck.hpp — decides whether a concurrent history is linearizable.
//
// A history is a set of completed operations, each with the logical times of
// its invocation and its response (from one counter every thread increments,
// so the times order events as real time does). It is linearizable against a
// sequential specification if some total order of the operations (1) keeps
// every operation that returned before another was invoked ahead of it, and
// (2) replayed one at a time from the initial state, gives every operation
// exactly the response it had (Herlihy & Wing 1990).
//
// The search is Wing & Gong's (1993): repeatedly pick as the next operation
// one that no unpicked operation precedes in real time, apply it to the
// specification, and backtrack when the response differs. Like Lowe's
// refinement (used by Porcupine), a (picked set, state) pair already explored
// is not explored again, which keeps small histories cheap.
//
// Requires of a specification S:
//   S::State  copyable, with operator== and a std::hash specialisation or
//             S::hash(const State&) -> std::size_t
//   S::Call   what was invoked;  S::Ret  what it returned
//   static std::optional<S::State> S::step(const S::State&, const S::Call&, const S::Ret&)
//             the state after `call` if, applied in `state`, it may return
//             `ret`; nullopt if it cannot.
// check_with() takes the step as a function instead, which may return several
// states: a nondeterministic specification (a relaxed one, say).
// Limits: at most 64 operations per history (check one object at a time:
// linearizability is local, so a history over several objects is
// linearizable iff each object's sub-history is).
// Thread-safety: check() is a pure function.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace cf::lincheck {

template <class Spec>
struct Operation {
  int thread = 0;
  typename Spec::Call call;
  typename Spec::Ret ret;
  std::uint64_t invoked = 0;   // logical time of the invocation
  std::uint64_t returned = 0;  // logical time of the response, > invoked
};

template <class Spec>
using History = std::vector<Operation<Spec>>;

struct Verdict {
  bool linearizable = false;
  // A linearization if there is one; else the longest order found that
  // explains a prefix of the history (what went wrong comes right after it).
  std::vector<std::size_t> order;
  std::size_t explored = 0;  // states visited, for the curious
};

template <class Spec>
class Checker {
 public:
  using State = typename Spec::State;
  using Step = std::function<std::vector<State>(const State&, const typename Spec::Call&,
                                                const typename Spec::Ret&)>;

  static Verdict check(const History<Spec>& history, const State& initial, Step step) {
    if (history.size() > 64) throw std::invalid_argument("lincheck: more than 64 operations");
    for (const auto& op : history) {
      if (op.returned <= op.invoked) {
        throw std::invalid_argument("lincheck: an operation returned before it was invoked");
      }
    }
    Checker c(history, std::move(step));
    Verdict v;
    std::vector<std::size_t> order;
    v.linearizable = c.search(0, initial, order, v);
    if (v.linearizable) v.order = order;
    v.explored = c.seen_.size();
    return v;
  }

 private:
  Checker(const History<Spec>& h, Step step) : h_(h), step_(std::move(step)) {}

  struct Key {
    std::uint64_t picked;
    State state;
    bool operator==(const Key& o) const { return picked == o.picked && state == o.state; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::size_t h = std::hash<std::uint64_t>()(k.picked);
      return h ^ (state_hash(k.state) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
    }
  };
  static std::size_t state_hash(const State& s) {
    if constexpr (requires { Spec::hash(s); }) {
      return Spec::hash(s);
    } else {
      return std::hash<State>()(s);
    }
  }

  bool search(std::uint64_t picked, const State& state, std::vector<std::size_t>& order,
              Verdict& best) {
    const std::size_t n = h_.size();
    if (std::popcount(picked) == static_cast<int>(n)) return true;
    if (!seen_.insert(Key{picked, state}).second) return false;
    // An unpicked operation may go next unless another unpicked one returned
    // before it was invoked.
    std::uint64_t horizon = UINT64_MAX;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(picked >> i & 1)) horizon = std::min(horizon, h_[i].returned);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if ((picked >> i & 1) || h_[i].invoked > horizon) continue;
      for (const State& next : step_(state, h_[i].call, h_[i].ret)) {
        order.push_back(i);
        if (order.size() > best.order.size()) best.order = order;
        if (search(picked | (std::uint64_t{1} << i), next, order, best)) return true;
        order.pop_back();
      }
    }
    return false;
  }

  const History<Spec>& h_;
  Step step_;
  std::unordered_set<Key, KeyHash> seen_;
};

template <class Spec>
Verdict check(const History<Spec>& history, const typename Spec::State& initial) {
  return Checker<Spec>::check(history, initial,
                              [](const auto& state, const auto& call, const auto& ret) {
                                std::vector<typename Spec::State> next;
                                if (auto s = Spec::step(state, call, ret))
                                  next.push_back(std::move(*s));
                                return next;
                              });
}

// As check(), against the specification `step`: (state, call, ret) -> the
// states the call may leave when it returns `ret` in `state` (none: it cannot).
template <class Spec, class Step>
Verdict check_with(const History<Spec>& history, const typename Spec::State& initial, Step step) {
  return Checker<Spec>::check(history, initial, std::move(step));
}

// The history, one operation a line in invocation order, and the verdict:
// the linearization, or the longest explained prefix and the operations left.
template <class Spec>
std::string describe(const History<Spec>& history, const Verdict& verdict) {
  std::vector<std::size_t> by_time(history.size());
  for (std::size_t i = 0; i < by_time.size(); ++i) by_time[i] = i;
  std::sort(by_time.begin(), by_time.end(),
            [&](std::size_t a, std::size_t b) { return history[a].invoked < history[b].invoked; });
  std::ostringstream os;
  os << "history (thread: [invoked, returned] call -> response):\n";
  for (std::size_t i : by_time) {
    const auto& op = history[i];
    os << "  #" << i << " t" << op.thread << ": [" << op.invoked << ", " << op.returned << "] "
       << op.call << " -> " << op.ret << "\n";
  }
  os << (verdict.linearizable ? "linearizable as: "
                              : "NOT linearizable; longest explained order: ");
  for (std::size_t i : verdict.order) os << "#" << i << " ";
  if (!verdict.linearizable) {
    os << "\n  no order explains what comes next among:";
    std::vector<bool> used(history.size(), false);
    for (std::size_t i : verdict.order) used[i] = true;
    for (std::size_t i = 0; i < history.size(); ++i) {
      if (!used[i]) os << " #" << i;
    }
  }
  os << "\n";
  return os.str();
}

}  // namespace cf::lincheck
