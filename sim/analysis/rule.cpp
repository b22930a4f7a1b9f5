#include "analysis/rule.hpp"

#include <algorithm>
#include <limits>

#include "core/check.hpp"
#include "core/engine.hpp"
#include "core/profile.hpp"
#include "text/format.hpp"

namespace tcpsim::analysis {

using model::Op;
using model::OpKind;

WriteRule write_rule(int64_t n, int64_t sqs, int64_t rqs) {
    return {std::min(n, sqs + rqs), std::max<int64_t>(0, n - (sqs + rqs))};
}

bool both_write_deadlocks(int64_t n_a, int64_t n_b, int64_t sqs_a, int64_t rqs_a, int64_t sqs_b, int64_t rqs_b) {
    return n_a > sqs_a + rqs_b && n_b > sqs_b + rqs_a;
}

TransformRule transform_rule(int64_t block, model::Ratio ratio, int64_t sqs_client, int64_t rqs_client,
                             int64_t sqs_server, int64_t rqs_server) {
    return transform_through(block, ratio, sqs_client + rqs_server, sqs_server + rqs_client);
}

TransformRule transform_through(int64_t block, model::Ratio ratio, int64_t in_capacity, int64_t out_capacity) {
    TCPSIM_CHECK(block > 0 && ratio.den > 0);
    const int64_t reply = model::apply_ratio(block, ratio);
    if (reply == 0) return {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()};
    const int64_t reads = (out_capacity / reply + 1) * block;
    return {reads, reads + in_capacity + 1};
}

int64_t transform_reply_bytes(int64_t request, int64_t block, model::Ratio ratio) {
    TCPSIM_CHECK(request >= 0 && block > 0 && ratio.den > 0);
    __extension__ typedef __int128 Wide;
    const Wide reply = Wide{request / block} * model::apply_ratio(block, ratio) + model::apply_ratio(request % block, ratio);
    return reply > std::numeric_limits<int64_t>::max() ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(reply);
}

namespace {

bool is_plain(const Op& op, OpKind kind) { return op.kind == kind && !op.ratio && op.sizes.empty(); }

// [write n, shutdown, read_to_end | repeat-until-EOF of one read]: writes everything, then reads to EOF.
std::optional<int64_t> writes_then_reads(const std::vector<model::Thread>& threads) {
    if (threads.size() != 1) return std::nullopt;
    const std::vector<Op>& ops = threads[0].ops;
    if (ops.size() != 3 || !is_plain(ops[0], OpKind::write) || ops[1].kind != OpKind::shutdown) return std::nullopt;
    const Op& tail = ops[2];
    const bool reads_to_end = tail.kind == OpKind::read_to_end ||
                              (tail.kind == OpKind::repeat && tail.until_eof && tail.body.size() == 1 &&
                               tail.body[0].kind == OpKind::read);
    if (!reads_to_end) return std::nullopt;
    return ops[0].bytes;
}

// [repeat-until-EOF {read_exact b; write ratio r}, (close)]: the block transform server.
struct Server {
    int64_t block;
    model::Ratio ratio;
};
std::optional<Server> block_server(const std::vector<model::Thread>& threads) {
    if (threads.size() != 1) return std::nullopt;
    const std::vector<Op>& ops = threads[0].ops;
    if (ops.empty() || ops.size() > 2) return std::nullopt;
    if (ops.size() == 2 && ops[1].kind != OpKind::close && ops[1].kind != OpKind::shutdown) return std::nullopt;
    const Op& loop = ops[0];
    if (loop.kind != OpKind::repeat || !loop.until_eof || loop.body.size() != 2) return std::nullopt;
    const Op& read = loop.body[0];
    const Op& write = loop.body[1];
    if (!is_plain(read, OpKind::read_exact) || write.kind != OpKind::write || !write.ratio) return std::nullopt;
    return Server{read.bytes, *write.ratio};
}

std::string num(int64_t v) { return text::grouped(v); }

// The transform rule between `client` (its socket `c`) and the block server `srv` (its socket):
// its prediction for a request, and the sentence that explains it.
RulePrediction transform_prediction(int64_t request, const Server& server, const std::string& client,
                                    const model::SocketSizes& c, const std::string& srv, const model::SocketSizes& srv_sizes) {
    RulePrediction p;
    p.shape = "transform";
    if (model::apply_ratio(server.block, server.ratio) == 0) {
        // transform_rule's thresholds are 'never' then: no reply, nothing fills.
        p.accepted = request;
        p.explanation = srv + " answers each block of " + text::bytes(server.block) + " with nothing (the ratio " +
                        "rounds it down to 0 bytes), so its replies never fill SQS_" + srv + "+RQS_" + client +
                        " and no request deadlocks";
        return p;
    }
    const TransformRule rule = transform_rule(server.block, server.ratio, *c.sqs_bytes, *c.rqs_bytes,
                                              *srv_sizes.sqs_bytes, *srv_sizes.rqs_bytes);
    p.deadlock = request >= rule.threshold;
    p.accepted = p.deadlock ? rule.threshold - 1 : request;
    p.explanation = srv + " reads " + num(rule.server_reads_before_block) + " bytes before its replies fill SQS_" + srv +
                    "+RQS_" + client + " = " + num(*srv_sizes.sqs_bytes + *c.rqs_bytes) + "; " + client +
                    " then fills SQS_" + client + "+RQS_" + srv + " = " + num(*c.sqs_bytes + *srv_sizes.rqs_bytes) +
                    ": a request deadlocks iff it exceeds " + num(rule.threshold - 1) + " bytes";
    return p;
}

// ------------------------------------------------------------------ chains of hops

bool reads_from(const Op& op, int channel) {
    return (op.kind == OpKind::read || op.kind == OpKind::read_exact || op.kind == OpKind::read_to_end) &&
           op.channel == channel && op.sizes.empty() && !op.ratio && (op.kind == OpKind::read_to_end || op.bytes > 0);
}

// A write of exactly what the last read returned.
bool writes_last_read(const Op& op, int channel) {
    return op.kind == OpKind::write && op.channel == channel && op.sizes.empty() && op.ratio &&
           op.ratio->num == op.ratio->den && op.ratio->num > 0;
}

// How many ops from ops[at] forward everything `from` brings until EOF (`total` bytes) to `to`,
// in full before the next op; 0 if they do not. Stored: [read_to_end, or read_exact m >= total
// (EOF ends it)], then [a write of what it read, or of `total`]. Chunk by chunk: repeat until
// EOF {read c or read_exact c; a write of what it read}.
size_t forwards_all(const std::vector<Op>& ops, size_t at, int from, int to, int64_t total) {
    if (at < ops.size() && ops[at].kind == OpKind::repeat) {
        const Op& loop = ops[at];
        const bool chunks = loop.until_eof && loop.duration_ns == 0 && loop.body.size() == 2 &&
                            (loop.body[0].kind == OpKind::read || loop.body[0].kind == OpKind::read_exact) &&
                            reads_from(loop.body[0], from) && writes_last_read(loop.body[1], to);
        return chunks ? 1 : 0;
    }
    if (at + 1 >= ops.size()) return 0;
    const Op& read = ops[at];
    const Op& write = ops[at + 1];
    const bool reads_all = reads_from(read, from) && (read.kind == OpKind::read_to_end ||
                                                      (read.kind == OpKind::read_exact && read.bytes >= total));
    const bool writes_all = writes_last_read(write, to) || (is_plain(write, OpKind::write) && write.channel == to &&
                                                            write.bytes == total);
    return reads_all && writes_all ? 2 : 0;
}

// A hop that forwards the whole request (`request` bytes from `up` to `down`), shuts `down`,
// then forwards the whole reply (`reply` bytes back), and at most closes its sockets after.
bool is_forwarding_hop(const model::Endpoint& hop, int up, int down, int64_t request, int64_t reply) {
    if (hop.threads.size() != 1) return false;
    const std::vector<Op>& ops = hop.threads[0].ops;
    size_t at = forwards_all(ops, 0, up, down, request);
    if (at == 0 || at >= ops.size() || ops[at].kind != OpKind::shutdown || ops[at].channel != down) return false;
    const size_t back = forwards_all(ops, at + 1, down, up, reply);
    if (back == 0) return false;
    at += 1 + back;
    if (ops.size() - at > 2) return false;
    for (; at < ops.size(); ++at)
        if (ops[at].kind != OpKind::close && ops[at].kind != OpKind::shutdown) return false;
    return true;
}

// One thread of a byte relay: [repeat until EOF {read 1 from `from`; write it to `to`}, shutdown
// or close `to`] (`close_ok`: a close is as good, no other thread reads `to` by then).
bool relays_bytes(const model::Thread& thread, int from, int to, bool close_ok) {
    const std::vector<Op>& ops = thread.ops;
    if (ops.size() != 2 || ops[0].kind != OpKind::repeat || !ops[0].until_eof || ops[0].duration_ns != 0) return false;
    const std::vector<Op>& body = ops[0].body;
    const bool loop = body.size() == 2 && (body[0].kind == OpKind::read || body[0].kind == OpKind::read_exact) &&
                      reads_from(body[0], from) && body[0].bytes == 1 && writes_last_read(body[1], to);
    const bool ends = (ops[1].kind == OpKind::shutdown || (close_ok && ops[1].kind == OpKind::close)) && ops[1].channel == to;
    return loop && ends;
}

// A hop of two threads, each relaying one direction byte by byte.
bool is_byte_relay(const model::Endpoint& hop, int up, int down) {
    if (hop.threads.size() != 2) return false;
    for (int first = 0; first < 2; ++first)
        if (relays_bytes(hop.threads[first], up, down, false) && relays_bytes(hop.threads[1 - first], down, up, true))
            return true;
    return false;
}

// The endpoint at the other end of `e`'s channel `channel` (a socket).
int peer_of(const model::Scenario& s, int e, int channel) {
    const model::Connection& c = s.connections[static_cast<size_t>(s.endpoints[e].channels[channel].index)];
    return c.ends[0] == e ? c.ends[1] : c.ends[0];
}

// e's channel to `peer`, or -1.
int channel_to(const model::Scenario& s, int e, int peer) {
    const std::vector<model::Channel>& channels = s.endpoints[e].channels;
    for (size_t i = 0; i < channels.size(); ++i)
        if (channels[i].kind == model::Channel::Kind::socket && peer_of(s, e, static_cast<int>(i)) == peer)
            return static_cast<int>(i);
    return -1;
}

const model::SocketSizes& sizes_at(const model::Scenario& s, int e, int channel) {
    const model::Connection& c = s.connections[static_cast<size_t>(s.endpoints[e].channels[channel].index)];
    return c.sizes[c.ends[0] == e ? 0 : 1];
}

// The endpoints from `start` along a path graph (every endpoint on it, each joined to the next
// by one connection), or empty if the connections do not form one path starting there.
std::vector<int> path_from(const model::Scenario& s, int start) {
    std::vector<int> path{start};
    int previous = -1;
    for (size_t step = 0; step < s.endpoints.size(); ++step) {
        const int e = path.back();
        const size_t degree = s.endpoints[e].channels.size();
        const bool far_end = step + 1 == s.endpoints.size();
        if (degree != (step == 0 || far_end ? 1u : 2u)) return {};
        if (far_end) break;
        int next = -1;
        for (int ch = 0; ch < static_cast<int>(degree); ++ch)
            if (peer_of(s, e, ch) != previous) next = peer_of(s, e, ch);
        if (next < 0) return {};
        previous = e;
        path.push_back(next);
    }
    return path.size() == s.endpoints.size() ? path : std::vector<int>{};
}

// Byte relays make the path one pipe: each link's SQS+RQS, and one byte per relay thread (read,
// held while its write waits), carry the request in and the replies out.
RulePrediction predict_relay_chain(const model::Scenario& s, const std::vector<int>& path, int64_t request,
                                   const Server& server, const std::string& route) {
    const int64_t hops = static_cast<int64_t>(path.size()) - 2;
    int64_t in = hops, out = hops;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        const int a = path[i], b = path[i + 1];
        const model::SocketSizes& sa = sizes_at(s, a, channel_to(s, a, b));
        const model::SocketSizes& sb = sizes_at(s, b, channel_to(s, b, a));
        in += *sa.sqs_bytes + *sb.rqs_bytes;
        out += *sb.sqs_bytes + *sa.rqs_bytes;
    }
    const std::string& client = s.endpoints[path.front()].name;
    const std::string& srv = s.endpoints[path.back()].name;
    RulePrediction p;
    p.shape = "relay-chain";
    p.endpoint = client;
    const std::string head = route + ": every hop relays byte by byte in two threads, so the path is one pipe; ";
    if (model::apply_ratio(server.block, server.ratio) == 0) {
        p.accepted = request;
        p.explanation = head + srv + " answers each block of " + text::bytes(server.block) +
                        " with nothing, so its replies never fill the path and no request deadlocks";
        return p;
    }
    const TransformRule rule = transform_through(server.block, server.ratio, in, out);
    p.deadlock = request >= rule.threshold;
    p.accepted = p.deadlock ? rule.threshold - 1 : request;
    p.explanation = head + srv + " reads " + num(rule.server_reads_before_block) + " bytes before its replies fill " +
                    num(out) + " (every SQS+RQS towards " + client + ", and a byte held by each relay thread); " + client +
                    " then fills " + num(in) + " (every SQS+RQS towards " + srv + ", and a byte in each relay)" +
                    ": a request deadlocks iff it exceeds " + num(rule.threshold - 1) + " bytes";
    return p;
}

std::optional<RulePrediction> predict_chain(const model::Scenario& s) {
    for (int client = 0; client < static_cast<int>(s.endpoints.size()); ++client) {
        const model::Endpoint& c = s.endpoints[client];
        if (c.channels.size() != 1) continue;
        const auto request = writes_then_reads(c.threads);
        if (!request) continue;
        const std::vector<int> path = path_from(s, client);
        if (path.empty()) return std::nullopt;
        const int srv = path.back();
        const auto server = block_server(s.endpoints[srv].threads);
        if (!server) return std::nullopt;
        const int64_t reply = transform_reply_bytes(*request, server->block, server->ratio);
        std::string route = c.name;
        for (size_t i = 1; i < path.size(); ++i) route += " -> " + s.endpoints[path[i]].name;
        bool forwarding = true, relays = true;
        for (size_t i = 1; i + 1 < path.size(); ++i) {
            const int hop = path[i];
            const int up = channel_to(s, hop, path[i - 1]), down = channel_to(s, hop, path[i + 1]);
            forwarding = forwarding && is_forwarding_hop(s.endpoints[hop], up, down, *request, reply);
            relays = relays && is_byte_relay(s.endpoints[hop], up, down);
        }
        if (relays) return predict_relay_chain(s, path, *request, *server, route);
        if (!forwarding) return std::nullopt;
        const int last = path[path.size() - 2];
        RulePrediction p = transform_prediction(*request, *server, s.endpoints[last].name,
                                                sizes_at(s, last, channel_to(s, last, srv)), s.endpoints[srv].name,
                                                sizes_at(s, srv, 0));
        p.shape = "chain";
        p.endpoint = s.endpoints[last].name;
        p.explanation = route + ": every hop reads the whole request to EOF before it reads the reply, so only the last " +
                        "link can deadlock, as the transform rule with " + s.endpoints[last].name + " as its client. " +
                        p.explanation;
        return p;
    }
    return std::nullopt;
}

}  // namespace

