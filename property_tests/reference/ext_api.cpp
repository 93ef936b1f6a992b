// EXT- clauses of cf's handle types: shared handles [EXT-SHARED-1],
// Future<void> [EXT-VOID-1] and AnyFuture over mixed types [EXT-ANY-1].
// These properties exist only in C++, so the tests call cf:: directly.
//
// Each check names the rule it observes: what a copy or an erased handle sees
// of another's state is EXT-SHARED-1's or EXT-ANY-1's; what result() of a
// Future<void> gives is EXT-VOID-1's; the other rules a Future<void> obeys
// unchanged (callbacks, states, timeouts, wait) are judged by their own
// clauses.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/background.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using ext::during;

// The error tasks in these tests throw, distinct from every cf error.
struct TaskFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What `call` threw as a TaskFailure (its what()), or how else it ended.
std::string task_failure_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const TaskFailure& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("another exception: ") + e.what();
  }
  return "returned";
}

// --- EXT-SHARED-1 ---------------------------------------------------------

TEST_F(Conformance, EXT_SHARED_CopiesObserveOneState) {
  cf::Future<int> a;
  cf::Future<int> b = a;
  cf::Future<int> c;
  c = b;  // copy-assignment rebinds c to a's state; the state c had is dropped
  CF_CHECK("EXT-SHARED-1", a == b && b == c);
  CF_CHECK("EXT-SHARED-1", !(a == cf::Future<int>()));

  std::vector<int> order;
  a.add_done_callback([&](const cf::Future<int>& f) {
    order.push_back(1);
    CF_CHECK("EXT-SHARED-1", f == c) << "a callback receives a handle to the same state";
  });
  c.add_done_callback([&](const cf::Future<int>&) { order.push_back(2); });

  CF_PRECONDITION("FUT-STATE-2", b.set_running_or_notify_cancel());
  CF_CHECK("EXT-SHARED-1", a.running());
  CF_CHECK("EXT-SHARED-1", c.running());
  CF_CHECK("EXT-SHARED-1", !c.cancel()) << "running through b, so not cancellable through c";

  b.set_result(5);
  CF_CHECK_EQ("EXT-SHARED-1", order, (std::vector<int>{1, 2}))
      << "callbacks added through different copies";
  CF_CHECK("EXT-SHARED-1", a.done() && c.done());
  CF_CHECK_EQ("EXT-SHARED-1", a.result(0s), 5);
  CF_CHECK_EQ("EXT-SHARED-1", c.result(0s), 5);
  CF_CHECK_THROWS("EXT-SHARED-1", c.set_result(6), cf::InvalidStateError)
      << "already finished through b";
  CF_CHECK_EQ("EXT-SHARED-1", a.result(0s), 5) << "the first outcome stands for every copy";
}

TEST_F(Conformance, EXT_SHARED_CancelThroughOneCopyIsSeenByAll) {
  cf::Future<int> a;
  cf::Future<int> b = a;
  int calls = 0;
  b.add_done_callback([&](const cf::Future<int>& f) {
    ++calls;
    CF_CHECK("EXT-SHARED-1", f.cancelled()) << "the callback added through b, at a's cancel";
  });
  CF_PRECONDITION("FUT-CANCEL-1", a.cancel());
  CF_CHECK_EQ("EXT-SHARED-1", calls, 1) << "a callback added through b, at a's cancel";
  CF_CHECK("EXT-SHARED-1", b.cancelled());
  CF_CHECK("EXT-SHARED-1", b.done());
  CF_CHECK_THROWS("EXT-SHARED-1", b.result(0s), cf::CancelledError);
  CF_CHECK_THROWS("EXT-SHARED-1", b.exception(0s), cf::CancelledError);
  CF_CHECK("EXT-SHARED-1", b.cancel()) << "cancel is idempotent across copies";
  CF_CHECK("EXT-SHARED-1", !b.set_running_or_notify_cancel())
      << "the executor sees a's cancellation";
  CF_CHECK_EQ("EXT-SHARED-1", calls, 1) << "callbacks run once, whichever copy cancelled";
}

