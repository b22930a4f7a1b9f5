// How every view names a scenario's streams, sockets, queues and pipes, so that the trace,
// explain and the pictures call one thing by one name (the report's names: model::socket_keys,
// model::byte_queue_keys).
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"

namespace tcpsim::views {

struct ChannelNames {
    explicit ChannelNames(const model::Scenario& scenario);

    // Per direction (connection k: 2k is its first end sending, 2k+1 the reverse): "A->B".
    std::vector<std::string> directions;
    std::vector<std::string> sockets;      // per socket, as model::socket_keys
    std::vector<std::string> byte_queues;  // per byte queue, as model::byte_queue_keys
    // More than one connection, or a queue or pipe: the views name what each op and event acts
    // on. False for the two-endpoint, one-connection shape, whose views say it without names.
    bool several = false;

    // The index into Result::queues (and sockets) of endpoint e's socket on connection k.
    static int socket_of(const model::Scenario& scenario, int connection, int endpoint);
    // What endpoint e's op on channel c acts on, as an op of that kind says it: "to server",
    // "from server", "to queue jobs", "from pipe stdin", "on server" (shutdown, close, event_loop).
    std::string channel_words(const model::Scenario& scenario, int endpoint, int channel, model::OpKind op) const;
    // Its key: the socket's ("proxy.server") or the byte queue's ("server.jobs", "stdin").
    const std::string& channel_key(const model::Scenario& scenario, int endpoint, int channel) const;
};

// The endpoints in the order the figures place them, side by side or one below the other: a
// walk that starts at a least-connected endpoint and goes to its peers (over connections and
// pipes) first, so a chain is drawn as a chain and a star with its hub second. Endpoints joined
// to nothing come last, in the scenario's order.
std::vector<int> host_order(const model::Scenario& scenario);

// A capacity as figures print it: "unbounded" for an unbounded in-process queue.
bool unbounded(int64_t capacity_bytes);

}  // namespace tcpsim::views
