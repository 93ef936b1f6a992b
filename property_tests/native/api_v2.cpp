// The API a CPython user expects of cf, through cf's own C++ API: map over
// several ranges [MAP-ZIP-1] and over functions returning nothing
// [EXT-VOID-2], chunksize on every executor [MAP-CHUNK-1], a signed
// buffersize [MAP-BUF-2], MapResult::cancel [EXT-MAPCANCEL-1], no references
// kept to yielded results [MAP-FREE-1] [ASC-FREE-1], printable futures
// [EXT-PRINT-1], AnyFuture::result [EXT-ANYRESULT-1], plain numbers as
// timeouts [EXT-TIMEOUT-2] and is_broken() [EXT-BROKEN-1].
//
// These tests call cf:: directly, so they run in the reference-thread column
// only (property_tests/native/, see the CMakeLists there).
#include <any>
#include <atomic>
#include <cmath>
#include <list>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/cf.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

// What `call` threw, by type: "invalid_argument: <what>", "returned", ...
template <class F>
std::string thrown_by(F&& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return std::string("invalid_argument: ") + e.what();
  } catch (const std::logic_error& e) {
    return std::string("logic_error: ") + e.what();
  } catch (const cf::CancelledError&) {
    return "CancelledError";
  } catch (const cf::TimeoutError&) {
    return "TimeoutError";
  } catch (const cf::ShutdownError&) {
    return "ShutdownError";
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return "returned";
}

// A gate of the test's lab, for calls of a cf pool made here.
auto gated(Lab& lab, int gate, int value) {
  return [&lab, gate, value] {
    lab.pass_gate(gate);
    return value;
  };
}

// --- MAP-ZIP-1 ----------------------------------------------------------------

TEST_F(Conformance, MAP_ZIP_SeveralRangesAreReadInStep) {
  cf::ThreadPoolExecutor pool(2);
  std::vector<int> bases{2, 3, 4, 5};
  std::list<int> exponents{3, 2, 1};  // the shortest: three calls
  std::vector<long> got;
  for (double p : pool.map([](int b, int e) { return std::pow(b, e); }, bases, exponents)) {
    got.push_back(std::lround(p));
  }
  CF_CHECK_EQ("MAP-ZIP-1", got, (std::vector<long>{8, 9, 4}));

  std::vector<std::string> words{"a", "b"};
  std::vector<int> counts{3, 1, 7};
  std::vector<char> seps{'-', '+', '*'};
  std::vector<std::string> joined;
  auto repeat = [](const std::string& w, int n, char sep) {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? std::string(1, sep) : "") + w;
    return out;
  };
  for (auto& s : pool.map(repeat, words, counts, seps, cf::MapOptions{.timeout = kLong})) {
    joined.push_back(s);
  }
  CF_CHECK_EQ("MAP-ZIP-1", joined, (std::vector<std::string>{"a-a-a", "b"}))
      << "three ranges and options";
}

TEST_F(Conformance, MAP_ZIP_BufferedZipIsLazyOverEveryRange) {
  cf::ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 3, 4, 5, 6};
  std::vector<int> ys{10, 20, 30, 40, 50, 60};
  std::atomic<int> calls{0};
  auto results = pool.map(
      [&calls](int x, int y) {
        ++calls;
        return x + y;
      },
      xs, ys, cf::MapOptions{.buffersize = 2});
  std::vector<int> got;
  while (auto v = results.next()) got.push_back(*v);
  CF_CHECK_EQ("MAP-ZIP-1", got, (std::vector<int>{11, 22, 33, 44, 55, 66}));
  CF_CHECK_EQ("MAP-ZIP-1", calls.load(), 6);
}

TEST_F(Conformance, MAP_ZIP_AnEmptyRangeMeansNoCall) {
  cf::ThreadPoolExecutor pool(1);
  std::vector<int> xs{1, 2, 3};
  std::vector<int> none;
  std::atomic<int> calls{0};
  auto results = pool.map(
      [&calls](int a, int b) {
        ++calls;
        return a + b;
      },
      xs, none);
  CF_CHECK("MAP-ZIP-1", !results.next().has_value()) << "a map zipped with an empty range";
  pool.shutdown(true);
  CF_CHECK_EQ("MAP-ZIP-1", calls.load(), 0);
}

// --- EXT-VOID-2 ---------------------------------------------------------------

