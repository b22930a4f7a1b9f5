#include "analysis/calibrate_grid.hpp"

#include <array>
#include <utility>

#include "text/format.hpp"

namespace tcpsim::analysis {

using model::Op;
using model::OpKind;

const char* to_string(Protocol protocol) {
    switch (protocol) {
        case Protocol::both_write: return "both-write";
        case Protocol::compress: return "compress";
        case Protocol::uppercase: return "uppercase";
    }
    return "?";
}

std::string Cell::label() const {
    const auto buf = [](const std::optional<int64_t>& b) { return b ? text::format_size(*b) : std::string("default"); };
    return std::string(to_string(protocol)) + " " + buf(buffer_a) + "/" + buf(buffer_b) + " write " +
           text::format_size(write_bytes) + " mss " + std::to_string(mss_bytes);
}

std::vector<Cell> calibration_grid(int64_t mss_bytes) {
    std::vector<std::pair<std::optional<int64_t>, std::optional<int64_t>>> buffers = {{std::nullopt, std::nullopt}};
    for (int64_t kib : {4, 8, 16, 32, 64, 128}) buffers.emplace_back(kib * 1024, kib * 1024);
    buffers.emplace_back(4 * 1024, 64 * 1024);
    buffers.emplace_back(64 * 1024, 4 * 1024);
    std::vector<Cell> grid;
    for (Protocol p : {Protocol::both_write, Protocol::compress, Protocol::uppercase})
        for (const auto& [a, b] : buffers)
            for (int64_t w : {16, 1024, 65536}) grid.push_back(Cell{p, a, b, w, mss_bytes});
    return grid;
}

namespace {

constexpr int64_t kCellTotalBytes = int64_t{256} << 20;  // far beyond any grid cell's capacity

Op op_of(OpKind kind, int64_t bytes = 0) {
    Op op;
    op.kind = kind;
    op.bytes = bytes;
    return op;
}

Op repeat_of(int64_t count, std::vector<Op> body) {
    Op op = op_of(OpKind::repeat);
    op.count = count;
    op.until_eof = count == 0;
    op.body = std::move(body);
    return op;
}

Op derived_write(int64_t num, int64_t den) {
    Op op = op_of(OpKind::write);
    op.ratio = model::Ratio{num, den};
    return op;
}

// The second endpoint's program: the writer's mirror, or a transform of what it reads.
std::vector<Op> peer_program(Protocol protocol, const std::vector<Op>& writer) {
    switch (protocol) {
        case Protocol::both_write: return writer;
        case Protocol::compress:
            return {repeat_of(0, {op_of(OpKind::read_exact, 1000), derived_write(1, 2)}), op_of(OpKind::close)};
        case Protocol::uppercase:
            return {repeat_of(0, {op_of(OpKind::read, 1024), derived_write(1, 1)}), op_of(OpKind::close)};
    }
    return {};
}

}  // namespace

model::Scenario cell_scenario(const Cell& c) {
    model::Scenario s;
    s.name = "calibrate " + c.label();
    s.profile = model::Profile::linux;
    const std::vector<Op> writer = {repeat_of(kCellTotalBytes / c.write_bytes, {op_of(OpKind::write, c.write_bytes)}),
                                    op_of(OpKind::shutdown), op_of(OpKind::read_to_end)};
    const std::array<std::optional<int64_t>, 2> buffers = {c.buffer_a, c.buffer_b};
    const std::array<std::vector<Op>, 2> programs = {writer, peer_program(c.protocol, writer)};
    s.endpoints.resize(2);
    for (int e = 0; e < 2; ++e) {
        s.endpoints[e].name = e == 0 ? "A" : "B";
        s.endpoints[e].threads = {model::Thread{"main", programs[e]}};
    }
    const model::Link link{measure::kLocalBandwidthBps, measure::kLocalDelayNs, c.mss_bytes};
    model::connect_two(s, {link, link}, {model::SocketSizes{buffers[0], buffers[0]}, model::SocketSizes{buffers[1], buffers[1]}});
    return s;
}

}  // namespace tcpsim::analysis
