// noise_shim.cpp — schedule noise inside any executor, even a compiled one.
//
// Built as a shared library and preloaded (LD_PRELOAD) into a suite program
// and the worker processes it starts (noise.hpp: preload_shim). It defines
// the pthread mutex and condition-variable calls and syscall() (through which
// libstdc++ and most executors make their futex calls), so every such call a
// process makes, from the suite, from an adapter, or from inside a library
// like libtbb or libboost_thread, passes a noise point on its way to the real
// function: before a lock, after an unlock, before a signal or a futex wake,
// after a wait returns. Those are the moments whose order decides a race.
//
// Off until told: CF_NOISE=<seed> in the environment when the process starts,
// or cf_noise_shim_set() at run time (the suite's noise::set). Off, a call
// costs one relaxed load more.
//
// Rules for this file: it runs inside every lock of the process, so it takes
// no lock, allocates nothing after start-up, and sleeps only with
// clock_nanosleep.
#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>

namespace {

std::atomic<bool> g_on{false};
std::atomic<std::uint64_t> g_seed{0};
std::atomic<std::uint64_t> g_epoch{0};
std::atomic<std::uint64_t> g_threads{0};

__attribute__((tls_model("initial-exec"))) thread_local std::uint64_t t_epoch = ~0ULL;
__attribute__((tls_model("initial-exec"))) thread_local std::uint64_t t_state = 0;

std::uint64_t next() {
  std::uint64_t z = (t_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// How hard a point pushes: a point where another thread's next step is
// decided (after an unlock, before a wake) sleeps more often than one
// before a lock.
enum class Site { kBeforeLock, kAfterUnlock, kBeforeWake, kAfterWait };

void point(Site site) {
  if (!g_on.load(std::memory_order_relaxed)) return;
  std::uint64_t epoch = g_epoch.load(std::memory_order_relaxed);
  if (t_epoch != epoch) {
    t_epoch = epoch;
    t_state = g_seed.load(std::memory_order_relaxed) * 0x100000001b3ULL +
              g_threads.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t r = next();
  unsigned roll = static_cast<unsigned>(r & 63);
  unsigned sleep_below = site == Site::kBeforeLock ? 1 : 3;  // of 64
  if (roll < sleep_below) {
    timespec ts{0, static_cast<long>(1000 + (r >> 8) % 40000)};  // 1 to 41 us
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
  } else if (roll < 8) {
    sched_yield();
  } else if (roll < 12) {
    for (std::uint64_t i = (r >> 8) % 1000; i > 0; --i)
      std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

template <class F>
F real(F& slot, const char* name) {
  if (!slot) slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  return slot;
}

using MutexFn = int (*)(pthread_mutex_t*);
using CondWaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*);
using CondTimedFn = int (*)(pthread_cond_t*, pthread_mutex_t*, const timespec*);
using CondClockFn = int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const timespec*);
using CondFn = int (*)(pthread_cond_t*);
using SyscallFn = long (*)(long, ...);

MutexFn g_lock, g_trylock, g_unlock;
CondWaitFn g_wait;
CondTimedFn g_timedwait;
CondClockFn g_clockwait;
CondFn g_signal, g_broadcast;
SyscallFn g_syscall;

__attribute__((constructor(101))) void resolve() {
  real(g_lock, "pthread_mutex_lock");
  real(g_trylock, "pthread_mutex_trylock");
  real(g_unlock, "pthread_mutex_unlock");
  real(g_wait, "pthread_cond_wait");
  real(g_timedwait, "pthread_cond_timedwait");
  real(g_clockwait, "pthread_cond_clockwait");
  real(g_signal, "pthread_cond_signal");
  real(g_broadcast, "pthread_cond_broadcast");
  real(g_syscall, "syscall");
  if (const char* s = std::getenv("CF_NOISE"); s && *s && !(s[0] == '0' && s[1] == 0)) {
    g_seed.store(std::strtoull(s, nullptr, 10), std::memory_order_relaxed);
    g_on.store(true, std::memory_order_relaxed);
  }
}

bool is_wake(long op) {
  op &= FUTEX_CMD_MASK;
  return op == FUTEX_WAKE || op == FUTEX_WAKE_BITSET || op == FUTEX_WAKE_OP ||
         op == FUTEX_REQUEUE || op == FUTEX_CMP_REQUEUE;
}

}  // namespace

extern "C" {

// The suite's switch (noise::set).
__attribute__((visibility("default"))) void cf_noise_shim_set(int on, std::uint64_t seed) {
  g_seed.store(seed, std::memory_order_relaxed);
  g_epoch.fetch_add(1, std::memory_order_relaxed);
  g_on.store(on != 0, std::memory_order_relaxed);
}

__attribute__((visibility("default"))) int pthread_mutex_lock(pthread_mutex_t* m) noexcept {
  point(Site::kBeforeLock);
  return real(g_lock, "pthread_mutex_lock")(m);
}

__attribute__((visibility("default"))) int pthread_mutex_trylock(pthread_mutex_t* m) noexcept {
  point(Site::kBeforeLock);
  return real(g_trylock, "pthread_mutex_trylock")(m);
}

__attribute__((visibility("default"))) int pthread_mutex_unlock(pthread_mutex_t* m) noexcept {
  int rc = real(g_unlock, "pthread_mutex_unlock")(m);
  point(Site::kAfterUnlock);
  return rc;
}

__attribute__((visibility("default"))) int pthread_cond_wait(pthread_cond_t* c,
                                                             pthread_mutex_t* m) {
  int rc = real(g_wait, "pthread_cond_wait")(c, m);
  point(Site::kAfterWait);
  return rc;
}

__attribute__((visibility("default"))) int pthread_cond_timedwait(pthread_cond_t* c,
                                                                  pthread_mutex_t* m,
                                                                  const timespec* t) {
  int rc = real(g_timedwait, "pthread_cond_timedwait")(c, m, t);
  point(Site::kAfterWait);
  return rc;
}

__attribute__((visibility("default"))) int pthread_cond_clockwait(pthread_cond_t* c,
                                                                  pthread_mutex_t* m,
                                                                  clockid_t clock,
                                                                  const timespec* t) {
  int rc = real(g_clockwait, "pthread_cond_clockwait")(c, m, clock, t);
  point(Site::kAfterWait);
  return rc;
}

__attribute__((visibility("default"))) int pthread_cond_signal(pthread_cond_t* c) noexcept {
  point(Site::kBeforeWake);
  return real(g_signal, "pthread_cond_signal")(c);
}

__attribute__((visibility("default"))) int pthread_cond_broadcast(pthread_cond_t* c) noexcept {
  point(Site::kBeforeWake);
  return real(g_broadcast, "pthread_cond_broadcast")(c);
}

// Forwards all six argument registers, as glibc's own syscall() reads them.
__attribute__((visibility("default"))) long syscall(long number, ...) noexcept {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_futex && is_wake(a[1])) point(Site::kBeforeWake);
  long rc = real(g_syscall, "syscall")(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (number == SYS_futex && !is_wake(a[1])) point(Site::kAfterWait);
  return rc;
}

}  // extern "C"
