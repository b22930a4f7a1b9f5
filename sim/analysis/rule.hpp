// The n-(SQS+RQS) rule and its consequences, in closed form, for the scenario shapes
// where they hold exactly (textbook capacities).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::analysis {

// A blocking write(n) against a peer that does not read: the kernel accepts
// min(n, SQS+RQS), and the write returns only after the peer read n-(SQS+RQS).
struct WriteRule {
    int64_t accepted = 0;
    int64_t peer_must_read = 0;
};
WriteRule write_rule(int64_t n, int64_t sqs, int64_t rqs);

// Both peers write at once, then read: deadlock iff each write exceeds its path's
// capacity (n_a > SQS_A+RQS_B and n_b > SQS_B+RQS_A).
bool both_write_deadlocks(int64_t n_a, int64_t n_b, int64_t sqs_a, int64_t rqs_a, int64_t sqs_b, int64_t rqs_b);

// A client writes `request` bytes before reading; the server reads exact blocks of
// `block` bytes and answers each with floor(block * ratio) bytes. The server stops
// reading once its replies fill SQS_server+RQS_client, after reading one block more
// than fits; the client then fills SQS_client+RQS_server.
struct TransformRule {
    int64_t server_reads_before_block = 0;  // (floor(out_capacity / reply) + 1) * block
    int64_t threshold = 0;                  // smallest request that deadlocks
};
TransformRule transform_rule(int64_t block, model::Ratio ratio, int64_t sqs_client, int64_t rqs_client,
                             int64_t sqs_server, int64_t rqs_server);
// The same through any path: the replies fill `out_capacity` bytes on their way to the client,
// the request `in_capacity` bytes on its way to the server.
TransformRule transform_through(int64_t block, model::Ratio ratio, int64_t in_capacity, int64_t out_capacity);

// The block-transform server's whole reply to a request of `request` bytes: floor(block * ratio)
// for each whole block, and floor(rest * ratio) for the short block read at EOF.
int64_t transform_reply_bytes(int64_t request, int64_t block, model::Ratio ratio);

// What the rule predicts for a scenario, when its shape is one the rule covers.
//  - "both-write": two endpoints on one connection each write n, then read.
//  - "transform": a client writes its request, then reads; the server transforms blocks.
//  - "chain": the client and the transform server with k >= 1 single-threaded hops between
//    them, each forwarding the whole request (stored, or chunk by chunk) and shutting down
//    before it reads any reply. Each hop reads its upstream until EOF, so only the last link
//    can deadlock: it is the transform rule with the last hop as the client (docs/model.md).
//  - "relay-chain": the same ends with k >= 1 hops that relay byte by byte in two threads
//    (read 1, write it: one thread each way). The path is one pipe: the transform rule through
//    every link's SQS+RQS plus the one byte each relay thread holds while it waits.
// Anything else (threaded relays, byte queues, pipes, other graphs): no prediction.
struct RulePrediction {
    std::string shape;          // "both-write", "transform", "chain"
    bool deadlock = false;
    std::string endpoint;       // the endpoint (its name) whose thread `accepted` is about
    int64_t accepted = 0;       // bytes that thread has handed over when the run ends
    std::string explanation;    // the rule with this scenario's numbers, in one sentence
};
std::optional<RulePrediction> predict(const model::Scenario& scenario);

// The sizes `tcpsim rule` takes: A writes n through A.SendQ (sqs) into B.RecvQ (rqs); B's
// SendQ (peer_sqs) and A's RecvQ (peer_rqs) carry B's writes back.
struct RuleSizes {
    int64_t n = 0;
    int64_t sqs = 0;
    int64_t rqs = 0;
    int64_t peer_sqs = 0;
    int64_t peer_rqs = 0;
    bool operator==(const RuleSizes&) const = default;
};

// The most events simulate_rule may need (a fifth of a second here): sizes that need more are
// simulated smaller (sizes_that_fit).
inline constexpr int64_t kRuleMaxEvents = 2'000'000;

// An upper bound on the events simulate_rule needs for these sizes (both of its runs).
int64_t rule_events_needed(const RuleSizes& sizes);

// `asked` if it fits in max_events; else sizes as close to it as fit, with n on the same side
// of SQS+RQS and of the peer's SQS+RQS as before (equal stays equal): n alone made smaller
// where that suffices, else every size divided by a power of two.
RuleSizes sizes_that_fit(const RuleSizes& asked, int64_t max_events = kRuleMaxEvents);

// The rule's numbers simulated (textbook), at sizes_that_fit: A writes n while B sleeps until
// that write can take no more, then B reads to the end; and both write n at once, then shut
// down and read.
struct RuleRun {
    RuleSizes simulated;                    // the sizes the runs used
    int64_t sleep_ns = 0;                   // how long B slept before it read
    int64_t accepted_before_reads = 0;      // what A handed over before B read a byte
    std::optional<int64_t> read_at_return;  // what B had read when A's write returned; none if it never did
    core::Result alone;                     // B sleeping, then reading
    core::Result together;                  // both writing at once
};
RuleRun simulate_rule(int64_t n, int64_t sqs, int64_t rqs, int64_t peer_sqs, int64_t peer_rqs,
                      int64_t max_events = kRuleMaxEvents);

}  // namespace tcpsim::analysis
