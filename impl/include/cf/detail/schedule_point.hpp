// cf/detail/schedule_point.hpp — places where a stress run may perturb the
// schedule.
//
// Internal. CF_SCHEDULE_POINT(name) marks a point in a state transition or a
// worker loop where another thread's interleaving matters. In a normal build
// (CF_SCHEDULE_POINTS undefined) it expands to nothing. In a build with
// CF_SCHEDULE_POINTS=1 (CMake option CF_SCHEDULE_POINTS, and the private
// copy of cf the stress harness links) it asks a seeded random policy whether
// to go on, yield, or sleep a few microseconds, so rare interleavings become
// common and a failing seed replays the same policy.
//
// Guarantees: a point never takes a lock and never blocks for more than
// about 50 us; until set_schedule_seed() is called every point is a no-op.
// Non-guarantees: a seed fixes the policy's decisions per thread, not the OS
// scheduler, so a replay is likely, not certain, to reproduce a failure.
#pragma once

#include <cstdint>

namespace cf::detail {

// Turns the policy on with `seed` (or off, with enable = false).
void set_schedule_seed(std::uint64_t seed, bool enable = true);
// True when this build has schedule points compiled in.
bool schedule_points_compiled();
// The policy's decision at one point; `name` only feeds the hash.
void schedule_point(const char* name);

}  // namespace cf::detail

#if defined(CF_SCHEDULE_POINTS) && CF_SCHEDULE_POINTS
#define CF_SCHEDULE_POINT(name) ::cf::detail::schedule_point(name)
#else
#define CF_SCHEDULE_POINT(name) ((void)0)
#endif
