// RapidCheck properties of result() and exception() [FUT-RESULT-*] [FUT-EXC-*]:
// every reader, however many and whenever they read, sees the one outcome.
//
// Each case gets a fresh fixture (a new Lab; executors drained, gates opened,
// however the case ends).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// Readers on several threads call result() repeatedly, before and after
// completion, on one shared future: each of them sees the one outcome.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_EveryReaderSeesTheOneOutcome, ()) {
  const int readers = *rc::gen::inRange(1, 6);
  const int reads = *rc::gen::inRange(1, 5);
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, false);
  const auto expected = gated_outcome(0, {fails});
  // The first read that differed from `expected`, per reader.
  std::vector<std::optional<Outcome>> wrong(static_cast<std::size_t>(readers));
  std::barrier start(readers + 1);
  {
    std::vector<std::jthread> threads;
    for (int r = 0; r < readers; ++r) {
      threads.emplace_back([&, r] {
        start.arrive_and_wait();
        for (int k = 0; k < reads; ++k) {
          auto o = g.futures[0]->result(kLong);
          if (seen(o, expected) != to_string(expected)) {
            wrong[static_cast<std::size_t>(r)] = o;
            return;
          }
        }
      });
    }
    start.arrive_and_wait();
    lab.open(g.gates[0]);
  }
  for (int r = 0; r < readers; ++r) {
    const auto& o = wrong[static_cast<std::size_t>(r)];
    CF_CHECK(fails ? "FUT-RESULT-2" : "FUT-RESULT-1", !o.has_value())
        << "reader " << r << " got " << to_string(*o) << ", expected " << to_string(expected);
  }
  check_result(g.futures[0]->result(kLong), expected, "the future, read once more", "FUT-RESULT-1");
}

}  // namespace
}  // namespace cf::conformance
