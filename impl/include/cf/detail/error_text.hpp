// cf/detail/error_text.hpp — an error as one line of text, "type: message", the form a
// log entry or a worker's stderr gives it (the type as PPE-REMOTE-1 names it:
// the registered name, else the demangled one). Defined in codec.cpp.
#pragma once

#include <exception>
#include <string>

#include "cf/codec.hpp"

namespace cf::detail {

std::string describe(const RemoteException& remote);
std::string describe(const std::exception_ptr& error);

}  // namespace cf::detail
