// The seeds' Figure 6-5 in plain text: two hosts, their applications, SendQ and RecvQ
// bars filled to their level, and the blocked calls with what they still have to hand over;
// sizes in short binary units (the text report above it has the exact bytes).
#pragma once

#include <string>

#include "core/result.hpp"

namespace tcpsim::views {

std::string ascii_figure(const core::Result& result);

}  // namespace tcpsim::views
