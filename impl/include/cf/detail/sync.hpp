// cf/detail/sync.hpp — the synchronisation policy every cf source uses.
//
// cf's thread pool, futures, wait() and as_completed() take their mutexes,
// condition variables, hot-path atomics, threads, futex and clock from here,
// never from std:: directly, so one source runs under two schedulers:
//
//   production (default)  plain aliases of the std:: types and the Linux
//                         futex: the compiled code is the same as without
//                         this header (no wrapper, no indirection).
//   exploration           CF_EXPLORE=1 (explore/, never in cf itself): the
//                         same names from cf/explore/sync.hpp, where every
//                         operation is a decision of a controlled cooperative
//                         scheduler with a virtual clock (explore/README.md).
//   Relacy                CF_EXPLORE_RELACY=1 (explore/relacy/): the atomics,
//                         futex and clock DoneSignal needs, on Relacy, which
//                         models the C++ memory model.
//
// Internal. The members, with the std:: contract each follows:
//   Mutex, CondVar         std::mutex, std::condition_variable
//   Atomic<T>              std::atomic<T>
//   Thread, this_thread_id std::thread, std::this_thread::get_id
//   Clock                  std::chrono::steady_clock (cf::Clock)
//   kSpinModel             false: spin_wait.hpp spins for real
// and, in the exploration instance only, futex_wait/futex_wake_all for the
// DoneSignal futex (production keeps its syscalls in done_signal.cpp).
#pragma once

#if defined(CF_EXPLORE) && CF_EXPLORE
#include "cf/explore/sync.hpp"
#elif defined(CF_EXPLORE_RELACY) && CF_EXPLORE_RELACY
#include "cf/explore/sync_relacy.hpp"
#else

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cf::detail::sync {

using Mutex = std::mutex;
using CondVar = std::condition_variable;
template <class T>
using Atomic = std::atomic<T>;
using Thread = std::thread;
using Clock = std::chrono::steady_clock;
inline constexpr bool kSpinModel = false;

inline std::thread::id this_thread_id() { return std::this_thread::get_id(); }

}  // namespace cf::detail::sync

#endif