TEST_F(Conformance, EXT_SHARED_ResultFromEightThreadsOnEightCopies) {
  constexpr int kReaders = 8;
  const std::string expected = std::string(1000, 'x') + "end";
  cf::ThreadPoolExecutor pool(2);
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();

  std::vector<cf::Future<std::string>> copies;
  {
    auto original = pool.submit([&lab = lab, gate, expected] {
      lab.pass_gate(gate);
      return expected;
    });
    copies.assign(kReaders, original);
  }  // the submitting handle is gone; the copies keep the state alive

  struct Seen {
    bool value_ok = false;
    bool same_object_twice = false;
    const std::string* address = nullptr;
  };
  auto started = std::make_shared<ext::Countdown>(kReaders);
  std::vector<std::unique_ptr<Background<Seen>>> readers;
  for (int i = 0; i < kReaders; ++i) {
    // Each reader blocks on its own copy until the task completes; the value
    // it reads is FUT-RESULT-1's, from any thread and through any copy.
    readers.push_back(std::make_unique<Background<Seen>>(
        lab, "FUT-RESULT-1", [copy = copies[i], started, expected] {
          started->count_down();
          const std::string& first = copy.result(kLong);
          const std::string& second = copy.result(kLong);  // read, not consumed
          return Seen{first == expected && second == expected, &first == &second, &first};
        }));
  }
  CF_PRECONDITION(nullptr, started->wait_for(kLong)) << "the reader threads never started";
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  lab.open(gate);

  const std::string* shared = nullptr;
  for (int i = 0; i < kReaders; ++i) {
    CF_ASSERT("FUT-RESULT-1", readers[i]->returns_within(kLong)) << "reader " << i;
    Seen seen = readers[i]->get();
    CF_CHECK("FUT-RESULT-1", seen.value_ok) << "reader " << i;
    // The reference hands out references into the one shared state, so every
    // reader on every copy sees the very same object.
    CF_CHECK("EXT-SHARED-1", seen.same_object_twice) << "reader " << i;
    if (shared == nullptr) shared = seen.address;
    CF_CHECK_EQ("EXT-SHARED-1", seen.address, shared) << "reader " << i;
  }
}

// --- EXT-VOID-1 -----------------------------------------------------------

TEST_F(Conformance, EXT_VOID_SubmittedVoidTaskCompletes) {
  cf::ThreadPoolExecutor pool(2);
  int side_effect = 0;
  auto f = pool.submit([&side_effect] { side_effect = 7; });
  static_assert(std::is_same_v<decltype(f), cf::Future<void>>);
  static_assert(std::is_void_v<decltype(f.result())>);
  CF_CHECK_NO_THROW("EXT-VOID-1", f.result(kLong));
  CF_CHECK("FUT-STATE-3", f.done());
  CF_CHECK("FUT-STATE-3", !f.cancelled());
  CF_CHECK("FUT-EXC-1", f.exception(0s) == nullptr) << "success has no exception";
  CF_CHECK_EQ("EXEC-SUBMIT-1", side_effect, 7);
  CF_CHECK_NO_THROW("EXT-VOID-1", f.result(0s)) << "a second read of nothing";
  // On a temporary handle (the rvalue overload) as well.
  CF_CHECK_NO_THROW("EXT-VOID-1", pool.submit([] {}).result(kLong));
}

TEST_F(Conformance, EXT_VOID_FailingVoidTaskRethrowsItsException) {
  cf::ThreadPoolExecutor pool(1);
  auto f = pool.submit([] { throw TaskFailure("void-boom"); });
  CF_PRECONDITION("EXEC-SUBMIT-2", f.exception(kLong) != nullptr)
      << "the task's error was not stored";
  auto error = f.exception(0s);
  CF_CHECK("FUT-EXC-1", f.exception(0s) == error) << "the same stored exception every time";
  CF_CHECK_EQ("EXT-VOID-1", task_failure_of([&] { f.result(0s); }), "void-boom")
      << "result() of a failed Future<void>";
}

TEST_F(Conformance, EXT_VOID_ProducerApiAndCallbacks) {
  cf::Future<void> f;
  std::vector<int> order;
  f.add_done_callback([&](const cf::Future<void>& g) {
    order.push_back(1);
    CF_CHECK_NO_THROW("EXT-VOID-1", g.result(0s)) << "a callback reads the (empty) result";
  });
  f.add_done_callback([&](const cf::Future<void>&) { order.push_back(2); });
  CF_PRECONDITION("FUT-STATE-2", f.set_running_or_notify_cancel());
  CF_CHECK("FUT-STATE-2", f.running());
  CF_CHECK("FUT-CB-1", order.empty()) << "a callback ran before the future completed";
  f.set_result();
  CF_CHECK_EQ("FUT-CB-2", order, (std::vector<int>{1, 2}));
  CF_CHECK_NO_THROW("EXT-VOID-1", f.result(0s));
  CF_CHECK_THROWS("FUT-SET-3", f.set_result(), cf::InvalidStateError);
  CF_CHECK_THROWS("FUT-SET-4", f.set_exception(std::make_exception_ptr(TaskFailure("late"))),
                  cf::InvalidStateError);
  f.add_done_callback([&](const cf::Future<void>&) { order.push_back(3); });
  CF_CHECK_EQ("FUT-CB-3", order, (std::vector<int>{1, 2, 3})) << "added when done: runs at once";
}

