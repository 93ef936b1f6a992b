// probe.hpp — the fixed vocabulary of tasks the suite submits to any executor.
//
// A Probe is data, not code, so every backend can run it: a thread pool
// calls run_probe() in its worker, a process pool ships the Probe to a worker
// process, a foreign runtime (CPython) receives it as a line of text. A probe
// performs its steps in order, then returns its value or throws its failure.
//
//   value(v)          returns v
//   fail(msg)         throws an error carrying msg
//   sleep(d)          sleeps d (the one place the suite sleeps: as a task's work)
//   gate(g)           marks itself started at gate g, blocks until the test opens g
//   record(log, v)    appends v to an ordered log the test reads (start order)
//   record_worker(l)  appends a token naming the worker (thread or process) it runs on
//   crash()           ends its worker abruptly (process backends only)
#pragma once

#include <cereal/types/chrono.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cf::conformance {

class Lab;

struct Step {
  enum class Kind { kRecord, kGate, kSleep, kRecordWorker, kCrash };
  Kind kind;
  int slot = 0;  // gate or log index
  std::int64_t value = 0;
  std::chrono::milliseconds duration{0};
};

struct Probe {
  std::vector<Step> steps;
  bool fails = false;
  std::int64_t value = 0;
  std::string message;

  // Builders, read left to right: Probe().record(log, 1).gate(g).returns(7).
  Probe& record(int log, std::int64_t v) { return add({Step::Kind::kRecord, log, v, {}}); }
  Probe& gate(int g) { return add({Step::Kind::kGate, g, 0, {}}); }
  Probe& sleep(std::chrono::milliseconds d) { return add({Step::Kind::kSleep, 0, 0, d}); }
  Probe& record_worker(int log) { return add({Step::Kind::kRecordWorker, log, 0, {}}); }
  Probe& crash() { return add({Step::Kind::kCrash, 0, 0, {}}); }
  Probe& returns(std::int64_t v) {
    fails = false;
    value = v;
    return *this;
  }
  Probe& raises(std::string msg) {
    fails = true;
    message = std::move(msg);
    return *this;
  }

  static Probe value_of(std::int64_t v) { return Probe().returns(v); }
  static Probe failure(std::string msg) { return Probe().raises(std::move(msg)); }
  static Probe gated(int g, std::int64_t v = 0) { return Probe().gate(g).returns(v); }

 private:
  Probe& add(Step s) {
    steps.push_back(s);
    return *this;
  }
};

// The error a failing probe throws in-process.
struct ProbeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// cereal serialization, so process backends can ship probes to workers.
template <class Archive>
void serialize(Archive& archive, Step& step) {
  archive(step.kind, step.slot, step.value, step.duration);
}
template <class Archive>
void serialize(Archive& archive, Probe& probe) {
  archive(probe.steps, probe.fails, probe.value, probe.message);
}

// Runs `probe` against `lab` in the calling thread; `worker_token` names the
// worker for record_worker. Returns the probe's value or throws ProbeError.
std::int64_t run_probe(Lab& lab, const Probe& probe, std::int64_t worker_token);

// A token naming the calling thread, for record_worker in thread backends.
std::int64_t this_thread_token();

}  // namespace cf::conformance
