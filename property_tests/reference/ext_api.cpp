// EXT- clauses of cf's handle types: shared handles [EXT-SHARED-1],
// Future<void> [EXT-VOID-1] and AnyFuture over mixed types [EXT-ANY-1].
// These properties exist only in C++, so the tests call cf:: directly.
#include <future>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using ext::OpenGatesOnExit;

// The error tasks in these tests throw, distinct from every cf error.
struct TaskFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --- EXT-SHARED-1 ---------------------------------------------------------

TEST_F(Conformance, EXT_SHARED_CopiesObserveOneState) {
  CF_CLAUSES("EXT-SHARED-1");
  cf::Future<int> a;
  cf::Future<int> b = a;
  cf::Future<int> c;
  c = b;  // copy-assignment rebinds c to a's state; the state c had is dropped
  EXPECT_TRUE(a == b && b == c);
  EXPECT_FALSE(a == cf::Future<int>());

  std::vector<int> order;
  a.add_done_callback([&](const cf::Future<int>& f) {
    order.push_back(1);
    EXPECT_TRUE(f == c) << "a callback receives a handle to the same state";
  });
  c.add_done_callback([&](const cf::Future<int>&) { order.push_back(2); });

  EXPECT_TRUE(b.set_running_or_notify_cancel());
  EXPECT_TRUE(a.running());
  EXPECT_TRUE(c.running());
  EXPECT_FALSE(c.cancel()) << "running through b, so not cancellable through c";

  b.set_result(5);
  EXPECT_EQ(order, (std::vector<int>{1, 2})) << "callbacks added through different copies";
  EXPECT_TRUE(a.done() && c.done());
  EXPECT_EQ(a.result(0s), 5);
  EXPECT_EQ(c.result(0s), 5);
  EXPECT_THROW(c.set_result(6), cf::InvalidStateError) << "already finished through b";
  EXPECT_EQ(a.result(0s), 5) << "the first outcome stands for every copy";
}

TEST_F(Conformance, EXT_SHARED_CancelThroughOneCopyIsSeenByAll) {
  CF_CLAUSES("EXT-SHARED-1");
  cf::Future<int> a;
  cf::Future<int> b = a;
  int calls = 0;
  b.add_done_callback([&](const cf::Future<int>& f) {
    ++calls;
    EXPECT_TRUE(f.cancelled());
  });
  EXPECT_TRUE(a.cancel());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(b.cancelled());
  EXPECT_TRUE(b.done());
  EXPECT_THROW(b.result(0s), cf::CancelledError);
  EXPECT_THROW(b.exception(0s), cf::CancelledError);
  EXPECT_TRUE(b.cancel()) << "cancel is idempotent across copies";
  EXPECT_FALSE(b.set_running_or_notify_cancel()) << "the executor sees a's cancellation";
  EXPECT_EQ(calls, 1) << "callbacks run once, whichever copy cancelled";
}

TEST_F(Conformance, EXT_SHARED_ResultFromEightThreadsOnEightCopies) {
  CF_CLAUSES("EXT-SHARED-1", "FUT-RESULT-1");
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

  ext::Countdown started(kReaders);
  struct Seen {
    bool value_ok = false;
    bool same_object_twice = false;
    const std::string* address = nullptr;
  };
  std::vector<std::future<Seen>> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(std::async(std::launch::async, [copy = copies[i], &started, &expected] {
      started.count_down();
      const std::string& first = copy.result(kLong);
      const std::string& second = copy.result(kLong);  // read, not consumed
      return Seen{first == expected && second == expected, &first == &second, &first};
    }));
  }
  ASSERT_TRUE(started.wait_for(kLong));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  lab.open(gate);

  const std::string* shared = nullptr;
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_EQ(readers[i].wait_for(kLong), std::future_status::ready) << "reader " << i;
    Seen seen = readers[i].get();
    EXPECT_TRUE(seen.value_ok) << "reader " << i;
    EXPECT_TRUE(seen.same_object_twice) << "reader " << i;
    // The reference hands out references into the one shared state, so every
    // reader on every copy sees the very same object.
    if (shared == nullptr) shared = seen.address;
    EXPECT_EQ(seen.address, shared) << "reader " << i;
  }
}

// --- EXT-VOID-1 -----------------------------------------------------------

