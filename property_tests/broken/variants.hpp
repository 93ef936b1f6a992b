// variants.hpp — the implementations the self-check programs can be: the
// reference-thread adapter with one planted deviation (broken_adapter.cpp) or
// the from-scratch minimal implementation (minimal.hpp), chosen by CF_BROKEN.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/adapter.hpp"

namespace cf::conformance::broken {

// The reference-thread adapter with `variant` planted (column
// broken-<variant>), or null when no such variant exists.
std::unique_ptr<Implementation> make_broken(const std::string& variant);
std::vector<std::string> broken_variants();

}  // namespace cf::conformance::broken
