#include "cf/codec.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <typeindex>
#include <unordered_map>

#include "cf/detail/error_text.hpp"
#include "cf/errors.hpp"

namespace cf::detail {
namespace {

struct TaskRegistry {
  std::mutex mutex;
  std::map<std::string, TaskEntry, std::less<>> by_name;
  std::map<AnyFunction, std::string> by_address;
  std::map<std::string, int, std::less<>> clashes;  // names registered by two functions
};

TaskRegistry& tasks() {
  static TaskRegistry* registry = new TaskRegistry;  // never destroyed: used until exit
  return *registry;
}

struct ExceptionType {
  std::string name;
  ExceptionFactory make;
};

struct ExceptionRegistry {
  std::mutex mutex;
  std::unordered_map<std::type_index, std::string> names;
  std::unordered_map<std::string, ExceptionFactory> factories;
};

std::exception_ptr make_bad_alloc(const std::string&) {
  return std::make_exception_ptr(std::bad_alloc());
}

ExceptionRegistry& exceptions() {
  static ExceptionRegistry* registry = [] {
    auto* r = new ExceptionRegistry;
    auto add = [r](const std::type_info& t, const char* name, ExceptionFactory make) {
      r->names.emplace(std::type_index(t), name);
      r->factories.emplace(name, make);
    };
#define CF_DETAIL_STD(T) add(typeid(T), #T, &make_exception_from<T>)
    CF_DETAIL_STD(std::runtime_error);
    CF_DETAIL_STD(std::logic_error);
    CF_DETAIL_STD(std::invalid_argument);
    CF_DETAIL_STD(std::out_of_range);
    CF_DETAIL_STD(std::domain_error);
    CF_DETAIL_STD(std::length_error);
    CF_DETAIL_STD(std::range_error);
    CF_DETAIL_STD(std::overflow_error);
    CF_DETAIL_STD(std::underflow_error);
    CF_DETAIL_STD(cf::Error);
    CF_DETAIL_STD(cf::CancelledError);
    CF_DETAIL_STD(cf::TimeoutError);
    CF_DETAIL_STD(cf::InvalidStateError);
    CF_DETAIL_STD(cf::BrokenExecutor);
    CF_DETAIL_STD(cf::BrokenThreadPool);
    CF_DETAIL_STD(cf::BrokenProcessPool);
    CF_DETAIL_STD(cf::ShutdownError);
    CF_DETAIL_STD(cf::UnregisteredTaskError);
#undef CF_DETAIL_STD
    add(typeid(std::bad_alloc), "std::bad_alloc", &make_bad_alloc);
    return r;
  }();
  return *registry;
}

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

}  // namespace

bool register_task(AnyFunction fn, std::string name, TaskInvoker invoke) {
  auto& r = tasks();
  std::lock_guard lock(r.mutex);
  auto it = r.by_name.find(name);
  if (it != r.by_name.end() && it->second.fn != fn) r.clashes[name] = 1;
  if (it == r.by_name.end()) r.by_name.emplace(name, TaskEntry{name, fn, invoke});
  r.by_address.emplace(fn, std::move(name));
  return true;
}

const TaskEntry* find_task(std::string_view name) {
  auto& r = tasks();
  std::lock_guard lock(r.mutex);
  if (r.clashes.count(name)) {
    throw std::logic_error("two different functions are registered as process-pool task '" +
                           std::string(name) + "'");
  }
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : &it->second;
}

const TaskEntry* find_task(AnyFunction fn) {
  std::string name;
  {
    auto& r = tasks();
    std::lock_guard lock(r.mutex);
    auto it = r.by_address.find(fn);
    if (it == r.by_address.end()) return nullptr;
    name = it->second;
  }
  return find_task(std::string_view(name));
}

const TaskEntry& task_for(AnyFunction fn) {
  if (const TaskEntry* entry = find_task(fn)) return *entry;
  char address[32];
  std::snprintf(address, sizeof address, "%p", reinterpret_cast<void*>(fn));
  throw UnregisteredTaskError(std::string(msg::kUnregisteredTask) + "function at " + address);
}

bool register_exception(const std::type_info& type, std::string name, ExceptionFactory make) {
  auto& r = exceptions();
  std::lock_guard lock(r.mutex);
  r.names[std::type_index(type)] = name;
  r.factories[std::move(name)] = make;
  return true;
}

RemoteException describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError& e) {
    return {e.type_name(), e.message()};  // passes through nested pools unchanged
  } catch (const std::exception& e) {
    auto& r = exceptions();
    std::lock_guard lock(r.mutex);
    // The exact dynamic type: a subclass of runtime_error the parent cannot
    // rebuild must not come back as a plain runtime_error.
    auto it = r.names.find(std::type_index(typeid(e)));
    return {it != r.names.end() ? it->second : demangle(typeid(e).name()), e.what()};
  } catch (...) {
    return {"unknown exception", ""};
  }
}

std::string describe(const RemoteException& remote) {
  return remote.message.empty() ? remote.type : remote.type + ": " + remote.message;
}

std::string describe(const std::exception_ptr& error) {
  return describe(describe_exception(error));
}

std::exception_ptr rebuild_exception(const RemoteException& remote) {
  ExceptionFactory make = nullptr;
  {
    auto& r = exceptions();
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(remote.type);
    if (it != r.factories.end()) make = it->second;
  }
  if (make) return make(remote.message);
  return std::make_exception_ptr(RemoteError(remote.type, remote.message));
}

}  // namespace cf::detail
