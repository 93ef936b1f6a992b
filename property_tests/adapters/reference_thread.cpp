// The reference-thread adapter (see reference_thread.hpp).
#include "reference_thread.hpp"

CF_CONFORMANCE_ADAPTER(cf::conformance::ReferenceThread)
