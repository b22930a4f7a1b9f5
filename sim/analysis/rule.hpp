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

// What the rule predicts for a scenario, when its shape is one the rule covers.
struct RulePrediction {
    std::string shape;          // "both-write", "transform"
    bool deadlock = false;
    int endpoint = 0;           // the endpoint whose thread `accepted` is about
    int64_t accepted = 0;       // bytes that thread has handed over when the run ends
    std::string explanation;    // the rule with this scenario's numbers, in one sentence
};
std::optional<RulePrediction> predict(const model::Scenario& scenario);

// The rule's numbers simulated (textbook): A writes n through A.SendQ (sqs) into B.RecvQ
// (rqs) while B sleeps, then reads; and both write n at once, then shut down and read.
struct RuleRun {
    int64_t accepted_before_reads = 0;  // what A handed over before B read a byte
    int64_t read_at_return = -1;        // what B had read when A's write returned
    core::Result alone;                 // B sleeping, then reading
    core::Result together;              // both writing at once
};
RuleRun simulate_rule(int64_t n, int64_t sqs, int64_t rqs, int64_t peer_sqs, int64_t peer_rqs);

}  // namespace tcpsim::analysis
