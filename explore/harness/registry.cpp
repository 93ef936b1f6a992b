#include <vector>

#include "cf/detail/sync.hpp"
#include "protocol.hpp"

namespace cf::explore {

namespace {
std::vector<Protocol>& registry() {
  static std::vector<Protocol> all;
  return all;
}
}  // namespace

int register_protocol(Protocol protocol) {
  registry().push_back(std::move(protocol));
  return 0;
}

const std::vector<Protocol>& protocols() { return registry(); }

void run_actors(std::initializer_list<std::function<void()>> actors) {
  std::vector<detail::sync::Thread> threads;
  for (auto& actor : actors) threads.emplace_back(actor);
  for (auto& thread : threads) thread.join();
}

}  // namespace cf::explore
