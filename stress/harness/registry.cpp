#include <algorithm>
#include <stdexcept>

#include "scenario.hpp"

namespace cf::stress {
namespace {
std::vector<Scenario>& registry() {
  static std::vector<Scenario> scenarios;
  return scenarios;
}
}  // namespace

const char* backend_name(Backend backend) {
  return backend == Backend::kThread ? "thread" : "process";
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAcceptable:
      return "ACCEPTABLE";
    case Verdict::kInteresting:
      return "INTERESTING";
    case Verdict::kForbidden:
      return "FORBIDDEN";
  }
  return "?";
}

bool register_scenario(Scenario scenario) {
  auto& all = registry();
  if (std::any_of(all.begin(), all.end(),
                  [&](const Scenario& s) { return s.name == scenario.name; })) {
    throw std::logic_error("two stress scenarios named " + scenario.name);
  }
  all.push_back(std::move(scenario));
  std::sort(all.begin(), all.end(),
            [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
  return true;
}

const std::vector<Scenario>& all_scenarios() { return registry(); }

}  // namespace cf::stress
