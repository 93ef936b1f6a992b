#include "noise.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "sanitizer.hpp"

namespace cf::conformance::noise {
namespace {

// The shim's switch (noise_shim.cpp), found at run time when it is loaded.
using ShimSet = void (*)(int on, std::uint64_t seed);

ShimSet shim_switch() {
  static const ShimSet fn = reinterpret_cast<ShimSet>(dlsym(RTLD_DEFAULT, "cf_noise_shim_set"));
  return fn;
}

std::atomic<bool> g_on{false};
std::atomic<std::uint64_t> g_seed{0};
// Bumped by every set(), so threads reseed their generator.
std::atomic<std::uint64_t> g_epoch{0};
std::atomic<std::uint64_t> g_thread_counter{0};

// splitmix64: a small, well-mixed generator per thread.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool read_environment() {
  if (const char* s = std::getenv("CF_NOISE"); s && *s && std::string_view(s) != "0") {
    g_seed.store(std::strtoull(s, nullptr, 10), std::memory_order_relaxed);
    g_on.store(true, std::memory_order_release);
  }
  return true;
}
[[maybe_unused]] const bool g_read = read_environment();

std::string g_unavailable;  // written in main before any thread starts

}  // namespace

bool enabled() { return g_on.load(std::memory_order_acquire); }
std::uint64_t seed() { return g_seed.load(std::memory_order_relaxed); }

void set(bool on, std::uint64_t seed) {
  g_seed.store(seed, std::memory_order_relaxed);
  g_epoch.fetch_add(1, std::memory_order_relaxed);
  g_on.store(on, std::memory_order_release);
  if (auto fn = shim_switch()) fn(on ? 1 : 0, seed);
  // Worker processes started from now on follow the same setting.
  if (on) {
    setenv("CF_NOISE", std::to_string(seed == 0 ? 1 : seed).c_str(), 1);
  } else {
    unsetenv("CF_NOISE");
  }
}

void point() {
  if (!g_on.load(std::memory_order_relaxed)) return;
  thread_local std::uint64_t epoch = ~0ULL;
  thread_local std::uint64_t state = 0;
  std::uint64_t now = g_epoch.load(std::memory_order_relaxed);
  if (epoch != now) {
    epoch = now;
    state = g_seed.load(std::memory_order_relaxed) * 0x100000001b3ULL +
            g_thread_counter.fetch_add(1, std::memory_order_relaxed);
  }
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

bool shim_loaded() { return shim_switch() != nullptr; }

std::string shim_path() {
  if (const char* s = std::getenv("CF_NOISE_SHIM"); s) return s;
#ifdef CF_NOISE_SHIM_PATH
  return CF_NOISE_SHIM_PATH;
#else
  return {};
#endif
}

std::string shim_unavailable_reason() {
  if (shim_loaded()) return {};
  return g_unavailable.empty() ? "the noise shim is not loaded" : g_unavailable;
}

void preload_shim(char** argv, bool wanted) {
  if (!wanted || shim_loaded()) return;
  if (const char* sanitizer = sanitizer::active(); *sanitizer) {
    // The sanitizer runtimes intercept the same calls and must come first.
    g_unavailable = std::string("a ") + sanitizer +
                    " sanitizer build: noise reaches the adapter boundary and probes only";
    return;
  }
  std::string path = shim_path();
  if (path.empty() || access(path.c_str(), R_OK) != 0) {
    g_unavailable = "no noise shim" + (path.empty() ? std::string() : " at " + path) +
                    ": noise reaches the adapter boundary and probes only";
    return;
  }
  if (std::getenv("CF_NOISE_PRELOADED")) {
    g_unavailable = "the noise shim was preloaded but did not load (" + path + ")";
    return;
  }
  std::string preload = path;
  if (const char* old = std::getenv("LD_PRELOAD"); old && *old) preload += std::string(":") + old;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("CF_NOISE_PRELOADED", "1", 1);
  execv("/proc/self/exe", argv);
  g_unavailable = "could not run again with the noise shim preloaded";
}

}  // namespace cf::conformance::noise
