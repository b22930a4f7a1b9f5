// The simulator's clock and agenda: events in time order, ties first-in first-out, and timers
// whose handles know whether they are pending. The queue counts the pending events that keep a
// run alive, so the engine can tell "nothing can happen any more" without keeping count itself.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

#include "core/check.hpp"

namespace tcpsim::core {

enum class EventType : uint8_t {
    link_free, segment_arrival, ack_arrival, probe_arrival, persist_timeout, delack_timeout, sleep_done,
};

// 48 bytes: the heap moves events on every push and pop, so they stay small.
struct Event {
    int64_t time_ns = 0;
    uint64_t order = 0;       // insertion order: ties at one time run first-in first-out
    EventType type = EventType::link_free;
    bool fin = false;
    uint16_t timer = 0;       // timers: the timer's number in the queue (1..); 0 for other events
    uint32_t target = 0;      // a direction's index, or for sleep_done the endpoint's
    uint32_t generation = 0;  // timers: the arming this event belongs to
    int64_t a = 0;            // segment: seq; ack: ack number; sleep_done: the thread
    int64_t b = 0;            // segment: length; ack: window
};
static_assert(sizeof(Event) == 48);

// A restartable timer (delayed ACK, persist). Re-arming or cancelling it makes the event of
// its earlier arming stale: the queue drops that event when it comes up.
class Timer {
public:
    // keeps_run_alive: whether a pending firing counts as something that can still happen
    // (a delayed ACK does; a persist probe is judged by the engine on its own).
    explicit Timer(bool keeps_run_alive) : keeps_run_alive_(keeps_run_alive) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    bool armed() const { return armed_; }

private:
    friend class EventQueue;
    bool keeps_run_alive_;
    uint16_t number_ = 0;  // given by the queue when first armed
    bool armed_ = false;
    uint32_t generation_ = 0;
};

class EventQueue {
public:
    int64_t now_ns() const { return now_ns_; }
    bool empty() const { return heap_.empty(); }
    const Event& top() const { return heap_.top(); }
    // Pending events and armed timers that keep the run alive.
    int64_t pending_alive() const { return alive_; }

    void schedule(int64_t at_ns, Event event) {
        push(at_ns, event);
        ++alive_;
    }

    void arm(Timer& timer, int64_t at_ns, Event event) {
        TCPSIM_CHECK(!timer.armed_);
        if (timer.number_ == 0) {
            TCPSIM_CHECK(timers_.size() < UINT16_MAX);
            timers_.push_back(&timer);
            timer.number_ = static_cast<uint16_t>(timers_.size());
        }
        timer.armed_ = true;
        event.timer = timer.number_;
        event.generation = ++timer.generation_;
        push(at_ns, event);
        if (timer.keeps_run_alive_) ++alive_;
    }

    void cancel(Timer& timer) {
        if (!timer.armed_) return;
        timer.armed_ = false;
        if (timer.keeps_run_alive_) --alive_;
    }

    // Takes the top event off and advances the clock to it. Returns false for a stale timer
    // event, which is not an event of the run and leaves the clock alone.
    bool pop(Event& event) {
        event = heap_.top();
        heap_.pop();
        if (event.timer != 0) {
            Timer& timer = *timers_[event.timer - 1];
            if (event.generation != timer.generation_ || !timer.armed_) return false;
            timer.armed_ = false;
            if (timer.keeps_run_alive_) --alive_;
        } else {
            --alive_;
        }
        TCPSIM_CHECK(event.time_ns >= now_ns_);
        now_ns_ = event.time_ns;
        return true;
    }

    // A run that stops at its time limit ends there.
    void stop_at(int64_t time_ns) { now_ns_ = time_ns; }

private:
    struct Later {
        bool operator()(const Event& x, const Event& y) const {
            return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.order > y.order;
        }
    };

    void push(int64_t at_ns, Event& event) {
        TCPSIM_CHECK(at_ns >= now_ns_);
        event.time_ns = at_ns;
        event.order = next_order_++;
        heap_.push(event);
    }

    std::priority_queue<Event, std::vector<Event>, Later> heap_;
    std::vector<Timer*> timers_;  // by number - 1; timers outlive the queue's use of them
    uint64_t next_order_ = 0;
    int64_t alive_ = 0;
    int64_t now_ns_ = 0;
};

}  // namespace tcpsim::core
