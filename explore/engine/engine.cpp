// The controlled scheduler: tasks as fibers on one OS thread, a
// virtual clock, and decisions handed to a Strategy (cf/explore/engine.hpp).
#include "cf/explore/engine.hpp"

#include <cxxabi.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace cf::explore {
namespace {

// libstdc++ keeps the exceptions being handled per thread; fibers that
// switch inside a catch block would mix their lists, so each task keeps its
// own copy and the switch swaps it (the layout of __cxa_eh_globals).
struct EhGlobals {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};
EhGlobals* eh_globals() { return reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals()); }

constexpr std::size_t kStackSize = 256 * 1024;

// Switching fibers. ucontext's swapcontext saves the signal mask with a
// system call on every switch, which was a third of the engine's time; on
// x86-64 a switch saves the callee-saved registers, the SSE and x87 control
// words, and swaps stacks, nothing more.
#if defined(__x86_64__)
extern "C" void cf_explore_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl cf_explore_switch
  .type cf_explore_switch,@function
cf_explore_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cf_explore_switch, .-cf_explore_switch
)");

struct Context {
  void* sp = nullptr;
  // A fresh stack whose first switch "returns" into entry().
  void make(char* stack, std::size_t size, void (*entry)()) {
    auto top = reinterpret_cast<std::uintptr_t>(stack + size) & ~std::uintptr_t{15};
    auto* slot = reinterpret_cast<std::uint64_t*>(top);
    *--slot = 0;                                       // entry()'s return address: none
    *--slot = reinterpret_cast<std::uint64_t>(entry);  // popped by ret
    for (int i = 0; i < 6; ++i) *--slot = 0;           // rbp rbx r12..r15
    std::uint32_t control[2];
    asm volatile("stmxcsr %0" : "=m"(control[0]));
    asm volatile("fnstcw %0" : "=m"(control[1]));
    *--slot = control[0] | (std::uint64_t{control[1]} << 32);
    sp = slot;
  }
};
void switch_context(Context& from, Context& to) { cf_explore_switch(&from.sp, to.sp); }
#else
struct Context {
  ucontext_t uc{};
  void make(char* stack, std::size_t size, void (*entry)()) {
    getcontext(&uc);
    uc.uc_stack.ss_sp = stack;
    uc.uc_stack.ss_size = size;
    uc.uc_link = nullptr;
    makecontext(&uc, entry, 0);
  }
};
void switch_context(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }
#endif
constexpr Nanos kEpoch = std::chrono::seconds(1000);  // the virtual clock's start

class StackPool {
 public:
  char* take() {
    if (!free_.empty()) {
      char* s = free_.back();
      free_.pop_back();
      return s;
    }
    void* p = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::mprotect(p, 4096, PROT_NONE);  // a guard page below the stack
    return static_cast<char*>(p);
  }
  void give(char* s) { free_.push_back(s); }

 private:
  std::vector<char*> free_;
};

enum class State : std::uint8_t { kRunnable, kBlocked, kFinished };

struct Task {
  int id = 0;
  Context context;
  char* stack = nullptr;
  std::function<void()> body;
  State state = State::kRunnable;
  rt::Block block = rt::Block::kNone;
  const void* on = nullptr;
  bool timed = false;
  Nanos deadline{0};
  rt::Wake wake = rt::Wake::kNotified;
  std::uint64_t since = 0;  // when it blocked: notify_one offers the oldest first
  EhGlobals eh;
};

struct Step {
  int task;
  const char* op;
  const void* object;
  Nanos at;
};

// One execution's state. An execution that fails is abandoned, its fibers
// never resumed, so no destructor of theirs runs on a broken state.
struct Execution {
  std::vector<std::unique_ptr<Task>> tasks;
  std::vector<std::function<void()>> finals;
  int current = -1;
  Nanos now = kEpoch;
  int preemptions = 0;
  int spurious = 0;
  std::size_t steps = 0;
  std::uint64_t block_counter = 0;
  std::vector<Option> chosen;  // at decisions with two or more options
  std::vector<Step> trace;
  bool failed = false;
  std::string failure;
  int setup = 0;  // inside setup(): every decision takes its first option
};

class Engine {
 public:
  Engine(Strategy& strategy, const Bounds& bounds) : strategy_(strategy), bounds_(bounds) {}

  // Runs one execution to its end or its first failure.
  void run(const std::function<void()>& body) {
    if (exec_.failed) {
      // What the abandoned fibers captured may be mid-change (a mutex held,
      // a joinable thread): never destroyed, so no destructor sees it.
      for (auto& t : exec_.tasks) new std::function<void()>(std::move(t->body));
      for (auto& f : exec_.finals) new std::function<void()>(std::move(f));
    }
    exec_ = Execution{};
    spawn(body);
    exec_.current = 0;
    switch_from_main(*exec_.tasks[0]);
    for (auto& t : exec_.tasks) stacks_.give(t->stack);
  }
  Execution& execution() { return exec_; }

