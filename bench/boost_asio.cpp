// Rows for boost::asio::thread_pool: post() of a std::packaged_task, the
// usual way to get a future from Asio 1.74 (no use_future for plain calls).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>

#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

struct BoostAsio {
  using Handle = std::future<int>;
  explicit BoostAsio(int workers) : pool(static_cast<std::size_t>(workers)) {}
  template <class F>
  Handle submit(F fn) {
    std::packaged_task<int()> task(std::move(fn));
    auto future = task.get_future();
    boost::asio::post(pool, std::move(task));
    return future;
  }
  static int get(Handle& h) { return h.get(); }
  boost::asio::thread_pool pool;
};

}  // namespace

void register_boost_asio() { register_shapes<BoostAsio>("boost-asio", true); }

}  // namespace cf::bench