std::optional<RulePrediction> predict(const model::Scenario& s) {
    if (s.profile != model::Profile::textbook || !s.byte_queues.empty()) return std::nullopt;
    if (s.endpoints.size() > 2 && s.connections.size() + 1 == s.endpoints.size()) return predict_chain(s);
    // The two-endpoint closed forms: one connection and nothing else.
    if (s.endpoints.size() != 2 || s.connections.size() != 1) return std::nullopt;
    const model::Connection& connection = s.connections[0];
    const auto sizes_of = [&](int e) { return connection.sizes[connection.ends[0] == e ? 0 : 1]; };
    const model::SocketSizes sizes_a = sizes_of(0), sizes_b = sizes_of(1);
    const model::Endpoint& a = s.endpoints[0];
    const model::Endpoint& b = s.endpoints[1];
    const int64_t sqs_a = *sizes_a.sqs_bytes, rqs_a = *sizes_a.rqs_bytes, sqs_b = *sizes_b.sqs_bytes,
                  rqs_b = *sizes_b.rqs_bytes;
    const auto na = writes_then_reads(a.threads);
    const auto nb = writes_then_reads(b.threads);
    if (na && nb) {
        RulePrediction p;
        p.shape = "both-write";
        p.endpoint = a.name;
        p.deadlock = both_write_deadlocks(*na, *nb, sqs_a, rqs_a, sqs_b, rqs_b);
        p.accepted = p.deadlock ? sqs_a + rqs_b : *na;
        p.explanation = "both peers write first: deadlock iff " + num(*na) + " > SQS_" + a.name + "+RQS_" + b.name +
                        " = " + num(sqs_a + rqs_b) + " and " + num(*nb) + " > SQS_" + b.name + "+RQS_" + a.name +
                        " = " + num(sqs_b + rqs_a);
        return p;
    }
    // The client writes then reads; the server transforms blocks. Either endpoint may be the client.
    for (int client = 0; client < 2; ++client) {
        const auto request = writes_then_reads(s.endpoints[client].threads);
        const auto server = block_server(s.endpoints[1 - client].threads);
        if (!request || !server) continue;
        RulePrediction p = transform_prediction(*request, *server, s.endpoints[client].name,
                                                client == 0 ? sizes_a : sizes_b, s.endpoints[1 - client].name,
                                                client == 0 ? sizes_b : sizes_a);
        p.endpoint = s.endpoints[client].name;
        return p;
    }
    return std::nullopt;
}

