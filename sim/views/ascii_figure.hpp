// The seeds' Figure 6-5 in plain text: two hosts, their applications, SendQ and RecvQ
// bars filled to their level, and the blocked calls with what they still have to hand over;
// sizes in short binary units (the text report above it has the exact bytes).
#pragma once

#include <string>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::views {

// With more than one connection, or queues and pipes: every host one below the other (a chain
// in its order), each with its threads, its sockets named by their peer and its queues, and
// between neighbours the connections and pipes that join them.
std::string ascii_figure(const model::Scenario& scenario, const core::Result& result);

}  // namespace tcpsim::views
