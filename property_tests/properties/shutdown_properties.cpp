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
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

std::string future_name(std::size_t i) { return "f" + std::to_string(i); }

// A poll where the implementation can answer one (a timed result, or done()
// to bridge with), else a bounded wait.
conformance::Timeout poll_or_bound(bool can_poll) {
  return can_poll ? conformance::Timeout(std::chrono::seconds(0)) : conformance::Timeout(kLong);
}

// Shuts `ex` down on a Background thread.
Outcome shutdown_in_background(Executor& ex, bool wait, bool cancel) {
  ex.shutdown(wait, cancel);
  return Outcome{};
}

// Tasks at their own gates, opened one by one in a random order while
// shutdown(wait=true) runs on another thread: it returns only after the last.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_WaitReturnsOnlyAfterTheLastTask, ()) {
  CF_REQUIRE(Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  Executor* e = &ex;
  Background<Outcome> call(lab, "SHUT-WAIT-1",
                           [e] { return shutdown_in_background(*e, true, false); });
  // Opening in a random order: queued tasks start as workers free, so the
  // last gate opened may belong to a task that has not started yet.
  // Returning while a task is still blocked is SHUT-WAIT-1's, unless that
  // task was cancelled: then the shutdown, not asked to, cancelled it.
  const bool can_poll = has(Cap::kResultTimeout) || has(Cap::kStateQueries);
  auto order = permutation(n);
  for (std::size_t k = 0; k < n; ++k) {
    if (call.returns_within(std::chrono::nanoseconds(0))) {
      for (auto j = k; j < n; ++j) {
        const auto i = order[j];
        CF_CHECK("SHUT-CANCEL-2",
                 !g.futures[i]->result(poll_or_bound(can_poll)).is(Kind::kCancelled))
            << future_name(i) << " was cancelled by shutdown(wait=true, cancel_futures=false)";
      }
      CF_CHECK("SHUT-WAIT-1", false)
          << "shutdown(wait=true) returned with " << n - k << " of " << n << " tasks still blocked";
    }
    lab.open(g.gates[order[k]]);
  }
  CF_CHECK("SHUT-WAIT-1", call.returns_within(kLong))
      << "shutdown(wait=true) did not return once every task could finish";
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (has(Cap::kStateQueries)) {
      CF_CHECK("SHUT-WAIT-1", g.futures[i]->done())
          << f << " is not done after shutdown(wait=true)";
    }
    auto o = g.futures[i]->result(poll_or_bound(can_poll));
    CF_CHECK("SHUT-WAIT-1", !o.is(Kind::kTimeout)) << f << " is not done after shutdown(wait=true)";
    // Without cancel_futures every task runs.
    CF_CHECK("SHUT-CANCEL-2", times_in(ran, static_cast<std::int64_t>(i)) >= 1u)
        << "the task of " << f << " never ran";
    CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times the task of " << f << " ran";
    check_result(o, gated_outcome(i, fails), f);
  }
}

