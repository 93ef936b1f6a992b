// The strategies: exhaustive DFS (bounded by the engine's options), random
// walk, PCT, and replay of a printed schedule.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/explore/engine.hpp"

namespace cf::explore {
namespace {

// splitmix64: small, seedable, the same on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// Stateless depth-first search: the stack holds, per decision of the last
// execution, how many options there were and which one was taken. The next
// execution replays the prefix and takes the next untried option at the
// deepest decision that has one. Options are listed "go on" first, so the
// first execution is the one without preemptions.
class Dfs final : public Strategy {
 public:
  std::string name() const override { return "dfs"; }
  bool next_execution() override {
    depth_ = 0;
    if (!started_) {
      started_ = true;
      return true;
    }
    while (!stack_.empty() && stack_.back().chosen + 1 >= stack_.back().count) stack_.pop_back();
    if (stack_.empty()) return false;
    ++stack_.back().chosen;
    return true;
  }
  std::size_t pick(const std::vector<Option>& options, int) override {
    if (depth_ < stack_.size()) {
      Frame& f = stack_[depth_++];
      if (f.count != options.size()) {
        throw std::logic_error(
            "dfs: the program is not deterministic under its schedule (decision " +
            std::to_string(depth_) + " had " + std::to_string(f.count) + " options, now " +
            std::to_string(options.size()) + ")");
      }
      return f.chosen;
    }
    stack_.push_back({options.size(), 0});
    ++depth_;
    return 0;
  }

 private:
  struct Frame {
    std::size_t count;
    std::size_t chosen;
  };
  std::vector<Frame> stack_;
  std::size_t depth_ = 0;
  bool started_ = false;
};

// Unbounded preemptions: random and PCT explore any interleaving.
Bounds unbounded(const Bounds& protocol) {
  Bounds b = protocol;
  b.preemptions = std::numeric_limits<int>::max();
  return b;
}

// A spurious wake-up is one option among many at every decision where a
// task waits; weighed like the others it would fire at nearly every step, so
// random walks and PCT take one with probability 1/16 where offered.
constexpr std::size_t kSpuriousOdds = 16;

std::vector<std::size_t> without_spurious(const std::vector<Option>& options, Rng& rng,
                                          bool& take_spurious) {
  std::vector<std::size_t> ordinary, spurious;
  for (std::size_t i = 0; i < options.size(); ++i) {
    (options[i].kind == Option::kSpurious ? spurious : ordinary).push_back(i);
  }
  take_spurious = !spurious.empty() && (ordinary.empty() || rng.below(kSpuriousOdds) == 0);
  return take_spurious ? spurious : ordinary;
}

class RandomWalk final : public Strategy {
 public:
  explicit RandomWalk(std::uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "random"; }
  bool next_execution() override { return true; }
  std::size_t pick(const std::vector<Option>& options, int) override {
    bool spurious;
    auto candidates = without_spurious(options, rng_, spurious);
    return candidates[rng_.below(candidates.size())];
  }
  Bounds bounds(const Bounds& protocol) const override { return unbounded(protocol); }

 private:
  Rng rng_;
};

// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): each
// task gets a random priority when it starts; the highest-priority option
// runs; at d-1 random steps the running task drops below every initial
// priority. A bug of depth d is found with probability >= 1/(n k^(d-1)) per
// execution (n tasks, k steps). k is learnt: the longest execution so far.
class Pct final : public Strategy {
 public:
  Pct(std::uint64_t seed, int depth) : rng_(seed), depth_(std::max(1, depth)) {}
  std::string name() const override { return "pct"; }
  bool next_execution() override {
    longest_ = std::max(longest_, step_);
    step_ = 0;
    priorities_.clear();
    change_points_.clear();
    for (int i = 1; i < depth_; ++i) change_points_.push_back(1 + rng_.below(longest_));
    return true;
  }
  void on_spawn(int task) override {
    if (static_cast<std::size_t>(task) >= priorities_.size()) priorities_.resize(task + 1, 0);
    // Initial priorities sit above depth_, so change points (1..depth-1) go below all.
    priorities_[task] = depth_ + 1 + rng_.below(1u << 30);
  }
  std::size_t pick(const std::vector<Option>& options, int current) override {
    ++step_;
    for (std::size_t i = 0; i < change_points_.size(); ++i) {
      if (change_points_[i] == step_ && current >= 0 &&
          static_cast<std::size_t>(current) < priorities_.size()) {
        priorities_[current] = depth_ - static_cast<int>(i) - 1;
      }
    }
    bool spurious;
    auto candidates = without_spurious(options, rng_, spurious);
    if (spurious) return candidates[rng_.below(candidates.size())];
    return *std::max_element(
        candidates.begin(), candidates.end(),
        [&](std::size_t a, std::size_t b) { return priority(options[a]) < priority(options[b]); });
  }
  Bounds bounds(const Bounds& protocol) const override { return unbounded(protocol); }

