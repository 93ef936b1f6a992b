#include "probe.hpp"

#include <csignal>
#include <functional>
#include <thread>

#include "lab.hpp"
#include "noise.hpp"

namespace cf::conformance {

std::int64_t this_thread_token() {
  return static_cast<std::int64_t>(std::hash<std::thread::id>()(std::this_thread::get_id()) >> 1);
}

std::int64_t run_probe(Lab& lab, const Probe& probe, std::int64_t worker_token) {
  // Noise points (noise.hpp) before each step and before the probe ends, so
  // a task's own timing varies too; no-ops unless noise is on.
  for (const Step& step : probe.steps) {
    noise::point();
    switch (step.kind) {
      case Step::Kind::kRecord:
        lab.append(step.slot, step.value);
        break;
      case Step::Kind::kGate:
        lab.pass_gate(step.slot);
        break;
      case Step::Kind::kSleep:
        std::this_thread::sleep_for(step.duration);
        break;
      case Step::Kind::kRecordWorker:
        lab.append(step.slot, worker_token);
        break;
      case Step::Kind::kCrash:
        std::raise(SIGKILL);
        break;
    }
  }
  noise::point();
  if (probe.fails) throw ProbeError(probe.message);
  return probe.value;
}

}  // namespace cf::conformance
