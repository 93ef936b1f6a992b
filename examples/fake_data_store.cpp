// cf_example_fake_data_store — seed 004 ("Multi-threading", Thread Synchronization).
//
// Mirrors the seed's FakeDataStore, whose update(n) copies `value`, sleeps
// 0.1 s, and writes the copy + 1 back, submitted for 'First', 'Second',
// 'Third' to ThreadPoolExecutor(max_workers=2):
//   update   no lock: First and Second both read 0, so one increment is lost
//            and the seed logs "Finishing value is 2"
//   update1  lock.acquire() ... lock.release(): always 3
//   update2  `with self._lock:` (std::lock_guard): always 3
// Each run is preceded by a "== ... ==" line so its result can be told apart.
// The sleep is the seed's 0.1 s; a run takes about 0.2-0.3 s.
//
// Without the lock the lost update is a logic race, not a C++ data race:
// `value` is a std::atomic read and written with separate relaxed operations,
// so the read-sleep-write window is exactly the seed's and the program stays
// well-defined (and clean under ThreadSanitizer).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "cf/cf.hpp"
#include "python_style.hpp"

namespace {

using examples::log_info;

class FakeDataStore {
 public:
  // Unsynchronised read-modify-write: updates can be lost.
  void update(const std::string& n) {
    log_info("Thread %s: starting update", n.c_str());
    int local_copy = value_.load(std::memory_order_relaxed);
    local_copy += 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    value_.store(local_copy, std::memory_order_relaxed);
    log_info("Thread %s: finishing update", n.c_str());
  }

  // Lock taken and released by hand, as lock.acquire() / lock.release().
  void update1(const std::string& n) {
    log_info("Thread %s: starting update", n.c_str());
    lock_.lock();
    log_info("Thread %s has the lock", n.c_str());
    int local_copy = value_.load(std::memory_order_relaxed);
    local_copy += 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    value_.store(local_copy, std::memory_order_relaxed);
    log_info("Thread %s release the lock", n.c_str());
    lock_.unlock();
    log_info("Thread %s: finishing update", n.c_str());
  }

  // Python's `with self._lock:` is a scoped lock.
  void update2(const std::string& n) {
    log_info("Thread %s: starting update", n.c_str());
    {
      std::lock_guard<std::mutex> guard(lock_);
      log_info("Thread %s has the lock", n.c_str());
      int local_copy = value_.load(std::memory_order_relaxed);
      local_copy += 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      value_.store(local_copy, std::memory_order_relaxed);
      log_info("Thread %s release the lock", n.c_str());
    }
    log_info("Thread %s: finishing update", n.c_str());
  }

  int value() const { return value_.load(); }

 private:
  std::atomic<int> value_{0};
  std::mutex lock_;
};

using Update = void (FakeDataStore::*)(const std::string&);

void run(const char* title, Update update) {
  std::printf("== %s ==\n", title);
  FakeDataStore store;
  log_info("Testing update. Starting value is %d", store.value());
  {
    cf::ThreadPoolExecutor executor(2);
    for (const char* n : {"First", "Second", "Third"}) {
      executor.submit(update, &store, std::string(n));
    }
  }  // the destructor is shutdown(wait=true): every update has finished
  log_info("Testing update. Finishing value is %d", store.value());
}

}  // namespace

int main() {
  run("FakeDataStore.update (no lock)", &FakeDataStore::update);
  run("FakeDataStore.update1 (acquire/release)", &FakeDataStore::update1);
  run("FakeDataStore.update2 (with lock)", &FakeDataStore::update2);
  return 0;
}
