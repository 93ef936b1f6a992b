#include "runner.hpp"

#include <dirent.h>
#include <unistd.h>

#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>

#include "adapter.hpp"
#include "cf/detail/error_text.hpp"
#include "noise.hpp"
#include "stack_dump.hpp"

namespace cf::stress {

const Outcome* Tally::row_of(const std::string& outcome) const {
  for (const auto& o : scenario->outcomes) {
    if (o.id == outcome) return &o;
  }
  return nullptr;
}

Verdict Tally::verdict_of(const std::string& outcome) const {
  const auto* row = row_of(outcome);
  return row ? row->verdict : Verdict::kForbidden;  // the catch-all: an outcome nobody foresaw
}

long Tally::forbidden() const {
  long n = 0;
  for (const auto& [outcome, count] : counts) {
    if (verdict_of(outcome) == Verdict::kForbidden) n += count;
  }
  return n;
}

namespace {

int count_fds() {
  int n = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (::readdir(dir)) ++n;
    ::closedir(dir);
    n -= 3;  // ".", ".." and the directory's own descriptor
  }
  return n;
}

// Live or zombie children of this process (pool workers not reaped).
int count_children() {
  int n = 0;
  std::string self = std::to_string(::getpid());
  DIR* dir = ::opendir("/proc");
  if (!dir) return 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may contain spaces, so parse after ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) == 2 &&
        std::to_string(ppid) == self) {
      ++n;
    }
  }
  ::closedir(dir);
  return n;
}

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// An actor's or the harness's error as "type: message".
using cf::detail::describe;

// The actor threads of one run, reused across iterations. Each iteration:
// every actor and the driver meet at the start barrier, the actors run, and
// all meet again at the end barrier.
class Team {
 public:
  Team(Trial& trial, int actors) : trial_(trial), start_(actors + 1), end_(actors + 1) {
    errors_.resize(actors);
    for (int i = 0; i < actors; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  ~Team() {
    stop_ = true;
    start_.arrive_and_wait();
    for (auto& t : threads_) t.join();
  }
  // Runs one iteration's actors; returns the first actor's error, if any.
  std::string iterate() {
    for (auto& e : errors_) e = nullptr;
    start_.arrive_and_wait();
    end_.arrive_and_wait();
    for (auto& e : errors_) {
      if (e) return "actor threw: " + describe(e);
    }
    return {};
  }

 private:
  void loop(int index) {
    for (;;) {
      start_.arrive_and_wait();
      if (stop_) return;
      try {
        trial_.actor(index);
      } catch (...) {
        errors_[index] = std::current_exception();
      }
      end_.arrive_and_wait();
    }
  }
  Trial& trial_;
  std::barrier<> start_;
  std::barrier<> end_;
  bool stop_ = false;  // written before the start barrier, read after it
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> threads_;
};

// Resources a run left behind. Worker processes and their pipes may take a
// moment to go after the executor is gone: wait for them a little before
// calling them leaked.
std::vector<std::string> leaks(const Resources& before) {
  auto after = Resources::now();
  for (int i = 0; i < 40 && (after.children > before.children || after.fds > before.fds); ++i) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(50));  // a grace period, not a synchronisation
    after = Resources::now();
  }
  std::vector<std::string> out;
  if (after.children > before.children) {
    out.push_back(std::to_string(after.children - before.children) +
                  " child process(es) left behind (zombie or live worker)");
  }
  if (after.fds > before.fds) {
    out.push_back("leaked " + std::to_string(after.fds - before.fds) + " file descriptor(s): " +
                  std::to_string(before.fds) + " -> " + std::to_string(after.fds));
  }
  return out;
}

}  // namespace

Resources Resources::now() { return Resources{count_fds(), count_children(), resident_kib()}; }

Runner::Runner(std::chrono::seconds hang_after, std::function<void(const std::string&)> on_hang)
    : hang_after_(hang_after),
      on_hang_(std::move(on_hang)),
      started_(std::chrono::steady_clock::now()),
      watchdog_([this] { watch(); }) {}

Runner::~Runner() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  watchdog_.join();
}

Tally Runner::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

// Wakes four times a second: prints progress every 5 s, and reports a hang
// and exits 3 when no iteration finished for hang_after_.
void Runner::watch() {
  using namespace std::chrono;
  auto last_change = steady_clock::now();
  auto last_print = last_change;
  std::uint64_t seen = progress_.load();
  std::unique_lock lock(mutex_);
  while (!stop_cv_.wait_for(lock, milliseconds(250), [this] { return stop_; })) {
    auto now = steady_clock::now();
    std::uint64_t p = progress_.load();
    if (p != seen) {
      seen = p;
      last_change = now;
    }
    std::string label = label_;
    if (now - last_print >= seconds(5)) {
      last_print = now;
      std::fprintf(stderr, "[cf_stress] %6.1f s  %s  (%ld iterations so far)\n",
                   duration<double>(now - started_).count(), label.c_str(),
                   iterations_total_.load());
    }
    if (now - last_change >= hang_after_) {
      lock.unlock();
      std::string what =
          label + " made no progress for " + std::to_string(hang_after_.count()) + " s";
      std::fprintf(stderr, "[cf_stress] HANG: %s; stacks follow\n%s\n", what.c_str(),
                   conformance::stack_dump().c_str());
      try {
        conformance::implementation().on_hang();
      } catch (...) {
      }
      if (on_hang_) on_hang_(what);
      std::fflush(nullptr);
      std::_Exit(3);
    }
  }
}

Tally Runner::run(const Scenario& scenario, std::uint64_t seed, bool noise,
                  const RunLimits& limits) {
  Tally tally;
  tally.scenario = &scenario;
  tally.noise = noise;
  tally.seed = seed;
  {
    std::lock_guard lock(mutex_);
    label_ = scenario.name + (noise ? " [noise]" : " [quiet]");
    current_ = tally;
  }
  auto before = Resources::now();
  conformance::noise::set(noise, seed);
  auto start = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return limits.budget && std::chrono::steady_clock::now() - start >= *limits.budget;
  };
  try {
    Stage stage(seed);
    auto trial = scenario.make(stage);
    trial->rng_.seed(seed);
    {
      Team team(*trial, scenario.actors);
      long done = 0;
      do {
        std::string outcome;
        try {
          trial->setup();
          outcome = team.iterate();
          std::string judged = trial->arbiter();
          if (outcome.empty()) outcome = judged;
          trial->teardown();
        } catch (...) {
          outcome = "harness error: " + describe(std::current_exception());
        }
        bool forbidden = false;
        {
          std::lock_guard lock(mutex_);
          ++current_.counts[outcome];
          ++current_.iterations;
          forbidden = current_.verdict_of(outcome) == Verdict::kForbidden;
        }
        ++done;
        ++iterations_total_;
        ++progress_;
        if (forbidden && limits.stop_at_forbidden) break;
      } while (!(limits.iterations && done >= *limits.iterations) && !out_of_time());
    }
    stage.lab().open_all();  // whatever is still held can finish
    trial.reset();
  } catch (...) {
    std::lock_guard lock(mutex_);
    current_.problems.push_back("could not run: " + describe(std::current_exception()));
  }
  conformance::noise::set(false, 0);
  ++progress_;
  {
    std::lock_guard lock(mutex_);
    tally = current_;
  }
  tally.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& leak : leaks(before)) tally.problems.push_back(leak);
  ++progress_;
  return tally;
}

}  // namespace cf::stress
