// The Lab server (lab_server.hpp).
#include "lab_server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <sstream>
#include <stdexcept>

#include "cf/detail/posix_io.hpp"
#include "protocol.hpp"

namespace cf::conformance::cpython {

LabServer::LabServer() {
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

LabServer::~LabServer() {
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

int LabServer::enroll(Lab& lab) {
  int fd = ::dup(lab.fd());
  if (fd < 0) throw std::runtime_error("cpython adapter: cannot share the lab");
  auto shared = std::make_shared<Lab>(Lab::attach(fd));
  std::lock_guard lock(mutex_);
  labs_.emplace(next_lab_, std::move(shared));
  return next_lab_++;
}

void LabServer::retire(int id) {
  std::lock_guard lock(mutex_);
  labs_.erase(id);
}

void LabServer::accept_loop() {
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

void LabServer::serve(int fd) {
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
    if (!cf::detail::write_all(fd, "ok\n")) break;
  }
  std::lock_guard lock(mutex_);
  conns_.erase(std::remove(conns_.begin(), conns_.end(), fd), conns_.end());
  ::close(fd);
}

}  // namespace cf::conformance::cpython
