// RapidCheck properties of shutdown [SHUT-*]: shutdown(wait=true) returns only
// after the last task and leaves every future done; submit and map afterwards
// are refused; shutdown(wait=false) returns while tasks run, and they still
// finish; concurrent shutdowns are harmless; destroying an executor drains it;
// no task is lost whatever the interleaving of submitters and shutdown;
// cancel_futures cancels exactly the tasks not started, and waiters on them
// wake.
//
// Long on purpose: one spec section, as conformance/shutdown.cpp; each
// property is a self-contained scene, and splitting the section would file
// one clause's properties in two places.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;
using props::iota;
using props::sorted;

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
  std::optional<std::string> submit_message;  // what a refused submit said
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
    if (!r) continue;
    CF_CHECK_OUTCOME(rule, *r, Kind::kShutdown) << call << " after shutdown";
    if (r->message.empty()) continue;
    // The message is submit's rule [EXEC-SUBMIT-4]; map refuses as submit
    // does [MAP-SHUTDOWN-1], so its message is judged against submit's.
    if (!use_map) {
      submit_message = r->message;
      CF_CHECK(rule,
               r->message.find("cannot schedule new futures after shutdown") != std::string::npos)
          << "the message of the ShutdownError: " << r->message;
    } else if (submit_message) {
      CF_CHECK(rule, r->message == *submit_message) << "map's ShutdownError says \"" << r->message
                                                    << "\", submit's \"" << *submit_message << "\"";
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
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK("SHUT-WAIT-1", fs[i]->done())
        << future_name(i) << " is not done after shutdown(wait=true)";
  }
  // Whether a task was cancelled or ran is judged once it has ended: a
  // shutdown(wait=true) that returned early broke SHUT-WAIT-1 (above), not
  // the cancel rules, so its futures get time to end before the log is read.
  for (auto& f : fs) {
    if (!f->done()) f->result(kLong);
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (!fs[i]->done()) continue;  // never ended: SHUT-WAIT-1's, charged above
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

// --- SHUT-CANCEL-1 ----------------------------------------------------------

// W workers blocked at closed gates, `extra` tasks already finished and the
// rest queued: shutdown(cancel_futures=true) cancels exactly the ones not
// started. The tasks that reached their gate have started and are never
// cancelled; every other one must be cancelled, unless the executor had
// already marked it running (CPython's process pool does, for a few queued
// calls): so after shutdown no future is pending, a cancelled one never
// records, and every other one runs exactly once.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_CANCEL_CancelsExactlyTheNotStarted, ()) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(workers, 17);
  const int extra = *rc::gen::inRange(0, n - workers + 1);
  auto& ex = make_executor(workers);
  int started_log = lab.new_log();
  int done_log = lab.new_log();
  std::vector<int> gates;
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) {
    gates.push_back(lab.new_gate());
    futures.push_back(
        ex.submit(Probe().record(started_log, i).gate(gates[i]).record(done_log, i).returns(i)));
  }
  await_logged(lab, started_log, static_cast<std::size_t>(workers));
  // Release `extra` started tasks, one at a time; each frees its worker, which
  // then starts exactly one more task (all other workers are blocked).
  std::set<std::int64_t> opened;
  for (int j = 0; j < extra; ++j) {
    std::vector<std::int64_t> blocked;
    for (auto i : lab.log(started_log)) {
      if (!opened.count(i)) blocked.push_back(i);
    }
    auto release = *rc::gen::elementOf(blocked);
    opened.insert(release);
    lab.open(gates[release]);
    CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_log_size(started_log, workers + j + 1, kLong))
        << "no queued task started when task " << release << " freed its worker";
  }
  // Every worker is now blocked at a closed gate, so the set of tasks that
  // reached their gate is stable.
  auto arrived = lab.log(started_log);
  CF_PRECONDITION("TPE-MAX-1", arrived.size() == static_cast<std::size_t>(workers + extra))
      << arrived.size() << " tasks started on " << workers << " workers with " << extra
      << " released";
  std::set<std::int64_t> arrived_set(arrived.begin(), arrived.end());

  {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, true);
  }
  for (int i = 0; i < n; ++i) {
    auto& f = *futures[i];
    if (arrived_set.count(i)) {
      CF_CHECK("SHUT-CANCEL-1", !f.cancelled())
          << future_name(i) << " had started, yet shutdown(cancel_futures=true) cancelled it";
    } else {
      CF_CHECK("SHUT-CANCEL-1", f.cancelled() || f.running() || f.done())
          << future_name(i) << " is still pending after shutdown(cancel_futures=true) returned";
    }
  }
  lab.open_all();
  // The logs are read once every future is done (this property is about
  // which tasks are cancelled; SHUT-WAIT-1 has its own tests).
  std::vector<Outcome> outcomes;
  for (int i = 0; i < n; ++i) {
    outcomes.push_back(futures[i]->result(kLong));
    CF_PRECONDITION("EXEC-SUBMIT-1", !outcomes.back().is(Kind::kTimeout))
        << future_name(i) << " is not done " << kLong.count() << " s after every gate opened";
  }
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto started = lab.log(started_log);
  auto done = lab.log(done_log);
  for (int i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (futures[i]->cancelled()) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times_in(started, i), 0u)
          << "times the cancelled " << f << " started";
      check_result(outcomes[i], Outcome::error(Kind::kCancelled), f);
    } else {
      // Either cancelled or run, never neither.
      CF_CHECK("SHUT-CANCEL-1", times_in(done, i) >= 1u) << f << " was neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(done, i), 1u) << "times " << f << " ran";
      check_result(outcomes[i], Outcome::of_value(i), f);
    }
  }
}

