#include "setups.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "check.hpp"
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
      CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "building CANCELLED";
      // A reader of it must not block: it is done [FUT-STATE-4].
      if ((impl.caps() & static_cast<Caps>(Cap::kStateQueries)) != 0) {
        CF_PRECONDITION("FUT-STATE-4", f->done()) << "building CANCELLED: done() after cancel()";
      }
      return f;
    case State::kFinishedValue:
      step = f->set_result(kValue);
      break;
    case State::kFinishedError:
      step = f->set_exception(kError);
      break;
  }
  // Each step is the rule that says it is accepted on a pending future.
  CF_PRECONDITION(state == State::kRunning ? "FUT-STATE-2" : "FUT-SET-5", accepted(step))
      << "building " << name(state) << ": " << to_string(step);
  return f;
}

void finished(Executor& ex, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe::value_of(value));
  auto outcome = (*out)->result(kLong);
  CF_PRECONDITION("EXEC-SUBMIT-1", outcome.is(Kind::kValue) && outcome.value == value)
      << "a task returning " << value << " gave " << to_string(outcome);
}

// Only "finished with an error" matters here; how the error is reported is
// FUT-RESULT-2's business.
void failed(Executor& ex, const std::string& message, FuturePtr* out) {
  *out = ex.submit(Probe::failure(message));
  auto outcome = (*out)->result(kLong);
  CF_PRECONDITION("EXEC-SUBMIT-2", !(outcome.is(Kind::kValue) || outcome.is(Kind::kNone) ||
                                     outcome.is(Kind::kTimeout) || outcome.is(Kind::kCancelled)))
      << "expected the task's error, got " << to_string(outcome);
}

void occupy(Executor& ex, Lab& lab, int gate, int log, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe().record(log, value).gate(gate).returns(value));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the blocker never started";
  for (int i = 0; i < kPrefetch; ++i) ex.submit(Probe::value_of(-1));
}

void cancelled_queued(Executor& ex, int log, std::int64_t value, FuturePtr* out) {
  *out = ex.submit(Probe().record(log, value).returns(value));
  CF_PRECONDITION("FUT-CANCEL-1", (*out)->cancel()) << "cancel() of a queued task failed";
}

HeldWorker::HeldWorker(Executor& ex, Lab& lab)
    : ex_(ex), lab_(lab), gate_(lab.new_gate()), blocker_(ex.submit(Probe::gated(gate_, -1))) {}

void HeldWorker::hold() {
  CF_PRECONDITION("EXEC-SUBMIT-1", lab_.await_arrivals(gate_, 1, kLong))
      << "the task holding the only worker never started";
  for (int i = 0; i < kPrefetch; ++i) fillers_.push_back(ex_.submit(Probe::value_of(1000 + i)));
}

void HeldWorker::release() { lab_.open(gate_); }

void HeldWorker::finish() {
  release();
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker_->result(kLong), -1);
  for (std::size_t i = 0; i < fillers_.size(); ++i) {
    CF_CHECK_VALUE("EXEC-SUBMIT-1", fillers_[i]->result(kLong),
                   1000 + static_cast<std::int64_t>(i));
  }
}

void check_outcome(const char* clause, const Outcome& got, const Outcome& expected,
                   const std::string& context) {
  if (expected.is(Kind::kValue)) {
    CF_CHECK_VALUE(clause, got, expected.value) << context;
    return;
  }
  CF_CHECK_OUTCOME(clause, got, expected.kind) << context;
  if (expected.is(Kind::kTaskError) && got.is(Kind::kTaskError)) {
    CF_CHECK(clause, got.message.find(expected.message) != std::string::npos)
        << context << (context.empty() ? "" : ": ")
        << "the error's message was lost: " << to_string(got) << ", expected one carrying \""
        << expected.message << "\"";
  }
}

void shutdown_and_wait(Executor& ex, bool cancel_futures) {
  auto shut = [&] {
    ex.shutdown(true, cancel_futures);
    return true;
  };
  CF_PRECONDITION("SHUT-WAIT-1", shut())
      << "shutdown(wait=true, cancel_futures=" << (cancel_futures ? "true" : "false") << ")";
}

}  // namespace cf::conformance
