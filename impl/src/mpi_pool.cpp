// MpiPoolExecutor: the process pool's calls and frames over MPI.
//
// The parent: one manager thread per pool spawns the ranks, keeps one call in
// each worker, up to max_workers + 1 RUNNING ahead of them (CPython's call
// queue), and completes the futures. MPI offers no descriptor to sleep on, so
// the manager and the workers poll MPI_Iprobe: without a pause for kSpin after
// their last message, then sleeping a little longer each idle turn (up to
// kIdleMax); a submit or shutdown wakes the manager at once.
//
// Ranks outlive their pool: a pool that ends cleanly and ran no initializer
// hands its group of ranks back to the process (Runtime), and a later pool of
// at most that many workers takes it instead of spawning. Spawning is the
// slow and fragile step (a connect/accept through PMIx each time), so a
// program that opens many pools spawns once per size it uses. A group whose
// pool broke or ran an initializer is stopped: its ranks may hold that
// pool's state. Idle groups are stopped at exit, before MPI_Finalize.
//
// The worker: this same program, spawned with argv {kMpiWorkerFlag};
// CF_PROCESS_WORKER_ENTRY hands it to cf_mpi_worker_main (a weak reference in
// process_entry.cpp, so programs without cf_mpi do not link MPI). Messages:
// tag kFrameTag carries one frame (config, call; result, init-failed); tag
// kEndTag (empty) ends a pool's session, after which the rank waits for the
// next pool's config; tag kExitTag (empty) tells it to disconnect and exit.
#include "cf/mpi_pool.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cf/detail/error_text.hpp"
#include "cf/detail/frame.hpp"
#include "cf/detail/pending_cancels.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/detail/process_worker.hpp"
#include "cf/log.hpp"
#include "manager_thread.hpp"

extern "C" __attribute__((weak)) const char cf_process_worker_entry_present;

namespace cf {
namespace {

using detail::ProcessCall;
using CallPtr = std::shared_ptr<ProcessCall>;
using Clock = std::chrono::steady_clock;

constexpr int kFrameTag = detail::kMpiFrameTag;
constexpr int kEndTag = 2;
constexpr int kExitTag = 3;
constexpr auto kSpin = std::chrono::microseconds(100);
constexpr auto kIdleMax = std::chrono::microseconds(500);
// A rank between pools waits longer between polls: it may wait for the rest
// of the program, and a pool's first call may take that much longer.
constexpr auto kBetweenPoolsMax = std::chrono::milliseconds(10);

// How long to wait before the next MPI_Iprobe: nothing for kSpin after the
// last activity (the next message of a busy pool comes within microseconds),
// then a little longer each idle turn, up to kIdleMax. reset() on activity.
class Backoff {
 public:
  explicit Backoff(std::chrono::microseconds most = kIdleMax) : most_(most) {}
  void reset() {
    idle_since_ = Clock::now();
    wait_ = std::chrono::microseconds(0);
  }
  std::chrono::microseconds next() {
    if (Clock::now() - idle_since_ < kSpin) return std::chrono::microseconds(0);
    wait_ = std::min(most_, std::max(std::chrono::microseconds(10), wait_ * 2));
    return wait_;
  }

