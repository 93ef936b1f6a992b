// Rows for Qt 6's QThreadPool with QtConcurrent::run, each call's QFuture
// read with result(), as a Qt program reads it. result() on a call still
// queued runs it in the caller's thread (property_tests/adapters/qt6/FACTS.md,
// fact 5), so a latency row here is mostly not a hand-off between threads;
// bench/compare labels it so.
#include <QtConcurrent/QtConcurrentRun>
#include <QtCore/QFuture>
#include <QtCore/QThreadPool>

#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

struct Qt6Pool {
  using Handle = QFuture<int>;
  explicit Qt6Pool(int workers) { pool.setMaxThreadCount(workers); }
  template <class F>
  Handle submit(F fn) {
    return QtConcurrent::run(&pool, std::move(fn));
  }
  static int get(Handle& h) { return h.result(); }
  QThreadPool pool;
};

}  // namespace

void register_qt6() { register_shapes<Qt6Pool>("qt6", true); }

}  // namespace cf::bench