namespace {

Op make(OpKind kind, int64_t bytes = 0) {
    Op o;
    o.kind = kind;
    o.bytes = bytes;
    return o;
}

// A link as fast as loopback's, so that large buffers take few segments: the rule's bytes do
// not depend on it.
constexpr model::Link kRuleLink{10'000'000'000, 10'000, 65483};
constexpr int64_t kNoTimeLimitNs = std::numeric_limits<int64_t>::max() / 4;
constexpr int64_t kSecondNs = 1'000'000'000;

__extension__ typedef __int128 Wide;

int64_t saturated(Wide v) { return v > std::numeric_limits<int64_t>::max() ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v); }

int64_t path_of(const RuleSizes& s) { return s.sqs + s.rqs; }
int64_t back_of(const RuleSizes& s) { return s.peer_sqs + s.peer_rqs; }
int compare(int64_t a, int64_t b) { return (a > b) - (a < b); }

// Segments that move `bytes` from a SendQ of `sqs` into a RecvQ of `rqs`: on average at least
// half of min(MSS, SQS, RQS) each (SendQs and windows refill in pieces), plus a few at the edges.
Wide segments_for(Wide bytes, int64_t sqs, int64_t rqs) {
    const int64_t segment = std::min({kRuleLink.mss_bytes, sqs, rqs});
    return 2 * ((bytes + segment - 1) / segment) + 4;
}
constexpr Wide kEventsPerSegment = 3;  // the link freed, the segment's arrival, its ACK's arrival

