// Shutdown properties: shutdown(wait=true) returns only after the last task
// and leaves every future done; submit and map afterwards are refused;
// shutdown(wait=false) returns while tasks run, and they still finish;
// concurrent shutdowns are harmless; destroying an executor drains it; no task
// is lost whatever the interleaving of submitters and shutdown.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

Outcome shutdown_in_background(Executor& ex, bool wait, bool cancel) {
  ex.shutdown(wait, cancel);
  return Outcome{};
}

RC_GTEST_FIXTURE_PROP(Conformance, SHUT_WaitReturnsOnlyAfterTheLastTask, ()) {
  CF_CLAUSES("SHUT-WAIT-1", "SHUT-CANCEL-2");
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  Executor* e = &ex;
  Background<Outcome> call(lab, [e] { return shutdown_in_background(*e, true, false); });
  // Opening in a random order: queued tasks start as workers free, so the
  // last gate opened may belong to a task that has not started yet.
  auto order = permutation(n);
  for (std::size_t k = 0; k < n; ++k) {
    RC_ASSERT(!call.returns_within(std::chrono::nanoseconds(0)));  // a task is still blocked
    lab.open(g.gates[order[k]]);
  }
  RC_ASSERT(call.returns_within(kLong));
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    RC_ASSERT(g.futures[i]->done());
    RC_ASSERT(times_in(ran, static_cast<std::int64_t>(i)) == 1u);
    RC_ASSERT(seen(g.futures[i]->result(std::chrono::seconds(0)), gated_outcome(i, fails)) ==
              to_string(gated_outcome(i, fails)));
  }
}

RC_GTEST_FIXTURE_PROP(Conformance, SHUT_SubmitAndMapAfterShutdownAreRefused, ()) {
  CF_CLAUSES("EXEC-SUBMIT-4", "MAP-SHUTDOWN-1", "SHUT-IDEM-1");
  OpenGatesAtExit guard{lab};
  const bool wait = !has(caps(), Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
  const bool cancel = has(caps(), Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  const auto attempts = *rc::gen::container<std::vector<bool>>(*rc::gen::inRange<std::size_t>(1, 8),
                                                              rc::gen::arbitrary<bool>());
  const int repeats = *rc::gen::inRange(0, 3);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  ex.shutdown(wait, cancel);
  for (int i = 0; i < repeats; ++i) ex.shutdown(*rc::gen::arbitrary<bool>() || !has(caps(), Cap::kShutdownNoWait), false);
  for (bool use_map : attempts) {
    try {
      if (use_map && has(caps(), Cap::kMap)) {
        ex.map({Probe().record(log, 1).returns(1)}, MapSpec{kLong, std::nullopt});
        CF_RC_FAIL("map after shutdown returned");
      } else {
        ex.submit(Probe().record(log, 0).returns(0));
        CF_RC_FAIL("submit after shutdown returned a future");
      }
    } catch (const Raised& r) {
      RC_ASSERT(r.outcome.is(Kind::kShutdown));
      if (!r.outcome.message.empty()) {
        RC_ASSERT(r.outcome.message.find("cannot schedule new futures after shutdown") !=
                  std::string::npos);
      }
    }
  }
  ex.shutdown(true, false);
  RC_ASSERT(lab.log(log).empty());  // nothing was scheduled
}

RC_GTEST_FIXTURE_PROP(Conformance, SHUT_NoWaitReturnsAtOnceAndQueuedTasksStillRun, ()) {
  CF_CLAUSES("SHUT-NOWAIT-1", "SHUT-CANCEL-2");
  CF_REQUIRE(Cap::kShutdownNoWait, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(workers, 12));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, false);
  RC_ASSERT(lab.await_log_size(log, static_cast<std::size_t>(workers), kLong));
  Executor* e = &ex;
  Background<Outcome> call(lab, [e] { return shutdown_in_background(*e, false, false); });
  RC_ASSERT(call.returns_within(kLateSlack));  // while every worker is blocked
  for (auto i : permutation(n)) lab.open(g.gates[i]);
  for (std::size_t i = 0; i < n; ++i) {
    auto o = g.futures[i]->result(kLong);
    RC_ASSERT(o.is(Kind::kValue) && o.value == static_cast<std::int64_t>(i));
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) RC_ASSERT(times_in(ran, static_cast<std::int64_t>(i)) == 1u);
}

// Several threads call shutdown at once with random flags while tasks are
// blocked; none throws, all return once the gates open, and every task ran
// once or (only if some call asked for it) was cancelled and never ran.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_ConcurrentShutdownsAreHarmless, ()) {
  CF_CLAUSES("SHUT-IDEM-1", "SHUT-WAIT-1", "SHUT-CANCEL-1", "SHUT-CANCEL-2");
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const int callers = *rc::gen::inRange(2, 5);
  std::vector<std::pair<bool, bool>> flags;
  bool any_cancel = false;
  for (int i = 0; i < callers; ++i) {
    bool w = !has(caps(), Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
    bool c = has(caps(), Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
    any_cancel = any_cancel || c;
    flags.emplace_back(w, c);
  }
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    fs.push_back(ex.submit(Probe().gate(gate).record(log, static_cast<std::int64_t>(i)).returns(0)));
  }
  std::atomic<int> threw{0};
  std::barrier start(callers + 1);
  std::vector<std::jthread> threads;
  for (auto [w, c] : flags) {
    threads.emplace_back([&, w = w, c = c] {
      start.arrive_and_wait();
      try {
        ex.shutdown(w, c);
      } catch (...) {
        threw.fetch_add(1);
      }
    });
  }
  start.arrive_and_wait();
  lab.open(gate);
  threads.clear();  // joins: every call returned
  if (threw.load() != 0) CF_RC_FAIL("[SHUT-IDEM-1] a concurrent shutdown threw");
  ex.shutdown(true, false);  // once more, waiting: no caller above may have waited
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    if (!fs[i]->done()) CF_RC_FAIL("[SHUT-WAIT-1] shutdown(wait=true) returned with a task not done");
    const auto times = times_in(ran, static_cast<std::int64_t>(i));
    if (fs[i]->cancelled()) {
      if (!any_cancel) CF_RC_FAIL("[SHUT-CANCEL-1] a future was cancelled without cancel_futures");
      if (times != 0u) CF_RC_FAIL("[SHUT-CANCEL-2] a cancelled task ran");
    } else if (times != 1u) {
      CF_RC_FAIL("[SHUT-WAIT-1] a task that was not cancelled ran " + std::to_string(times) + " times");
    }
  }
}

