// cf/explore/engine.hpp — the controlled scheduler behind the exploration
// instance of cf's synchronisation policy (cf/detail/sync.hpp).
//
// One execution runs a protocol's body and every thread it starts as
// cooperative tasks (fibers) on the calling OS thread. Before each visible
// operation (a lock, an atomic access, a notify, a futex call, a join) the
// running task stops at a *decision*: the engine lists what may happen next
// and a Strategy picks one. The options are:
//
//   run t        task t runs next (t == the current task: go on)
//   timeout t    task t's timed wait times out; the virtual clock jumps to
//                its deadline if that is still ahead
//   spurious t   task t, blocked on a condition variable or futex, wakes
//                for no reason
//   pick t       notify_one() wakes waiter t (when several wait)
//
// Costs, counted against a protocol's Bounds: switching away from a task
// that could go on is a preemption; a timeout that moves the clock while
// some task could still run is one too (time passes only when every task is
// blocked, unless the strategy spends a preemption to let it pass early); a
// spurious wake-up costs one of the spurious budget. Options beyond the
// budget are not offered, so a bounded DFS is exhaustive at its bound.
//
// A decision with one option is not recorded: a schedule is the list of
// choices at decisions with two or more options, printed as tokens
// ("2" run task 2, "T2" timeout, "S2" spurious, "w2" pick; "2x5" five times)
// after the bounds ("p2s1:"), and Replay runs exactly that schedule again.
//
// Thread-safety: none; one execution at a time per process, on one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cf::explore {

using Nanos = std::chrono::nanoseconds;

struct Bounds {
  int preemptions = 2;    // switches away from a task that could go on, per execution
  int spurious = 1;       // spurious wake-ups per execution
  int max_steps = 20000;  // decisions per execution before it is a livelock
};

struct Option {
  enum Kind : std::uint8_t { kRun, kTimeout, kSpurious, kPick };
  Kind kind = kRun;
  int task = 0;
  bool operator==(const Option&) const = default;
};

std::string to_token(const Option& option);

// Picks at every decision with two or more options.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // Before each execution; false when there is nothing more to explore.
  virtual bool next_execution() = 0;
  // An index into `options` (size >= 2; options[0] is "go on" when the
  // current task may). `current` is the running task.
  virtual std::size_t pick(const std::vector<Option>& options, int current) = 0;
  // A task was started (PCT gives it a priority).
  virtual void on_spawn(int /*task*/) {}
  // The bounds this strategy explores under (replay needs the same ones).
  virtual Bounds bounds(const Bounds& protocol) const { return protocol; }
};

std::unique_ptr<Strategy> make_dfs();
std::unique_ptr<Strategy> make_random(std::uint64_t seed);
// PCT with `depth` priority change points per execution (bug depth d).
std::unique_ptr<Strategy> make_pct(std::uint64_t seed, int depth);
// Runs one schedule as printed by a failure; throws std::invalid_argument
// for a malformed one.
std::unique_ptr<Strategy> make_replay(const std::string& schedule);

// What one exploration found.
struct Outcome {
  bool failed = false;         // a check failed, a deadlock, a livelock, a crash
  bool exhausted = false;      // the strategy had nothing left to explore
  std::size_t executions = 0;  // executions run (the failing one included)
  std::size_t max_steps_seen = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // this process's CPU time (the machine may be shared)
  std::string failure;     // what went wrong
  std::string schedule;    // the failing execution's schedule (replayable)
  std::string trace;       // the failing execution's steps, when traced
};

// Runs `body` as task 0 once per execution until the strategy is done, a
// failure is found, or `max_executions` ran. With `trace`, the failing
// execution's steps are kept (costly: for replays).
Outcome explore(const std::function<void()>& body, Strategy& strategy, const Bounds& bounds,
                std::size_t max_executions, bool trace = false);

// --- For protocol bodies (inside an execution) -----------------------------

// Fails the execution unless `ok`: "[CLAUSE] message".
void check(bool ok, const char* clause, const std::string& message);
// Runs `fn` as a task once every other task has finished (an arbiter that
// reads the final state, after threads a test does not join have ended).
void at_quiescence(std::function<void()> fn);
// Runs `fn` with every decision, of every task, taking its first option
// ("go on"; else the lowest-numbered task): a deterministic preparation of
// the state the protocol starts from, which the bound is not spent on.
void setup(const std::function<void()>& fn);
// The virtual clock (also cf::Clock::now()).
Nanos now();
// True inside an execution.
bool active();

// --- For the primitives in cf/explore/sync.hpp -----------------------------
namespace rt {

enum class Wake : std::uint8_t { kNotified, kTimedOut, kSpurious };
enum class Block : std::uint8_t { kNone, kMutex, kCondVar, kFutex, kJoin };

// A decision before the visible operation `op` on `object`.
void point(const char* op, const void* object);
// Blocks the current task on `object` until woken (or `deadline`, if given,
// as the virtual clock's time since epoch). For kMutex, `object` is the
// mutex's owner field (an int, -1 when free): the task may run again once it
// reads -1. For kJoin it is the joined task's id, as an int*.
Wake block(Block kind, const void* object, const Nanos* deadline);
// Wakes one (chosen) or every task blocked on `object`; returns how many.
int wake(const void* object, bool all);
int current();
int spawn(std::function<void()> body);
bool finished(int task);
// Fails the execution from a primitive (misuse: unlock of an unowned mutex...).
[[noreturn]] void fail(const std::string& what);
// Keeps a trace line for the failing execution's report.
void note(const char* op, const void* object);

}  // namespace rt
}  // namespace cf::explore
