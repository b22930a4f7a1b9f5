// The scenario's TCP connections as real sockets: on loopback, or (--net veth, one connection)
// between two network namespaces shaped as its link; made before the run's threads start.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "measure/fd.hpp"
#include "measure/measure.hpp"
#include "measure/netns.hpp"

namespace tcpsim::measure {

struct ConnectedSockets {
    std::optional<NetnsPair> netns;
    std::string description;           // where the run goes, in words
    std::array<model::Link, 2> links;  // the link as the simulator should see it, per direction
    // Per connection: the socket of ends[0] (which connects), then that of ends[1] (which accepts).
    std::vector<std::array<Fd, 2>> sockets;
};

// Connects every connection of the scenario, each end's buffers set as it asks (before
// listen/connect, so that window scaling is negotiated with them). The first listens on
// --port, any others on free ports. MeasureError when it cannot.
ConnectedSockets connect_all(const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings);

// What the kernel says of a socket now.
SocketState socket_state(int fd);

}  // namespace tcpsim::measure
