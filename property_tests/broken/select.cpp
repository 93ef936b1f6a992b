// The implementation the self-check programs test, chosen by CF_BROKEN: a
// planted deviation in the reference (broken_adapter.cpp), or the minimal
// implementation, correct (CF_BROKEN=correct-minimal) or with one planted bug
// (CF_BROKEN=minimal-<bug>, minimal.hpp). An unknown name ends the program
// with the list of known ones.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "broken/minimal.hpp"
#include "broken/variants.hpp"

namespace cf::conformance {
namespace {

std::unique_ptr<Implementation> choose() {
  const char* given = std::getenv("CF_BROKEN");
  const std::string name = given ? given : "";
  if (auto bug = minimal::planted_from_name(name)) {
    return minimal::make_minimal(*bug, *bug == minimal::Planted::kNone ? name : "broken-" + name);
  }
  if (auto broken = broken::make_broken(name)) return broken;
  std::string known;
  for (const auto& v : minimal::planted_names()) known += (known.empty() ? "" : ", ") + v;
  for (const auto& v : broken::broken_variants()) known += ", " + v;
  std::fprintf(stderr, "CF_BROKEN must name a variant (%s), not \"%s\"\n", known.c_str(),
               name.c_str());
  std::exit(2);
}

}  // namespace

Implementation& implementation() {
  static std::unique_ptr<Implementation> chosen = choose();
  return *chosen;
}

}  // namespace cf::conformance