  int spawn(std::function<void()> body) {
    auto task = std::make_unique<Task>();
    task->id = static_cast<int>(exec_.tasks.size());
    task->body = std::move(body);
    task->stack = stacks_.take();
    task->context.make(task->stack, kStackSize, &Engine::entry);
    exec_.tasks.push_back(std::move(task));
    strategy_.on_spawn(exec_.tasks.back()->id);
    return exec_.tasks.back()->id;
  }

  void point(const char* op, const void* object) {
    note(op, object);
    if (++exec_.steps > static_cast<std::size_t>(bounds_.max_steps)) {
      fail("livelock: no end after " + std::to_string(bounds_.max_steps) +
           " steps (a loop that never blocks, or one that spins on a condition no other task "
           "can change)");
    }
    reschedule();
  }

  rt::Wake block(rt::Block kind, const void* object, const Nanos* deadline) {
    Task& me = *exec_.tasks[exec_.current];
    me.state = State::kBlocked;
    me.block = kind;
    me.on = object;
    me.timed = deadline != nullptr;
    if (deadline) me.deadline = *deadline;
    me.since = ++exec_.block_counter;
    me.wake = rt::Wake::kNotified;
    reschedule();
    return me.wake;
  }

  int wake(const void* object, bool all) {
    std::vector<Task*> waiters;
    for (auto& t : exec_.tasks) {
      if (t->state == State::kBlocked && t->on == object &&
          (t->block == rt::Block::kCondVar || t->block == rt::Block::kFutex)) {
        waiters.push_back(t.get());
      }
    }
    if (waiters.empty()) return 0;
    std::sort(waiters.begin(), waiters.end(), [](Task* a, Task* b) { return a->since < b->since; });
    if (!all && waiters.size() > 1) {
      std::vector<Option> options;
      for (Task* t : waiters) options.push_back({Option::kPick, t->id});
      Task* chosen = waiters[decide(options)];
      waiters = {chosen};
    }
    for (Task* t : waiters) unblock(*t, rt::Wake::kNotified);
    return static_cast<int>(waiters.size());
  }

  bool finished(int task) const {
    return task >= 0 && task < static_cast<int>(exec_.tasks.size()) &&
           exec_.tasks[task]->state == State::kFinished;
  }

  [[noreturn]] void fail(const std::string& what) {
    if (!exec_.failed) {
      exec_.failed = true;
      exec_.failure = what;
    }
    to_main();
    std::abort();  // not reached: a failed execution is never resumed
  }

  void note(const char* op, const void* object) {
    if (tracing_) exec_.trace.push_back({exec_.current, op, object, exec_.now});
  }
  // Steps are kept only when asked (a replay of a failure): exploring
  // hundreds of thousands of executions should not pay for them.
  void set_tracing(bool on) { tracing_ = on; }

  static Engine* instance;

 private:
  static void entry() {
    Engine& e = *instance;
    Task& me = *e.exec_.tasks[e.exec_.current];
    try {
      // Destroyed here, in the task, as a thread destroys its callable.
      auto body = std::move(me.body);
      body();
    } catch (const std::exception& error) {
      e.fail("task " + std::to_string(me.id) +
             " ended with an uncaught exception: " + error.what());
    } catch (...) {
      e.fail("task " + std::to_string(me.id) + " ended with an uncaught exception");
    }
    me.state = State::kFinished;
    e.note("exit", nullptr);
    e.reschedule();
    std::abort();  // a finished task is never resumed
  }

  bool enabled(const Task& t) const {
    if (t.state == State::kRunnable) return true;
    if (t.state != State::kBlocked) return false;
    if (t.block == rt::Block::kMutex) return *static_cast<const int*>(t.on) == -1;
    if (t.block == rt::Block::kJoin) return finished(*static_cast<const int*>(t.on));
    return false;
  }

