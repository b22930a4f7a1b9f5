// Invariant checks that stay on in every build: a simulator that breaks its own
// rules must stop loudly, not report a wrong verdict.
#pragma once

#include <stdexcept>
#include <string>

namespace tcpsim::core {

struct InvariantError : std::logic_error {
    using std::logic_error::logic_error;
};

// Products of byte counts and rates need more than 64 bits before they are divided down.
__extension__ using int128 = __int128;

[[noreturn]] void invariant_failed(const char* expr, const char* file, int line);

}  // namespace tcpsim::core

#define TCPSIM_CHECK(expr) \
    ((expr) ? static_cast<void>(0) : ::tcpsim::core::invariant_failed(#expr, __FILE__, __LINE__))