// Submit and map after shutdown (of any flags, repeated any number of times)
// raise ShutdownError and schedule nothing; the repeated shutdowns do not
// raise.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_SubmitAndMapAfterShutdownAreRefused, ()) {
  const bool wait = !has(Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
  const bool cancel = has(Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  const auto attempts = *rc::gen::container<std::vector<bool>>(*rc::gen::inRange<std::size_t>(1, 8),
                                                               rc::gen::arbitrary<bool>());
  const int repeats = *rc::gen::inRange(0, 3);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  constexpr std::int64_t kBySubmit = 0;
  constexpr std::int64_t kByMap = 1;
  {
    CF_STEP(wait ? "SHUT-WAIT-1" : "SHUT-NOWAIT-1");
    ex.shutdown(wait, cancel);
  }
  for (int i = 0; i < repeats; ++i) {
    const bool again = *rc::gen::arbitrary<bool>() || !has(Cap::kShutdownNoWait);
    CF_CHECK("SHUT-IDEM-1", (ex.shutdown(again, false), true))
        << "shutdown(wait=" << again << ") number " << i + 2;
  }
  // What an attempt raised, or nullopt when it returned.
  auto refusal = [](auto attempt) -> std::optional<Outcome> {
    try {
      attempt();
    } catch (const Raised& r) {
      return r.outcome;
    }
    return std::nullopt;
  };
  for (bool map_it : attempts) {
    const bool use_map = map_it && has(Cap::kMap);
    const char* rule = use_map ? "MAP-SHUTDOWN-1" : "EXEC-SUBMIT-4";
    const char* call = use_map ? "map" : "submit";
    std::optional<Outcome> r;
    if (use_map) {
      r = refusal([&] {
        ex.map({Probe().record(log, kByMap).returns(1)}, MapSpec{kLong, std::nullopt});
      });
    } else {
      r = refusal([&] { ex.submit(Probe().record(log, kBySubmit).returns(0)); });
    }
    CF_CHECK(rule, r.has_value()) << call << " after shutdown returned";
    CF_CHECK_OUTCOME(rule, *r, Kind::kShutdown) << call << " after shutdown";
    if (!r->message.empty()) {
      CF_CHECK(rule,
               r->message.find("cannot schedule new futures after shutdown") != std::string::npos)
          << "the message of the ShutdownError: " << r->message;
    }
  }
  CF_CHECK("SHUT-IDEM-1", (ex.shutdown(true, false), true)) << "the last shutdown(wait=true)";
  CF_CHECK_EQ("EXEC-SUBMIT-4", times_in(lab.log(log), kBySubmit), 0u) << "refused submits that ran";
  CF_CHECK_EQ("MAP-SHUTDOWN-1", times_in(lab.log(log), kByMap), 0u) << "refused map calls that ran";
}

// shutdown(wait=false) returns while every worker is blocked, and every task
// accepted before it, queued or running, still runs to completion.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_NoWaitReturnsAtOnceAndQueuedTasksStillRun, ()) {
  CF_REQUIRE(Cap::kShutdownNoWait, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(workers, 12));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, false);
  await_logged(lab, log, static_cast<std::size_t>(workers));
  Executor* e = &ex;
  Background<Outcome> call(lab, "SHUT-NOWAIT-1",
                           [e] { return shutdown_in_background(*e, false, false); });
  CF_CHECK("SHUT-NOWAIT-1", call.returns_within(kLateSlack))  // while every worker is blocked
      << "shutdown(wait=false) did not return while the tasks were blocked";
  for (auto i : permutation(n)) lab.open(g.gates[i]);
  for (std::size_t i = 0; i < n; ++i) {
    // Cancelled: by a shutdown without cancel_futures [SHUT-CANCEL-2]; else
    // it still runs to completion [SHUT-NOWAIT-1].
    auto o = g.futures[i]->result(kLong);
    CF_CHECK("SHUT-CANCEL-2", !o.is(Kind::kCancelled))
        << future_name(i) << " was cancelled by shutdown(wait=false, cancel_futures=false)";
    check_result(o, gated_outcome(i, {}), future_name(i), "SHUT-NOWAIT-1");
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times the task of " << future_name(i) << " ran";
  }
}

// Several threads call shutdown at once with random flags while tasks are
// blocked. Each caller is judged: none raises; each that waits returns only
// once every task is done; and every task ran once or (only if some call
// asked for it) was cancelled and never ran.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_ConcurrentShutdownsAreHarmless, ()) {
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const int callers = *rc::gen::inRange(2, 5);
  struct Caller {
    bool wait = true;
    bool cancel = false;
    std::optional<Outcome> raised;
    std::vector<std::size_t> not_done;  // at its return, for a waiting call
  };
  std::vector<Caller> calls(static_cast<std::size_t>(callers));
  bool any_cancel = false;
  bool any_wait = false;
  for (auto& c : calls) {
    c.wait = !has(Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
    c.cancel = has(Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
    any_cancel = any_cancel || c.cancel;
    any_wait = any_wait || c.wait;
  }
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    fs.push_back(
        ex.submit(Probe().gate(gate).record(log, static_cast<std::int64_t>(i)).returns(0)));
  }
  std::barrier start(callers + 1);
  {
    CF_STEP(any_wait ? "SHUT-WAIT-1" : "SHUT-NOWAIT-1");
    std::vector<std::jthread> threads;
    for (auto& call : calls) {
      threads.emplace_back([&, c = &call] {
        start.arrive_and_wait();
        try {
          ex.shutdown(c->wait, c->cancel);
        } catch (const Raised& r) {
          c->raised = r.outcome;
          return;
        }
        if (!c->wait) return;
        for (std::size_t i = 0; i < n; ++i) {
          if (!fs[i]->done()) c->not_done.push_back(i);
        }
      });
    }
    start.arrive_and_wait();
    lab.open(gate);
  }  // joins: every call returned
  for (std::size_t k = 0; k < calls.size(); ++k) {
    const auto& c = calls[k];
    CF_CHECK("SHUT-IDEM-1", !c.raised.has_value())
        << "caller " << k << "'s shutdown(wait=" << c.wait << ", cancel_futures=" << c.cancel
        << ") raised " << to_string(*c.raised);
    if (!c.wait || c.raised) continue;
    CF_CHECK("SHUT-WAIT-1", c.not_done.empty())
        << "caller " << k << "'s shutdown(wait=true) returned with " << c.not_done.size()
        << " futures not done, the first f" << (c.not_done.empty() ? 0 : c.not_done[0]);
  }
  if (!any_wait) {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);  // no caller above waited
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = future_name(i);
    CF_CHECK("SHUT-WAIT-1", fs[i]->done()) << f << " is not done after shutdown(wait=true)";
    const auto times = times_in(ran, static_cast<std::int64_t>(i));
    if (fs[i]->cancelled()) {
      CF_CHECK("SHUT-CANCEL-2", any_cancel)
          << f << " is cancelled, and no call asked for cancel_futures";
      CF_CHECK_EQ("SHUT-CANCEL-1", times, 0u) << "times the cancelled " << f << " ran";
    } else {
      CF_CHECK(any_cancel ? "SHUT-CANCEL-1" : "SHUT-CANCEL-2", times >= 1u)
          << f << " was neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times " << f << " ran";
    }
  }
}

