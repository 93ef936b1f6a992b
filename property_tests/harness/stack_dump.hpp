// stack_dump.hpp — every thread's stack of this process, for hang reports.
//
// Used by the conformance runner's watchdog and by cf_stress's. Attaches gdb
// (if installed) to this process in batch mode; the process must allow that
// (Yama ptrace_scope 1 needs prctl(PR_SET_PTRACER) first, which stack_dump
// does). Blocks until gdb has detached; returns a one-line note instead when
// gdb cannot run.
#pragma once

#include <string>

namespace cf::conformance {

std::string stack_dump();

}  // namespace cf::conformance
