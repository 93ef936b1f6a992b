// The reference-process adapter: cf::ProcessPoolExecutor and cf::Future.
//
// Probes run in worker processes: the test's Lab is a memfd without
// FD_CLOEXEC, so every worker inherits it and attaches by fd number; gates and
// logs then work across processes. record_worker records the worker's pid.
// Declared gaps, each for a reason:
//   thread-count, thread-names  workers are processes, started by the manager
//                               thread (so not yet counted when submit returns)
//   default-workers             the process default is the CPU count
//                               [PPE-WORKERS-1], not min(32, cores + 4)
//   happens-before              a memory-model guarantee of one process
#include <unistd.h>

#include <map>
#include <mutex>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "harness/adapter.hpp"
#include "reference_common.hpp"

namespace cf::conformance {

// A probe addressed to the lab it runs against.
struct ProbeCall {
  int lab_fd = -1;
  Probe probe;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(lab_fd, probe);
  }
};

namespace {

// In a worker: the lab mapped from an inherited fd, kept for the worker's life.
// Held by value, so the worker's exit unmaps it: a Lab held by a raw pointer
// in this static map was lost when the map was destroyed, and LeakSanitizer
// reported it at every worker's exit.
Lab& lab_in_worker(int fd) {
  static std::mutex mutex;
  static std::map<int, Lab> labs;
  std::lock_guard lock(mutex);
  auto it = labs.find(fd);
  if (it == labs.end()) it = labs.emplace(fd, Lab::attach(fd)).first;
  return it->second;
}

std::int64_t run_probe_call(ProbeCall call) {
  return run_probe(lab_in_worker(call.lab_fd), call.probe, static_cast<std::int64_t>(::getpid()));
}
CF_REGISTER_TASK(run_probe_call);

void run_init_probe(ProbeCall call) { run_probe_call(std::move(call)); }
CF_REGISTER_TASK(run_init_probe);

}  // namespace

// A failing probe's ProbeError comes back as itself, so it is a task error.
CF_REGISTER_EXCEPTION(cf::conformance::ProbeError);

namespace {

class ProcessExecutor final : public Executor {
 public:
  ProcessExecutor(Lab& lab, ProcessPoolExecutor::Options options)
      : lab_fd_(lab.fd()), pool_(std::move(options)) {}

  FuturePtr submit(const Probe& probe) override {
    return reference::guard([&] {
      return reference::wrap(pool_.submit(run_probe_call, ProbeCall{lab_fd_, probe}));
    });
  }

  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    return reference::guard([&] {
      std::vector<ProbeCall> inputs;
      for (auto& p : probes) inputs.push_back(ProbeCall{lab_fd_, p});
      return reference::wrap_map(
          pool_.map(&run_probe_call, std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    return reference::guard([&] {
      int fd = lab_fd_;
      auto inputs =
          std::views::iota(std::int64_t{0}) | std::views::transform([make, fd](std::int64_t i) {
            return ProbeCall{fd, make(i)};
          });
      return reference::wrap_map(
          pool_.map(&run_probe_call, std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  std::size_t thread_count() override { return pool_.worker_pids().size(); }
  int max_workers() override { return pool_.max_workers(); }

 private:
  int lab_fd_;
  ProcessPoolExecutor pool_;
};

class ReferenceProcess final : public ReferenceImplementation {
 public:
  std::string name() const override { return "reference-process"; }
  std::string about() const override { return "cf::ProcessPoolExecutor, cfspec " CF_VERSION; }
  Caps caps() const override {
    return all_caps() &
           ~(static_cast<Caps>(Cap::kThreadCount) | static_cast<Caps>(Cap::kThreadNames) |
             static_cast<Caps>(Cap::kDefaultWorkers) | static_cast<Caps>(Cap::kHappensBefore));
  }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return reference::guard([&] {
      ProcessPoolExecutor::Options options;
      options.max_workers = spec.max_workers;
      if (spec.initializer)
        options.initializer = TaskCall(run_init_probe, ProbeCall{lab.fd(), *spec.initializer});
      return std::make_unique<ProcessExecutor>(lab, std::move(options));
    });
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::ReferenceProcess)
