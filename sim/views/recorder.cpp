#include "views/recorder.hpp"

#include "core/check.hpp"
#include "views/names.hpp"

namespace tcpsim::views {

Recorder::Recorder(const model::Scenario& scenario) : textbook_(scenario.profile == model::Profile::textbook) {
    for (size_t e = 0; e < scenario.endpoints.size(); ++e) {
        const model::Endpoint& endpoint = scenario.endpoints[e];
        first_thread_.push_back(labels_.size());
        for (const model::Thread& t : endpoint.threads) labels_.push_back(endpoint.name + "." + t.name);
        std::vector<int>& directions = send_direction_.emplace_back();
        std::vector<std::string>& peers = peer_.emplace_back();
        for (const model::Channel& c : endpoint.channels) {
            const bool socket = c.kind == model::Channel::Kind::socket;
            // Socket i sends on direction i (see core::Observer).
            directions.push_back(socket ? ChannelNames::socket_of(scenario, c.index, static_cast<int>(e)) : -1);
            peers.push_back(socket ? c.name : "");
        }
    }
    open_.resize(labels_.size());
    blocked_counts_.assign(labels_.size(), 0);
    kept_.resize(labels_.size());
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
    current_.in_transit = 0;
    for (size_t i = 0; i < dirs.size(); ++i) {
        current_.queues[k++] = dirs[i].sendq();
        current_.queues[k++] = dirs[i ^ 1].recvq();
        current_.in_transit += dirs[i].sent - dirs[i].acked;
    }
    for (const core::ByteQueueCounters& q : byte_queues) current_.queues[k++] = q.level();
    if (ev.thread >= 0) {
        const size_t i = first_thread_[ev.endpoint] + static_cast<size_t>(ev.thread);
        current_.written[i] = ev.thread_written;
        current_.read[i] = ev.thread_read;
        if (ev.kind == core::TraceKind::op_start && model::is_write(ev.op)) start_write(ev, i, dirs);
        if (ev.kind == core::TraceKind::op_block && open_[i].open) block_write(ev, i);
    }
    follow_rule(ev, dirs);
    if (ev.kind == core::TraceKind::op_return && ev.thread >= 0) {
        OpenWrite& w = open_[first_thread_[ev.endpoint] + static_cast<size_t>(ev.thread)];
        if (w.open && w.kept >= 0) writes_[static_cast<size_t>(w.kept)].returned_ns = ev.time_ns;
        w.open = false;
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

void Recorder::start_write(const core::TraceEvent& ev, size_t thread, std::span<const core::DirectionCounters> dirs) {
    OpenWrite& w = open_[thread];
    w = OpenWrite{};
    w.open = true;
    w.write.thread = thread;
    w.write.op = ev.op;
    w.write.requested = ev.requested;
    const auto e = static_cast<size_t>(ev.endpoint), c = static_cast<size_t>(ev.channel);
    TCPSIM_CHECK(e < send_direction_.size() && c < send_direction_[e].size());
    w.direction = send_direction_[e][c];
    w.write.reader = peer_[e][c];
    if (!textbook_ || w.direction < 0) return;
    const core::DirectionCounters& d = dirs[static_cast<size_t>(w.direction)];
    const int64_t both_queues = d.sendq_capacity + d.recvq_capacity;
    if (ev.requested <= both_queues) return;
    w.write.rule_bytes = ev.requested - both_queues;
    // op_start comes before the write moves a byte: `written` is what went before it.
    w.write.rule_read_bytes = d.written + w.write.rule_bytes;
}

void Recorder::block_write(const core::TraceEvent& ev, size_t thread) {
    OpenWrite& w = open_[thread];
    if (w.blocked) return;
    w.blocked = true;
    w.write.blocked_ns = ev.time_ns;
    ++blocked_counts_[thread];
    std::vector<size_t>& kept = kept_[thread];
    if (kept.size() < kMarkedWritesPerThread) {
        kept.push_back(writes_.size());
        writes_.push_back(w.write);
    } else {
        writes_[kept.back()] = w.write;  // the latest replaces the previous latest
    }
    w.kept = static_cast<int64_t>(kept.back());
}

// The rule's instant of each open write: the first event after which the peer's reads on its
// connection reach rule_read_bytes.
void Recorder::follow_rule(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs) {
    if (!textbook_) return;
    for (OpenWrite& w : open_) {
        if (!w.open || w.write.rule_bytes < 0 || w.write.rule_read_ns >= 0) continue;
        if (dirs[static_cast<size_t>(w.direction)].read < w.write.rule_read_bytes) continue;
        w.write.rule_read_ns = ev.time_ns;
        if (w.kept >= 0) writes_[static_cast<size_t>(w.kept)].rule_read_ns = ev.time_ns;
    }
}

}  // namespace tcpsim::views
