// noise.hpp — seeded schedule noise, at the adapter boundary, inside probes,
// and inside the executor under test.
//
// A noise point, at random, yields, spins briefly or sleeps a few
// microseconds, so interleavings that a quiet machine never produces are
// tried. Points sit
//   - at the adapter boundary: before and after every guarded operation
//     (guard.cpp);
//   - inside probes: before each step and before the probe returns
//     (probe.cpp), so a task's own timing varies;
//   - inside the implementation, even a compiled library: the shim
//     (noise_shim.cpp, a shared library preloaded into the process) puts a
//     point in front of or behind every pthread mutex lock and unlock,
//     condition-variable wait and signal, and futex wake the process makes,
//     and worker processes inherit it.
//
// Noise is off unless asked for: CF_NOISE=<seed> in the environment (any
// suite program), or the stress runner's --noise. Off, a point costs one
// relaxed load, and the shim, when loaded, one more.
//
// Replay: the seed fixes each thread's sequence of decisions (the n-th thread
// to reach a point after set() draws the n-th stream); the OS still
// schedules, so a replay is likely, not certain, to meet the same
// interleaving.
//
// Thread-safety: every function may be called from any thread; set() is
// meant for moments when the scene's threads are idle (between runs).
#pragma once

#include <cstdint>
#include <string>

namespace cf::conformance::noise {

bool enabled();
std::uint64_t seed();
// A noise point: no-op unless enabled.
void point();
// Turns noise on with `seed`, or off, for the rest of the process (and in the
// shim, if it is loaded; worker processes started later inherit it through
// CF_NOISE).
void set(bool on, std::uint64_t seed);

// True when the shim is loaded in this process.
bool shim_loaded();
// The shim built with the suite, or $CF_NOISE_SHIM; empty when there is none.
std::string shim_path();
// Why the shim cannot reach inside the implementation in this process, or
// empty when it can (it is loaded).
std::string shim_unavailable_reason();
// Called first in main, before any thread starts: when `wanted` and the shim
// is not loaded yet, runs this program again with the shim preloaded
// (LD_PRELOAD), with the same arguments; it returns only when it does not (a
// sanitizer build, no shim, or already tried), and then
// shim_unavailable_reason() says why.
void preload_shim(char** argv, bool wanted);

}  // namespace cf::conformance::noise