// How long B sleeps: twice what A's write needs to fill SQS+RQS (a round trip for each SendQ's
// worth, plus every byte's time on the wire), and a second more, in whole seconds.
int64_t sleep_for(const RuleSizes& s) {
    const core::ProfileParams params = core::textbook_profile();
    const int64_t per_round = std::min(s.sqs, s.rqs);
    const Wide rounds = (Wide{s.rqs} + per_round - 1) / per_round + 1;
    const Wide wire_bytes = Wide{path_of(s)} + params.header_bytes * segments_for(path_of(s), s.sqs, s.rqs);
    const Wide fill_ns = rounds * 2 * kRuleLink.delay_ns + wire_bytes * 8 * kSecondNs / kRuleLink.bandwidth_bps + 1;
    return saturated(((2 * fill_ns + kSecondNs) + kSecondNs - 1) / kSecondNs * kSecondNs);
}

// The values n may take that stand to `path` and `back` as compare() says.
struct Interval {
    int64_t lo = 1;
    int64_t hi = std::numeric_limits<int64_t>::max();
    void keep(int relation, int64_t bound) {
        if (relation <= 0) hi = std::min(hi, relation == 0 ? bound : bound - 1);
        if (relation >= 0) lo = std::max(lo, relation == 0 ? bound : bound + 1);
    }
};

