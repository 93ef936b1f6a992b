// cf/log.hpp — where cf reports what it cannot throw [EXT-LOG-1].
//
// A done-callback that throws [FUT-CB-4] and a worker initializer that throws
// [TPE-INIT-2] are reported here, as Python logs them on the
// `concurrent.futures` logger. The default handler writes one line to stderr.
//
// Thread-safety: set_log_handler and log may be called from any thread; the
// handler itself may be called concurrently from several threads and must be
// thread-safe. Guarantees: a handler installed by set_log_handler sees every
// event logged after set_log_handler returns.
#pragma once

#include <functional>
#include <string_view>

namespace cf {

enum class LogLevel { kError, kCritical };

using LogHandler = std::function<void(LogLevel, std::string_view)>;

// Installs `handler` (an empty handler restores the default) and returns the
// previous one.
LogHandler set_log_handler(LogHandler handler);

// Reports `message` at `level` through the installed handler.
void log(LogLevel level, std::string_view message);

}  // namespace cf
