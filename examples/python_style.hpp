// examples/python_style.hpp — the few bits of Python's printing the seed programs rely on.
//
// The examples print what their Python originals print, so they need Python's
// `logging` line format ("%(asctime)s: %(message)s" with datefmt "%H:%M:%S"),
// the repr of a Future ("<Future at 0x... state=finished returned int>") and
// of a set of futures ("{...}" or "set()"), and True/False.
//
// Thread-safety: log_info may be called from any thread; each call writes one
// whole line (Python's logging handlers also hold a lock per record).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>

#include "cf/cf.hpp"

namespace examples {

inline const char* py_bool(bool b) { return b ? "True" : "False"; }

// logging.info(fmt, args...) with the seeds' basicConfig format.
[[gnu::format(printf, 1, 2)]] inline void log_info(const char* fmt, ...) {
  static std::mutex mu;
  char message[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message, sizeof message, fmt, args);
  va_end(args);

  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);

  // Without the lock, lines from two workers could interleave mid-line.
  std::lock_guard<std::mutex> lock(mu);
  std::printf("%s: %s\n", stamp, message);
  std::fflush(stdout);
}

// repr(future), as CPython's Future.__repr__ writes it. `returned` names the
// result type, which Python takes from the value and C++ cannot.
inline std::string future_repr(const cf::AnyFuture& f, std::string_view returned = "int") {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(&f.state()));
  std::string state;
  if (f.cancelled()) {
    state = "cancelled";
  } else if (f.running()) {
    state = "running";
  } else if (!f.done()) {
    state = "pending";
  } else if (f.exception(std::chrono::seconds(0))) {
    state = "finished raised exception";
  } else {
    state = "finished returned " + std::string(returned);
  }
  return "<Future at " + std::string(address) + " state=" + state + ">";
}

// str(set_of_futures): "{<Future ...>, <Future ...>}", or "set()" when empty.
inline std::string set_repr(const cf::FutureSet& futures, std::string_view returned = "int") {
  if (futures.empty()) return "set()";
  std::string out = "{";
  for (const auto& f : futures) {
    if (out.size() > 1) out += ", ";
    out += future_repr(f, returned);
  }
  return out + "}";
}

}  // namespace examples
