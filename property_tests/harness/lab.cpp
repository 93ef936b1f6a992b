#include "lab.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace cf::conformance {

struct LabBlock {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  struct Gate {
    int arrived;
    bool open;
  } gates[Lab::kGates];
  struct Log {
    std::size_t size;
    std::int64_t entries[Lab::kLogCapacity];
  } logs[Lab::kLogs];
};

namespace {

class Locked {
 public:
  explicit Locked(LabBlock* b) : b_(b) { pthread_mutex_lock(&b_->mutex); }
  ~Locked() { pthread_mutex_unlock(&b_->mutex); }
  // Waits on the block's condition until `pred` or `deadline`; true if pred.
  template <class Pred>
  bool wait(const Deadline& deadline, Pred pred) {
    while (!pred()) {
      if (deadline.is_never()) {
        pthread_cond_wait(&b_->changed, &b_->mutex);
        continue;
      }
      auto left = deadline.remaining();
      if (left <= Clock::duration::zero()) return pred();
      timespec until;
      clock_gettime(CLOCK_MONOTONIC, &until);
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      until.tv_sec += ns / 1000000000;
      until.tv_nsec += ns % 1000000000;
      if (until.tv_nsec >= 1000000000) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&b_->changed, &b_->mutex, &until);
    }
    return true;
  }

 private:
  LabBlock* b_;
};

void check(int rc, const char* what) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

}  // namespace

Lab::Lab() : Lab(-1, true) {}

Lab::Lab(int fd, bool create) {
  if (create) {
    fd = memfd_create("cf-lab", 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
    if (ftruncate(fd, sizeof(LabBlock)) != 0) {
      close(fd);
      throw std::system_error(errno, std::generic_category(), "ftruncate");
    }
  }
  void* p = mmap(nullptr, sizeof(LabBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  fd_ = fd;
  block_ = static_cast<LabBlock*>(p);
  if (!create) return;
  // A fresh memfd is zero-filled: gates closed, logs empty.
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  check(pthread_mutex_init(&block_->mutex, &ma), "pthread_mutex_init");
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  check(pthread_cond_init(&block_->changed, &ca), "pthread_cond_init");
  pthread_condattr_destroy(&ca);
}

Lab::Lab(Lab&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      block_(std::exchange(other.block_, nullptr)),
      next_gate_(other.next_gate_),
      next_log_(other.next_log_) {}

Lab::~Lab() {
  if (block_) munmap(block_, sizeof(LabBlock));
  if (fd_ >= 0) close(fd_);
}

Lab Lab::attach(int fd) { return Lab(fd, false); }

int Lab::new_gate() {
  if (next_gate_ >= kGates) throw std::length_error("Lab: out of gates");
  return next_gate_++;
}

int Lab::new_log() {
  if (next_log_ >= kLogs) throw std::length_error("Lab: out of logs");
  return next_log_++;
}

void Lab::open(int gate) {
  Locked lock(block_);
  block_->gates[gate].open = true;
  pthread_cond_broadcast(&block_->changed);
}

void Lab::open_all() {
  Locked lock(block_);
  for (auto& g : block_->gates) g.open = true;
  pthread_cond_broadcast(&block_->changed);
}

void Lab::reset_gate(int gate) {
  Locked lock(block_);
  block_->gates[gate] = {0, false};
}

void Lab::clear_log(int log) {
  Locked lock(block_);
  block_->logs[log].size = 0;
}

int Lab::arrived(int gate) const {
  Locked lock(block_);
  return block_->gates[gate].arrived;
}

bool Lab::await_arrivals(int gate, int count, Timeout timeout) const {
  auto deadline = timeout.deadline();
  Locked lock(block_);
  return lock.wait(deadline, [&] { return block_->gates[gate].arrived >= count; });
}

std::vector<std::int64_t> Lab::log(int log) const {
  Locked lock(block_);
  const auto& l = block_->logs[log];
  return std::vector<std::int64_t>(l.entries, l.entries + l.size);
}

bool Lab::await_log_size(int log, std::size_t size, Timeout timeout) const {
  auto deadline = timeout.deadline();
  Locked lock(block_);
  return lock.wait(deadline, [&] { return block_->logs[log].size >= size; });
}

void Lab::pass_gate(int gate) {
  auto deadline = Timeout(kGateLimit).deadline();
  Locked lock(block_);
  ++block_->gates[gate].arrived;
  pthread_cond_broadcast(&block_->changed);
  lock.wait(deadline, [&] { return block_->gates[gate].open; });
}

void Lab::append(int log, std::int64_t value) {
  Locked lock(block_);
  auto& l = block_->logs[log];
  if (l.size < kLogCapacity) l.entries[l.size++] = value;
  pthread_cond_broadcast(&block_->changed);
}

}  // namespace cf::conformance