TEST_F(Conformance, EXT_VOID_SubmittedVoidTaskCompletes) {
  CF_CLAUSES("EXT-VOID-1", "EXEC-SUBMIT-1");
  cf::ThreadPoolExecutor pool(2);
  int side_effect = 0;
  auto f = pool.submit([&side_effect] { side_effect = 7; });
  static_assert(std::is_same_v<decltype(f), cf::Future<void>>);
  static_assert(std::is_void_v<decltype(f.result())>);
  f.result(kLong);
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.cancelled());
  EXPECT_EQ(f.exception(0s), nullptr) << "success has no exception";
  EXPECT_EQ(side_effect, 7);
  f.result(0s);  // a second read of nothing is fine too
  // On a temporary handle (the rvalue overload) as well.
  pool.submit([] {}).result(kLong);
}

TEST_F(Conformance, EXT_VOID_FailingVoidTaskRethrowsItsException) {
  CF_CLAUSES("EXT-VOID-1", "FUT-RESULT-2", "FUT-EXC-1");
  cf::ThreadPoolExecutor pool(1);
  auto f = pool.submit([] { throw TaskFailure("void-boom"); });
  auto error = f.exception(kLong);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(f.exception(0s), error) << "the same stored exception every time";
  try {
    f.result(0s);
    ADD_FAILURE() << "result() of a failed Future<void> returned";
  } catch (const TaskFailure& e) {
    EXPECT_STREQ(e.what(), "void-boom");
  }
}

TEST_F(Conformance, EXT_VOID_ProducerApiAndCallbacks) {
  CF_CLAUSES("EXT-VOID-1", "FUT-CB-1", "FUT-CB-2", "FUT-CB-3", "FUT-SET-3");
  cf::Future<void> f;
  std::vector<int> order;
  f.add_done_callback([&](const cf::Future<void>& g) {
    order.push_back(1);
    g.result(0s);  // a callback may read the (empty) result
  });
  f.add_done_callback([&](const cf::Future<void>&) { order.push_back(2); });
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  EXPECT_TRUE(order.empty());
  f.set_result();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  f.result(0s);
  EXPECT_THROW(f.set_result(), cf::InvalidStateError);
  EXPECT_THROW(f.set_exception(std::make_exception_ptr(TaskFailure("late"))),
               cf::InvalidStateError);
  f.add_done_callback([&](const cf::Future<void>&) { order.push_back(3); });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3})) << "added when done: runs at once";
}

TEST_F(Conformance, EXT_VOID_CancelTimeoutAndWait) {
  CF_CLAUSES("EXT-VOID-1", "FUT-RESULT-3", "FUT-RESULT-4", "WAIT-ALL-1");
  cf::Future<void> pending;
  auto start = cf::Clock::now();
  EXPECT_THROW(pending.result(kShort), cf::TimeoutError);
  auto elapsed = cf::Clock::now() - start;
  EXPECT_GE(elapsed, kShort);
  EXPECT_LE(elapsed, kShort + kLateSlack);
  EXPECT_FALSE(pending.done()) << "a timeout never changes the state";

  auto split = cf::wait({pending}, cf::ALL_COMPLETED, 0s);
  EXPECT_EQ(split.done.size(), 0u);
  EXPECT_EQ(split.not_done.count(pending), 1u);

  cf::Future<void> cancelled;
  EXPECT_TRUE(cancelled.cancel());
  EXPECT_THROW(cancelled.result(0s), cf::CancelledError);
  EXPECT_THROW(cancelled.exception(0s), cf::CancelledError);

  pending.set_result();
  split = cf::wait({pending, cancelled}, cf::ALL_COMPLETED, kLong);
  EXPECT_EQ(split.done.size(), 2u);
  EXPECT_TRUE(split.not_done.empty());
  auto run = cf::as_completed({pending, cancelled}, kLong);
  int yielded = 0;
  for (const cf::AnyFuture& f : run) {
    EXPECT_TRUE(f == pending || f == cancelled);
    ++yielded;
  }
  EXPECT_EQ(yielded, 2);
}

// --- EXT-ANY-1 ------------------------------------------------------------

