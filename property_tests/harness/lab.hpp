// lab.hpp — gates and logs a test shares with the tasks it submits.
//
// The state lives in one shared-memory block guarded by a process-shared
// mutex, so the same gates and logs work for tasks on threads and on worker
// processes. A test opens gates to release tasks (no sleeps) and reads logs to
// see what ran in which order.
//
// Thread-safety: every method may be called from any thread or process that
// maps the block. A task blocked at a gate gives up after kGateLimit (a
// generous upper bound) so a failing test still drains its executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cf/timeout.hpp"

namespace cf::conformance {

struct LabBlock;  // the shared-memory layout, in lab.cpp

class Lab {
 public:
  static constexpr int kGates = 128;
  static constexpr int kLogs = 16;
  static constexpr std::size_t kLogCapacity = 20000;
  // Upper bound on a gate wait, so an unopened gate never hangs a run.
  static constexpr std::chrono::seconds kGateLimit{120};

  Lab();
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;
  Lab(Lab&& other) noexcept;
  Lab& operator=(Lab&&) = delete;

  // Test side.
  int new_gate();
  int new_log();
  void open(int gate);
  void open_all();
  // Closes `gate` and forgets its arrivals, and empties `log`, so a scene
  // repeated many times (a stress scenario's iterations) reuses its gates and
  // logs. Only once no task of the last round can still reach them.
  void reset_gate(int gate);
  void clear_log(int log);
  // Tasks that have reached `gate` so far (started, possibly still blocked).
  int arrived(int gate) const;
  // Blocks until `count` tasks have reached `gate`, or `timeout`; true if so.
  bool await_arrivals(int gate, int count, Timeout timeout) const;
  std::vector<std::int64_t> log(int log) const;
  bool await_log_size(int log, std::size_t size, Timeout timeout) const;

  // Task side.
  void pass_gate(int gate);
  void append(int log, std::int64_t value);

  // For process backends: the block's file descriptor (memfd) to share.
  int fd() const { return fd_; }
  // Attaches to a block created by another process.
  static Lab attach(int fd);

 private:
  explicit Lab(int fd, bool create);
  int fd_ = -1;
  LabBlock* block_ = nullptr;
  int next_gate_ = 0;
  int next_log_ = 0;
};

}  // namespace cf::conformance
