// The cpython-* adapters (client.hpp): CPython's executors, futures, map and
// as_completed runs as adapter objects over the driver's requests
// (driver.hpp), in the JSON forms of protocol.hpp.
#include "client.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "driver.hpp"
#include "harness/input_positions.hpp"
#include "protocol.hpp"

#ifndef CF_MPIEXEC
#define CF_MPIEXEC "mpiexec"
#endif

namespace cf::conformance::cpython {

namespace {

class PyFuture final : public Future {
 public:
  PyFuture(Driver& driver, std::int64_t id) : d_(driver), id_(id) {}
  std::int64_t id() const { return id_; }

  bool cancel() override { return op("cancel").get<bool>(); }
  bool cancelled() override { return op("cancelled").get<bool>(); }
  bool running() override { return op("running").get<bool>(); }
  bool done() override { return op("done").get<bool>(); }
  Outcome result(Timeout timeout) override {
    return parse_outcome(
        d_.call({{"op", "result"}, {"f", id_}, {"timeout", timeout_json(timeout)}}));
  }
  Outcome exception(Timeout timeout) override {
    return parse_outcome(
        d_.call({{"op", "exception"}, {"f", id_}, {"timeout", timeout_json(timeout)}}));
  }
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    d_.call({{"op", "add_callback"}, {"f", id_}, {"cb", d_.add_callback(std::move(callback))}});
  }
  Outcome set_running_or_notify_cancel() override { return parse_outcome(op("srnc")); }
  Outcome set_result(std::int64_t value) override {
    return parse_outcome(d_.call({{"op", "set_result"}, {"f", id_}, {"v", value}}));
  }
  Outcome set_exception(const std::string& message) override {
    return parse_outcome(d_.call({{"op", "set_exception"}, {"f", id_}, {"m", message}}));
  }

 private:
  json op(const char* name) { return d_.call({{"op", name}, {"f", id_}}); }
  Driver& d_;
  std::int64_t id_;
};

std::int64_t id_of(const FuturePtr& f) {
  auto* p = dynamic_cast<PyFuture*>(f.get());
  if (!p) fail("a future not made by CPython");
  return p->id();
}

std::vector<std::int64_t> ids_of(const std::vector<FuturePtr>& futures) {
  std::vector<std::int64_t> ids;
  for (const auto& f : futures) ids.push_back(id_of(f));
  return ids;
}

class PyMapRun final : public MapRun {
 public:
  PyMapRun(Driver& driver, std::int64_t run) : d_(driver), run_(run) {}
  ~PyMapRun() override {
    try {
      d_.call({{"op", "drop"}, {"run", run_}});
    } catch (const Raised&) {
    }
  }
  std::optional<Outcome> next() override {
    auto v = d_.call({{"op", "map_next"}, {"run", run_}});
    if (v.is_null()) return std::nullopt;
    return parse_outcome(v);
  }
  void close() override { d_.call({{"op", "map_close"}, {"run", run_}}); }

 private:
  Driver& d_;
  std::int64_t run_;
};

class PyAsCompleted final : public AsCompletedRun {
 public:
  PyAsCompleted(Driver& driver, std::int64_t run, InputPositions<std::int64_t> index)
      : d_(driver), run_(run), index_(std::move(index)) {}
  std::optional<std::size_t> next() override {
    auto v = d_.call({{"op", "as_completed_next"}, {"run", run_}});
    if (v.is_null()) return std::nullopt;
    return index_.of(v.get<std::int64_t>());
  }

 private:
  Driver& d_;
  std::int64_t run_;
  InputPositions<std::int64_t> index_;
};

class PyExecutor final : public Executor {
 public:
  PyExecutor(Driver& driver, std::int64_t id, int lab) : d_(driver), id_(id), lab_(lab) {}
  // Leaving Python's `with` block: shutdown(wait=True) [SHUT-DTOR-1].
  ~PyExecutor() override {
    try {
      shutdown(true, false);
    } catch (const Raised&) {
    }
    d_.lab().retire(lab_);
  }

