// What the parts of one run share: the profile, the event queue (and its clock), the observer
// stream, and the run's own bookkeeping (the last state change, the work done, the limits).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/event_queue.hpp"
#include "core/model.hpp"
#include "core/observer.hpp"
#include "core/profile.hpp"

namespace tcpsim::core {

// The observer stream: events go out with every direction's counters at that moment.
class TraceStream {
public:
    using CounterSource = std::function<void(std::vector<DirectionCounters>&, std::vector<ByteQueueCounters>&)>;
    TraceStream(Observer* observer, CounterSource counters) : observer_(observer), counters_(std::move(counters)) {}
    bool listening() const { return observer_ != nullptr; }
    void emit(const TraceEvent& event) {
        if (observer_ == nullptr) return;
        counters_(snapshot_, byte_queues_);
        observer_->on_event(event, snapshot_, byte_queues_);
    }

private:
    Observer* observer_;
    CounterSource counters_;
    std::vector<DirectionCounters> snapshot_;
    std::vector<ByteQueueCounters> byte_queues_;
};

// Held by value: every part reads the profile on its hot path, one load away.
struct RunContext {
    const ProfileParams params;
    const model::Limits limits;
    EventQueue& events;
    TraceStream& trace;
    const ProgressFn& progress;
    int64_t last_change_ns = 0;  // the last time a queue level or a thread state changed
    int64_t event_count = 0;     // events of the run (stale timers are not)
    int64_t operations = 0;      // interpreter steps; a fast-forwarded batch is one
    bool operations_exhausted = false;

    int64_t now_ns() const { return events.now_ns(); }
    // Something a deadlock's onset is dated by happened now.
    void touch() { last_change_ns = events.now_ns(); }
    void report_progress() const {
        if (progress) progress(Progress{events.now_ns(), event_count, operations});
    }
    // One more interpreter step; false once the operations limit is passed.
    bool count_operation() {
        if (++operations > limits.events) {
            operations_exhausted = true;
            return false;
        }
        if (operations % kProgressSteps == 0) report_progress();
        return true;
    }
};

}  // namespace tcpsim::core
