#include <utility>

#include "suite.hpp"

namespace cf::conformance {

Executor& Conformance::make_executor(std::optional<int> workers) {
  ExecutorSpec spec;
  spec.max_workers = workers;
  return make_executor(spec);
}

Executor& Conformance::make_executor(const ExecutorSpec& spec) {
  executors_.push_back(impl().make_executor(lab, spec));
  return *executors_.back();
}

void Conformance::TearDown() {
  lab.open_all();
  for (auto& executor : executors_) executor->shutdown(true, false);
  executors_.clear();
}

}  // namespace cf::conformance