  // Lists the options, lets the strategy pick, and switches to the chosen task.
  void reschedule() {
    for (;;) {
      std::vector<Option>& options = options_;
      std::vector<int>& costs = costs_;  // preemptions each option costs
      options.clear();
      costs.clear();
      const Task& cur = *exec_.tasks[exec_.current];
      const bool cur_enabled = enabled(cur);
      const bool preempt_left = exec_.preemptions < bounds_.preemptions;
      const bool spurious_left = exec_.spurious < bounds_.spurious;
      bool any_enabled = false;
      if (cur_enabled) {
        options.push_back({Option::kRun, cur.id});
        costs.push_back(0);
        any_enabled = true;
      }
      for (auto& t : exec_.tasks) {
        if (t->id == cur.id || !enabled(*t)) continue;
        any_enabled = true;
        if (cur_enabled && !preempt_left) continue;
        options.push_back({Option::kRun, t->id});
        costs.push_back(cur_enabled ? 1 : 0);
      }
      // Timed waits: an expired one may time out like any runnable task; the
      // earliest one ahead may time out by moving the clock, free only when
      // nothing else can run.
      Nanos earliest = Nanos::max();
      for (auto& t : exec_.tasks) {
        if (t->state == State::kBlocked && t->timed && t->deadline > exec_.now) {
          earliest = std::min(earliest, t->deadline);
        }
      }
      for (auto& t : exec_.tasks) {
        if (t->state != State::kBlocked || !t->timed || enabled(*t)) continue;
        int cost;
        if (t->deadline <= exec_.now) {
          cost = cur_enabled ? 1 : 0;
        } else if (t->deadline == earliest) {
          cost = any_enabled ? 1 : 0;
        } else {
          continue;
        }
        if (cost > 0 && !preempt_left) continue;
        options.push_back({Option::kTimeout, t->id});
        costs.push_back(cost);
      }
      // A spurious wake-up is offered as the wait begins: the waiter returns
      // at once, with whatever it waits for still false. (Offered at every
      // later decision too, it would multiply them all and find nothing more:
      // a loop that re-checks its condition handles either, one that does not
      // fails on the first.)
      if (spurious_left && cur.state == State::kBlocked &&
          (cur.block == rt::Block::kCondVar || cur.block == rt::Block::kFutex)) {
        options.push_back({Option::kSpurious, cur.id});
        costs.push_back(0);
      }

      if (options.empty()) {
        if (std::all_of(exec_.tasks.begin(), exec_.tasks.end(),
                        [](auto& t) { return t->state == State::kFinished; })) {
          if (!exec_.finals.empty()) {
            auto fn = std::move(exec_.finals.front());
            exec_.finals.erase(exec_.finals.begin());
            spawn(std::move(fn));
            continue;
          }
          to_main();  // the execution is complete
          std::abort();
        }
        fail(deadlock_report());
      }

      std::size_t index = decide(options);
      const Option choice = options[index];
      exec_.preemptions += costs[index];
      Task& next = *exec_.tasks[choice.task];
      if (choice.kind == Option::kTimeout) {
        exec_.now = std::max(exec_.now, next.deadline);
        unblock(next, rt::Wake::kTimedOut);
      } else if (choice.kind == Option::kSpurious) {
        ++exec_.spurious;
        unblock(next, rt::Wake::kSpurious);
      } else if (next.state == State::kBlocked) {
        unblock(next, rt::Wake::kNotified);  // a free mutex, a finished join target
      }
      if (next.id == cur.id) return;
      switch_to(next);
      return;
    }
  }

  std::size_t decide(const std::vector<Option>& options) {
    if (options.size() == 1 || exec_.setup > 0) return 0;
    std::size_t index = 0;
    try {
      index = strategy_.pick(options, exec_.current);
    } catch (const std::exception& error) {
      fail(error.what());  // not thrown into the task: its catch blocks would swallow it
    }
    if (index >= options.size()) fail("the strategy picked an option that does not exist");
    exec_.chosen.push_back(options[index]);
    return index;
  }

  static void unblock(Task& t, rt::Wake why) {
    t.state = State::kRunnable;
    t.block = rt::Block::kNone;
    t.on = nullptr;
    t.timed = false;
    t.wake = why;
  }

  std::string deadlock_report() const {
    std::ostringstream out;
    out << "deadlock: every task is blocked and no wait has a deadline (a lost wake-up, or a "
           "lock never released):";
    for (auto& t : exec_.tasks) {
      if (t->state != State::kBlocked) continue;
      out << " task " << t->id << " waits on "
          << (t->block == rt::Block::kMutex     ? "a mutex"
              : t->block == rt::Block::kCondVar ? "a condition variable"
              : t->block == rt::Block::kFutex   ? "a futex"
                                                : "a join")
          << ";";
    }
    return out.str();
  }

  void swap_eh(Task* from, Task* to) {
    EhGlobals* g = eh_globals();
    if (from)
      from->eh = *g;
    else
      main_eh_ = *g;
    *g = to ? to->eh : main_eh_;
  }

  void switch_to(Task& next) {
    Task& me = *exec_.tasks[exec_.current];
    swap_eh(&me, &next);
    exec_.current = next.id;
    switch_context(me.context, next.context);
  }
  void switch_from_main(Task& first) {
    swap_eh(nullptr, &first);
    switch_context(main_context_, first.context);
  }
  void to_main() {
    Task& me = *exec_.tasks[exec_.current];
    swap_eh(&me, nullptr);
    switch_context(me.context, main_context_);
  }