TEST_F(Conformance, EXT_ANY_WaitAndAsCompletedOverMixedTypesFromTwoPools) {
  CF_CLAUSES("EXT-ANY-1", "WAIT-FIRST-1", "WAIT-ALL-1", "ASC-ORDER-1");
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
  ASSERT_TRUE(lab.await_arrivals(gi, 1, kLong));
  ASSERT_TRUE(lab.await_arrivals(gs, 1, kLong));
  ASSERT_TRUE(lab.await_arrivals(gv, 1, kLong));

  lab.open(gs);
  cf::Future<int> fi_copy = fi;
  auto split =
      cf::wait(std::vector<cf::AnyFuture>{fi, fs, fv, raw, fi_copy}, cf::FIRST_COMPLETED, kLong);
  ASSERT_EQ(split.done.size(), 1u);
  EXPECT_TRUE(*split.done.begin() == fs) << "reported as the same future";
  EXPECT_EQ(split.not_done.size(), 3u) << "fi and its copy are one future";
  EXPECT_EQ(split.not_done.count(fi_copy), 1u);
  EXPECT_EQ(split.not_done.count(fv), 1u);
  EXPECT_EQ(split.not_done.count(raw), 1u);
  cf::Future<std::string> back = split.done.begin()->as<std::string>();
  EXPECT_TRUE(back == fs);
  EXPECT_EQ(back.result(0s), "forty-two");

  // as_completed over the same mixed set: fs first (already done), then in
  // the order the test completes the others.
  auto run = cf::as_completed({fi, fs, fv, raw}, kLong);
  auto first = run.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(*first == fs);
  lab.open(gv);
  auto second = run.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(*second == fv);
  second->as<void>().result(0s);
  raw.set_result(2.5);
  auto third = run.next();
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(*third == raw);
  EXPECT_EQ(third->as<double>().result(0s), 2.5);
  lab.open(gi);
  auto fourth = run.next();
  ASSERT_TRUE(fourth.has_value());
  EXPECT_TRUE(*fourth == fi);
  EXPECT_EQ(fourth->as<int>().result(0s), 42);
  EXPECT_FALSE(run.next().has_value());

  split = cf::wait(std::vector<cf::AnyFuture>{fi, fs, fv, raw}, cf::ALL_COMPLETED, kLong);
  EXPECT_EQ(split.done.size(), 4u);
  EXPECT_TRUE(split.not_done.empty());
}

TEST_F(Conformance, EXT_ANY_AsWithTheWrongTypeThrowsBadCast) {
  CF_CLAUSES("EXT-ANY-1");
  cf::Future<int> f;
  cf::AnyFuture any = f;
  EXPECT_THROW(any.as<long>(), std::bad_cast);
  EXPECT_THROW(any.as<unsigned>(), std::bad_cast);
  EXPECT_THROW(any.as<double>(), std::bad_cast);
  EXPECT_THROW(any.as<std::string>(), std::bad_cast);
  EXPECT_THROW(any.as<void>(), std::bad_cast);
  EXPECT_FALSE(f.done()) << "a failed as<T>() leaves the future alone";

  cf::Future<int> typed = any.as<int>();
  EXPECT_TRUE(typed == f);
  typed.set_result(3);         // through the recovered handle ...
  EXPECT_EQ(f.result(0s), 3);  // ... seen through the original

  cf::Future<void> v;
  cf::AnyFuture any_void = v;
  EXPECT_THROW(any_void.as<int>(), std::bad_cast);
  EXPECT_TRUE(any_void.as<void>() == v);
}

TEST_F(Conformance, EXT_ANY_ErasedHandleIsTheSameFuture) {
  CF_CLAUSES("EXT-ANY-1", "EXT-SHARED-1");
  cf::Future<std::string> f;
  cf::Future<std::string> copy = f;
  cf::AnyFuture any = f;
  cf::AnyFuture any_copy = copy;
  EXPECT_TRUE(any == any_copy);
  EXPECT_EQ(cf::AnyFuture::Hash()(any), cf::AnyFuture::Hash()(any_copy));
  EXPECT_FALSE(any == cf::AnyFuture(cf::Future<std::string>()));

  EXPECT_FALSE(any.done());
  EXPECT_THROW(any.exception(0s), cf::TimeoutError);
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(any.running());
  f.set_exception(std::make_exception_ptr(TaskFailure("erased")));
  EXPECT_TRUE(any.done());
  EXPECT_EQ(any.exception(0s), f.exception(0s)) << "the same stored exception";

  cf::Future<int> g;
  cf::AnyFuture any_g = g;
  EXPECT_TRUE(any_g.cancel());
  EXPECT_TRUE(g.cancelled()) << "cancel through the erased handle";
  EXPECT_TRUE(any_g.cancelled());
}

}  // namespace
}  // namespace cf::conformance
