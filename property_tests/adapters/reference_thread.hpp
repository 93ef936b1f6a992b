// reference_thread.hpp — the reference-thread adapter: cf::ThreadPoolExecutor
// and cf::Future. It supports every capability except the process-only
// crash() probe. A header so that wrappers (property_tests/broken/) can build
// on it; reference_thread.cpp registers it.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "cf/cf.hpp"
#include "harness/adapter.hpp"
#include "reference_common.hpp"

namespace cf::conformance {

class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor(Lab& lab, ThreadPoolExecutor::Options options, ReferenceNames& names)
      : lab_(lab), pool_(std::move(options)), names_(names) {}

 private:
  auto runner() {
    return [this](const Probe& probe) { return run(probe); };
  }
  auto task(const Probe& probe) {
    return [this, probe] { return run(probe); };
  }
  std::int64_t run(const Probe& probe) {
    auto token = this_thread_token();
    names_.remember(token, std::string(ThreadPoolExecutor::current_thread_name()));
    return run_probe(lab_, probe, token);
  }

 public:
  FuturePtr submit(const Probe& probe) override {
    return reference::guard([&] { return reference::wrap(pool_.submit(task(probe))); });
  }

  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    return reference::guard([&] {
      std::vector<Probe> inputs = probes;
      return reference::wrap_map(
          pool_.map(runner(), std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    return reference::guard([&] {
      auto inputs = std::views::iota(std::int64_t{0}) | std::views::transform(make);
      return reference::wrap_map(
          pool_.map(runner(), std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  std::size_t thread_count() override { return pool_.thread_count(); }
  int max_workers() override { return pool_.max_workers(); }

 private:
  Lab& lab_;
  ThreadPoolExecutor pool_;
  ReferenceNames& names_;
};

class ReferenceThread final : public ReferenceImplementation {
 public:
  std::string name() const override { return "reference-thread"; }
  std::string about() const override { return "cf::ThreadPoolExecutor, cfspec " CF_VERSION; }
  Caps caps() const override { return all_caps() & ~static_cast<Caps>(Cap::kCrash); }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    ThreadPoolExecutor::Options options;
    options.max_workers = spec.max_workers;
    options.thread_name_prefix = spec.thread_name_prefix;
    if (spec.initializer) {
      options.initializer = [&lab, probe = *spec.initializer, this] {
        run_probe(lab, probe, this_thread_token());
      };
    }
    return reference::guard(
        [&] { return std::make_unique<ThreadExecutor>(lab, std::move(options), names()); });
  }
};

}  // namespace cf::conformance
