// Fact 8: how a task's exception surfaces through QtConcurrent::run.
//  - a QException subclass that overrides raise()/clone() is rethrown as itself;
//  - one that does not override them is sliced to a plain QException;
//  - anything else (std::runtime_error, an int) is wrapped in
//    QUnhandledException, whose what() is "std::exception"; the original is
//    only reachable through QUnhandledException::exception().
// By contrast QPromise::setException(exception_ptr) stores the exception as is.
#include <cxxabi.h>

#include <QException>
#include <QPromise>
#include <stdexcept>
#include <typeinfo>

#include "qtfacts.hpp"

using namespace qtfacts;

struct Cloned : QException {
  void raise() const override { throw *this; }
  Cloned* clone() const override { return new Cloned(*this); }
  const char* what() const noexcept override { return "Cloned"; }
};
struct NotCloned : QException {
  const char* what() const noexcept override { return "NotCloned"; }
};

static std::string demangle(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 ? name : t.name();
  std::free(name);
  return out;
}

// What result() throws: "<type> what=<what>[ inner <type> what=<what>]".
static std::string surfaced(const QFuture<int>& f) {
  try {
    f.result();
    return "no exception";
  } catch (const QUnhandledException& u) {
    std::string out = "QUnhandledException what=\"" + std::string(u.what()) + "\"";
    try {
      std::rethrow_exception(u.exception());
    } catch (const std::exception& inner) {
      out += " inner " + demangle(typeid(inner)) + " what=\"" + inner.what() + "\"";
    } catch (int i) {
      out += " inner int " + std::to_string(i);
    }
    return out;
  } catch (const std::exception& e) {
    return demangle(typeid(e)) + " what=\"" + e.what() + "\"";
  }
}

int main() {
  static_assert(std::is_base_of_v<QException, QUnhandledException>);
  static_assert(std::is_base_of_v<std::exception, QException>);
  static_assert(!std::is_base_of_v<std::runtime_error, QUnhandledException>);
  std::printf("QUnhandledException -> QException -> std::exception (not std::runtime_error)\n");

  QThreadPool pool;
  const auto run = [&](auto thrower) {
    return surfaced(QtConcurrent::run(&pool, [thrower]() -> int {
      thrower();
      return 0;
    }));
  };
  const std::string rt = run([] { throw std::runtime_error("boom"); });
  const std::string in = run([] { throw 7; });
  const std::string cl = run([] { throw Cloned(); });
  const std::string nc = run([] { throw NotCloned(); });

  QPromise<int> p;
  p.start();
  p.setException(std::make_exception_ptr(std::runtime_error("via promise")));
  p.finish();
  const std::string viaPromise = surfaced(p.future());

  // The same exception object is rethrown on every call.
  QFuture<int> twice = QtConcurrent::run(&pool, []() -> int { throw std::runtime_error("again"); });
  const void *first = nullptr, *second = nullptr;
  try {
    twice.result();
  } catch (const QUnhandledException& e) {
    first = &e;
  }
  try {
    twice.waitForFinished();
  } catch (const QUnhandledException& e) {
    second = &e;
  }

  std::printf("throw std::runtime_error(\"boom\") -> %s\n", rt.c_str());
  std::printf("throw 7                         -> %s\n", in.c_str());
  std::printf("throw Cloned (raise/clone)      -> %s\n", cl.c_str());
  std::printf("throw NotCloned (no override)   -> %s\n", nc.c_str());
  std::printf("QPromise::setException(rt)      -> %s\n", viaPromise.c_str());
  std::printf("result() then waitForFinished() rethrow the same object: %d\n",
              first && first == second);

  verdict(
      rt == "QUnhandledException what=\"std::exception\" inner std::runtime_error what=\"boom\"",
      "a std::exception from run() surfaces as QUnhandledException (what()=\"std::exception\"), "
      "the original only via exception()");
  verdict(in == "QUnhandledException what=\"std::exception\" inner int 7",
          "a non-std exception is wrapped the same way");
  verdict(cl == "Cloned what=\"Cloned\"",
          "a QException subclass overriding raise()/clone() keeps its type");
  verdict(nc == "QException what=\"std::exception\"",
          "a QException subclass without raise()/clone() is sliced to QException");
  verdict(viaPromise == "std::runtime_error what=\"via promise\"",
          "QPromise::setException(exception_ptr) is rethrown unwrapped");
  verdict(first && first == second, "every wait rethrows the same stored exception object");
  return 0;
}
