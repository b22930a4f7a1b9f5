#include "core/check.hpp"

namespace tcpsim::core {

void invariant_failed(const char* expr, const char* file, int line) {
    throw InvariantError(std::string("internal invariant broken: ") + expr + " (" + file + ":" +
                         std::to_string(line) + ")");
}

}  // namespace tcpsim::core