  FuturePtr submit(const Probe& probe) override {
    auto fid = d_.call({{"op", "submit"}, {"e", id_}, {"probe", probe_json(probe)}});
    return std::make_shared<PyFuture>(d_, fid.get<std::int64_t>());
  }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    json list = json::array();
    for (auto& p : probes) list.push_back(probe_json(p));
    json request = {
        {"op", "map"}, {"e", id_}, {"probes", list}, {"timeout", timeout_json(spec.timeout)}};
    if (spec.buffersize) request["buffersize"] = *spec.buffersize;
    return std::make_unique<PyMapRun>(d_, d_.call(request).get<std::int64_t>());
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    json request = {{"op", "map_endless"},
                    {"e", id_},
                    {"run", d_.add_maker(std::move(make))},
                    {"timeout", timeout_json(spec.timeout)}};
    if (spec.buffersize) request["buffersize"] = *spec.buffersize;
    return std::make_unique<PyMapRun>(d_, d_.call(request).get<std::int64_t>());
  }
  void shutdown(bool wait, bool cancel_futures) override {
    d_.call({{"op", "shutdown"}, {"e", id_}, {"wait", wait}, {"cancel_futures", cancel_futures}});
  }
  std::size_t thread_count() override {
    return d_.call({{"op", "thread_count"}, {"e", id_}}).get<std::size_t>();
  }
  int max_workers() override { return d_.call({{"op", "max_workers"}, {"e", id_}}).get<int>(); }

 private:
  Driver& d_;
  std::int64_t id_;
  int lab_;
};

}  // namespace

CpythonImplementation::CpythonImplementation(std::string name, std::string kind,
                                             std::string interpreter)
    : name_(std::move(name)), kind_(std::move(kind)) {
  try {
    std::vector<std::string> launcher;
    if (kind_ == "mpi4py") {
      // One rank, the driver; MPIPoolExecutor spawns its workers from it.
      // --oversubscribe: workers may outnumber the cores.
      launcher = {CF_MPIEXEC, "--quiet", "--allow-run-as-root", "--oversubscribe", "-n", "1"};
    }
    driver_ = std::make_unique<Driver>(std::move(launcher), interpreter);
    auto hello = driver_->call({{"op", "hello"}, {"kind", kind_}});
    auto v = hello["version"];
    version_ = {v[0].get<int>(), v[1].get<int>(), v[2].get<int>()};
    about_ = hello["about"].get<std::string>();
  } catch (const std::exception& e) {
    driver_.reset();
    about_ = std::string("could not start the driver: ") + e.what();
  }
}

CpythonImplementation::~CpythonImplementation() = default;

std::string CpythonImplementation::follows() const {
  // dask and mpi4py reuse CPython's Future, wait and map, but are judged
  // as executors of their own: by the spec's baseline.
  if (kind_ != "thread" && kind_ != "process") return {};
  if (version_[0] == 0) return {};
  return std::to_string(version_[0]) + "." + std::to_string(version_[1]);
}

Caps CpythonImplementation::caps() const {
  Caps caps = Cap::kCancel | Cap::kCancelResult | Cap::kStateQueries | Cap::kResultTimeout |
              Cap::kResultBlocking | Cap::kDoneCallbacks | Cap::kRawFuture | Cap::kWait |
              Cap::kWaitTimeout | Cap::kWaitFirstException | Cap::kAsCompleted |
              Cap::kAsCompletedTimeout | Cap::kMap | Cap::kMapTimeout | Cap::kShutdownNoWait |
              Cap::kCancelFutures | Cap::kDrainingDestructor | Cap::kMaxWorkers |
              Cap::kWorkerCount | Cap::kInitializer | Cap::kHugeTimeouts | Cap::kLogHook;
  // map(buffersize=) arrived in 3.14.
  if (version_ >= std::array<int, 3>{3, 14, 0}) caps = caps | Cap::kMapBuffersize;
  if (kind_ == "thread") {
    // The process pool's default is os.cpu_count(), has no thread names, and
    // its workers are processes.
    caps = caps | Cap::kDefaultWorkers | Cap::kThreadCount | Cap::kThreadNames;
  } else if (kind_ == "process") {
    caps = caps | Cap::kCrash;
  } else if (kind_ == "dask") {
    // ClientExecutor: shutdown(wait) only, no cancel_futures; no initializer;
    // its futures are plain concurrent.futures ones, so the Future API and
    // wait/as_completed are CPython's. Raw futures and the logger are
    // CPython's too, not dask's: not claimed.
    caps &= ~(static_cast<Caps>(Cap::kCancelFutures) | static_cast<Caps>(Cap::kInitializer) |
              static_cast<Caps>(Cap::kRawFuture) | static_cast<Caps>(Cap::kLogHook));
  } else if (kind_ == "mpi4py") {
    // MPIPoolExecutor: shutdown(wait, cancel_futures), initializer, map with
    // timeout. Raw futures and the logger are CPython's: not claimed.
    caps &= ~(static_cast<Caps>(Cap::kRawFuture) | static_cast<Caps>(Cap::kLogHook));
  }
  // Without a driver every test still runs, and fails naming the cause
  // (driver()): a missing interpreter must not turn the column into n/a.
  return caps;
}

