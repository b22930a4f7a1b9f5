#include "core/engine.hpp"

#include <algorithm>
#include <cstdint>
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
          trace_(observer, [this](std::vector<DirectionCounters>& out, std::vector<ByteQueueCounters>& queues) {
              observe_counters(out, queues);
          }),
          run_{params, scenario.limits, events_, trace_, progress} {
        for (size_t k = 0; k < scenario.connections.size(); ++k) {
            const auto& connection = connections_.emplace_back(std::make_unique<Connection>(run_, scenario, static_cast<int>(k)));
            for (int side = 0; side < 2; ++side) directions_.push_back(&connection->direction(side));
        }
        byte_queues_.reserve(scenario.byte_queues.size());
        for (const model::ByteQueue& spec : scenario.byte_queues) byte_queues_.emplace_back(spec);
        interpreter_ = std::make_unique<Interpreter>(run_, scenario, channel_runs());
        // Hand-offs through queues at one instant may take many passes (a writer fills, a reader
        // drains, ...); each moves bytes, and the operations limit bounds them.
        max_passes_ = scenario.byte_queues.empty() ? interpreter_->max_passes() : SIZE_MAX;
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
    // Each endpoint's channels, resolved to its sockets and byte queues.
    std::vector<std::vector<ChannelRun>> channel_runs() {
        std::vector<std::vector<ChannelRun>> out(scenario_.endpoints.size());
        for (size_t e = 0; e < out.size(); ++e) {
            for (const model::Channel& ch : scenario_.endpoints[e].channels) {
                ChannelRun& c = out[e].emplace_back();
                if (ch.kind == model::Channel::Kind::socket) {
                    Connection& connection = *connections_[static_cast<size_t>(ch.index)];
                    c.socket = &connection.socket(connection.endpoint(0) == static_cast<int>(e) ? 0 : 1);
                } else {
                    const model::ByteQueue& spec = scenario_.byte_queues[static_cast<size_t>(ch.index)];
                    c.queue = &byte_queues_[static_cast<size_t>(ch.index)];
                    c.writer_end = spec.writer == static_cast<int>(e);
                    c.reader_end = spec.reader == static_cast<int>(e);
                }
            }
        }
        return out;
    }

    void dispatch(const Event& ev) {
        if (ev.type == EventType::sleep_done) {
            interpreter_->on_sleep_done(static_cast<int>(ev.target), static_cast<int>(ev.a));
        } else {
            deliver(*directions_.at(ev.target), ev);
        }
        for (const Direction* direction : directions_) direction->check_invariants();
        for (const ByteQueueState& queue : byte_queues_) queue.check_invariants();
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
        for (size_t pass = 0; pass < max_passes_ && interpreter_->run_runnable_threads(); ++pass) {}
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

    void observe_counters(std::vector<DirectionCounters>& out, std::vector<ByteQueueCounters>& queues) const {
        out.resize(directions_.size());
        for (size_t i = 0; i < directions_.size(); ++i) out[i] = directions_[i]->observed();
        queues.resize(byte_queues_.size());
        for (size_t i = 0; i < byte_queues_.size(); ++i) queues[i] = byte_queues_[i].counters();
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
        for (const auto& connection : connections_) {
            for (int side = 0; side < 2; ++side) {
                const Socket& s = connection->socket(side);
                const DirectionCounters& tx = s.tx.counters();
                const DirectionCounters& rx = s.rx.counters();
                result_.queues.push_back(QueueReport{scenario_.endpoints[connection->endpoint(side)].name,
                                                     scenario_.endpoints[connection->endpoint(1 - side)].name, tx.sendq(),
                                                     rx.recvq(), tx.sendq_capacity, rx.recvq_capacity,
                                                     s.rx.last_window(), s.rx.held()});
            }
        }
        for (size_t i = 0; i < byte_queues_.size(); ++i) {
            const model::ByteQueue& spec = scenario_.byte_queues[i];
            const ByteQueueCounters& c = byte_queues_[i].counters();
            result_.byte_queues.push_back(ByteQueueReport{
                spec.pipe ? spec.name : scenario_.endpoints[static_cast<size_t>(spec.writer)].name + "." + spec.name,
                spec.pipe, c.level(), c.capacity, c.peak, c.written, c.read, c.writer_closed, c.reader_closed});
        }
        if (outcome == Outcome::deadlock) {
            WaitFor wait_for = describe_cycle(scenario_, result_, wait_for_facts());
            result_.cycle = std::move(wait_for.cycle);
            result_.off_cycle = std::move(wait_for.off_cycle);
        }
    }

    WaitForFacts wait_for_facts() const {
        WaitForFacts facts;
        for (const auto& connection : connections_) {
            for (int side = 0; side < 2; ++side) {
                const Socket& s = connection->socket(side);
                facts.sockets.push_back(SocketFacts{s.tx.write_shut(), s.rx.window_to_advertise() == 0});
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
    std::vector<ByteQueueState> byte_queues_;
    std::unique_ptr<Interpreter> interpreter_;
    size_t max_passes_ = 0;
    bool finished_ = false;
    Result result_;
};

}  // namespace

Result simulate(const model::Scenario& scenario, const ProfileParams& params, Observer* observer,
                const ProgressFn& progress) {
    Engine engine(scenario, params, observer, progress);
    return engine.run();
}

Result simulate_until(model::Scenario scenario, const ProfileParams& params, int64_t stop_ns, Observer* observer,
                      const ProgressFn& progress) {
    // Stopping lowers the time limit; that limit, when hit, is the stop asked for.
    const bool stop_is_the_limit = stop_ns <= scenario.limits.time_ns;
    scenario.limits.time_ns = std::min(scenario.limits.time_ns, stop_ns);
    Result result = simulate(scenario, params, observer, progress);
    if (stop_is_the_limit && result.outcome == Outcome::limit && result.limit_reason == LimitReason::time) {
        result.outcome = Outcome::stopped;
        result.limit_reason = LimitReason::none;
    }
    return result;
}

Result simulate_textbook(const model::Scenario& scenario, Observer* observer) {
    TCPSIM_CHECK(scenario.profile == model::Profile::textbook);
    return simulate(scenario, textbook_profile(), observer);
}

}  // namespace tcpsim::core