// Destroying an executor with work queued is shutdown(wait=true): it returns
// after every task ran [SHUT-DTOR-1]. A helper opens the gate once the gated
// task has started, so the destructor has something to wait for.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_DestructorDrainsEveryTask, ()) {
  CF_REQUIRE(Cap::kDrainingDestructor);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 12));
  const auto gated = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, n));
  ExecutorSpec spec;
  spec.max_workers = *rc::gen::inRange(1, 4);
  int log = lab.new_log();
  int gate = lab.new_gate();
  // Not the fixture's: the test destroys it. The opener is joined before the
  // executor is destroyed, however the case ends, and gives up once stopped
  // (a destructor that dropped the gated task leaves nothing to open).
  auto ex = impl().make_executor(lab, spec);
  std::jthread opener([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (lab.await_arrivals(gate, 1, std::chrono::milliseconds(10))) {
        lab.open(gate);
        return;
      }
    }
  });
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    Probe p = Probe().record(log, static_cast<std::int64_t>(i));
    if (i == gated) p.gate(gate);
    fs.push_back(ex->submit(p.returns(static_cast<std::int64_t>(i))));
  }
  {
    CF_STEP("SHUT-DTOR-1");
    ex.reset();
  }
  opener.request_stop();
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (has(Cap::kStateQueries)) {
      CF_CHECK("SHUT-DTOR-1", fs[i]->done()) << f << " is not done when the destructor returned";
    }
    CF_CHECK("SHUT-DTOR-1", times_in(ran, static_cast<std::int64_t>(i)) >= 1u)
        << "the task of " << f << " had not run when the destructor returned";
    CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times the task of " << f << " ran";
  }
}

