#include "noise.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace cf::conformance::noise {
namespace {

struct Config {
  bool on = false;
  std::uint64_t seed = 0;
};

Config read_config() {
  Config c;
  if (const char* s = std::getenv("CF_NOISE"); s && *s && std::string_view(s) != "0") {
    c.on = true;
    c.seed = std::strtoull(s, nullptr, 10);
  }
  return c;
}

const Config& config() {
  static const Config c = read_config();
  return c;
}

std::atomic<std::uint64_t> g_thread_counter{0};

// splitmix64: a small, well-mixed generator per thread.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

bool enabled() { return config().on; }
std::uint64_t seed() { return config().seed; }

void point() {
  if (!config().on) return;
  thread_local std::uint64_t state =
      config().seed * 0x100000001b3ULL + g_thread_counter.fetch_add(1, std::memory_order_relaxed);
  auto r = next(state);
  switch (r % 8) {
    case 0:
    case 1:
      std::this_thread::yield();
      break;
    case 2: {
      auto spins = (r >> 8) % 2000;
      for (std::uint64_t i = 0; i < spins; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
      break;
    }
    case 3:
      std::this_thread::sleep_for(std::chrono::microseconds((r >> 8) % 200));
      break;
    default:
      break;  // most points pass untouched
  }
}

}  // namespace cf::conformance::noise