 private:
  std::chrono::microseconds most_;
  Clock::time_point idle_since_ = Clock::now();
  std::chrono::microseconds wait_{0};
};

std::string mpi_error(const char* what, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return std::string(what) + ": " + std::string(text, static_cast<std::size_t>(len));
}

// A message that arrived: its tag and bytes.
struct Message {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

// The next message on `comm` from anyone, if one is there.
std::optional<Message> try_receive(MPI_Comm comm) {
  int flag = 0;
  MPI_Status status;
  int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status);
  if (rc != MPI_SUCCESS) throw std::runtime_error(mpi_error("MPI_Iprobe", rc));
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
  rc = MPI_Recv(m.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm,
                MPI_STATUS_IGNORE);
  if (rc != MPI_SUCCESS) throw std::runtime_error(mpi_error("MPI_Recv", rc));
  return m;
}

void send(MPI_Comm comm, int rank, int tag, const std::string& bytes) {
  int rc = MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, rank, tag, comm);
  if (rc != MPI_SUCCESS) throw std::runtime_error(mpi_error("MPI_Send", rc));
}

// MPI for the process's pools: initialised once, with MPI_THREAD_MULTIPLE, on
// a thread that lives until exit and finalises MPI there (MPI_Finalize must
// run on the thread that called MPI_Init). Pools still alive at exit skip the
// finalisation: it would wait for their ranks.
class Runtime {
 public:
  static void require() { instance().check(); }
  static void pool_opened() { ++instance().live_pools_; }
  static void pool_closed() { --instance().live_pools_; }
  // Open MPI 4.1's connect/accept under MPI_Comm_spawn is not safe to run
  // beside another spawn or disconnect of the process (it hangs in
  // PMIx_Lookup): pools spawn and disconnect one at a time.
  static std::mutex& spawn_mutex() { return instance().spawn_mutex_; }

  // A group of spawned ranks: their intercommunicator and how many.
  struct Group {
    MPI_Comm comm = MPI_COMM_NULL;
    int size = 0;
  };
  // The smallest idle group of at least `workers` ranks, if there is one.
  static std::optional<Group> take_idle(int workers) {
    Runtime& r = instance();
    std::lock_guard lock(r.mutex_);
    auto best = r.idle_.end();
    for (auto it = r.idle_.begin(); it != r.idle_.end(); ++it) {
      if (it->size >= workers && (best == r.idle_.end() || it->size < best->size)) best = it;
    }
    if (best == r.idle_.end()) return std::nullopt;
    Group g = *best;
    r.idle_.erase(best);
    return g;
  }
  // A group whose ranks wait for a pool's config, for a later pool.
  static void give_back(Group group) {
    Runtime& r = instance();
    std::lock_guard lock(r.mutex_);
    r.idle_.push_back(group);
  }
  // Tells every rank of `group` to exit, then disconnects from them (which
  // waits until each has disconnected too).
  static void stop(Group& group) {
    for (int rank = 0; rank < group.size; ++rank) {
      MPI_Send(nullptr, 0, MPI_BYTE, rank, kExitTag, group.comm);
    }
    std::lock_guard one_at_a_time(spawn_mutex());
    MPI_Comm_disconnect(&group.comm);
  }

 private:
  static Runtime& instance() {
    static Runtime runtime;
    return runtime;
  }

  Runtime() {
    owner_ = std::thread([this] {
      int provided = 0;
      int initialized = 0;
      MPI_Initialized(&initialized);
      int rc = initialized ? MPI_Query_thread(&provided)
                           : MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
      std::unique_lock lock(mutex_);
      if (rc != MPI_SUCCESS) {
        error_ = mpi_error("MPI_Init_thread", rc);
      } else if (provided < MPI_THREAD_MULTIPLE) {
        error_ = "cf::MpiPoolExecutor needs MPI_THREAD_MULTIPLE; this MPI provides level " +
                 std::to_string(provided);
      }
      owns_ = !initialized && rc == MPI_SUCCESS;
      ready_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return exiting_; });
      std::vector<Group> idle;
      idle.swap(idle_);
      lock.unlock();
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) {
        for (auto& group : idle) stop(group);
      }
      if (owns_ && !finalized && live_pools_.load() == 0) MPI_Finalize();
    });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ready_; });
  }

  ~Runtime() {
    {
      std::lock_guard lock(mutex_);
      exiting_ = true;
    }
    changed_.notify_all();
    owner_.join();
  }

  void check() const {
    std::lock_guard lock(mutex_);
    if (!error_.empty()) throw std::runtime_error(error_);
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool ready_ = false;
  bool exiting_ = false;
  bool owns_ = false;
  std::string error_;
  std::atomic<int> live_pools_{0};
  std::vector<Group> idle_;  // under mutex_
  std::mutex spawn_mutex_;
  std::thread owner_;
};

