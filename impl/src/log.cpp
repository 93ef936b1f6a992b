#include "cf/log.hpp"

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace cf {
namespace {

std::mutex g_mutex;
std::shared_ptr<const LogHandler> g_handler;  // null = default

void default_handler(LogLevel level, std::string_view message) {
  const char* tag = level == LogLevel::kCritical ? "CRITICAL" : "ERROR";
  std::string line = std::string("cf ") + tag + ": " + std::string(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

LogHandler set_log_handler(LogHandler handler) {
  auto next = handler ? std::make_shared<const LogHandler>(std::move(handler)) : nullptr;
  std::lock_guard lock(g_mutex);
  auto previous = std::exchange(g_handler, std::move(next));
  return previous ? *previous : LogHandler{};
}

void log(LogLevel level, std::string_view message) {
  std::shared_ptr<const LogHandler> handler;
  {
    std::lock_guard lock(g_mutex);
    handler = g_handler;
  }
  // Called outside the lock so a handler may itself log or swap handlers.
  if (handler) {
    (*handler)(level, message);
  } else {
    default_handler(level, message);
  }
}

}  // namespace cf