// --- EXEC-SUBMIT-4 / SHUT-WAIT-1 / SHUT-CANCEL-1,2 --------------------------

// A thread submits N tasks while the test thread calls shutdown after a
// random number of them. Every accepted task is done when shutdown(wait=true)
// has returned, and either ran exactly once or (cancel_futures only) was
// cancelled and never ran; every refused submit raised ShutdownError, left
// nothing behind, and was followed only by refusals.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_EveryTaskRunsOrIsCancelledExactlyOnce, ()) {
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(1, 41);
  const int head = *rc::gen::inRange(0, n + 1);
  const bool cancel = has(Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(workers);
  int log = lab.new_log();

  std::vector<FuturePtr> futures(static_cast<std::size_t>(n));
  std::vector<std::optional<Outcome>> refused(static_cast<std::size_t>(n));
  std::promise<void> head_submitted;
  auto head_done = head_submitted.get_future();
  std::jthread submitter([&] {
    for (int i = 0; i < n; ++i) {
      if (i == head) head_submitted.set_value();
      try {
        futures[i] = ex.submit(Probe().record(log, i).returns(i));
      } catch (const Raised& raised) {
        refused[i] = raised.outcome;
      }
    }
    if (head == n) head_submitted.set_value();
  });
  // Submits never block for lack of a worker [EXEC-QUEUE-1].
  CF_PRECONDITION("EXEC-QUEUE-1", head_done.wait_for(kLong) == std::future_status::ready)
      << "the first " << head << " submits did not return within " << kLong.count() << " s";
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, cancel);
  }
  {
    // Submits after shutdown raise at once [EXEC-SUBMIT-4].
    CF_STEP("EXEC-SUBMIT-4");
    submitter.join();
  }

  auto ran = lab.log(log);
  bool refusing = false;
  for (int i = 0; i < n; ++i) {
    const auto f = future_name(i);
    const auto times = times_in(ran, i);
    if (refused[i] && i < head) {
      // Submitted before shutdown was called: must be accepted. Refused
      // then, it was not refused for shutdown, so EXEC-SUBMIT-4's checks
      // (the refusal's kind, refusing every later submit) do not apply.
      CF_CHECK("EXEC-QUEUE-1", false)
          << "submit " << i << ", made before shutdown, raised " << to_string(*refused[i]);
      continue;
    }
    if (refused[i]) {
      CF_CHECK_OUTCOME("EXEC-SUBMIT-4", *refused[i], Kind::kShutdown) << "submit " << i;
      CF_CHECK_EQ("EXEC-SUBMIT-4", times, 0u) << "times the refused task " << i << " ran";
      refusing = true;
      continue;
    }
    if (refusing) {
      CF_CHECK("EXEC-SUBMIT-4", false) << "submit " << i << " was accepted after one was refused";
    }
    CF_PRECONDITION(nullptr, futures[i] != nullptr) << "submit " << i << " returned no future";
    // Accepted before shutdown began, so done once shutdown(wait=true) returned.
    CF_CHECK("SHUT-WAIT-1", futures[i]->done()) << f << " is not done after shutdown(wait=true)";
    if (futures[i]->cancelled()) {
      CF_CHECK("SHUT-CANCEL-2", cancel)
          << f << " is cancelled by a shutdown without cancel_futures";
      CF_CHECK_EQ("SHUT-CANCEL-1", times, 0u) << "times the cancelled " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::error(Kind::kCancelled), f);
    } else {
      // Not cancelled: it ran. Without cancel_futures nothing is cancelled,
      // so everything runs; with it, each one is cancelled or run.
      CF_CHECK(cancel ? "SHUT-CANCEL-1" : "SHUT-CANCEL-2", times >= 1u)
          << f << " was neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::of_value(i), f);
    }
  }
}

