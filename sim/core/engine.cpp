#include "core/engine.hpp"

#include <memory>
#include <vector>

#include "core/check.hpp"
#include "core/connection.hpp"
#include "core/event_queue.hpp"
#include "core/interpreter.hpp"
#include "core/run_context.hpp"
#include "core/wait_for.hpp"

namespace tcpsim::core {

namespace {

// The loop that ties the parts: take the next event, let it act, then let every thread that can
// move run, every sender send and every receiver acknowledge; stop when the run has ended.
class Engine {
public:
    Engine(const model::Scenario& scenario, const ProfileParams& params, Observer* observer, const ProgressFn& progress)
        : scenario_(scenario),
          trace_(observer, [this](std::vector<DirectionCounters>& out) { observe_counters(out); }),
          run_{params, scenario.limits, events_, trace_, progress} {
        // Today's scenarios hold one connection, between their two endpoints.
        connections_.push_back(std::make_unique<Connection>(run_, scenario, 0, 0, 1));
        for (const auto& connection : connections_) {
            for (int side = 0; side < 2; ++side) directions_.push_back(&connection->direction(side));
            sockets_.resize(scenario.endpoints.size());
            for (int side = 0; side < 2; ++side) sockets_[connection->endpoint(side)] = &connection->socket(side);
        }
        interpreter_ = std::make_unique<Interpreter>(run_, scenario, sockets_);
    }

    Result run() {
        settle();
        while (!finished_) {
            if (run_.operations_exhausted) return finish_limit(LimitReason::operations);
            if (run_.event_count >= scenario_.limits.events) return finish_limit(LimitReason::events);
            // detect_end() ends every run whose pending events cannot change anything.
            TCPSIM_CHECK(!events_.empty());
            if (events_.top().time_ns > scenario_.limits.time_ns) {
                events_.stop_at(scenario_.limits.time_ns);
                return finish_limit(LimitReason::time);
            }
            Event event;
            if (!events_.pop(event)) continue;  // a stale timer is not an event of the run
            dispatch(event);
            if (++run_.event_count % kProgressSteps == 0) run_.report_progress();
            settle();
        }
        return std::move(result_);
    }

private:
    void dispatch(const Event& ev) {
        if (ev.type == EventType::sleep_done) {
            interpreter_->on_sleep_done(static_cast<int>(ev.target), static_cast<int>(ev.a));
        } else {
            deliver(*directions_.at(ev.target), ev);
        }
        for (const Direction* direction : directions_) direction->check_invariants();
    }

    static void deliver(Direction& d, const Event& ev) {
        switch (ev.type) {
            case EventType::link_free: d.sender.on_link_free(); break;
            case EventType::segment_arrival: d.receiver.on_segment(ev.a, ev.b, ev.fin); break;
            case EventType::ack_arrival: d.sender.on_ack(ev.a, ev.b); break;
            case EventType::probe_arrival: d.receiver.on_probe(); break;
            case EventType::persist_timeout: d.sender.on_persist_timeout(); break;
            case EventType::delack_timeout: d.receiver.on_delack_timeout(); break;
            case EventType::sleep_done: break;
        }
    }

    // After an event: run every thread that can move, then let TCP send and acknowledge.
    void settle() {
        for (size_t pass = 0; pass < interpreter_->max_passes() && interpreter_->run_runnable_threads(); ++pass) {}
        for (Direction* d : directions_) {
            d->sender.transmit();
            d->sender.end_of_step();
        }
        for (Direction* d : directions_) d->receiver.end_of_step();
        detect_end();
    }

    void detect_end() {
        if (finished_ || run_.operations_exhausted) return;
        if (interpreter_->all_finished()) {
            finish(Outcome::completed, events_.now_ns());
            return;
        }
        if (events_.pending_alive() > 0) return;
        // Only persist timers remain: a probe changes something only if the receiver
        // would now offer a window; otherwise every unfinished thread waits forever.
        for (const Direction* d : directions_)
            if (d->sender.persist_armed() && d->receiver.window_to_advertise() > 0) return;
        finish(Outcome::deadlock, run_.last_change_ns);
    }

    void observe_counters(std::vector<DirectionCounters>& out) const {
        out.resize(directions_.size());
        for (size_t i = 0; i < directions_.size(); ++i) out[i] = directions_[i]->observed();
    }

    Result finish_limit(LimitReason reason) {
        finish(Outcome::limit, events_.now_ns());
        result_.limit_reason = reason;
        return std::move(result_);
    }

    void finish(Outcome outcome, int64_t time_ns) {
        finished_ = true;
        result_.scenario = scenario_.name;
        result_.outcome = outcome;
        result_.time_ns = time_ns;
        result_.events = run_.event_count;
        result_.threads = interpreter_->reports(scenario_);
        for (size_t e = 0; e < sockets_.size(); ++e) {
            const Socket& s = *sockets_[e];
            const DirectionCounters& tx = s.tx.counters();
            const DirectionCounters& rx = s.rx.counters();
            result_.queues.push_back(QueueReport{scenario_.endpoints[e].name, tx.sendq(), rx.recvq(), tx.sendq_capacity,
                                                 rx.recvq_capacity, s.rx.last_window(), s.rx.held()});
        }
        if (outcome == Outcome::deadlock) result_.cycle = describe_cycle(scenario_, result_, wait_for_facts());
    }

    WaitForFacts wait_for_facts() const {
        WaitForFacts facts;
        facts.sockets.resize(sockets_.size());
        for (const auto& connection : connections_) {
            for (int side = 0; side < 2; ++side) {
                const Socket& s = connection->socket(side);
                facts.sockets[connection->endpoint(side)] =
                    SocketFacts{connection->endpoint(1 - side), s.tx.write_shut(), s.rx.window_to_advertise() == 0};
            }
        }
        facts.writer_wakes_at_third = run_.params.writer_wakes_at_third;
        return facts;
    }

    const model::Scenario& scenario_;
    EventQueue events_;
    TraceStream trace_;
    RunContext run_;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::vector<Direction*> directions_;  // every connection's two directions, by their index
    std::vector<Socket*> sockets_;        // each endpoint's socket
    std::unique_ptr<Interpreter> interpreter_;
    bool finished_ = false;
    Result result_;
};

}  // namespace

Result simulate(const model::Scenario& scenario, const ProfileParams& params, Observer* observer,
                const ProgressFn& progress) {
    Engine engine(scenario, params, observer, progress);
    return engine.run();
}

Result simulate_textbook(const model::Scenario& scenario, Observer* observer) {
    TCPSIM_CHECK(scenario.profile == model::Profile::textbook);
    return simulate(scenario, textbook_profile(), observer);
}

}  // namespace tcpsim::core
