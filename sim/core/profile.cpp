#include "core/profile.hpp"

namespace tcpsim::core {

ProfileParams textbook_profile() { return ProfileParams{}; }

}  // namespace tcpsim::core
