// `tcpsim explain`: a run told step by step for a reader. Repeated steps are summarised,
// so that even a 1 GiB run is a short read.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"
#include "core/result.hpp"
#include "views/names.hpp"

namespace tcpsim::views {

// One line of the narration: a step told in full, or a summary of the steps it skipped.
struct NarratedStep {
    int64_t time_ns = 0;  // the step's instant; a summary's: the first step it stands for
    std::string what;     // what happens, in words
    std::string queues;   // every queue's level after it ("[A: SendQ 500/500 ...]"); empty for a summary
    bool summary = false;
};

class Narrator : public core::Observer {
public:
    static constexpr int kShownPerKind = 3;    // steps of one kind told in full
    static constexpr size_t kTailSteps = 6;    // the last steps before the end, always told

    explicit Narrator(const model::Scenario& scenario);
    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions, std::span<const core::ByteQueueCounters> byte_queues) override;
    // The narration so far, with the last steps and the summaries of what was skipped.
    std::vector<NarratedStep> steps() const;
    // The same, one line each: "1.432 ms  B receives ...  [A: ...]".
    std::vector<std::string> lines() const;

private:
    // What makes two steps "the same pattern": cheap to build for every event. The variant
    // tells steps of one kind apart that a reader must see apart (see Step).
    // kind, endpoint, thread, op, variant, and what it acts on: the direction of a TCP event, the
    // channel of an op (one value per kind with one connection, so those steps group as before).
    using Kind = std::tuple<int, int, int, std::string_view, int, int>;
    struct Step {
        core::TraceEvent event;
        std::vector<core::DirectionCounters> directions;
        std::vector<core::ByteQueueCounters> byte_queues;
        // ack_received: what the ACK changed for its sender.
        int64_t freed_bytes = 0;      // bytes that left the SendQ
        int waiting_writer = -1;      // a thread of the sender blocked in a write, or -1
        bool window_changed = false;  // the peer's window closed or reopened
    };
    // Follows the state a step is told against; false for bookkeeping a reader does not need.
    // Called for every event, so it stays cheap.
    bool worth_telling(Step& step);
    static int variant_of(const Step& step);
    std::string describe(const Step& step) const;
    std::string describe_op(const core::TraceEvent& ev) const;
    std::string describe_block(const core::TraceEvent& ev) const;
    std::string describe_ack_received(const Step& step) const;
    NarratedStep render(const Step& step) const;
    std::string kind_phrase(const Kind& kind, int64_t steps) const;
    std::string queues(const Step& step) const;
    std::string who(int endpoint, int thread) const;
    // The other end of a TCP event's connection.
    const std::string& peer_of(const core::TraceEvent& ev) const;
    // " to server", " from queue jobs": what an op acts on, when the endpoint has several channels.
    std::string on(const core::TraceEvent& ev) const;
    // Where an op's bytes go or come from, for "... has no room" / "... is empty": "its SendQ",
    // "queue jobs", "pipe stdin".
    std::string buffer_of(const core::TraceEvent& ev, bool writes) const;
    // The direction an op on a socket sends on, or -1 (a queue, a pipe, a sleep).
    int sending_direction(const core::TraceEvent& ev) const;
    NarratedStep summary(int64_t steps) const;

    const model::Scenario& scenario_;
    const ChannelNames names_;
    std::vector<NarratedStep> told_steps_;
    int64_t first_skipped_ns_ = 0;     // the time of the first step in skipped_
    std::map<Kind, int64_t> told_;     // per kind, steps told in full
    std::map<Kind, int64_t> skipped_;  // per kind, steps summarised since the last told one
    std::deque<Step> tail_;            // the latest skipped steps, told at the end
    // Per direction: whether its sender last heard a zero window (the handshake's never is), its
    // SendQ level after the previous event, and the sender's threads blocked writing into it.
    std::vector<bool> window_zero_;
    std::vector<int64_t> last_sendq_;
    std::vector<std::set<int>> waiting_writers_;
};

// The rule of n-(SQS+RQS) worked out for a run's blocked writes and the scenario's shape, where
// it holds (textbook); for a linux run, what the run shows instead.
std::vector<std::string> rule_lines(const model::Scenario& scenario, const core::Result& result);

}  // namespace tcpsim::views
