#include "cf/detail/schedule_point.hpp"

#include <atomic>
#include <chrono>
#include <thread>

namespace cf::detail {
namespace {

std::atomic<bool> g_enabled{false};
std::atomic<std::uint64_t> g_seed{0};
// Bumped by every set_schedule_seed(), so threads reseed their generator.
std::atomic<std::uint64_t> g_epoch{0};
std::atomic<std::uint64_t> g_thread_counter{0};

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_name(const char* name) {
  std::uint64_t h = 1469598103934665603ULL;
  for (; *name; ++name) h = (h ^ static_cast<unsigned char>(*name)) * 1099511628211ULL;
  return h;
}

}  // namespace

void set_schedule_seed(std::uint64_t seed, bool enable) {
  g_seed.store(seed, std::memory_order_relaxed);
  g_epoch.fetch_add(1, std::memory_order_relaxed);
  g_enabled.store(enable, std::memory_order_release);
}

bool schedule_points_compiled() {
#if defined(CF_SCHEDULE_POINTS) && CF_SCHEDULE_POINTS
  return true;
#else
  return false;
#endif
}

void schedule_point(const char* name) {
  if (!g_enabled.load(std::memory_order_acquire)) return;
  // Each thread draws from its own stream (seed, epoch, n-th thread to reach
  // a point), so decisions need no shared state beyond the seed.
  thread_local std::uint64_t epoch = ~0ULL;
  thread_local std::uint64_t state = 0;
  std::uint64_t now_epoch = g_epoch.load(std::memory_order_relaxed);
  if (epoch != now_epoch) {
    epoch = now_epoch;
    state = splitmix(g_seed.load(std::memory_order_relaxed) ^
                     splitmix(g_thread_counter.fetch_add(1, std::memory_order_relaxed)));
  }
  state = splitmix(state ^ hash_name(name));
  switch (state % 16) {
    case 12:
    case 13:
      std::this_thread::yield();
      break;
    case 14:
      for (int i = 0; i < 4; ++i) std::this_thread::yield();
      break;
    case 15:
      std::this_thread::sleep_for(std::chrono::microseconds(1 + (state >> 8) % 50));
      break;
    default:
      break;  // most points go straight on, so runs still make progress
  }
}

}  // namespace cf::detail
