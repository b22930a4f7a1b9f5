#include "analysis/rule.hpp"

#include <algorithm>
#include <limits>

#include "core/check.hpp"
#include "core/engine.hpp"

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
    TCPSIM_CHECK(block > 0 && ratio.den > 0);
    const int64_t reply = model::apply_ratio(block, ratio);
    if (reply == 0) return {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()};
    const int64_t out_capacity = sqs_server + rqs_client;
    const int64_t reads = (out_capacity / reply + 1) * block;
    return {reads, reads + sqs_client + rqs_server + 1};
}

namespace {

bool is_plain(const Op& op, OpKind kind) { return op.kind == kind && !op.ratio; }

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
    if (read.kind != OpKind::read_exact || write.kind != OpKind::write || !write.ratio) return std::nullopt;
    return Server{read.bytes, *write.ratio};
}

std::string num(int64_t v) { return std::to_string(v); }

}  // namespace

std::optional<RulePrediction> predict(const model::Scenario& s) {
    if (s.profile != model::Profile::textbook) return std::nullopt;
    const model::Endpoint& a = s.endpoints[0];
    const model::Endpoint& b = s.endpoints[1];
    const int64_t sqs_a = *a.sqs_bytes, rqs_a = *a.rqs_bytes, sqs_b = *b.sqs_bytes, rqs_b = *b.rqs_bytes;
    const auto na = writes_then_reads(a.threads);
    const auto nb = writes_then_reads(b.threads);
    if (na && nb) {
        RulePrediction p;
        p.shape = "both-write";
        p.deadlock = both_write_deadlocks(*na, *nb, sqs_a, rqs_a, sqs_b, rqs_b);
        p.accepted = p.deadlock ? sqs_a + rqs_b : *na;
        p.explanation = "both peers write first: deadlock iff " + num(*na) + " > SQS_" + a.name + "+RQS_" + b.name +
                        " = " + num(sqs_a + rqs_b) + " and " + num(*nb) + " > SQS_" + b.name + "+RQS_" + a.name +
                        " = " + num(sqs_b + rqs_a);
        return p;
    }
    // The client writes then reads; the server transforms blocks. Either endpoint may be the client.
    for (int client = 0; client < 2; ++client) {
        const model::Endpoint& c = s.endpoints[client];
        const model::Endpoint& srv = s.endpoints[1 - client];
        const auto request = writes_then_reads(c.threads);
        const auto server = block_server(srv.threads);
        if (!request || !server) continue;
        const TransformRule rule =
            transform_rule(server->block, server->ratio, *c.sqs_bytes, *c.rqs_bytes, *srv.sqs_bytes, *srv.rqs_bytes);
        RulePrediction p;
        p.shape = "transform";
        p.deadlock = *request >= rule.threshold;
        p.accepted = p.deadlock ? rule.threshold - 1 : *request;
        p.explanation = srv.name + " reads " + num(rule.server_reads_before_block) + " bytes before its replies fill SQS_" +
                        srv.name + "+RQS_" + c.name + " = " + num(*srv.sqs_bytes + *c.rqs_bytes) + "; " + c.name +
                        " then fills SQS_" + c.name + "+RQS_" + srv.name + " = " + num(*c.sqs_bytes + *srv.rqs_bytes) +
                        ": a request deadlocks iff it exceeds " + num(rule.threshold - 1) + " bytes";
        p.endpoint = client;
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

model::Scenario rule_scenario(int64_t sqs, int64_t rqs, int64_t peer_sqs, int64_t peer_rqs, std::vector<Op> ops_a,
                              std::vector<Op> ops_b) {
    model::Scenario s;
    s.name = "rule";
    s.profile = model::Profile::textbook;
    s.endpoints[0] = model::Endpoint{"A", sqs, peer_rqs, {model::Thread{"main", std::move(ops_a)}}};
    s.endpoints[1] = model::Endpoint{"B", peer_sqs, rqs, {model::Thread{"main", std::move(ops_b)}}};
    for (model::Link& l : s.links) l = model::Link{10'000'000, 1'000'000, 1460};
    s.limits = model::Limits{3600LL * 1'000'000'000, 1'000'000'000};
    return s;
}

struct WriteWatch : core::Observer {
    RuleRun* run;
    explicit WriteWatch(RuleRun* r) : run(r) {}
    void on_event(const core::TraceEvent& ev, const std::array<core::DirectionCounters, 2>& dirs) override {
        if (dirs[0].read == 0) run->accepted_before_reads = dirs[0].written;
        if (run->read_at_return < 0 && ev.kind == core::TraceKind::op_return && ev.endpoint == 0 && std::string(ev.op) == "write")
            run->read_at_return = dirs[0].read;
    }
};

}  // namespace

RuleRun simulate_rule(int64_t n, int64_t sqs, int64_t rqs, int64_t peer_sqs, int64_t peer_rqs) {
    RuleRun run;
    Op nap = make(OpKind::sleep);
    nap.duration_ns = 1'000'000'000;
    WriteWatch watch(&run);
    run.alone = core::simulate(rule_scenario(sqs, rqs, peer_sqs, peer_rqs, {make(OpKind::write, n), make(OpKind::close)},
                                             {nap, make(OpKind::read_to_end)}),
                               &watch);
    const std::vector<Op> both = {make(OpKind::write, n), make(OpKind::shutdown), make(OpKind::read_to_end)};
    run.together = core::simulate(rule_scenario(sqs, rqs, peer_sqs, peer_rqs, both, both));
    return run;
}

}  // namespace tcpsim::analysis
