// reference_pool.hpp — what the adapters of cf's pools whose workers are
// other processes (reference-process, reference-mpi) share: the probe call
// that runs in a worker, and the adapter Executor over the pool.
//
// A probe runs in a worker against the test's Lab, a memfd: a worker opens it
// by the parent's fd number, inherited (reference-process) or through
// /proc/<parent pid>/fd (reference-mpi: ranks are not the parent's children,
// so this needs them on the parent's machine). Gates and logs then work
// across processes. record_worker records the worker's pid. A worker may
// serve several labs in turn (MPI ranks serve later pools), and an fd number
// is reused once its lab is closed: a lab is known by its inode too.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <ranges>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "harness/adapter.hpp"
#include "reference_common.hpp"

namespace cf::conformance {

// Where a worker finds the test's lab: the parent's fd of it, the parent's
// pid when the worker did not inherit that fd (else 0), and its inode.
struct LabAddress {
  int fd = -1;
  std::int64_t pid = 0;
  std::uint64_t inode = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(fd, pid, inode);
  }
  static LabAddress of(const Lab& lab, std::int64_t pid) {
    struct stat st {};
    if (::fstat(lab.fd(), &st) != 0) {
      throw std::system_error(errno, std::generic_category(), "fstat of the lab");
    }
    return LabAddress{lab.fd(), pid, static_cast<std::uint64_t>(st.st_ino)};
  }
};

// A probe addressed to the lab it runs against.
struct ProbeCall {
  LabAddress lab;
  Probe probe;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(lab, probe);
  }
};

namespace reference {

// In a worker: the lab of `call`, mapped once and kept until a lab with
// another inode comes by the same fd. Held by value, so the worker's exit
// unmaps it (LeakSanitizer reported labs held by raw pointers in a static map
// at every worker's exit).
inline Lab& lab_in_worker(const ProbeCall& call) {
  static std::mutex mutex;
  static std::map<std::pair<std::int64_t, int>, std::pair<std::uint64_t, Lab>> labs;
  std::lock_guard lock(mutex);
  const LabAddress& at = call.lab;
  auto key = std::make_pair(at.pid, at.fd);
  auto it = labs.find(key);
  if (it != labs.end() && it->second.first != at.inode) {
    labs.erase(it);  // that lab is closed; its fd number now names this one
    it = labs.end();
  }
  if (it == labs.end()) {
    int fd = at.fd;
    if (at.pid != 0) {
      std::string path = "/proc/" + std::to_string(at.pid) + "/fd/" + std::to_string(at.fd);
      fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    }
    it = labs.emplace(key, std::make_pair(at.inode, Lab::attach(fd))).first;
  }
  return it->second.second;
}

inline std::int64_t run_probe_call(ProbeCall call) {
  return run_probe(lab_in_worker(call), call.probe, static_cast<std::int64_t>(::getpid()));
}

inline void run_init_probe(ProbeCall call) { run_probe_call(std::move(call)); }

// The adapter's Executor over a pool of cf/detail/call_pool.hpp.
template <class Pool>
class PoolExecutor final : public Executor {
 public:
  template <class Options>
  PoolExecutor(const LabAddress& lab, Options options) : lab_(lab), pool_(std::move(options)) {}

  FuturePtr submit(const Probe& probe) override {
    return guard([&] { return wrap(pool_.submit(run_probe_call, call(probe))); });
  }

  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    return guard([&] {
      std::vector<ProbeCall> inputs;
      for (auto& p : probes) inputs.push_back(call(p));
      return wrap_map(
          pool_.map(&run_probe_call, std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    return guard([&] {
      auto inputs = std::views::iota(std::int64_t{0}) |
                    std::views::transform([make, lab = lab_](std::int64_t i) {
                      return ProbeCall{lab, make(i)};
                    });
      return wrap_map(
          pool_.map(&run_probe_call, std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }

  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  std::size_t thread_count() override {
    if constexpr (requires { pool_.worker_pids(); }) {
      return pool_.worker_pids().size();
    } else {
      return pool_.worker_count();
    }
  }
  int max_workers() override { return pool_.max_workers(); }

 private:
  ProbeCall call(const Probe& probe) const { return ProbeCall{lab_, probe}; }

  LabAddress lab_;
  Pool pool_;
};

}  // namespace reference
}  // namespace cf::conformance

// Registers the probe tasks, and ProbeError so that a failing probe's error
// comes back as itself (a task error). Once per program, at namespace scope,
// by the adapter that includes this header.
#define CF_REFERENCE_POOL_TASKS()                               \
  CF_REGISTER_TASK(cf::conformance::reference::run_probe_call); \
  CF_REGISTER_TASK(cf::conformance::reference::run_init_probe); \
  CF_REGISTER_EXCEPTION(cf::conformance::ProbeError)
