// Rows for Boost.Thread: executors::basic_thread_pool with boost::async and
// boost::future (BOOST_THREAD_VERSION 5 turns the executors on).
#define BOOST_THREAD_VERSION 5
#define BOOST_THREAD_PROVIDES_EXECUTORS
#include <boost/thread/executors/basic_thread_pool.hpp>
#include <boost/thread/future.hpp>

#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

struct BoostThread {
  using Handle = boost::future<int>;
  explicit BoostThread(int workers) : pool(static_cast<unsigned>(workers)) {}
  template <class F>
  Handle submit(F fn) {
    return boost::async(pool, std::move(fn));
  }
  static int get(Handle& h) { return h.get(); }
  boost::executors::basic_thread_pool pool;
};

}  // namespace

void register_boost_thread() { register_shapes<BoostThread>("boost-thread", false); }

}  // namespace cf::bench
