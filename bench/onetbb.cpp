// Rows for oneTBB: a task_arena of kWorkers slots, none reserved for the
// calling thread (so two TBB workers run the calls, as two threads do for
// the other pools), a task_group, and a std::promise per call.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <future>

#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

// TBB runs a task through a const reference; the promise is set once.
template <class F>
struct Call {
  F fn;
  mutable std::promise<int> promise;
  void operator()() const { promise.set_value(fn()); }
};

struct OneTbb {
  using Handle = std::future<int>;
  // On a 2-core machine TBB's market has cores - 1 workers; the documented
  // limit is raised so the arena gets all of its kWorkers.
  explicit OneTbb(int workers)
      : limit(tbb::global_control::max_allowed_parallelism, 256), arena(workers, 0) {}
  ~OneTbb() {
    arena.execute([&] { group.wait(); });
  }
  template <class F>
  Handle submit(F fn) {
    Call<F> call{std::move(fn), {}};
    auto future = call.promise.get_future();
    arena.execute([&] { group.run(std::move(call)); });
    return future;
  }
  static int get(Handle& h) { return h.get(); }
  tbb::global_control limit;
  tbb::task_arena arena;
  tbb::task_group group;
};

}  // namespace

void register_onetbb() { register_shapes<OneTbb>("onetbb", false); }

}  // namespace cf::bench