Interval interval_for(const RuleSizes& s, int to_path, int to_back) {
    Interval iv;
    iv.keep(to_path, path_of(s));
    iv.keep(to_back, back_of(s));
    return iv;
}

// Every size divided by 2^shift (rounded up), the two paths kept in the same order with room
// for n between them where it was, and n in the same place relative to both.
RuleSizes scaled_down(const RuleSizes& a, int shift) {
    const auto down = [shift](int64_t v) { return ((v - 1) >> shift) + 1; };
    RuleSizes s{0, down(a.sqs), down(a.rqs), down(a.peer_sqs), down(a.peer_rqs)};
    const int to_path = compare(a.n, path_of(a)), to_back = compare(a.n, back_of(a));
    const int paths = compare(path_of(a), back_of(a));
    const int64_t gap = to_path * to_back < 0 ? 2 : 1;  // n strictly between the two paths needs a value there
    if (paths == 0) {
        if (path_of(s) < back_of(s)) s.rqs += back_of(s) - path_of(s);
        else s.peer_rqs += path_of(s) - back_of(s);
    } else if (paths < 0 && back_of(s) - path_of(s) < gap) {
        s.peer_rqs += gap - (back_of(s) - path_of(s));
    } else if (paths > 0 && path_of(s) - back_of(s) < gap) {
        s.rqs += gap - (path_of(s) - back_of(s));
    }
    const Interval iv = interval_for(s, to_path, to_back);
    TCPSIM_CHECK(iv.lo <= iv.hi);
    s.n = std::clamp(down(a.n), iv.lo, iv.hi);
    return s;
}

