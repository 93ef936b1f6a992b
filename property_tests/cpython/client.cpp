// The C++ client of driver.py: spawns the interpreter, speaks its line
// protocol, serves the Lab to probes, and presents CPython's executors and
// futures as adapter objects. See client.hpp and driver.py.
//
// Long on purpose: the driver's line codec, the Lab server and the adapter
// objects over them; each part is used only by the next.
#include "client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#ifndef CF_MPIEXEC
#define CF_MPIEXEC "mpiexec"
#endif
#ifndef CF_PYTHON_EXECUTABLE
#define CF_PYTHON_EXECUTABLE "python3"
#endif
#ifndef CF_CPYTHON_DRIVER
#error "CF_CPYTHON_DRIVER (the path of driver.py) must be defined"
#endif

extern char** environ;

namespace cf::conformance::cpython {

using json = nlohmann::json;

namespace {

// While a done-callback body runs in C++ on behalf of a CPython thread (which
// waits for it), "the calling thread" is that CPython thread.
thread_local std::optional<std::int64_t> t_python_thread;
// While it runs a callback for a CPython pool thread, the C++ thread's
// requests are served by that pool thread (it waits for the callback).
thread_local std::optional<std::int64_t> t_route;

[[noreturn]] void fail(std::string message) {
  throw Raised{Outcome::error(Outcome::Kind::kOther, std::move(message))};
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads '\n'-terminated lines from a file descriptor.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  std::optional<std::string> next() {
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      char chunk[4096];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

Outcome parse_outcome(const json& j) {
  const std::string k = j.at("k").get<std::string>();
  std::string m = j.contains("m") ? j["m"].get<std::string>() : std::string();
  using K = Outcome::Kind;
  if (k == "value") return Outcome::of_value(j.at("v").get<std::int64_t>());
  if (k == "none") return Outcome{};
  if (k == "task") return Outcome::error(K::kTaskError, m);
  if (k == "cancelled") return Outcome::error(K::kCancelled, m);
  if (k == "timeout") return Outcome::error(K::kTimeout, m);
  if (k == "broken") return Outcome::error(K::kBroken, m);
  if (k == "invalid") return Outcome::error(K::kInvalidState, m);
  if (k == "shutdown") return Outcome::error(K::kShutdown, m);
  if (k == "invarg") return Outcome::error(K::kInvalidArgument, m);
  return Outcome::error(K::kOther, m);
}

json probe_json(const Probe& probe) {
  json steps = json::array();
  for (const Step& s : probe.steps) {
    switch (s.kind) {
      case Step::Kind::kRecord:
        steps.push_back({"record", s.slot, s.value});
        break;
      case Step::Kind::kGate:
        steps.push_back({"gate", s.slot});
        break;
      case Step::Kind::kSleep:
        steps.push_back({"sleep", s.duration.count()});
        break;
      case Step::Kind::kRecordWorker:
        steps.push_back({"worker", s.slot});
        break;
      case Step::Kind::kCrash:
        steps.push_back({"crash"});
        break;
    }
  }
  return {
      {"steps", steps}, {"fails", probe.fails}, {"value", probe.value}, {"message", probe.message}};
}

// A Python timeout in seconds. cf::Timeout exposes only its deadline, and
// treats >= 1e9 s as "never"; such a timeout is sent as 1e300 s, so CPython
// sees a huge finite timeout, not None (FUT-RESULT-7 tests exactly that).
// The timeout in seconds as the test wrote it (Timeout::raw), so CPython's own
// handling of huge and negative lengths is what is judged; lengths beyond a
// double's range (and infinities) travel as +-1e300, as large for Python as
// they were for C++.
json timeout_json(const Timeout& timeout) {
  if (!timeout.has_raw()) {
    if (timeout.is_none()) return nullptr;
    return std::chrono::duration<double>(timeout.length()).count();
  }
  long double seconds = std::visit(
      [](auto length) -> long double {
        if constexpr (std::is_same_v<decltype(length), std::monostate>) {
          return 0;
        } else {
          using Period = typename decltype(length)::period;
          return static_cast<long double>(length.count()) * Period::num / Period::den;
        }
      },
      timeout.raw());
  if (seconds != seconds) return nullptr;
  if (seconds > 1e300L) return 1e300;
  if (seconds < -1e300L) return -1e300;
  return static_cast<double>(seconds);
}

// Serves the Lab to probes running in CPython (its threads or its worker
// processes): one thread per connection, one request at a time.
class LabServer {
 public:
  LabServer() {
    static std::atomic<int> counter{0};
    name_ = "cfspec-lab-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::copy(name_.begin(), name_.end(), addr.sun_path + 1);  // abstract: no file to clean
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("cpython adapter: cannot listen on the lab socket");
    }
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~LabServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : conns_) ::shutdown(fd, SHUT_RDWR);
      threads = std::move(threads_);
    }
    for (auto& t : threads) t.join();
    ::close(listen_fd_);
  }
  const std::string& name() const { return name_; }

