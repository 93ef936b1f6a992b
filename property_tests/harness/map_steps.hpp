// map_steps.hpp — reading a map() run one step at a time, as the map tests
// (conformance/map.cpp) and the map bug corpus (corpus/map_bugs.cpp) do.
#pragma once

#include <string>

#include "adapter.hpp"

namespace cf::conformance {

// The end of a map's sequence, as step() reports it (no call of these tests
// returns "none": every probe returns a value or raises).
inline const Outcome kEnd = Outcome::error(Outcome::Kind::kNone, "end of the sequence");

// One step of the run: what it yielded or raised, or kEnd.
inline Outcome step(MapRun& run) {
  auto o = run.next();
  return o ? *o : kEnd;
}

// The same as text, for checks that the sequence is over.
inline const std::string kEndText = to_string(kEnd);
inline std::string step_text(MapRun& run) { return to_string(step(run)); }

}  // namespace cf::conformance
