#include "setups.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "suite.hpp"

namespace cf::conformance {

using Kind = Outcome::Kind;

Indices sorted(Indices indices) {
  std::sort(indices.begin(), indices.end());
  return indices;
}

Values sorted(Values values) {
  std::sort(values.begin(), values.end());
  return values;
}

Values iota(std::int64_t from, std::int64_t to) {
  Values values;
  for (auto i = from; i < to; ++i) values.push_back(i);
  return values;
}

const char* name(State state) {
  switch (state) {
    case State::kPending:
      return "PENDING";
    case State::kRunning:
      return "RUNNING";
    case State::kCancelled:
      return "CANCELLED";
    case State::kFinishedValue:
      return "FINISHED(value)";
    case State::kFinishedError:
      return "FINISHED(exception)";
  }
  return "?";
}

bool accepted(const Outcome& outcome) {
  return outcome.is(Kind::kNone) || outcome.is(Kind::kValue);
}

FuturePtr make_in(Implementation& impl, State state) {
  auto f = impl.make_future();
  Outcome step;
  switch (state) {
    case State::kPending:
      return f;
    case State::kRunning:
      step = f->set_running_or_notify_cancel();
      break;
    case State::kCancelled:
      EXPECT_TRUE(f->cancel()) << "building CANCELLED";
      return f;
    case State::kFinishedValue:
      step = f->set_result(kValue);
      break;
    case State::kFinishedError:
      step = f->set_exception(kError);
      break;
  }
  EXPECT_TRUE(accepted(step)) << "building " << name(state) << ": " << to_string(step);
  return f;
}

void finished(Executor& ex, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe::value_of(value));
  auto outcome = (*out)->result(kLong);
  ASSERT_TRUE(outcome.is(Kind::kValue) && outcome.value == value) << to_string(outcome);
}

// Only "finished with an error" matters here; how the error is reported is
// FUT-RESULT-2's business.
void failed(Executor& ex, const std::string& message, FuturePtr* out) {
  *out = ex.submit(Probe::failure(message));
  auto outcome = (*out)->result(kLong);
  ASSERT_FALSE(outcome.is(Kind::kValue) || outcome.is(Kind::kNone) || outcome.is(Kind::kTimeout) ||
               outcome.is(Kind::kCancelled))
      << "expected the task's error, got " << to_string(outcome);
}

void occupy(Executor& ex, Lab& lab, int gate, int log, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe().record(log, value).gate(gate).returns(value));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong)) << "the blocker never started";
  for (int i = 0; i < kPrefetch; ++i) ex.submit(Probe::value_of(-1));
}

void cancelled_queued(Executor& ex, int log, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe().record(log, value).returns(value));
  ASSERT_TRUE((*out)->cancel()) << "cancel() of a queued task failed";
}

}  // namespace cf::conformance