model::Scenario rule_scenario(const RuleSizes& sizes, const model::Limits& limits, std::vector<Op> ops_a,
                              std::vector<Op> ops_b) {
    model::Scenario s;
    s.name = "rule";
    s.profile = model::Profile::textbook;
    s.endpoints = {model::Endpoint{"A", {model::Thread{"main", std::move(ops_a)}}, {}},
                   model::Endpoint{"B", {model::Thread{"main", std::move(ops_b)}}, {}}};
    model::connect_two(s, {kRuleLink, kRuleLink},
                       {model::SocketSizes{sizes.sqs, sizes.peer_rqs}, model::SocketSizes{sizes.peer_sqs, sizes.rqs}});
    s.limits = limits;
    return s;
}

struct WriteWatch : core::Observer {
    RuleRun* run;
    explicit WriteWatch(RuleRun* r) : run(r) {}
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
        if (dirs[0].read == 0) run->accepted_before_reads = dirs[0].written;
        if (!run->read_at_return && ev.kind == core::TraceKind::op_return && ev.endpoint == 0 && ev.op == model::OpKind::write)
            run->read_at_return = dirs[0].read;
    }
};

}  // namespace

int64_t rule_events_needed(const RuleSizes& s) {
    TCPSIM_CHECK(s.n > 0 && s.sqs > 0 && s.rqs > 0 && s.peer_sqs > 0 && s.peer_rqs > 0);
    // While B sleeps, A's persist timer probes, backing off to its longest interval.
    const Wide probes = 64 + sleep_for(s) / core::textbook_profile().persist_max_ns;
    const Wide alone = kEventsPerSegment * (segments_for(s.n, s.sqs, s.rqs) + probes) + 16;
    const Wide together = kEventsPerSegment * (segments_for(s.n, s.sqs, s.rqs) + segments_for(s.n, s.peer_sqs, s.peer_rqs)) + 16;
    return saturated(alone + together);
}

RuleSizes sizes_that_fit(const RuleSizes& asked, int64_t max_events) {
    const auto fits = [max_events](const RuleSizes& s) { return rule_events_needed(s) <= max_events; };
    if (fits(asked)) return asked;
    // n alone, as large as fits between the smallest n in the same place and the one asked.
    RuleSizes s = asked;
    s.n = interval_for(asked, compare(asked.n, path_of(asked)), compare(asked.n, back_of(asked))).lo;
    if (fits(s)) {
        int64_t hi = asked.n;  // does not fit
        while (s.n + 1 < hi) {  // halves [s.n, hi) each pass: at most 64 passes
            RuleSizes mid = s;
            mid.n = s.n + (hi - s.n) / 2;
            if (fits(mid)) s = mid;
            else hi = mid.n;
        }
        return s;
    }
    // Every size smaller; at shift 62 every size is one or two bytes, which fits.
    for (int shift = 1; shift < 63; ++shift) {
        const RuleSizes scaled = scaled_down(asked, shift);
        if (fits(scaled)) return scaled;
    }
    TCPSIM_CHECK(!"no sizes fit the rule's event budget");
    return asked;
}

RuleRun simulate_rule(int64_t n, int64_t sqs, int64_t rqs, int64_t peer_sqs, int64_t peer_rqs, int64_t max_events) {
    RuleRun run;
    run.simulated = sizes_that_fit({n, sqs, rqs, peer_sqs, peer_rqs}, max_events);
    const RuleSizes& s = run.simulated;
    run.sleep_ns = sleep_for(s);
    // Bounded by max_events even if the sizes did not fit: a check too large fails, it never runs on.
    const model::Limits limits{kNoTimeLimitNs, std::min(rule_events_needed(s), max_events)};
    Op nap = make(OpKind::sleep);
    nap.duration_ns = run.sleep_ns;
    WriteWatch watch(&run);
    run.alone = core::simulate_textbook(rule_scenario(s, limits, {make(OpKind::write, s.n), make(OpKind::close)},
                                                      {nap, make(OpKind::read_to_end)}),
                                        &watch);
    const std::vector<Op> both = {make(OpKind::write, s.n), make(OpKind::shutdown), make(OpKind::read_to_end)};
    run.together = core::simulate_textbook(rule_scenario(s, limits, both, both));
    return run;
}

}  // namespace tcpsim::analysis