// Open MPI 4.1 with an external PMIx (Debian's) hangs now and then in
// MPI_Comm_spawn's connect/accept (openpmix issue 2735; here about one spawn
// in twenty); PMIx's "hash" datastore much more rarely. Chosen before MPI
// starts, unless the user chose one, and at program start, before any thread
// of the program may read the environment (setenv is not safe beside that).
[[maybe_unused]] const bool gds_chosen = [] { return ::setenv("PMIX_MCA_gds", "hash", 0) == 0; }();

std::string self_exe() {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) detail::throw_errno("readlink /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

struct Worker {
  CallPtr call;  // the call it runs, if any
  std::uint64_t id = 0;
  int pid = 0;
};

struct Ahead {
  std::uint64_t id;
  CallPtr call;
  std::string frame;
};

}  // namespace

struct MpiPoolExecutor::Impl {
  int max_workers = 0;
  std::string initializer;
  std::string initializer_args;

  mutable std::mutex mutex;
  std::condition_variable wake;
  bool woken = false;
  std::deque<CallPtr> pending;  // PENDING: still cancellable
  detail::PendingCancels<std::mutex, std::condition_variable> cancels;  // taken from `pending`
  std::deque<Ahead> ahead;      // RUNNING, waiting for a free worker
  std::vector<Worker> workers;  // by rank, once spawned
  std::size_t busy = 0;
  std::uint64_t next_id = 1;
  bool shut_down = false;
  bool broken = false;
  detail::ManagerThread manager;
  Runtime::Group group;            // the manager's alone
  MPI_Comm ranks = MPI_COMM_NULL;  // group.comm
  std::vector<std::string> to_log;

  bool idle_locked() const { return pending.empty() && ahead.empty() && busy == 0; }

  void notify() {
    {
      std::lock_guard lock(mutex);
      woken = true;
    }
    wake.notify_one();
  }

  void run() {
    std::string cause;
    try {
      cause = spawn();
    } catch (const std::exception& e) {
      cause = std::string("could not start the MPI worker ranks: ") + e.what();
    }
    if (cause.empty()) {
      try {
        cause = loop();
      } catch (const std::exception& e) {
        cause = std::string("MPI failed: ") + e.what();
      }
    }
    if (!cause.empty()) terminate_broken(cause);
    // Ranks that ran an initializer or served a broken pool may hold its
    // state: they stop; the others serve a later pool.
    release_ranks(/*reusable=*/cause.empty() && initializer.empty());
  }

  // Takes an idle group of ranks, or spawns max_workers, and sends the config
  // to the first max_workers. Returns why the pool broke, or "".
  std::string spawn() {
    if (auto idle = Runtime::take_idle(max_workers)) {
      group = *idle;
      ranks = group.comm;
    } else if (std::string cause = spawn_group(); !cause.empty()) {
      return cause;
    }
    detail::BodyWriter config;
    config.bytes(initializer).bytes(initializer_args).u64(0);
    std::string frame = detail::encode_frame(detail::FrameType::kConfig, config.take());
    for (int r = 0; r < max_workers; ++r) send(ranks, r, kFrameTag, frame);
    std::lock_guard lock(mutex);
    workers.resize(static_cast<std::size_t>(max_workers));
    return "";
  }

