#include "views/names.hpp"

#include "core/check.hpp"

namespace tcpsim::views {

ChannelNames::ChannelNames(const model::Scenario& scenario)
    : sockets(model::socket_keys(scenario)), byte_queues(model::byte_queue_keys(scenario)),
      several(scenario.connections.size() != 1 || !scenario.byte_queues.empty()) {
    for (const model::Connection& c : scenario.connections)
        for (int side = 0; side < 2; ++side)
            directions.push_back(scenario.endpoints[static_cast<size_t>(c.ends[side])].name + "->" +
                                 scenario.endpoints[static_cast<size_t>(c.ends[1 - side])].name);
}

int ChannelNames::socket_of(const model::Scenario& scenario, int connection, int endpoint) {
    const model::Connection& c = scenario.connections[static_cast<size_t>(connection)];
    TCPSIM_CHECK(c.ends[0] == endpoint || c.ends[1] == endpoint);
    return 2 * connection + (c.ends[0] == endpoint ? 0 : 1);
}

std::string ChannelNames::channel_words(const model::Scenario& scenario, int endpoint, int channel, model::OpKind op) const {
    const model::Channel& c = scenario.endpoints[static_cast<size_t>(endpoint)].channels[static_cast<size_t>(channel)];
    const bool reads = op == model::OpKind::read || op == model::OpKind::read_exact || op == model::OpKind::read_to_end;
    const std::string way = model::is_write(op) ? "to " : reads ? "from " : "on ";
    if (c.kind == model::Channel::Kind::socket) return way + c.name;
    return way + (scenario.byte_queues[static_cast<size_t>(c.index)].pipe ? "pipe " : "queue ") + c.name;
}

const std::string& ChannelNames::channel_key(const model::Scenario& scenario, int endpoint, int channel) const {
    const model::Channel& c = scenario.endpoints[static_cast<size_t>(endpoint)].channels[static_cast<size_t>(channel)];
    if (c.kind == model::Channel::Kind::byte_queue) return byte_queues[static_cast<size_t>(c.index)];
    return sockets[static_cast<size_t>(socket_of(scenario, c.index, endpoint))];
}

std::vector<int> host_order(const model::Scenario& scenario) {
    const size_t n = scenario.endpoints.size();
    std::vector<std::vector<int>> peers(n);
    const auto join = [&](int a, int b) {
        if (a == b) return;
        peers[static_cast<size_t>(a)].push_back(b);
        peers[static_cast<size_t>(b)].push_back(a);
    };
    for (const model::Connection& c : scenario.connections) join(c.ends[0], c.ends[1]);
    for (const model::ByteQueue& q : scenario.byte_queues) join(q.writer, q.reader);
    std::vector<int> order;
    std::vector<bool> placed(n, false);
    // Depth first from `start`: each endpoint's peers follow it, so neighbours sit side by side.
    // An explicit stack keeps the walk bounded by the number of endpoints, whatever the shape.
    const auto walk = [&](int start) {
        std::vector<int> stack{start};
        while (!stack.empty()) {
            const int e = stack.back();
            stack.pop_back();
            if (placed[static_cast<size_t>(e)]) continue;
            placed[static_cast<size_t>(e)] = true;
            order.push_back(e);
            const std::vector<int>& next = peers[static_cast<size_t>(e)];
            for (auto it = next.rbegin(); it != next.rend(); ++it)
                if (!placed[static_cast<size_t>(*it)]) stack.push_back(*it);
        }
    };
    while (order.size() < n) {
        int start = -1;
        for (size_t e = 0; e < n; ++e) {
            if (placed[e] || peers[e].empty()) continue;
            if (start < 0 || peers[e].size() < peers[static_cast<size_t>(start)].size()) start = static_cast<int>(e);
        }
        if (start < 0) break;
        walk(start);
    }
    for (size_t e = 0; e < n; ++e)
        if (!placed[e]) order.push_back(static_cast<int>(e));
    return order;
}

bool unbounded(int64_t capacity_bytes) { return capacity_bytes >= model::kUnboundedQueueBytes; }

}  // namespace tcpsim::views