// Destroying an executor with work queued is shutdown(wait=true): it returns
// after every task ran [SHUT-DTOR-1]. A helper opens the gate once the gated
// task has started, so the destructor has something to wait for.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_DestructorDrainsEveryTask, ()) {
  CF_CLAUSES("SHUT-DTOR-1");
  CF_REQUIRE(Cap::kDrainingDestructor, Cap::kStateQueries);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 12));
  const auto gated = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, n));
  ExecutorSpec spec;
  spec.max_workers = *rc::gen::inRange(1, 4);
  auto ex = impl().make_executor(lab, spec);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    Probe p = Probe().record(log, static_cast<std::int64_t>(i));
    if (i == gated) p.gate(gate);
    fs.push_back(ex->submit(p.returns(static_cast<std::int64_t>(i))));
  }
  std::jthread opener([&] {
    lab.await_arrivals(gate, 1, kLong);
    lab.open(gate);
  });
  ex.reset();
  auto ran = lab.log(log);
  RC_ASSERT(ran.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    RC_ASSERT(fs[i]->done());
    RC_ASSERT(times_in(ran, static_cast<std::int64_t>(i)) == 1u);
  }
}

// Two or three submitters race one shutdown (random flags) called after a
// random number of accepted submissions. Per submitter, accepted submits come
// first and refusals after; every accepted task ran exactly once or, only
// with cancel_futures, was cancelled and never ran [EXEC-SUBMIT-4].
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_NoTaskLostWithConcurrentSubmitters, ()) {
  CF_CLAUSES("EXEC-SUBMIT-1", "EXEC-SUBMIT-4", "SHUT-CANCEL-1", "SHUT-CANCEL-2", "SHUT-WAIT-1",
             "SHUT-NOWAIT-1");
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int submitters = *rc::gen::inRange(2, 4);
  const int per = *rc::gen::inRange(1, 20);
  const int before = *rc::gen::inRange(0, submitters * per + 1);
  const bool wait = !has(caps(), Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
  const bool cancel = has(caps(), Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(*rc::gen::inRange(1, 4));
  int log = lab.new_log();
  std::vector<std::vector<FuturePtr>> fs(static_cast<std::size_t>(submitters));
  std::vector<std::vector<bool>> refused(static_cast<std::size_t>(submitters));
  std::atomic<int> accepted{0};
  std::atomic<bool> wrong_error{false};  // a refusal other than ShutdownError
  std::promise<void> enough;
  auto enough_done = enough.get_future();
  std::atomic<bool> signalled{false};
  auto signal = [&] {
    if (!signalled.exchange(true)) enough.set_value();
  };
  if (before == 0) signal();
  {
    std::vector<std::jthread> threads;
    for (int s = 0; s < submitters; ++s) {
      threads.emplace_back([&, s] {
        for (int i = 0; i < per; ++i) {
          const std::int64_t id = s * 1000 + i;
          try {
            fs[static_cast<std::size_t>(s)].push_back(ex.submit(Probe().record(log, id).returns(id)));
            refused[static_cast<std::size_t>(s)].push_back(false);
            if (accepted.fetch_add(1) + 1 >= before) signal();
          } catch (const Raised& r) {
            if (!r.outcome.is(Kind::kShutdown)) wrong_error.store(true);
            fs[static_cast<std::size_t>(s)].push_back(nullptr);
            refused[static_cast<std::size_t>(s)].push_back(true);
          }
        }
      });
    }
    const bool reached = enough_done.wait_for(kLong) == std::future_status::ready;
    ex.shutdown(wait, cancel);
    if (!reached) CF_RC_FAIL("[EXEC-SUBMIT-1] the submissions before shutdown were not accepted");
  }
  if (wrong_error.load()) CF_RC_FAIL("[EXEC-SUBMIT-4] a submit was refused with another error than ShutdownError");
  ex.shutdown(true, false);
  // Every accepted future is done before the log is read, so a task that
  // ran is in it. If shutdown returned early, the case still ends only after
  // the tasks did, so none outlives it.
  bool returned_early = false;
  for (const auto& futures : fs) {
    for (const auto& f : futures) returned_early = returned_early || (f && !f->done());
  }
  if (returned_early) {
    for (const auto& futures : fs) {
      for (const auto& f : futures) {
        if (f) (void)f->result(kLong);
      }
    }
    CF_RC_FAIL("[SHUT-WAIT-1] shutdown(wait=true) returned with a task not done");
  }
  auto ran = lab.log(log);
  int total_accepted = 0;
  for (int s = 0; s < submitters; ++s) {
    bool refusing = false;
    for (int i = 0; i < per; ++i) {
      const std::int64_t id = s * 1000 + i;
      auto& f = fs[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)];
      const auto times = times_in(ran, id);
      if (refused[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)]) {
        refusing = true;
        if (times != 0u) CF_RC_FAIL("[EXEC-SUBMIT-4] a refused submit ran");
        continue;
      }
      if (refusing) CF_RC_FAIL("[EXEC-SUBMIT-4] a submit was accepted after one was refused");
      ++total_accepted;
      if (f->cancelled()) {
        if (!cancel) CF_RC_FAIL("[SHUT-CANCEL-1] a future was cancelled without cancel_futures");
        if (times != 0u) CF_RC_FAIL("[SHUT-CANCEL-2] a cancelled task ran");
      } else if (times != 1u) {
        CF_RC_FAIL("[SHUT-WAIT-1 SHUT-NOWAIT-1] an accepted task ran " + std::to_string(times) + " times");
      }
    }
  }
  if (total_accepted < std::min(before, submitters * per)) {
    CF_RC_FAIL("[EXEC-SUBMIT-1] fewer submissions accepted than were made before shutdown");
  }
}

}  // namespace
}  // namespace cf::conformance