  // Spawns a group of max_workers ranks. Returns why that failed, or "".
  std::string spawn_group() {
    std::string exe = self_exe();
    std::vector<char*> argv = {const_cast<char*>(detail::kMpiWorkerFlag), nullptr};
    std::vector<int> codes(static_cast<std::size_t>(max_workers), MPI_SUCCESS);
    // A pool may have more workers than the machine has cores, as a process
    // pool may: Open MPI refuses that unless told to oversubscribe.
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "map_by", "slot:OVERSUBSCRIBE");
    // An error returns here (the pool breaks) instead of aborting the program.
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    std::unique_lock one_at_a_time(Runtime::spawn_mutex());
    int rc = MPI_Comm_spawn(exe.c_str(), argv.data(), max_workers, info, 0, MPI_COMM_SELF, &ranks,
                            codes.data());
    one_at_a_time.unlock();
    MPI_Info_free(&info);
    if (rc != MPI_SUCCESS) return mpi_error("MPI_Comm_spawn", rc);
    for (int code : codes) {
      if (code != MPI_SUCCESS) return mpi_error("MPI_Comm_spawn of a worker", code);
    }
    group = {ranks, max_workers};
    MPI_Comm_set_errhandler(ranks, MPI_ERRORS_RETURN);
    return "";
  }

  // Moves calls from pending to ahead (RUNNING) while the window has room,
  // then gives each idle worker the next call ahead. Returns the sends.
  std::vector<std::pair<int, std::string>> dispatch_locked(std::vector<CallPtr>& unencodable) {
    while (!pending.empty() && ahead.size() < static_cast<std::size_t>(max_workers) + 1) {
      CallPtr call = std::move(pending.front());
      pending.pop_front();
      if (call->encode_error) {
        unencodable.push_back(std::move(call));  // fails alone, as in Python
        continue;
      }
      if (!call->set_running()) continue;  // cancelled: never runs [EXEC-CANCEL-1]
      std::uint64_t id = next_id++;
      std::string frame = detail::encode_call_frame(id, call->task, call->args);
      call->args = {};
      ahead.push_back({id, std::move(call), std::move(frame)});
    }
    std::vector<std::pair<int, std::string>> sends;
    for (std::size_t r = 0; r < workers.size() && !ahead.empty(); ++r) {
      if (workers[r].call) continue;
      Ahead next = std::move(ahead.front());
      ahead.pop_front();
      workers[r].call = std::move(next.call);
      workers[r].id = next.id;
      ++busy;
      sends.emplace_back(static_cast<int>(r), std::move(next.frame));
    }
    return sends;
  }

  // Until shut down and idle. Returns why the pool broke, or "".
  std::string loop() {
    Backoff backoff;
    for (;;) {
      std::vector<CallPtr> unencodable;
      std::vector<std::pair<int, std::string>> sends;
      {
        std::lock_guard lock(mutex);
        sends = dispatch_locked(unencodable);
        if (shut_down && idle_locked()) return "";
      }
      for (auto& call : unencodable) call->fail(call->encode_error);
      for (auto& [rank, frame] : sends) send(ranks, rank, kFrameTag, frame);
      bool active = !sends.empty() || !unencodable.empty();
      while (auto message = try_receive(ranks)) {
        active = true;
        std::string cause = handle(*message);
        if (!cause.empty()) return cause;
      }
      if (active) {
        backoff.reset();
        continue;
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, backoff.next(), [&] { return woken; });
      woken = false;
    }
  }

  // A worker's frame. Returns why the pool broke, or "".
  std::string handle(const Message& message) {
    if (message.tag != kFrameTag || message.source < 0 ||
        message.source >= static_cast<int>(workers.size())) {
      return std::string(msg::kMalformedFrame) + "unexpected message";
    }
    detail::Frame frame;
    detail::ResultFrame reply;
    try {
      frame = detail::decode_whole_frame(message.bytes);
      if (frame.type == detail::FrameType::kInitFailed) {
        // Logged before the pool breaks, as the process pool does [PPE-INIT-2].
        auto report = detail::parse_init_failed_frame(frame);
        cf::log(LogLevel::kCritical,
                std::string(msg::kInitializerFailed) +
                    detail::describe({report.error_type, report.error_message}));
        return msg::kBrokenProcessPool;  // [PPE-INIT-1]
      }
      reply = detail::parse_result_frame(frame);
    } catch (const std::exception& e) {
      return std::string(msg::kMalformedFrame) + e.what();  // [PPE-FRAME-1]
    }
    CallPtr call;
    {
      std::lock_guard lock(mutex);
      Worker& w = workers[static_cast<std::size_t>(message.source)];
      if (!w.call || w.id != reply.id) {
        return std::string(msg::kMalformedFrame) + "result for a call that is not running";
      }
      call = std::move(w.call);
      --busy;
    }
    if (!reply.ok) {
      call->fail(detail::rebuild_exception(
          {std::move(reply.error_type), std::move(reply.error_message)}));  // [PPE-REMOTE-1]
      return "";
    }
    try {
      call->succeed(reply.results);
    } catch (const std::exception& e) {
      std::string cause = std::string(msg::kMalformedFrame) + "result does not decode: " + e.what();
      call->fail(std::make_exception_ptr(BrokenProcessPool(cause)));
      return cause;
    }
    return "";
  }

  // Every unfinished call fails with BrokenProcessPool(cause); later submits
  // throw [PPE-BROKEN-1] [PPE-BROKEN-2].
  void terminate_broken(const std::string& cause) {
    std::vector<CallPtr> victims;
    {
      std::lock_guard lock(mutex);
      broken = true;
      victims.assign(pending.begin(), pending.end());
      pending.clear();
      for (auto& a : ahead) victims.push_back(std::move(a.call));
      ahead.clear();
      for (auto& w : workers) {
        if (w.call) victims.push_back(std::move(w.call));
      }
      busy = 0;
    }
    for (auto& v : victims) v->fail(std::make_exception_ptr(BrokenProcessPool(cause)));
  }

  // Ends the session of the ranks this pool configured and hands the group
  // back for a later pool, or stops every rank of it.
  void release_ranks(bool reusable) {
    if (ranks == MPI_COMM_NULL) return;
    if (reusable) {
      for (int r = 0; r < max_workers; ++r) {
        MPI_Send(nullptr, 0, MPI_BYTE, r, kEndTag, ranks);
      }
      Runtime::give_back(group);
    } else {
      Runtime::stop(group);
    }
    group = {};
    ranks = MPI_COMM_NULL;
    std::lock_guard lock(mutex);
    workers.clear();
  }
};