 private:
  std::uint64_t priority(const Option& o) const {
    return static_cast<std::size_t>(o.task) < priorities_.size() ? priorities_[o.task] : 0;
  }
  Rng rng_;
  int depth_;
  std::size_t step_ = 0;
  std::size_t longest_ = 64;
  std::vector<std::uint64_t> priorities_;
  std::vector<std::size_t> change_points_;
};

class Replay final : public Strategy {
 public:
  Replay(Bounds bounds, std::vector<Option> choices)
      : bounds_(bounds), choices_(std::move(choices)) {}
  std::string name() const override { return "replay"; }
  bool next_execution() override {
    if (done_) return false;
    done_ = true;
    return true;
  }
  std::size_t pick(const std::vector<Option>& options, int) override {
    if (next_ >= choices_.size()) {
      throw std::logic_error("replay: the schedule ended at decision " + std::to_string(next_ + 1) +
                             " but the execution goes on");
    }
    const Option want = choices_[next_++];
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (options[i] == want) return i;
    }
    std::string offered;
    for (auto& o : options) offered += " " + to_token(o);
    throw std::logic_error("replay: decision " + std::to_string(next_) + " wants " +
                           to_token(want) + ", the execution offers" + offered);
  }
  Bounds bounds(const Bounds& protocol) const override {
    Bounds b = protocol;
    b.preemptions = bounds_.preemptions;
    b.spurious = bounds_.spurious;
    return b;
  }

 private:
  Bounds bounds_;
  std::vector<Option> choices_;
  std::size_t next_ = 0;
  bool done_ = false;
};

int parse_int(const std::string& text, const std::string& schedule) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), ::isdigit)) {
    throw std::invalid_argument("malformed schedule '" + schedule + "': '" + text +
                                "' is not a number");
  }
  return std::stoi(text);
}

}  // namespace

std::unique_ptr<Strategy> make_dfs() { return std::make_unique<Dfs>(); }
std::unique_ptr<Strategy> make_random(std::uint64_t seed) {
  return std::make_unique<RandomWalk>(seed);
}
std::unique_ptr<Strategy> make_pct(std::uint64_t seed, int depth) {
  return std::make_unique<Pct>(seed, depth);
}

// "p2s1:0x12,1,T2" -> bounds p=2 s=1, then the choices.
std::unique_ptr<Strategy> make_replay(const std::string& schedule) {
  auto colon = schedule.find(':');
  if (colon == std::string::npos || schedule.size() < 4 || schedule[0] != 'p') {
    throw std::invalid_argument("malformed schedule '" + schedule +
                                "': expected p<N>s<N>:<choices>");
  }
  std::string head = schedule.substr(1, colon - 1);
  auto s = head.find('s');
  if (s == std::string::npos) throw std::invalid_argument("malformed schedule '" + schedule + "'");
  Bounds bounds;
  std::string p = head.substr(0, s);
  bounds.preemptions = p == "-" ? std::numeric_limits<int>::max() : parse_int(p, schedule);
  bounds.spurious = parse_int(head.substr(s + 1), schedule);
  std::vector<Option> choices;
  std::string body = schedule.substr(colon + 1);
  std::size_t at = 0;
  while (at < body.size()) {
    std::size_t comma = body.find(',', at);
    std::string token =
        body.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? body.size() : comma + 1;
    std::size_t times = 1;
    if (auto x = token.find('x'); x != std::string::npos) {
      times = static_cast<std::size_t>(parse_int(token.substr(x + 1), schedule));
      token = token.substr(0, x);
    }
    Option o;
    if (!token.empty() && !::isdigit(static_cast<unsigned char>(token[0]))) {
      switch (token[0]) {
        case 'T':
          o.kind = Option::kTimeout;
          break;
        case 'S':
          o.kind = Option::kSpurious;
          break;
        case 'w':
          o.kind = Option::kPick;
          break;
        default:
          throw std::invalid_argument("malformed schedule '" + schedule + "': token '" + token +
                                      "'");
      }
      token = token.substr(1);
    }
    o.task = parse_int(token, schedule);
    choices.insert(choices.end(), times, o);
  }
  return std::make_unique<Replay>(bounds, std::move(choices));
}

}  // namespace cf::explore
