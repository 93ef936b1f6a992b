#include "adapter.hpp"

#include <utility>

namespace cf::conformance {

std::string to_string(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::kValue:
      return "value";
    case Outcome::Kind::kNone:
      return "none";
    case Outcome::Kind::kTaskError:
      return "task-error";
    case Outcome::Kind::kCancelled:
      return "CancelledError";
    case Outcome::Kind::kTimeout:
      return "TimeoutError";
    case Outcome::Kind::kBroken:
      return "BrokenExecutor";
    case Outcome::Kind::kInvalidState:
      return "InvalidStateError";
    case Outcome::Kind::kShutdown:
      return "ShutdownError";
    case Outcome::Kind::kInvalidArgument:
      return "invalid-argument";
    case Outcome::Kind::kOther:
      return "other-error";
  }
  return "?";
}

std::string to_string(const Outcome& outcome) {
  std::string text = to_string(outcome.kind);
  if (outcome.kind == Outcome::Kind::kValue) text += "(" + std::to_string(outcome.value) + ")";
  if (!outcome.message.empty()) text += "(\"" + outcome.message + "\")";
  return text;
}

std::string cap_name(Cap cap) {
  switch (cap) {
    case Cap::kCancel:
      return "cancel";
    case Cap::kStateQueries:
      return "state-queries";
    case Cap::kResultTimeout:
      return "result-timeout";
    case Cap::kDoneCallbacks:
      return "done-callbacks";
    case Cap::kRawFuture:
      return "raw-future";
    case Cap::kWait:
      return "wait";
    case Cap::kWaitFirstException:
      return "wait-first-exception";
    case Cap::kAsCompleted:
      return "as-completed";
    case Cap::kMap:
      return "map";
    case Cap::kMapBuffersize:
      return "map-buffersize";
    case Cap::kShutdownNoWait:
      return "shutdown-nowait";
    case Cap::kCancelFutures:
      return "cancel-futures";
    case Cap::kDrainingDestructor:
      return "draining-destructor";
    case Cap::kMaxWorkers:
      return "max-workers";
    case Cap::kDefaultWorkers:
      return "default-workers";
    case Cap::kThreadCount:
      return "thread-count";
    case Cap::kThreadNames:
      return "thread-names";
    case Cap::kInitializer:
      return "initializer";
    case Cap::kHugeTimeouts:
      return "huge-timeouts";
    case Cap::kMixedTypes:
      return "mixed-types";
    case Cap::kHappensBefore:
      return "happens-before";
    case Cap::kLogHook:
      return "log-hook";
    case Cap::kVoidFutures:
      return "void-futures";
    case Cap::kCrash:
      return "crash";
    case Cap::kCancelResult:
      return "cancel-result";
    case Cap::kResultBlocking:
      return "result-blocking";
    case Cap::kWaitTimeout:
      return "wait-timeout";
    case Cap::kAsCompletedTimeout:
      return "as-completed-timeout";
    case Cap::kMapTimeout:
      return "map-timeout";
    case Cap::kWorkerCount:
      return "worker-count";
    case Cap::kDone:
      return "done";
  }
  return "?";
}

std::optional<Cap> cap_from_name(const std::string& name) {
  for (int bit = 0; bit < 64; ++bit) {
    auto cap = static_cast<Cap>(Caps{1} << bit);
    if (cap_name(cap) == name) return cap;
  }
  return std::nullopt;
}

std::string missing_caps(Caps have, Caps needed) {
  std::string names;
  for (int bit = 0; bit < 64; ++bit) {
    Caps c = Caps{1} << bit;
    if ((needed & c) && !(have & c)) {
      if (!names.empty()) names += ", ";
      names += cap_name(static_cast<Cap>(c));
    }
  }
  return names;
}

std::string missing_caps(Caps have, std::initializer_list<Cap> needed) {
  Caps all = 0;
  for (Cap c : needed) all |= static_cast<Caps>(c);
  return missing_caps(have, all);
}

}  // namespace cf::conformance