// shutdown(wait=false, cancel_futures=true) with every worker blocked:
// exactly the queued targets are cancelled, and a wait on them returns at
// once, while the running tasks are still blocked.
RC_GTEST_FIXTURE_PROP(Conformance, CAN_ShutdownCancelFuturesReleasesWaitersOnTheQueued, ()) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kWait, Cap::kStateQueries,
             Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  auto& ex = make_executor(workers);
  int gate = lab.new_gate();
  int log = lab.new_log();
  auto pads = block_workers(ex, lab, workers, gate);
  std::vector<FuturePtr> targets;
  for (std::size_t i = 0; i < n; ++i) {
    targets.push_back(ex.submit(Probe().record(log, static_cast<std::int64_t>(i)).returns(0)));
  }
  Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1", [targets] {
    return guarded().wait(targets, ReturnWhen::kAllCompleted, Timeout());
  });
  CF_CHECK("WAIT-ALL-1", !waiting.returns_within(std::chrono::nanoseconds(0)))
      << "wait(ALL_COMPLETED) returned while every target was queued";
  {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, true);
  }
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK("SHUT-CANCEL-1", targets[i]->cancelled())
        << "the queued target " << i
        << " is not cancelled when shutdown(cancel_futures=true) returned";
  }
  // The started pads were not cancelled: they are running.
  std::vector<std::size_t> running;
  for (std::size_t i = 0; i < pads.size(); ++i) {
    if (pads[i]->running()) running.push_back(i);
  }
  CF_CHECK("SHUT-CANCEL-1", running.size() >= static_cast<std::size_t>(workers))
      << running.size() << " tasks are running after shutdown(cancel_futures=true), although "
      << workers << " had started";
  CF_CHECK("WAIT-CANCEL-1",
           waiting.returns_within(kLong))  // although the workers are still blocked
      << "the wait on the cancelled targets did not return";
  // Returned, but before the last target was done: ALL_COMPLETED's rule.
  CF_CHECK("WAIT-ALL-1", waiting.get().not_done.empty()) << "cancelled targets in not_done";
  lab.open(gate);
  for (auto i : running) {
    CF_CHECK_VALUE("SHUT-CANCEL-1", pads[i]->result(kLong), -1)
        << "the task running at shutdown(cancel_futures=true), once released";
  }
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  CF_CHECK("SHUT-CANCEL-1", lab.log(log).empty()) << "a target cancelled by shutdown ran";
}

}  // namespace
}  // namespace cf::conformance
