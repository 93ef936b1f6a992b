#include <algorithm>
#include <map>
#include <stdexcept>

#include "check.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {
std::vector<Scenario>& registry() {
  static std::vector<Scenario> scenarios;
  return scenarios;
}
std::map<std::string, std::string>& files() {
  static std::map<std::string, std::string> by_name;
  return by_name;
}
}  // namespace

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

std::unique_ptr<Executor> Stage::executor(std::optional<int> workers) {
  if (workers && *workers > kMostWorkers) {
    throw std::logic_error("a stress scenario asks for more than Stage::kMostWorkers workers");
  }
  conformance::ExecutorSpec spec;
  spec.max_workers = workers;
  return executor(spec);
}

std::unique_ptr<Executor> Stage::executor(const conformance::ExecutorSpec& spec) {
  return impl_.make_executor(lab_, spec);
}

const std::string& Scenario::file() const { return files()[name]; }

std::vector<std::string> Scenario::clauses() const {
  std::vector<std::string> out;
  for (const auto& o : outcomes) {
    if (o.clause && std::find(out.begin(), out.end(), o.clause) == out.end())
      out.emplace_back(o.clause);
  }
  return out;
}

Caps Scenario::all_needs() const {
  Caps all = needs;
  for (const auto& c : clauses()) all |= conformance::clause_needs(c);
  return all;
}

bool register_scenario(Scenario scenario, const char* file) {
  auto& all = registry();
  if (std::any_of(all.begin(), all.end(),
                  [&](const Scenario& s) { return s.name == scenario.name; })) {
    throw std::logic_error("two stress scenarios named " + scenario.name);
  }
  for (const auto& o : scenario.outcomes) {
    if (o.clause && !conformance::clause_known(o.clause)) {
      throw std::logic_error("stress scenario " + scenario.name + ": outcome '" + o.id +
                             "' names unknown clause " + o.clause);
    }
  }
  std::string path = file ? file : "";
  if (auto at = path.find("stress/"); at != std::string::npos) path = path.substr(at);
  files()[scenario.name] = path;
  all.push_back(std::move(scenario));
  std::sort(all.begin(), all.end(),
            [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
  return true;
}

const std::vector<Scenario>& all_scenarios() { return registry(); }

}  // namespace cf::stress
