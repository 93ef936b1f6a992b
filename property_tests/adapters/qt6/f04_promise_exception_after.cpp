// Fact 4: QPromise::setException() after a value was added.
// QFutureInterface<T>::reportException() (inline, qfutureinterface.h) clears the
// result store *before* asking the base class, which then refuses the exception
// if the future is already finished. So:
//  - after addResult()+finish(): the value is destroyed, no exception is stored,
//    the future stays "finished, not cancelled" and result() reads an empty
//    store (crashes);
//  - after addResult(), before finish(): the value is destroyed and the
//    exception is stored: result() throws;
//  - a second setException() is ignored: the first exception wins.
// Each scene runs in a child process because reading an empty store crashes.
#include <QPromise>
#include <stdexcept>

#include "qtfacts.hpp"

using namespace qtfacts;

// Counts live instances, to see whether the dropped value is destroyed.
struct Tracked {
  static inline int live = 0;
  int v;
  explicit Tracked(int x) : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(o.v) { ++live; }
  ~Tracked() { --live; }
};

static const auto late = [] { return std::make_exception_ptr(std::runtime_error("late")); };

static std::string describe(const QFuture<Tracked>& f) {
  // No resultCount() here: once an exception is stored the result store's
  // memory holds the exception (a union), so resultCount() would read garbage.
  std::string out = state(f) + " live Tracked=" + std::to_string(Tracked::live) + " result(): ";
  std::fflush(stdout);
  try {
    out += "value " + std::to_string(f.result().v);
  } catch (const std::exception& e) {
    out += std::string("throws \"") + e.what() + "\"";
  }
  return out;
}

int main() {
  const std::string afterFinish = inChild([] {
    QPromise<Tracked> p;
    p.start();
    p.addResult(Tracked(42));
    p.finish();
    p.setException(late());
    // result() crashes here; show the state first.
    std::printf("  (child) %s resultCount=%d live Tracked=%d\n", state(p.future()).c_str(),
                p.future().resultCount(), Tracked::live);
    return describe(p.future());
  });
  const std::string beforeFinish = inChild([] {
    QPromise<Tracked> p;
    p.start();
    p.addResult(Tracked(42));
    p.setException(late());
    p.finish();
    return describe(p.future());
  });
  const std::string twice = inChild([] {
    QPromise<Tracked> p;
    p.start();
    p.setException(std::make_exception_ptr(std::runtime_error("first")));
    p.setException(std::make_exception_ptr(std::runtime_error("second")));
    p.finish();
    return describe(p.future());
  });
  const std::string control = inChild([] {
    QPromise<Tracked> p;
    p.start();
    p.addResult(Tracked(42));
    p.finish();
    return describe(p.future());
  });
  std::printf("addResult(42); finish()                -> %s\n", control.c_str());
  std::printf("addResult(42); finish(); setException  -> %s\n", afterFinish.c_str());
  std::printf("addResult(42); setException; finish()  -> %s\n", beforeFinish.c_str());
  std::printf("setException x2; finish()              -> %s\n", twice.c_str());

  verdict(control.ends_with("value 42") && afterFinish == "died: SIGSEGV",
          "setException() after finish() erases the value without storing the exception: result() "
          "then crashes");
  verdict(beforeFinish.ends_with("live Tracked=0 result(): throws \"late\""),
          "setException() after addResult() (before finish) destroys the value and stores the "
          "exception");
  verdict(twice.ends_with("throws \"first\""),
          "a second setException() is ignored: the first exception wins");
  return 0;
}