  // Registers the lab an executor's probes use and returns the id they name
  // it by. The server keeps its own mapping of the lab's block, so a probe
  // that outlives its test (CPython's process pool can go on running calls
  // after shutdown(wait=True) returned, see SHUT-WAIT-1) never touches a
  // destroyed Lab, and each registration has a fresh id, so such a probe
  // never reaches a later test's lab that happens to live at the same address.
  int enroll(Lab& lab) {
    int fd = ::dup(lab.fd());
    if (fd < 0) throw std::runtime_error("cpython adapter: cannot share the lab");
    auto shared = std::make_shared<Lab>(Lab::attach(fd));
    std::lock_guard lock(mutex_);
    labs_.emplace(next_lab_, std::move(shared));
    return next_lab_++;
  }
  // The executor that used `id` is gone: later requests naming it are
  // answered without effect (a gate passes, a record is dropped).
  void retire(int id) {
    std::lock_guard lock(mutex_);
    labs_.erase(id);
  }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      conns_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    LineReader reader(fd);
    while (auto line = reader.next()) {
      std::istringstream in(*line);
      char op = 0;
      int lab_id = -1, slot = 0;
      std::int64_t value = 0;
      in >> op >> lab_id >> slot >> value;
      std::shared_ptr<Lab> lab;
      {
        std::lock_guard lock(mutex_);
        if (auto it = labs_.find(lab_id); it != labs_.end()) lab = it->second;
      }
      if (lab && op == 'G') lab->pass_gate(slot);
      if (lab && op == 'R') lab->append(slot, value);
      if (!write_all(fd, "ok\n")) break;
    }
    std::lock_guard lock(mutex_);
    conns_.erase(std::remove(conns_.begin(), conns_.end(), fd), conns_.end());
    ::close(fd);
  }

  std::string name_;
  int listen_fd_ = -1;
  std::thread accept_thread_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::unordered_map<int, std::shared_ptr<Lab>> labs_;
  int next_lab_ = 0;
};

}  // namespace