// Two or three submitters race one shutdown (random flags) called after a
// random number of accepted submissions. Per submitter, accepted submits come
// first and refusals after; every accepted task ran exactly once or, only
// with cancel_futures, was cancelled and never ran. Each check is tagged by
// the flags actually used: without shutdown-nowait the shutdown waits, and
// its checks are SHUT-WAIT-1's, never SHUT-NOWAIT-1's.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_NoTaskLostWithConcurrentSubmitters, ()) {
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  const int submitters = *rc::gen::inRange(2, 4);
  const int per = *rc::gen::inRange(1, 20);
  const int before = *rc::gen::inRange(0, submitters * per + 1);
  const bool wait = !has(Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>();
  const bool cancel = has(Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(*rc::gen::inRange(1, 4));
  int log = lab.new_log();
  struct Submitter {
    std::vector<FuturePtr> futures;        // null where refused
    std::optional<Outcome> refused_early;  // a refusal before shutdown was called
    std::optional<Outcome> refused_wrong;  // a refusal other than ShutdownError
  };
  std::vector<Submitter> subs(static_cast<std::size_t>(submitters));
  std::atomic<int> accepted{0};
  std::atomic<bool> shutdown_called{false};
  std::promise<void> enough;
  auto enough_done = enough.get_future();
  std::atomic<bool> signalled{false};
  auto signal = [&] {
    if (!signalled.exchange(true)) enough.set_value();
  };
  if (before == 0) signal();
  bool reached = false;
  {
    std::vector<std::jthread> threads;
    for (int s = 0; s < submitters; ++s) {
      threads.emplace_back([&, s] {
        auto& me = subs[static_cast<std::size_t>(s)];
        for (int i = 0; i < per; ++i) {
          const std::int64_t id = s * 1000 + i;
          try {
            me.futures.push_back(ex.submit(Probe().record(log, id).returns(id)));
            if (accepted.fetch_add(1) + 1 >= before) signal();
          } catch (const Raised& r) {
            if (!shutdown_called.load() && !me.refused_early) me.refused_early = r.outcome;
            if (!r.outcome.is(Kind::kShutdown) && !me.refused_wrong) me.refused_wrong = r.outcome;
            me.futures.push_back(nullptr);
          }
        }
      });
    }
    reached = enough_done.wait_for(kLong) == std::future_status::ready;
    shutdown_called.store(true);
    {
      CF_STEP(wait ? "SHUT-WAIT-1" : "SHUT-NOWAIT-1");
      ex.shutdown(wait, cancel);
    }
    // Submits after shutdown raise at once [EXEC-SUBMIT-4].
    CF_STEP("EXEC-SUBMIT-4");
    threads.clear();
  }
  for (int s = 0; s < submitters; ++s) {
    const auto& me = subs[static_cast<std::size_t>(s)];
    CF_CHECK("EXEC-QUEUE-1", !me.refused_early.has_value())
        << "submitter " << s << ": a submit before shutdown raised "
        << to_string(*me.refused_early);
  }
  // Submits never refuse (nor block) before shutdown [EXEC-QUEUE-1].
  CF_PRECONDITION("EXEC-QUEUE-1", reached) << accepted.load() << " of the " << before
                                           << " submissions wanted before shutdown were accepted";
  for (int s = 0; s < submitters; ++s) {
    const auto& me = subs[static_cast<std::size_t>(s)];
    CF_CHECK("EXEC-SUBMIT-4", !me.refused_wrong.has_value())
        << "submitter " << s << ": a submit was refused with " << to_string(*me.refused_wrong)
        << ", not ShutdownError";
  }
  if (!wait) {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  // Every accepted future is done once a shutdown(wait=true) returned. One
  // that is not, but completes later, was waited for too briefly; one that
  // never completes was lost, by the shutdown that did not wait if there was
  // one. The tasks end before the case does, so none outlives it.
  for (int s = 0; s < submitters; ++s) {
    const auto& me = subs[static_cast<std::size_t>(s)];
    for (int i = 0; i < per; ++i) {
      const auto& f = me.futures[static_cast<std::size_t>(i)];
      if (!f || f->done()) continue;
      const bool completes = !f->result(kLong).is(Kind::kTimeout);
      CF_CHECK(completes || wait ? "SHUT-WAIT-1" : "SHUT-NOWAIT-1", false)
          << "submitter " << s << "'s task " << i << " was not done after shutdown(wait=true)"
          << (completes ? ", and completed later" : ", and never completed");
    }
  }
  auto ran = lab.log(log);
  for (int s = 0; s < submitters; ++s) {
    const auto& me = subs[static_cast<std::size_t>(s)];
    bool refusing = false;
    for (int i = 0; i < per; ++i) {
      const std::int64_t id = s * 1000 + i;
      const auto& f = me.futures[static_cast<std::size_t>(i)];
      const auto times = times_in(ran, id);
      const auto task = "submitter " + std::to_string(s) + "'s task " + std::to_string(i);
      if (!f) {
        refusing = true;
        CF_CHECK_EQ("EXEC-SUBMIT-4", times, 0u) << "times the refused " << task << " ran";
        continue;
      }
      if (refusing) {
        CF_CHECK("EXEC-SUBMIT-4", false) << task << " was accepted after a refused one";
      }
      if (f->cancelled()) {
        CF_CHECK("SHUT-CANCEL-2", cancel)
            << task << " is cancelled by a shutdown without cancel_futures";
        CF_CHECK_EQ("SHUT-CANCEL-1", times, 0u) << "times the cancelled " << task << " ran";
      } else {
        CF_CHECK(cancel ? "SHUT-CANCEL-1" : "SHUT-CANCEL-2", times >= 1u)
            << task << " was neither cancelled nor run";
        CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times " << task << " ran";
        check_result(f->result(kLong), Outcome::of_value(id), task);
      }
    }
  }
}

}  // namespace
}  // namespace cf::conformance
