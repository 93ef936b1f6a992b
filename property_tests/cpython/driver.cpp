// The interpreter process and its request protocol (driver.hpp).
#include "driver.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "cf/detail/posix_io.hpp"

#ifndef CF_PYTHON_EXECUTABLE
#define CF_PYTHON_EXECUTABLE "python3"
#endif
#ifndef CF_CPYTHON_DRIVER
#error "CF_CPYTHON_DRIVER (the path of driver.py) must be defined"
#endif

extern char** environ;

namespace cf::conformance::cpython {

namespace {

// While a done-callback body runs in C++ on behalf of a CPython thread (which
// waits for it), "the calling thread" is that CPython thread.
thread_local std::optional<std::int64_t> t_python_thread;
// While it runs a callback for a CPython pool thread, the C++ thread's
// requests are served by that pool thread (it waits for the callback).
thread_local std::optional<std::int64_t> t_route;

}  // namespace

std::optional<std::int64_t> Driver::python_thread() { return t_python_thread; }

Driver::Driver(std::vector<std::string> launcher, const std::string& interpreter) {
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

Driver::~Driver() {
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

json Driver::call(json request) {
  auto token = t_route ? *t_route : this_thread_token();
  request["t"] = token;
  std::unique_lock lock(mutex_);
  if (dead_) fail("the python driver has exited");
  Slot& slot = slots_[token];
  slot.reply.reset();
  lock.unlock();
  {
    std::lock_guard write_lock(write_mutex_);
    if (!cf::detail::write_all(in_fd_, request.dump() + "\n"))
      fail("cannot write to the python driver");
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

std::int64_t Driver::add_callback(std::function<void(const CallbackEvent&)> callback) {
  std::lock_guard lock(mutex_);
  callbacks_.emplace(++next_id_, std::move(callback));
  return next_id_;
}

std::int64_t Driver::add_maker(std::function<Probe(std::int64_t)> make) {
  std::lock_guard lock(mutex_);
  makers_.emplace(++next_id_, std::move(make));
  return next_id_;
}

void Driver::read_loop() {
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

void Driver::dispatch_loop() {
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

void Driver::run_event(const json& event) {
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
  cf::detail::write_all(in_fd_, ack.dump() + "\n");
}

}  // namespace cf::conformance::cpython
