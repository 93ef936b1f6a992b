// cf/codec.hpp — how a call crosses into a worker process and back.
//
// A task for the process pool is a plain function registered once, at
// namespace scope, with CF_REGISTER_TASK(fn) [PPE-REG-1]. Registration records
// the function's name and an invoker that decodes its arguments and encodes
// its result with cereal binary archives, so the same program image (parent
// and spawned worker) agrees on what "fn" means. Argument and result types
// need cereal serialization (standard types have it; add `serialize` for your
// own). The same function can still be submitted to a ThreadPoolExecutor.
//
// A task's exception comes back as (type name, message) [PPE-REMOTE-1]: the
// standard exception types and cf's errors are rebuilt as themselves; types
// registered with CF_REGISTER_EXCEPTION(T) (T constructible from a
// std::string) too; anything else becomes cf::RemoteError [PPE-REMOTE-2].
//
// Thread-safety: registration happens during static initialisation; lookups
// may run concurrently afterwards.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/vector.hpp>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "cf/detail/string_stream.hpp"

namespace cf::detail {

using AnyFunction = void (*)();
// Runs the task on decoded arguments and returns its encoded result; the
// task's exception propagates.
using TaskInvoker = std::string (*)(AnyFunction fn, std::string_view args);

struct TaskEntry {
  std::string name;
  AnyFunction fn;
  TaskInvoker invoke;
};

bool register_task(AnyFunction fn, std::string name, TaskInvoker invoke);
// Null when no function was registered under that name/address. Throws
// std::logic_error when two functions share one name.
const TaskEntry* find_task(std::string_view name);
const TaskEntry* find_task(AnyFunction fn);
// The entry of `fn`, or throws UnregisteredTaskError naming it [PPE-REG-2].
const TaskEntry& task_for(AnyFunction fn);

template <class T>
std::string encode(const T& value) {
  std::string out;
  EncodeLease lease(out);
  {
    cereal::BinaryOutputArchive archive(lease.stream());
    archive(value);
  }
  return out;
}

template <class T>
T decode(std::string_view bytes) {
  DecodeLease lease(bytes);
  T value{};
  {
    cereal::BinaryInputArchive archive(lease.stream());
    archive(value);
  }
  // A payload with bytes left over was not written by encode<T>.
  if (!lease.at_end()) throw std::runtime_error("trailing payload bytes");
  return value;
}

// What a void task returns on the wire.
struct NoValue {
  template <class Archive>
  void serialize(Archive&) {}
};

template <class R, class... A>
std::string invoke_task(AnyFunction raw, std::string_view args) {
  auto fn = reinterpret_cast<R (*)(A...)>(raw);
  auto values = decode<std::tuple<std::decay_t<A>...>>(args);
  auto call = [&](auto&... v) -> decltype(auto) { return fn(static_cast<A&&>(v)...); };
  if constexpr (std::is_void_v<R>) {
    std::apply(call, values);
    return encode(NoValue{});
  } else {
    return encode(std::remove_cvref_t<R>(std::apply(call, values)));
  }
}

template <class R, class... A>
bool register_task(R (*fn)(A...), const char* name) {
  return register_task(reinterpret_cast<AnyFunction>(fn), name, &invoke_task<R, A...>);
}

// The arguments of a call to `fn`, converted to its parameter types and encoded.
template <class R, class... A, class... Args>
std::string encode_args(R (*)(A...), Args&&... args) {
  static_assert(sizeof...(A) == sizeof...(Args), "wrong number of arguments for the task");
  return encode(std::tuple<std::decay_t<A>...>(std::forward<Args>(args)...));
}

template <class F>
inline constexpr bool is_function_pointer_v =
    std::is_pointer_v<F>&& std::is_function_v<std::remove_pointer_t<F>>;

// --- Exceptions ------------------------------------------------------------

struct RemoteException {
  std::string type;
  std::string message;
};

using ExceptionFactory = std::exception_ptr (*)(const std::string& message);
bool register_exception(const std::type_info& type, std::string name, ExceptionFactory make);
// The (type, message) of the exception in `error` [PPE-REMOTE-1].
RemoteException describe_exception(const std::exception_ptr& error);
// The exception to raise in the parent for (type, message) [PPE-REMOTE-1/2].
std::exception_ptr rebuild_exception(const RemoteException& remote);

template <class E>
std::exception_ptr make_exception_from(const std::string& message) {
  return std::make_exception_ptr(E(message));
}

}  // namespace cf::detail

#define CF_DETAIL_CONCAT2(a, b) a##b
#define CF_DETAIL_CONCAT(a, b) CF_DETAIL_CONCAT2(a, b)

// Registers a plain function as a process-pool task, at namespace scope:
//   int square(int x) { return x * x; }
//   CF_REGISTER_TASK(square);
#define CF_REGISTER_TASK(fn)                                                   \
  [[maybe_unused]] static const bool CF_DETAIL_CONCAT(cf_task_, __COUNTER__) = \
      ::cf::detail::register_task(fn, #fn)

// Lets an exception type cross back from a worker as itself (it must be
// constructible from a std::string message).
#define CF_REGISTER_EXCEPTION(Type)                                                 \
  [[maybe_unused]] static const bool CF_DETAIL_CONCAT(cf_exception_, __COUNTER__) = \
      ::cf::detail::register_exception(typeid(Type), #Type,                         \
                                       &::cf::detail::make_exception_from<Type>)
