// The JSON forms of driver.py's protocol (protocol.hpp).
#include "protocol.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <type_traits>
#include <variant>

#include "cf/detail/posix_io.hpp"

namespace cf::conformance::cpython {

[[noreturn]] void fail(std::string message) {
  throw Raised{Outcome::error(Outcome::Kind::kOther, std::move(message))};
}

std::optional<std::string> LineReader::next() {
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char chunk[4096];
    long n = cf::detail::read_some(fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

Outcome parse_outcome(const json& j) {
  const std::string k = j.at("k").get<std::string>();
  std::string m = j.contains("m") ? j["m"].get<std::string>() : std::string();
  using K = Outcome::Kind;
  if (k == "value") return Outcome::of_value(j.at("v").get<std::int64_t>());
  if (k == "none") return Outcome{};
  if (k == "task") return Outcome::error(K::kTaskError, m);
  if (k == "cancelled") return Outcome::error(K::kCancelled, m);
  if (k == "timeout") return Outcome::error(K::kTimeout, m);
  if (k == "broken") return Outcome::error(K::kBroken, m);
  if (k == "invalid") return Outcome::error(K::kInvalidState, m);
  if (k == "shutdown") return Outcome::error(K::kShutdown, m);
  if (k == "invarg") return Outcome::error(K::kInvalidArgument, m);
  return Outcome::error(K::kOther, m);
}

json probe_json(const Probe& probe) {
  json steps = json::array();
  for (const Step& s : probe.steps) {
    switch (s.kind) {
      case Step::Kind::kRecord:
        steps.push_back({"record", s.slot, s.value});
        break;
      case Step::Kind::kGate:
        steps.push_back({"gate", s.slot});
        break;
      case Step::Kind::kSleep:
        steps.push_back({"sleep", s.duration.count()});
        break;
      case Step::Kind::kRecordWorker:
        steps.push_back({"worker", s.slot});
        break;
      case Step::Kind::kCrash:
        steps.push_back({"crash"});
        break;
    }
  }
  return {
      {"steps", steps}, {"fails", probe.fails}, {"value", probe.value}, {"message", probe.message}};
}

// A Python timeout in seconds. cf::Timeout exposes only its deadline, and
// treats >= 1e9 s as "never"; such a timeout is sent as 1e300 s, so CPython
// sees a huge finite timeout, not None (FUT-RESULT-7 tests exactly that).
// The timeout in seconds as the test wrote it (Timeout::raw), so CPython's own
// handling of huge and negative lengths is what is judged; lengths beyond a
// double's range (and infinities) travel as +-1e300, as large for Python as
// they were for C++.
json timeout_json(const Timeout& timeout) {
  if (!timeout.has_raw()) {
    if (timeout.is_none()) return nullptr;
    return std::chrono::duration<double>(timeout.length()).count();
  }
  long double seconds = std::visit(
      [](auto length) -> long double {
        if constexpr (std::is_same_v<decltype(length), std::monostate>) {
          return 0;
        } else {
          using Period = typename decltype(length)::period;
          return static_cast<long double>(length.count()) * Period::num / Period::den;
        }
      },
      timeout.raw());
  if (seconds != seconds) return nullptr;
  if (seconds > 1e300L) return 1e300;
  if (seconds < -1e300L) return -1e300;
  return static_cast<double>(seconds);
}

}  // namespace cf::conformance::cpython