TEST_F(Conformance, EXT_VOID_MapOverAFunctionReturningNothing) {
  cf::ThreadPoolExecutor pool(1);  // one worker: the calls run in input order
  std::mutex mutex;
  std::vector<int> seen;
  std::vector<int> xs{1, 2, 3};
  int steps = 0;
  for (cf::None n : pool.map(
           [&](int x) {
             std::lock_guard lock(mutex);
             seen.push_back(x);
           },
           xs)) {
    CF_CHECK("EXT-VOID-2", n == cf::None{});
    ++steps;
  }
  CF_CHECK_EQ("EXT-VOID-2", steps, 3) << "one cf::None per call";
  std::lock_guard lock(mutex);
  CF_CHECK_EQ("EXT-VOID-2", seen, (std::vector<int>{1, 2, 3}));
}

TEST_F(Conformance, EXT_VOID_AVoidCallsExceptionSurfacesAtItsPosition) {
  cf::ThreadPoolExecutor pool(1);
  std::vector<int> xs{0, 1, 2};
  auto results = pool.map(
      [](int x) {
        if (x == 1) throw std::runtime_error("void failure");
      },
      xs);
  CF_CHECK("EXT-VOID-2", results.next().has_value()) << "the first call's step";
  CF_CHECK_EQ("EXT-VOID-2", thrown_by([&] { results.next(); }), "other: void failure")
      << "the second call's exception, at its position";
}

// --- MAP-CHUNK-1, MAP-BUF-2 ---------------------------------------------------

TEST_F(Conformance, MAP_CHUNK_ThreadPoolValidatesAndIgnoresChunksize) {
  cf::ThreadPoolExecutor pool(2);
  std::atomic<int> calls{0};
  auto count = [&calls](int x) {
    ++calls;
    return x;
  };
  std::vector<int> xs{1, 2, 3, 4, 5};
  for (int bad : {0, -5}) {
    CF_CHECK_EQ("MAP-CHUNK-1",
                thrown_by([&] { (void)pool.map(count, xs, cf::MapOptions{.chunksize = bad}); }),
                std::string("invalid_argument: ") + msg::kChunkSize)
        << "chunksize " << bad;
  }
  pool.shutdown(true);
  CF_CHECK_EQ("MAP-CHUNK-1", calls.load(), 0) << "a refused map submitted calls";

  cf::ThreadPoolExecutor other(2);
  std::vector<int> got;
  for (int v : other.map([](int x) { return x * 2; }, xs, cf::MapOptions{.chunksize = 3}))
    got.push_back(v);
  CF_CHECK_EQ("MAP-CHUNK-1", got, (std::vector<int>{2, 4, 6, 8, 10})) << "chunksize 3 on threads";
}

TEST_F(Conformance, MAP_BUF_NegativeBuffersizeIsRefusedNotHuge) {
  cf::ThreadPoolExecutor pool(2);
  std::atomic<int> calls{0};
  std::vector<int> xs{1, 2, 3};
  for (std::ptrdiff_t bad : {std::ptrdiff_t{0}, std::ptrdiff_t{-1}}) {
    CF_CHECK_EQ("MAP-BUF-2", thrown_by([&] {
                  (void)pool.map(
                      [&calls](int x) {
                        ++calls;
                        return x;
                      },
                      xs, cf::MapOptions{.buffersize = bad});
                }),
                std::string("invalid_argument: ") + msg::kBufferSize)
        << "buffersize " << bad;
  }
  pool.shutdown(true);
  CF_CHECK_EQ("MAP-BUF-2", calls.load(), 0) << "a refused map submitted calls";
}

// --- EXT-MAPCANCEL-1 ----------------------------------------------------------

