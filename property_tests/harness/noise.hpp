// noise.hpp — seeded schedule noise at the adapter boundary.
//
// With CF_NOISE=<seed> in the environment, every guarded adapter operation
// (and every probe step) passes a noise point before and after it: at random
// it yields, spins briefly or sleeps a few microseconds, so interleavings that
// a quiet machine never produces are tried. Without it a point costs one
// relaxed load. The seed makes a run's noise decisions replayable per thread
// (the schedule itself still depends on the machine).
#pragma once

#include <cstdint>

namespace cf::conformance::noise {

bool enabled();
std::uint64_t seed();
// A noise point: no-op unless enabled.
void point();

}  // namespace cf::conformance::noise