// The interpreter process and the protocol.
class Driver {
 public:
  // `launcher` runs before the interpreter (mpiexec for mpi4py); empty for none.
  // `interpreter`: the column's own python; empty: $CF_PYTHON if set, else
  // the one chosen at configure time (CMake CF_PYTHON).
  Driver(std::vector<std::string> launcher, const std::string& interpreter) {
    ::signal(SIGPIPE, SIG_IGN);
    const char* env = std::getenv("CF_PYTHON");
    std::string python = !interpreter.empty() ? interpreter
                         : env && *env        ? env
                                              : CF_PYTHON_EXECUTABLE;
    int to_py[2], from_py[2];
    if (::pipe2(to_py, O_CLOEXEC) != 0 || ::pipe2(from_py, O_CLOEXEC) != 0) {
      throw std::runtime_error("cpython adapter: pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_py[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_py[1], 1);
    std::vector<std::string> args = std::move(launcher);
    for (auto a : {python, std::string(CF_CPYTHON_DRIVER), lab_.name()}) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_py[0]);
    ::close(from_py[1]);
    if (rc != 0) {
      ::close(to_py[1]);
      ::close(from_py[0]);
      throw std::runtime_error("cpython adapter: cannot start " + args[0]);
    }
    in_fd_ = to_py[1];
    out_fd_ = from_py[0];
    reader_ = std::thread([this] { read_loop(); });
    dispatcher_ = std::thread([this] { dispatch_loop(); });
  }

  ~Driver() {
    ::close(in_fd_);  // EOF: the driver stops its worker processes and exits
    reader_.join();
    int status = 0;
    ::waitpid(pid_, &status, 0);
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    dispatcher_.join();
    ::close(out_fd_);
  }

  LabServer& lab() { return lab_; }
  pid_t pid() const { return pid_; }

  // Sends `request` for the calling thread and returns the reply's value;
  // a raised error becomes Raised. Events addressed to this thread (done
  // callbacks its request triggered) run here while it waits.
  json call(json request) {
    auto token = t_route ? *t_route : this_thread_token();
    request["t"] = token;
    std::unique_lock lock(mutex_);
    if (dead_) fail("the python driver has exited");
    Slot& slot = slots_[token];
    slot.reply.reset();
    lock.unlock();
    {
      std::lock_guard write_lock(write_mutex_);
      if (!write_all(in_fd_, request.dump() + "\n")) fail("cannot write to the python driver");
    }
    lock.lock();
    for (;;) {
      if (slot.reply) {
        json reply = std::move(*slot.reply);
        slot.reply.reset();
        lock.unlock();
        if (reply.contains("err")) throw Raised{parse_outcome(reply["err"])};
        return reply["v"];
      }
      if (!slot.events.empty()) {
        json event = std::move(slot.events.front());
        slot.events.pop_front();
        lock.unlock();
        run_event(event);
        lock.lock();
        continue;
      }
      if (dead_) fail("the python driver has exited");
      cv_.wait(lock);
    }
  }

  std::int64_t add_callback(std::function<void(const CallbackEvent&)> callback) {
    std::lock_guard lock(mutex_);
    callbacks_.emplace(++next_id_, std::move(callback));
    return next_id_;
  }
  std::int64_t add_maker(std::function<Probe(std::int64_t)> make) {
    std::lock_guard lock(mutex_);
    makers_.emplace(++next_id_, std::move(make));
    return next_id_;
  }

 private:
  struct Slot {
    std::optional<json> reply;
    std::deque<json> events;
  };

  void read_loop() {
    LineReader reader(out_fd_);
    while (auto line = reader.next()) {
      json msg = json::parse(*line, nullptr, false);
      if (msg.is_discarded()) continue;
      std::lock_guard lock(mutex_);
      if (msg.contains("r")) {
        slots_[msg["r"].get<std::int64_t>()].reply = std::move(msg);
      } else if (msg.contains("ev")) {
        auto to = msg["to"].get<std::int64_t>();
        auto it = slots_.find(to);
        (to != 0 && it != slots_.end() ? it->second.events : dispatch_queue_)
            .push_back(std::move(msg));
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    dead_ = true;
    cv_.notify_all();
  }

  // Events raised by CPython threads that stand for no C++ thread (pool
  // workers, the process pool's manager thread).
  void dispatch_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !dispatch_queue_.empty(); });
      if (dispatch_queue_.empty()) return;
      json event = std::move(dispatch_queue_.front());
      dispatch_queue_.pop_front();
      lock.unlock();
      run_event(event);
      lock.lock();
    }
  }

  void run_event(const json& event) {
    json ack = {{"ack", event["ev"]}};
    if (event["kind"] == "cb") {
      std::function<void(const CallbackEvent&)> callback;
      {
        std::lock_guard lock(mutex_);
        callback = callbacks_.at(event["cb"].get<std::int64_t>());
      }
      const json& e = event["event"];
      CallbackEvent ce;
      ce.thread_token = e["thread"].get<std::int64_t>();
      ce.done = e["done"].get<bool>();
      ce.cancelled = e["cancelled"].get<bool>();
      ce.result = parse_outcome(e["result"]);
      auto saved = std::exchange(t_python_thread, ce.thread_token);
      std::optional<std::int64_t> via;
      if (event.contains("via")) via = event["via"].get<std::int64_t>();
      auto saved_route = std::exchange(t_route, via ? via : t_route);
      struct Restore {
        std::optional<std::int64_t>& slot;
        std::optional<std::int64_t> value;
        ~Restore() { slot = value; }
      } restore{t_route, saved_route};
      try {
        callback(ce);
        t_python_thread = saved;
      } catch (const std::exception& ex) {
        t_python_thread = saved;
        ack["raised"] = ex.what();  // CPython logs it and goes on [FUT-CB-4]
      } catch (...) {
        t_python_thread = saved;
        ack["raised"] = "unknown C++ exception";
      }
    } else if (event["kind"] == "probe") {
      std::function<Probe(std::int64_t)> make;
      {
        std::lock_guard lock(mutex_);
        make = makers_.at(event["run"].get<std::int64_t>());
      }
      ack["probe"] = probe_json(make(event["i"].get<std::int64_t>()));
    }
    std::lock_guard write_lock(write_mutex_);
    write_all(in_fd_, ack.dump() + "\n");
  }

  LabServer lab_;
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<std::int64_t, Slot> slots_;  // node-based: references stay valid
  std::deque<json> dispatch_queue_;
  std::unordered_map<std::int64_t, std::function<void(const CallbackEvent&)>> callbacks_;
  std::unordered_map<std::int64_t, std::function<Probe(std::int64_t)>> makers_;
  std::int64_t next_id_ = 0;
  bool dead_ = false;
  bool stop_ = false;
  std::thread reader_;
  std::thread dispatcher_;
};

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
  PyAsCompleted(Driver& driver, std::int64_t run,
                std::unordered_map<std::int64_t, std::size_t> index)
      : d_(driver), run_(run), index_(std::move(index)) {}
  std::optional<std::size_t> next() override {
    auto v = d_.call({{"op", "as_completed_next"}, {"run", run_}});
    if (v.is_null()) return std::nullopt;
    return index_.at(v.get<std::int64_t>());
  }

 private:
  Driver& d_;
  std::int64_t run_;
  std::unordered_map<std::int64_t, std::size_t> index_;
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
  json fids = json::array();
  std::unordered_map<std::int64_t, std::size_t> first;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    auto fid = id_of(futures[i]);
    fids.push_back(fid);
    first.emplace(fid, i);
  }
  const char* mode = when == ReturnWhen::kFirstCompleted   ? "first_completed"
                     : when == ReturnWhen::kFirstException ? "first_exception"
                                                           : "all_completed";
  auto v = driver().call(
      {{"op", "wait"}, {"fs", fids}, {"when", mode}, {"timeout", timeout_json(timeout)}});
  WaitSplit split;
  for (auto& fid : v["done"]) split.done.push_back(first.at(fid.get<std::int64_t>()));
  for (auto& fid : v["not_done"]) split.not_done.push_back(first.at(fid.get<std::int64_t>()));
  std::sort(split.done.begin(), split.done.end());
  std::sort(split.not_done.begin(), split.not_done.end());
  return split;
}

std::unique_ptr<AsCompletedRun> CpythonImplementation::as_completed(
    const std::vector<FuturePtr>& futures, Timeout timeout) {
  json fids = json::array();
  std::unordered_map<std::int64_t, std::size_t> first;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    auto fid = id_of(futures[i]);
    fids.push_back(fid);
    first.emplace(fid, i);
  }
  auto& d = driver();
  auto run = d.call({{"op", "as_completed"}, {"fs", fids}, {"timeout", timeout_json(timeout)}});
  return std::make_unique<PyAsCompleted>(d, run.get<std::int64_t>(), std::move(first));
}

std::int64_t CpythonImplementation::thread_token() {
  return t_python_thread ? *t_python_thread : this_thread_token();
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