TEST_F(Conformance, EXT_MAPCANCEL_CancelBeforeTheFirstStepWithdrawsThePendingCalls) {
  cf::ThreadPoolExecutor pool(1);
  int gate = lab.new_gate();
  std::atomic<int> ran{0};
  auto blocker = pool.submit(gated(lab, gate, 0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the blocker never started";
  std::vector<int> xs{1, 2, 3};
  auto results = pool.map(
      [&ran](int x) {
        ++ran;
        return x;
      },
      xs);
  results.cancel();
  CF_CHECK("EXT-MAPCANCEL-1", !results.next().has_value()) << "a cancelled map went on";
  lab.open(gate);
  pool.shutdown(true);
  CF_CHECK_EQ("EXT-MAPCANCEL-1", ran.load(), 0) << "calls of a cancelled map ran";
}

TEST_F(Conformance, EXT_MAPCANCEL_CancelAfterAStepLetsTheRunningCallFinish) {
  cf::ThreadPoolExecutor pool(1);
  int gate = lab.new_gate();
  std::atomic<int> ran{0};
  std::vector<int> xs{0, 1, 2, 3};
  auto results = pool.map(
      [&](int x) {
        ++ran;
        if (x == 1) lab.pass_gate(gate);
        return x;
      },
      xs);
  CF_PRECONDITION("MAP-ORDER-1", results.next() == std::optional<int>(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "call 1 never started";
  results.cancel();
  lab.open(gate);
  pool.shutdown(true);
  CF_CHECK_EQ("EXT-MAPCANCEL-1", ran.load(), 2) << "calls run: the first two only";
}

// --- MAP-FREE-1, ASC-FREE-1 ---------------------------------------------------

TEST_F(Conformance, MAP_FREE_AYieldedResultIsNotKeptByTheMap) {
  cf::ThreadPoolExecutor pool(2);
  std::vector<int> xs{1, 2, 3};
  auto results = pool.map([](int x) { return std::make_shared<int>(x); }, xs);
  std::weak_ptr<int> first;
  {
    auto value = results.next();
    CF_PRECONDITION("MAP-ORDER-1", value && **value == 1);
    first = *value;
  }
  // Once the workers are gone, only the map could still hold the value.
  pool.shutdown(true);
  CF_CHECK("MAP-FREE-1", first.expired()) << "the map still holds a result it yielded";
  auto second = results.next();
  CF_CHECK("MAP-ORDER-1", second && **second == 2);
}

TEST_F(Conformance, ASC_FREE_AYieldedFutureIsNotKeptByAsCompleted) {
  std::vector<cf::Future<std::shared_ptr<int>>> fs(3);
  std::vector<std::weak_ptr<int>> values;
  for (int i = 0; i < 3; ++i) {
    auto v = std::make_shared<int>(i);
    values.push_back(v);
    fs[static_cast<std::size_t>(i)].set_result(std::move(v));
  }
  auto run = cf::as_completed(std::vector<cf::AnyFuture>(fs.begin(), fs.end()));
  fs.clear();  // the test's handles are gone; only as_completed could keep a state
  auto yielded = run.next();
  CF_PRECONDITION("ASC-ALL-1", yielded.has_value());
  const int index = *yielded->as<std::shared_ptr<int>>().result(0);
  yielded.reset();
  CF_CHECK("ASC-FREE-1", values[static_cast<std::size_t>(index)].expired())
      << "as_completed still holds the future it yielded (value " << index << ")";
  int others = 0;
  for (int i = 0; i < 3; ++i)
    others += i != index && !values[static_cast<std::size_t>(i)].expired();
  CF_CHECK_EQ("ASC-ALL-1", others, 2) << "futures not yet yielded must still be there";
}

// --- EXT-PRINT-1 ----------------------------------------------------------------

TEST_F(Conformance, EXT_PRINT_AFutureWritesPythonsReprWithItsState) {
  auto repr = [](const auto& f) {
    std::ostringstream out;
    out << f;
    return out.str();
  };
  const std::regex shape(R"(<Future at 0x[0-9a-f]+ state=(.*)>)");
  auto state_of = [&](const std::string& text) {
    std::smatch m;
    return std::regex_match(text, m, shape) ? m[1].str() : "unparsable: " + text;
  };
  cf::Future<int> f;
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(f)), "pending");
  CF_CHECK_EQ("EXT-PRINT-1", repr(f), cf::to_string(f)) << "to_string and << agree";
  CF_PRECONDITION("FUT-STATE-2", f.set_running_or_notify_cancel());
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(f)), "running");
  f.set_result(3);
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(f)), "finished returned int");
  CF_CHECK_EQ("EXT-PRINT-1", repr(cf::AnyFuture(f)), repr(f))
      << "the erased handle prints the same";

  cf::Future<std::string> failed;
  failed.set_exception(std::make_exception_ptr(std::out_of_range("x")));
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(failed)), "finished raised std::out_of_range");
  cf::Future<void> nothing;
  nothing.set_result();
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(nothing)), "finished returned void");
  cf::Future<int> cancelled;
  CF_PRECONDITION("FUT-CANCEL-1", cancelled.cancel());
  CF_CHECK_EQ("EXT-PRINT-1", state_of(repr(cancelled)), "cancelled");
}

// --- EXT-ANYRESULT-1 ------------------------------------------------------------