  Strategy& strategy_;
  Bounds bounds_;
  std::vector<Option> options_;
  std::vector<int> costs_;
  Execution exec_;
  StackPool stacks_;
  Context main_context_;
  bool tracing_ = false;
  EhGlobals main_eh_;
};

Engine* Engine::instance = nullptr;

Engine& engine() {
  if (!Engine::instance) {
    std::fputs("cf::explore: a scheduler primitive was used inside no execution\n", stderr);
    std::abort();
  }
  return *Engine::instance;
}

std::string run_length(const std::vector<Option>& chosen) {
  std::string out;
  for (std::size_t i = 0; i < chosen.size();) {
    std::size_t j = i;
    while (j < chosen.size() && chosen[j] == chosen[i]) ++j;
    if (!out.empty()) out += ',';
    out += to_token(chosen[i]);
    if (j - i > 1) out += "x" + std::to_string(j - i);
    i = j;
  }
  return out;
}

std::string format_trace(const Execution& exec) {
  // Objects get small numbers in order of first use, so traces compare.
  std::vector<const void*> seen;
  auto name = [&](const void* p) {
    auto it = std::find(seen.begin(), seen.end(), p);
    if (it == seen.end()) {
      seen.push_back(p);
      it = seen.end() - 1;
    }
    return "#" + std::to_string(it - seen.begin());
  };
  std::ostringstream out;
  const std::size_t first = exec.trace.size() > 400 ? exec.trace.size() - 400 : 0;
  if (first) out << "  (" << first << " earlier steps left out)\n";
  for (std::size_t i = first; i < exec.trace.size(); ++i) {
    const Step& s = exec.trace[i];
    out << "  t=" << (s.at - kEpoch).count() / 1000 << "us task " << s.task << ": " << s.op;
    if (s.object) out << " " << name(s.object);
    out << "\n";
  }
  return out.str();
}

}  // namespace

std::string to_token(const Option& option) {
  static constexpr const char* kPrefix[] = {"", "T", "S", "w"};
  return kPrefix[option.kind] + std::to_string(option.task);
}

Outcome explore(const std::function<void()>& body, Strategy& strategy, const Bounds& protocol,
                std::size_t max_executions, bool trace) {
  const Bounds bounds = strategy.bounds(protocol);
  Outcome outcome;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  Engine engine(strategy, bounds);
  engine.set_tracing(trace);
  Engine::instance = &engine;
  for (;;) {
    if (outcome.executions >= max_executions) break;
    if (!strategy.next_execution()) {
      outcome.exhausted = true;
      break;
    }
    ++outcome.executions;
    engine.run(body);
    Execution& exec = engine.execution();
    outcome.max_steps_seen = std::max(outcome.max_steps_seen, exec.steps);
    if (exec.failed) {
      outcome.failed = true;
      outcome.failure = exec.failure;
      outcome.schedule = "p" +
                         (bounds.preemptions == std::numeric_limits<int>::max()
                              ? std::string("-")
                              : std::to_string(bounds.preemptions)) +
                         "s" + std::to_string(bounds.spurious) + ":" + run_length(exec.chosen);
      outcome.trace = format_trace(exec);
      break;
    }
  }
  Engine::instance = nullptr;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return outcome;
}

void check(bool ok, const char* clause, const std::string& message) {
  if (!ok) engine().fail(std::string("[") + clause + "] " + message);
}

void at_quiescence(std::function<void()> fn) {
  engine().execution().finals.push_back(std::move(fn));
}

void setup(const std::function<void()>& fn) {
  ++engine().execution().setup;
  fn();
  --engine().execution().setup;
}

Nanos now() { return Engine::instance ? Engine::instance->execution().now : kEpoch; }

bool active() { return Engine::instance != nullptr; }

namespace rt {

void point(const char* op, const void* object) {
  if (Engine::instance) Engine::instance->point(op, object);
}
Wake block(Block kind, const void* object, const Nanos* deadline) {
  return engine().block(kind, object, deadline);
}
int wake(const void* object, bool all) {
  return Engine::instance ? Engine::instance->wake(object, all) : 0;
}
int current() { return Engine::instance ? Engine::instance->execution().current : -1; }
int spawn(std::function<void()> body) { return engine().spawn(std::move(body)); }
bool finished(int task) { return engine().finished(task); }
void fail(const std::string& what) {
  if (!Engine::instance) {
    std::fprintf(stderr, "cf::explore: %s (outside an execution)\n", what.c_str());
    std::abort();
  }
  Engine::instance->fail(what);
}
void note(const char* op, const void* object) {
  if (Engine::instance) Engine::instance->note(op, object);
}

}  // namespace rt
}  // namespace cf::explore