TEST_F(Conformance, EXT_VOID_CancelTimeoutAndWait) {
  cf::Future<void> pending;
  auto start = cf::Clock::now();
  CF_CHECK_THROWS("FUT-RESULT-4", pending.result(kShort), cf::TimeoutError);
  auto elapsed = cf::Clock::now() - start;
  CF_CHECK("FUT-RESULT-4", elapsed >= kShort) << "timed out early";
  CF_CHECK("FUT-RESULT-4", elapsed <= kShort + kLateSlack) << "timed out late";
  CF_CHECK("FUT-RESULT-4", !pending.done()) << "a timeout never changes the state";

  auto split = during("WAIT-TIMEOUT-1", [&] { return cf::wait({pending}, cf::ALL_COMPLETED, 0s); });
  CF_CHECK_EQ("WAIT-TIMEOUT-1", split.done.size(), 0u);
  CF_CHECK_EQ("WAIT-TIMEOUT-1", split.not_done.count(pending), 1u);

  cf::Future<void> cancelled;
  CF_PRECONDITION("FUT-CANCEL-1", cancelled.cancel());
  CF_CHECK_THROWS("FUT-RESULT-3", cancelled.result(0s), cf::CancelledError);
  CF_CHECK_THROWS("FUT-EXC-2", cancelled.exception(0s), cf::CancelledError);

  pending.set_result();
  split = during("WAIT-ALL-1", [&] {
    return cf::wait({pending, cancelled}, cf::ALL_COMPLETED, kLong);
  });
  CF_CHECK_EQ("WAIT-ALL-1", split.done.size(), 2u);
  CF_CHECK("WAIT-ALL-1", split.not_done.empty());
  int yielded = 0;
  {
    CF_STEP("ASC-ALL-1");
    for (const cf::AnyFuture& f : cf::as_completed({pending, cancelled}, kLong)) {
      CF_CHECK("ASC-ALL-1", f == pending || f == cancelled) << "a future that was not an input";
      ++yielded;
    }
  }
  CF_CHECK_EQ("ASC-ALL-1", yielded, 2);
}

// --- EXT-ANY-1 ------------------------------------------------------------

TEST_F(Conformance, EXT_ANY_WaitAndAsCompletedOverMixedTypesFromTwoPools) {
  cf::ThreadPoolExecutor ints(2);
  cf::ThreadPoolExecutor others(2);
  OpenGatesOnExit release(lab);
  int gi = lab.new_gate();
  int gs = lab.new_gate();
  int gv = lab.new_gate();

  cf::Future<int> fi = ints.submit([&lab = lab, gi] {
    lab.pass_gate(gi);
    return 42;
  });
  cf::Future<std::string> fs = others.submit([&lab = lab, gs] {
    lab.pass_gate(gs);
    return std::string("forty-two");
  });
  cf::Future<void> fv = others.submit([&lab = lab, gv] { lab.pass_gate(gv); });
  cf::Future<double> raw;  // no executor at all
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gi, 1, kLong));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gs, 1, kLong));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gv, 1, kLong));

  lab.open(gs);
  cf::Future<int> fi_copy = fi;
  auto split = during("WAIT-FIRST-1", [&] {
    return cf::wait(std::vector<cf::AnyFuture>{fi, fs, fv, raw, fi_copy}, cf::FIRST_COMPLETED,
                    kLong);
  });
  CF_ASSERT_EQ("WAIT-FIRST-1", split.done.size(), 1u) << "only fs could complete";
  CF_CHECK("EXT-ANY-1", *split.done.begin() == fs) << "reported as the same future";
  CF_CHECK_EQ("WAIT-DUP-1", split.not_done.size(), 3u) << "fi and its copy are one future";
  CF_CHECK_EQ("WAIT-DUP-1", split.not_done.count(fi_copy), 1u);
  CF_CHECK_EQ("WAIT-FIRST-1", split.not_done.count(fv), 1u);
  CF_CHECK_EQ("WAIT-FIRST-1", split.not_done.count(raw), 1u);
  cf::Future<std::string> back = split.done.begin()->as<std::string>();
  CF_CHECK("EXT-ANY-1", back == fs);
  CF_CHECK_EQ("EXT-ANY-1", back.result(0s), "forty-two");

  // as_completed over the same mixed set: fs first (already done), then in
  // the order the test completes the others.
  auto run = cf::as_completed({fi, fs, fv, raw}, kLong);
  auto first = during("ASC-DONE-1", [&] { return run.next(); });
  CF_ASSERT("ASC-DONE-1", first.has_value());
  CF_CHECK("ASC-DONE-1", *first == fs);
  lab.open(gv);
  auto second = during("ASC-ORDER-1", [&] { return run.next(); });
  CF_ASSERT("ASC-ORDER-1", second.has_value());
  CF_CHECK("ASC-ORDER-1", *second == fv);
  CF_CHECK_NO_THROW("EXT-ANY-1", second->as<void>().result(0s));
  raw.set_result(2.5);
  auto third = during("ASC-ORDER-1", [&] { return run.next(); });
  CF_ASSERT("ASC-ORDER-1", third.has_value());
  CF_CHECK("ASC-ORDER-1", *third == raw);
  CF_CHECK_EQ("EXT-ANY-1", third->as<double>().result(0s), 2.5);
  lab.open(gi);
  auto fourth = during("ASC-ORDER-1", [&] { return run.next(); });
  CF_ASSERT("ASC-ORDER-1", fourth.has_value());
  CF_CHECK("ASC-ORDER-1", *fourth == fi);
  CF_CHECK_EQ("EXT-ANY-1", fourth->as<int>().result(0s), 42);
  CF_CHECK("ASC-ALL-1", !run.next().has_value()) << "a fifth future from four inputs";

  split = during("WAIT-ALL-1", [&] {
    return cf::wait(std::vector<cf::AnyFuture>{fi, fs, fv, raw}, cf::ALL_COMPLETED, kLong);
  });
  CF_CHECK_EQ("WAIT-ALL-1", split.done.size(), 4u);
  CF_CHECK("WAIT-ALL-1", split.not_done.empty());
}