TEST_F(Conformance, EXT_ANYRESULT_TheValueOrTheErrorThroughAnErasedHandle) {
  cf::Future<int> value;
  value.set_result(5);
  std::any got = cf::AnyFuture(value).result(kLong);
  CF_CHECK("EXT-ANYRESULT-1", got.type() == typeid(int) && std::any_cast<int>(got) == 5);
  CF_CHECK("EXT-ANYRESULT-1", cf::AnyFuture(value).value_type() == typeid(int));

  cf::Future<void> nothing;
  nothing.set_result();
  CF_CHECK("EXT-ANYRESULT-1", !cf::AnyFuture(nothing).result(kLong).has_value()) << "Future<void>";

  cf::Future<int> failed;
  failed.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  CF_CHECK_EQ("EXT-ANYRESULT-1", thrown_by([&] { cf::AnyFuture(failed).result(0); }),
              "invalid_argument: bad");
  cf::Future<int> cancelled;
  CF_PRECONDITION("FUT-CANCEL-1", cancelled.cancel());
  CF_CHECK_EQ("EXT-ANYRESULT-1", thrown_by([&] { cf::AnyFuture(cancelled).result(0); }),
              "CancelledError");
  cf::Future<int> pending;
  CF_CHECK_EQ("EXT-ANYRESULT-1", thrown_by([&] { cf::AnyFuture(pending).result(0); }),
              "TimeoutError");

  cf::Future<std::unique_ptr<int>> move_only;
  move_only.set_result(std::make_unique<int>(1));
  std::string text = thrown_by([&] { cf::AnyFuture(move_only).result(0); });
  CF_CHECK("EXT-ANYRESULT-1",
           text.starts_with("logic_error: ") && text.find("as<T>()") != std::string::npos)
      << text;
  auto typed = cf::AnyFuture(move_only).as<std::unique_ptr<int>>();
  CF_CHECK_EQ("EXT-ANYRESULT-1", *typed.result(0), 1) << "the typed handle still reads it";
}

// --- EXT-TIMEOUT-2 ---------------------------------------------------------------
// That a positive number does not compile is the ctest test
// timeout_number_needs_a_unit (native/CMakeLists.txt).

TEST_F(Conformance, EXT_TIMEOUT_ZeroAndNegativeNumbersPoll) {
  cf::Future<int> pending;
  auto start = Clock::now();
  CF_CHECK_EQ("EXT-TIMEOUT-2", thrown_by([&] { pending.result(0); }), "TimeoutError");
  CF_CHECK_EQ("EXT-TIMEOUT-2", thrown_by([&] { pending.result(-1); }), "TimeoutError");
  CF_CHECK_EQ("EXT-TIMEOUT-2", thrown_by([&] { pending.exception(0.0); }), "TimeoutError");
  auto split = cf::wait({cf::AnyFuture(pending)}, cf::ALL_COMPLETED, 0);
  CF_CHECK_EQ("EXT-TIMEOUT-2", split.not_done.size(), 1u) << "wait(fs, ALL_COMPLETED, 0)";
  cf::Future<int> done;
  done.set_result(1);
  auto run = cf::as_completed(std::vector<cf::AnyFuture>{done, pending}, 0);
  CF_CHECK("EXT-TIMEOUT-2", run.next().has_value()) << "as_completed(fs, 0) yields the done future";
  CF_CHECK_EQ("EXT-TIMEOUT-2", thrown_by([&] { run.next(); }), "TimeoutError")
      << "then times out on the pending one";
  CF_CHECK("EXT-TIMEOUT-2", Clock::now() - start < kLateSlack) << "a poll blocked";
  CF_CHECK_EQ("EXT-TIMEOUT-2", done.result(0), 1);
}

// --- EXT-BROKEN-1 ---------------------------------------------------------------

TEST_F(Conformance, EXT_BROKEN_ThreadPoolIsBrokenOnceItsInitializerFailed) {
  cf::ThreadPoolExecutor healthy(1);
  CF_PRECONDITION("EXEC-SUBMIT-1", healthy.submit([] { return 1; }).result(kLong) == 1);
  CF_CHECK("EXT-BROKEN-1", !healthy.is_broken()) << "a healthy pool";

  cf::ThreadPoolExecutor::Options options;
  options.max_workers = 1;
  options.initializer = [] { throw std::runtime_error("no setup"); };
  cf::ThreadPoolExecutor pool(options);
  CF_CHECK("EXT-BROKEN-1", !pool.is_broken()) << "before any worker ran its initializer";
  auto f = pool.submit([] { return 1; });
  CF_PRECONDITION("TPE-INIT-2",
                  thrown_by([&] { f.result(kLong); }).starts_with("other: A thread initializer"))
      << "the queued call did not fail with BrokenThreadPool";
  CF_CHECK("EXT-BROKEN-1", pool.is_broken()) << "after its futures failed with BrokenThreadPool";
  pool.shutdown(true);
  CF_CHECK("EXT-BROKEN-1", pool.is_broken()) << "a broken pool stays broken after shutdown";
}

}  // namespace
}  // namespace cf::conformance
