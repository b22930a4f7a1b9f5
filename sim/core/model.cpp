#include "core/model.hpp"

#include "core/check.hpp"

#include <algorithm>
#include <utility>

namespace tcpsim::model {

namespace {

constexpr std::array<std::pair<OpKind, const char*>, 10> kOpNames = {{
    {OpKind::write, "write"},
    {OpKind::send, "send"},
    {OpKind::read, "read"},
    {OpKind::read_exact, "read_exact"},
    {OpKind::read_to_end, "read_to_end"},
    {OpKind::shutdown, "shutdown"},
    {OpKind::close, "close"},
    {OpKind::sleep, "sleep"},
    {OpKind::repeat, "repeat"},
    {OpKind::event_loop, "event_loop"},
}};

}  // namespace

int64_t apply_ratio(int64_t bytes, Ratio ratio) {
    TCPSIM_CHECK(ratio.den > 0 && ratio.num >= 0 && bytes >= 0);
    return static_cast<int64_t>(static_cast<core::int128>(bytes) * ratio.num / ratio.den);
}

const char* op_name(OpKind kind) {
    const auto* entry = std::find_if(kOpNames.begin(), kOpNames.end(), [&](const auto& e) { return e.first == kind; });
    return entry == kOpNames.end() ? "?" : entry->second;
}

std::optional<OpKind> op_kind_named(std::string_view name) {
    const auto* entry = std::find_if(kOpNames.begin(), kOpNames.end(), [&](const auto& e) { return e.second == name; });
    if (entry == kOpNames.end()) return std::nullopt;
    return entry->first;
}

void connect_two(Scenario& scenario, const std::array<Link, 2>& links, const std::array<SocketSizes, 2>& sizes) {
    TCPSIM_CHECK(scenario.endpoints.size() == 2 && scenario.connections.empty());
    scenario.connections.push_back(Connection{{0, 1}, links, sizes});
    for (size_t e = 0; e < 2; ++e)
        scenario.endpoints[e].channels = {Channel{Channel::Kind::socket, 0, scenario.endpoints[1 - e].name}};
}

int channel_index(const Scenario& scenario, int e, Channel::Kind kind, int index) {
    const std::vector<Channel>& channels = scenario.endpoints[static_cast<size_t>(e)].channels;
    for (size_t c = 0; c < channels.size(); ++c)
        if (channels[c].kind == kind && channels[c].index == index) return static_cast<int>(c);
    return -1;
}

std::string target_words(const Scenario& scenario, int e, OpKind kind, int channel) {
    const std::vector<Channel>& channels = scenario.endpoints[static_cast<size_t>(e)].channels;
    if (channels.size() <= 1 || kind == OpKind::sleep) return "";
    const Channel& c = channels[static_cast<size_t>(channel)];
    const char* what = c.kind == Channel::Kind::socket ? "" : scenario.byte_queues[static_cast<size_t>(c.index)].pipe ? "pipe " : "queue ";
    return std::string(is_write(kind) ? "to " : "from ") + what + c.name;
}

std::vector<std::string> socket_keys(const Scenario& scenario) {
    std::vector<std::string> keys;
    for (const Connection& c : scenario.connections) {
        for (size_t side = 0; side < 2; ++side) {
            const std::string& name = scenario.endpoints[static_cast<size_t>(c.ends[side])].name;
            keys.push_back(scenario.connections.size() == 1
                               ? name
                               : name + "." + scenario.endpoints[static_cast<size_t>(c.ends[1 - side])].name);
        }
    }
    return keys;
}

std::vector<std::string> byte_queue_keys(const Scenario& scenario) {
    std::vector<std::string> keys;
    for (const ByteQueue& q : scenario.byte_queues)
        keys.push_back(q.pipe ? q.name : scenario.endpoints[static_cast<size_t>(q.writer)].name + "." + q.name);
    return keys;
}

}  // namespace tcpsim::model