Driver& CpythonImplementation::driver() {
  if (!driver_) fail("the python interpreter could not be started (set CF_PYTHON)");
  return *driver_;
}

std::unique_ptr<Executor> CpythonImplementation::make_executor(Lab& lab, const ExecutorSpec& spec) {
  auto& d = driver();
  const int lab_id = d.lab().enroll(lab);
  json request = {
      {"op", "executor"}, {"kind", kind_}, {"lab", lab_id}, {"prefix", spec.thread_name_prefix}};
  request["max_workers"] = spec.max_workers ? json(*spec.max_workers) : json(nullptr);
  if (spec.initializer) request["initializer"] = probe_json(*spec.initializer);
  std::int64_t id = 0;
  try {
    id = d.call(request).get<std::int64_t>();
  } catch (...) {
    d.lab().retire(lab_id);
    throw;
  }
  return std::make_unique<PyExecutor>(d, id, lab_id);
}

FuturePtr CpythonImplementation::make_future() {
  auto& d = driver();
  return std::make_shared<PyFuture>(d, d.call({{"op", "future"}}).get<std::int64_t>());
}

WaitSplit CpythonImplementation::wait(const std::vector<FuturePtr>& futures, ReturnWhen when,
                                      Timeout timeout) {
  const auto fids = ids_of(futures);
  const char* mode = when == ReturnWhen::kFirstCompleted   ? "first_completed"
                     : when == ReturnWhen::kFirstException ? "first_exception"
                                                           : "all_completed";
  auto v = driver().call(
      {{"op", "wait"}, {"fs", fids}, {"when", mode}, {"timeout", timeout_json(timeout)}});
  return InputPositions<std::int64_t>(fids).split(
      v["done"], v["not_done"], [](const json& fid) { return fid.get<std::int64_t>(); });
}

std::unique_ptr<AsCompletedRun> CpythonImplementation::as_completed(
    const std::vector<FuturePtr>& futures, Timeout timeout) {
  const auto fids = ids_of(futures);
  auto& d = driver();
  auto run = d.call({{"op", "as_completed"}, {"fs", fids}, {"timeout", timeout_json(timeout)}});
  return std::make_unique<PyAsCompleted>(d, run.get<std::int64_t>(),
                                         InputPositions<std::int64_t>(fids));
}

std::int64_t CpythonImplementation::thread_token() {
  return Driver::python_thread().value_or(this_thread_token());
}

std::string CpythonImplementation::thread_name_of(std::int64_t worker_token) {
  return driver().call({{"op", "thread_name"}, {"token", worker_token}}).get<std::string>();
}

std::vector<std::string> CpythonImplementation::take_logged() {
  return driver().call({{"op", "take_logged"}}).get<std::vector<std::string>>();
}

void CpythonImplementation::on_hang() {
  // driver.py registers faulthandler for SIGUSR1. Under mpiexec the pid is
  // the launcher's, which need not pass the signal on: left alone.
  if (driver_ && kind_ != "mpi4py") ::kill(driver_->pid(), SIGUSR1);
}

}  // namespace cf::conformance::cpython