TEST_F(Conformance, EXT_ANY_AsWithTheWrongTypeThrowsBadCast) {
  cf::Future<int> f;
  cf::AnyFuture any = f;
  CF_CHECK_THROWS("EXT-ANY-1", (void)any.as<long>(), std::bad_cast);
  CF_CHECK_THROWS("EXT-ANY-1", (void)any.as<unsigned>(), std::bad_cast);
  CF_CHECK_THROWS("EXT-ANY-1", (void)any.as<double>(), std::bad_cast);
  CF_CHECK_THROWS("EXT-ANY-1", (void)any.as<std::string>(), std::bad_cast);
  CF_CHECK_THROWS("EXT-ANY-1", (void)any.as<void>(), std::bad_cast);
  CF_CHECK("EXT-ANY-1", !f.done()) << "a failed as<T>() leaves the future alone";

  cf::Future<int> typed = any.as<int>();
  CF_CHECK("EXT-ANY-1", typed == f);
  typed.set_result(3);                        // through the recovered handle ...
  CF_CHECK_EQ("EXT-ANY-1", f.result(0s), 3);  // ... seen through the original

  cf::Future<void> v;
  cf::AnyFuture any_void = v;
  CF_CHECK_THROWS("EXT-ANY-1", (void)any_void.as<int>(), std::bad_cast);
  CF_CHECK("EXT-ANY-1", any_void.as<void>() == v);
}

TEST_F(Conformance, EXT_ANY_ErasedHandleIsTheSameFuture) {
  cf::Future<std::string> f;
  cf::Future<std::string> copy = f;
  cf::AnyFuture any = f;
  cf::AnyFuture any_copy = copy;
  CF_CHECK("EXT-ANY-1", any == any_copy) << "erased handles of two copies";
  CF_CHECK_EQ("EXT-ANY-1", cf::AnyFuture::Hash()(any), cf::AnyFuture::Hash()(any_copy));
  CF_CHECK("EXT-ANY-1", !(any == cf::AnyFuture(cf::Future<std::string>())));

  CF_CHECK("EXT-ANY-1", !any.done());
  CF_CHECK_THROWS("EXT-ANY-1", any.exception(0s), cf::TimeoutError);
  CF_PRECONDITION("FUT-STATE-2", f.set_running_or_notify_cancel());
  CF_CHECK("EXT-ANY-1", any.running());
  f.set_exception(std::make_exception_ptr(TaskFailure("erased")));
  CF_CHECK("EXT-ANY-1", any.done());
  CF_CHECK("EXT-ANY-1", any.exception(0s) == f.exception(0s)) << "the same stored exception";

  cf::Future<int> g;
  cf::AnyFuture any_g = g;
  CF_CHECK("EXT-ANY-1", any_g.cancel()) << "cancel() of a pending future through the erased handle";
  CF_CHECK("EXT-ANY-1", g.cancelled()) << "cancel through the erased handle";
  CF_CHECK("EXT-ANY-1", any_g.cancelled());
}

}  // namespace
}  // namespace cf::conformance
