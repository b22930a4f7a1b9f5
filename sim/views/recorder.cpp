#include "views/recorder.hpp"

#include "views/names.hpp"

namespace tcpsim::views {

Recorder::Recorder(const model::Scenario& scenario) {
    for (const model::Endpoint& endpoint : scenario.endpoints) {
        first_thread_.push_back(labels_.size());
        for (const model::Thread& t : endpoint.threads) labels_.push_back(endpoint.name + "." + t.name);
    }
    const ChannelNames names(scenario);
    for (const std::string& socket : names.sockets) {
        queue_labels_.push_back(socket + ".SendQ");
        queue_labels_.push_back(socket + ".RecvQ");
    }
    queue_labels_.insert(queue_labels_.end(), names.byte_queues.begin(), names.byte_queues.end());
    current_.queues.assign(queue_labels_.size(), 0);
    current_.written.assign(labels_.size(), 0);
    current_.read.assign(labels_.size(), 0);
    samples_.push_back(current_);
}

void Recorder::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs,
                        std::span<const core::ByteQueueCounters> byte_queues) {
    current_.time_ns = ev.time_ns;
    // Socket i sends on direction i and receives on its partner i^1 (see core::Observer).
    size_t k = 0;
    for (size_t i = 0; i < dirs.size(); ++i) {
        current_.queues[k++] = dirs[i].sendq();
        current_.queues[k++] = dirs[i ^ 1].recvq();
    }
    for (const core::ByteQueueCounters& q : byte_queues) current_.queues[k++] = q.level();
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