MpiPoolExecutor::MpiPoolExecutor(Options options) : impl_(std::make_shared<Impl>()) {
  int workers = options.max_workers.value_or(detail::process_cpu_count());
  if (workers <= 0) throw std::invalid_argument(msg::kMaxWorkers);
  if (&cf_process_worker_entry_present == nullptr) throw std::logic_error(msg::kNoWorkerEntry);
  Runtime::require();
  impl_->max_workers = workers;
  impl_->initializer = options.initializer.task();
  impl_->initializer_args = options.initializer.args();
  Runtime::pool_opened();
}

MpiPoolExecutor::~MpiPoolExecutor() {
  if (impl_->manager.is_current()) {
    // Destroyed from one of its own done-callbacks (see ManagerThread::detach).
    shutdown(false, false);
    impl_->manager.detach();
    return;
  }
  shutdown(true, false);
  Runtime::pool_closed();
}

void MpiPoolExecutor::enqueue(std::shared_ptr<detail::ProcessCall> call) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut_down) throw ShutdownError();
    if (impl_->broken) throw BrokenProcessPool(msg::kBrokenProcessPoolSubmit);  // [PPE-BROKEN-2]
    impl_->manager.start([impl = impl_] { impl->run(); });
    impl_->pending.push_back(std::move(call));
  }
  impl_->notify();
}

void MpiPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  std::deque<std::shared_ptr<detail::ProcessCall>> not_started;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->shut_down = true;
    // Only PENDING calls: the ones ahead are RUNNING [SHUT-CANCEL-1].
    if (cancel_futures) {
      not_started.swap(impl_->pending);
      impl_->cancels.begin_locked(not_started);
    }
  }
  impl_->cancels.cancel(impl_->mutex, not_started, [](auto& call) { call->cancel(); });
  impl_->notify();
  if (!wait) return;
  impl_->manager.join("cf::MpiPoolExecutor");
  std::unique_lock lock(impl_->mutex);
  impl_->cancels.wait(lock);  // what a concurrent cancelling shutdown took [SHUT-WAIT-1]
}

bool MpiPoolExecutor::is_broken() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->broken;
}

int MpiPoolExecutor::max_workers() const { return impl_->max_workers; }

std::size_t MpiPoolExecutor::worker_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->workers.size();
}

}  // namespace cf

// --- The worker rank ---------------------------------------------------------

namespace {

// The next message from the parent, polling with backoff up to `most`.
cf::Message receive(MPI_Comm parent,
                    std::chrono::microseconds most = std::chrono::microseconds(cf::kIdleMax)) {
  cf::Backoff backoff(most);
  for (;;) {
    if (auto m = cf::try_receive(parent)) return std::move(*m);
    auto wait = backoff.next();
    if (wait.count() == 0) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(wait);
    }
  }
}

// One pool's session: its config, then calls until kEndTag. Returns false
// when told to exit.
bool serve_session(MPI_Comm parent, const cf::Message& config, int& code) {
  using namespace cf::detail;
  Frame frame = decode_whole_frame(config.bytes);
  if (frame.type != FrameType::kConfig) throw std::runtime_error("expected a config frame");
  BodyReader in(frame.body);
  std::string initializer = in.bytes();
  std::string initializer_args = in.bytes();
  in.u64();
  in.finish();
  bool initialized = true;
  if (!initializer.empty()) {
    try {
      run_initializer(initializer, initializer_args);
    } catch (...) {
      auto remote = describe_exception(std::current_exception());
      InitFailedFrame report{std::move(remote.type), std::move(remote.message)};
      cf::send(parent, 0, cf::kFrameTag,
               encode_frame(FrameType::kInitFailed, encode_init_failed_body(report)));
      initialized = false;  // the parent breaks the pool and stops this rank [PPE-INIT-1]
      code = 1;
    }
  }
  for (;;) {
    cf::Message m = receive(parent);
    if (m.tag == cf::kExitTag) return false;
    if (m.tag == cf::kEndTag) return true;
    if (!initialized) continue;
    CallFrame call = parse_call_frame(decode_whole_frame(m.bytes));
    cf::send(parent, 0, cf::kFrameTag, encode_reply_frame(run_call(call)));
  }
}

// Sessions of successive pools until told to exit.
int serve(MPI_Comm parent) {
  int code = 0;
  for (;;) {
    cf::Message m = receive(parent, cf::kBetweenPoolsMax);
    if (m.tag == cf::kExitTag) return code;
    if (m.tag != cf::kFrameTag) continue;
    if (!serve_session(parent, m, code)) return code;
  }
}

}  // namespace

// Called by cf::detail::process_worker_entry in a rank spawned by a pool.
extern "C" int cf_mpi_worker_main(int argc, char** argv) {
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return 2;
  MPI_Comm parent = MPI_COMM_NULL;
  MPI_Comm_get_parent(&parent);
  if (parent == MPI_COMM_NULL) {
    std::fprintf(stderr, "%s: not spawned by a cf::MpiPoolExecutor\n", cf::detail::kMpiWorkerFlag);
    MPI_Finalize();
    return 2;
  }
  int code = 2;
  try {
    code = serve(parent);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cf MPI worker: %s\n", e.what());
  }
  MPI_Comm_disconnect(&parent);
  MPI_Finalize();
  return code;
}
