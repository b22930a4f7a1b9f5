// Builders for scenarios in tests: short enough that a test reads like its scenario.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"
#include "scenario/profile_file.hpp"

namespace tcpsim::test {

using model::Op;
using model::OpKind;

inline Op write_op(int64_t n) { Op op; op.kind = OpKind::write; op.bytes = n; return op; }
inline Op send_op(int64_t n) { Op op; op.kind = OpKind::send; op.bytes = n; return op; }
inline Op write_ratio(int64_t num, int64_t den) { Op op; op.kind = OpKind::write; op.ratio = model::Ratio{num, den}; return op; }
inline Op read_op(int64_t n) { Op op; op.kind = OpKind::read; op.bytes = n; return op; }
inline Op read_exact_op(int64_t n) { Op op; op.kind = OpKind::read_exact; op.bytes = n; return op; }
inline Op read_to_end_op() { Op op; op.kind = OpKind::read_to_end; return op; }
inline Op shutdown_op() { Op op; op.kind = OpKind::shutdown; return op; }
inline Op close_op() { Op op; op.kind = OpKind::close; return op; }
inline Op sleep_op(int64_t ns) { Op op; op.kind = OpKind::sleep; op.duration_ns = ns; return op; }
inline Op repeat_op(int64_t count, std::vector<Op> body) {
    Op op; op.kind = OpKind::repeat; op.count = count; op.body = std::move(body); return op;
}
inline Op repeat_eof_op(std::vector<Op> body) {
    Op op; op.kind = OpKind::repeat; op.until_eof = true; op.body = std::move(body); return op;
}
inline Op event_loop_op(int64_t total, int64_t chunk) {
    Op op; op.kind = OpKind::event_loop; op.write_total = total; op.write_chunk = chunk; op.read_chunk = chunk;
    return op;
}

struct Side {
    int64_t sqs = 500;
    int64_t rqs = 500;
    std::vector<std::pair<std::string, std::vector<Op>>> threads;
};

inline model::Scenario make_scenario(Side a, Side b, model::Profile profile = model::Profile::textbook,
                                     int64_t mss = 1460, int64_t delay_ns = 1'000'000,
                                     int64_t bandwidth_bps = 10'000'000) {
    model::Scenario s;
    s.name = "test";
    s.profile = profile;
    std::array<Side*, 2> sides{&a, &b};
    s.endpoints.resize(2);
    for (int e = 0; e < 2; ++e) {
        model::Endpoint& ep = s.endpoints[e];
        ep.name = e == 0 ? "A" : "B";
        for (auto& [name, ops] : sides[e]->threads) ep.threads.push_back(model::Thread{name, ops});
    }
    const model::Link link{bandwidth_bps, delay_ns, mss};
    model::connect_two(s, {link, link}, {model::SocketSizes{a.sqs, a.rqs}, model::SocketSizes{b.sqs, b.rqs}});
    return s;
}

// A chain of endpoints in a line, chain[0] -- chain[1] -- ... -- chain[m-1], one connection
// between neighbours; sizes[i] are the sockets of connection i: {chain[i]'s, chain[i+1]'s}.
// Programs name their sockets as if channel 0 led up the chain (towards chain[0]) and channel 1
// down it (an end's only socket is channel 0). `reversed` lists the endpoints from the far end
// and each connection far end first, as a file may; the channels stay the loader's (sockets in
// connection order), and the builder renumbers the programs' channels to match.
inline void renumber_channels(std::vector<Op>& ops, int up, int down) {
    for (Op& op : ops) {
        op.channel = op.channel == 0 ? up : down;
        renumber_channels(op.body, up, down);
    }
}
inline model::Scenario make_chain(std::vector<model::Endpoint> chain, const std::vector<std::array<model::SocketSizes, 2>>& sizes,
                                  const model::Link& link, bool reversed = false) {
    const int m = static_cast<int>(chain.size());
    if (m < 2 || sizes.size() + 1 != chain.size()) throw std::invalid_argument("make_chain: m endpoints need m-1 connections");
    model::Scenario s;
    s.name = "chain";
    s.profile = model::Profile::textbook;
    const auto index_of = [&](int position) { return reversed ? m - 1 - position : position; };
    s.endpoints.resize(chain.size());
    for (int pos = 0; pos < m; ++pos) s.endpoints[index_of(pos)] = chain[pos];
    // The connection between positions pos and pos+1, in file order.
    for (int c = 0; c < m - 1; ++c) {
        const int pos = reversed ? m - 2 - c : c;
        model::Connection conn;
        conn.links = {link, link};
        conn.ends = {index_of(reversed ? pos + 1 : pos), index_of(reversed ? pos : pos + 1)};
        conn.sizes = reversed ? std::array<model::SocketSizes, 2>{sizes[pos][1], sizes[pos][0]} : sizes[pos];
        s.connections.push_back(conn);
    }
    for (int c = 0; c < m - 1; ++c)
        for (int side = 0; side < 2; ++side) {
            model::Endpoint& ep = s.endpoints[s.connections[c].ends[side]];
            ep.channels.push_back({model::Channel::Kind::socket, c, s.endpoints[s.connections[c].ends[1 - side]].name});
        }
    for (int pos = 1; pos + 1 < m; ++pos) {
        model::Endpoint& hop = s.endpoints[index_of(pos)];
        const int up = hop.channels[0].name == chain[pos - 1].name ? 0 : 1;
        for (model::Thread& t : hop.threads) renumber_channels(t.ops, up, 1 - up);
    }
    return s;
}

// The linux profile a scenario runs with: the built-in one calibrated nearest its link's MSS.
inline const core::ProfileParams& linux_params(int64_t mss_bytes) { return scenario::builtin_linux_params(mss_bytes); }
inline const core::ProfileParams& linux_params(const model::Scenario& s) { return linux_params(scenario::profile_mss(s)); }
// The parameters a scenario of either model runs with when no profile file is named.
inline core::ProfileParams params_of(const model::Scenario& s) {
    return s.profile == model::Profile::linux ? linux_params(s) : core::textbook_profile();
}
// The linux rules on the kernel's own buffer arithmetic, with no fitted numbers: the built-in
// profile's flags, timers and skb overhead, with the payload share the kernel starts from (half
// the buffer, TCP_DEFAULT_SCALING_RATIO, no offset) and Debian's default sysctls
// (net.core.wmem_max = rmem_max = 212992, tcp_wmem[2] = 4 MiB, tcp_rmem[2] = 6 MiB). The per-rule
// tests drive one rule at a time in round numbers with it; a fitted share would move every
// number and blur which rule acts. Runs of real scenarios use the built-in profile itself.
inline core::ProfileParams kernel_rules_params(int64_t mss_bytes = 1460) {
    core::ProfileParams p = linux_params(mss_bytes);
    p.wmem_max_bytes = p.rmem_max_bytes = 212992;
    p.sndbuf_default_bytes = 4194304;
    p.rcvbuf_default_bytes = 6291456;
    p.send_payload = p.recv_payload = model::Ratio{1, 2};
    p.send_extra_bytes = p.recv_extra_bytes = 0;
    return p;
}
// A run as `tcpsim run` makes it: the scenario's own model, the built-in profile for linux.
inline core::Result run_builtin(const model::Scenario& s, core::Observer* observer = nullptr) {
    return core::simulate(s, params_of(s), observer);
}

inline const core::ThreadReport& thread_of(const core::Result& r, const std::string& endpoint,
                                           const std::string& name = "main") {
    for (const core::ThreadReport& t : r.threads)
        if (t.endpoint == endpoint && t.name == name) return t;
    throw std::runtime_error("no thread " + endpoint + "." + name);
}

}  // namespace tcpsim::test
