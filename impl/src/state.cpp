#include "cf/detail/state.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <typeinfo>

#include "cf/detail/schedule_point.hpp"
#include "cf/log.hpp"

namespace cf::detail {

const char* status_name(Status status) {
  switch (status) {
    case Status::kPending:
      return "PENDING";
    case Status::kRunning:
      return "RUNNING";
    case Status::kCancelled:
      return "CANCELLED";
    case Status::kFinished:
      return "FINISHED";
  }
  return "UNKNOWN";
}

std::string type_name(const std::type_info& type) {
  if (type == typeid(void)) return "void";
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string text = status == 0 && name ? name : type.name();
  std::free(name);
  return text;
}

namespace {

// The type of the exception `error` holds, as a name. Rethrowing runs no
// user code: the object is caught by reference, not copied.
std::string exception_type_name(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return type_name(typeid(e));
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type ? type_name(*type) : "unknown exception";
  }
}

}  // namespace

bool StateBase::cancel() {
  CF_SCHEDULE_POINT("cancel");
  std::vector<Callback> callbacks;
  {
    std::lock_guard lock(mutex_);
    // [FUT-CANCEL-2/3]; a cancelled future's callbacks already ran [FUT-CANCEL-4].
    if (status_ == Status::kRunning || status_ == Status::kFinished) return false;
    if (status_ == Status::kCancelled) return true;
    status_ = Status::kCancelled;
    // Unlike CPython, waiters hear of the cancellation now, not when an
    // executor later calls set_running_or_notify_cancel [WAIT-CANCEL-1].
    callbacks = notify_locked();
  }
  invoke_callbacks(callbacks);  // in the cancelling thread [FUT-CB-6]
  return true;
}

bool StateBase::wait_done(const Deadline& deadline) const {
  return done_signal_.wait_until(deadline);
}

std::exception_ptr StateBase::outcome_exception() const {
  std::lock_guard lock(mutex_);
  if (status_ == Status::kCancelled) throw CancelledError();
  return exception_locked();
}

std::exception_ptr StateBase::exception(const Deadline& deadline) const {
  if (!wait_done(deadline)) throw TimeoutError();
  return outcome_exception();
}

void StateBase::add_done_callback(Callback callback) {
  CF_SCHEDULE_POINT("add_done_callback");
  {
    std::lock_guard lock(mutex_);
    if (status_ != Status::kCancelled && status_ != Status::kFinished) {
      extras_locked().callbacks.push_back(std::move(callback));
      return;
    }
  }
  invoke_one(callback);  // already done: now, in the caller's thread [FUT-CB-3]
}

bool StateBase::set_running_or_notify_cancel() {
  CF_SCHEDULE_POINT("set_running_or_notify_cancel");
  std::lock_guard lock(mutex_);
  switch (status_) {
    case Status::kPending:
      status_ = Status::kRunning;
      return true;
    case Status::kCancelled:
      return false;  // waiters were told at cancel() time [FUT-SET-1]
    default:
      throw InvalidStateError(std::string(msg::kUnexpectedState) + ": " +
                              invalid_state_message_locked());  // [FUT-SET-2]
  }
}

void StateBase::set_exception(std::exception_ptr error) {
  complete([&] { extras_locked().exception = std::move(error); });
}

bool StateBase::add_waiter(Waiter* waiter) {
  CF_SCHEDULE_POINT("add_waiter");
  std::lock_guard lock(mutex_);
  if (status_ == Status::kCancelled || status_ == Status::kFinished) return false;
  extras_locked().waiters.push_back(waiter);
  return true;
}

void StateBase::remove_waiter(Waiter* waiter) {
  std::lock_guard lock(mutex_);
  if (extras_) std::erase(extras_->waiters, waiter);
}

std::string StateBase::describe() const {
  std::lock_guard lock(mutex_);
  return describe_locked();
}

std::vector<StateBase::Callback> StateBase::notify_locked() {
  done_signal_.set();
  if (!extras_) return {};
  for (Waiter* waiter : extras_->waiters) waiter->on_complete(this);
  extras_->waiters.clear();
  return std::exchange(extras_->callbacks, {});
}

StateBase::Extras& StateBase::extras_locked() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

void StateBase::invoke_callbacks(const std::vector<Callback>& callbacks) {
  for (const auto& callback : callbacks) invoke_one(callback);  // in order added [FUT-CB-2]
}

void StateBase::invoke_one(const Callback& callback) {
  // A throwing callback is logged and must not stop the others [FUT-CB-4].
  try {
    callback(shared_from_this());
  } catch (const std::exception& error) {
    log(LogLevel::kError, msg::kCallbackFailed + describe() + ": " + error.what());
  } catch (...) {
    log(LogLevel::kError, msg::kCallbackFailed + describe() + ": unknown exception");
  }
}

std::string StateBase::invalid_state_message_locked() const {
  return std::string(status_name(status_)) + ": " + describe_locked();
}

std::string StateBase::describe_locked() const {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(this));
  std::string text = std::string("<Future at ") + address + " state=";
  switch (status_) {
    case Status::kPending:
      text += "pending";
      break;
    case Status::kRunning:
      text += "running";
      break;
    case Status::kCancelled:
      text += "cancelled";
      break;
    case Status::kFinished:
      // Python: "finished raised OSError" / "finished returned int" [EXT-PRINT-1].
      text += exception_locked() ? "finished raised " + exception_type_name(exception_locked())
                                 : "finished returned " + type_name(value_type());
      break;
  }
  return text + ">";
}

}  // namespace cf::detail
