#include "views/recorder.hpp"

namespace tcpsim::views {

Recorder::Recorder(const model::Scenario& scenario) {
    for (int e = 0; e < 2; ++e) {
        first_thread_[e] = labels_.size();
        for (const model::Thread& t : scenario.endpoints[e].threads) labels_.push_back(scenario.endpoints[e].name + "." + t.name);
    }
    current_.written.assign(labels_.size(), 0);
    current_.read.assign(labels_.size(), 0);
    samples_.push_back(current_);
}

void Recorder::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) {
    current_.time_ns = ev.time_ns;
    current_.queues = {dirs[0].sendq(), dirs[1].recvq(), dirs[1].sendq(), dirs[0].recvq()};
    if (ev.thread >= 0) {
        const size_t i = first_thread_[ev.endpoint] + static_cast<size_t>(ev.thread);
        current_.written[i] = ev.thread_written;
        current_.read[i] = ev.thread_read;
    }
    // One sample per instant: the state once everything at that time has happened, so
    // zero-time transients (a SendQ freed by an ACK and refilled at once) are not drawn.
    if (samples_.back().time_ns == current_.time_ns || seen_++ % stride_ != 0) {
        samples_.back() = current_;
        return;
    }
    samples_.push_back(current_);
    if (samples_.size() < kMaxSamples) return;
    // Keep every other sample, and sample half as often from now on.
    size_t kept = 0;
    for (size_t i = 0; i < samples_.size(); i += 2) samples_[kept++] = samples_[i];
    samples_.resize(kept);
    samples_.push_back(current_);
    stride_ *= 2;
}

}  // namespace tcpsim::views
