#include "protocol.hpp"

namespace cf::explore {
const char* const kTwinName = "";
const char* const kTwinProtocol = "";
const char* const kTwinBug = "";
}  // namespace cf::explore
