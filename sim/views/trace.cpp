#include "views/trace.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>

#include "core/check.hpp"
#include "text/format.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;

namespace {

// With several channels: the stream a TCP event belongs to ("connection": "proxy->server",
// an ACK's being the stream it acknowledges), or the socket or queue an op acts on.
void name_channel(const model::Scenario& scenario, const ChannelNames& names, const core::TraceEvent& ev,
                  ordered_json& line) {
    if (ev.direction >= 0) {
        line["connection"] = names.directions[static_cast<size_t>(ev.direction)];
        return;
    }
    const bool acts_on_channel = core::is_op_event(ev.kind) && ev.op != model::OpKind::sleep &&
                                 ev.op != model::OpKind::repeat && ev.channel >= 0;
    if (!acts_on_channel) return;
    const model::Channel& c = scenario.endpoints[static_cast<size_t>(ev.endpoint)].channels[static_cast<size_t>(ev.channel)];
    line[c.kind == model::Channel::Kind::socket ? "socket" : "queue"] = names.channel_key(scenario, ev.endpoint, ev.channel);
}

}  // namespace

JsonlTrace::JsonlTrace(std::ostream& out, const model::Scenario& scenario, int64_t limit_bytes, CutNotice on_cut)
    : out_(out), scenario_(scenario), names_(scenario), limit_bytes_(limit_bytes), on_cut_(std::move(on_cut)) {
    TCPSIM_CHECK(limit_bytes >= kMinLimitBytes);
}

void JsonlTrace::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs,
                          std::span<const core::ByteQueueCounters> byte_queues) {
    if (cut_) return;
    ordered_json line;
    line["t_ns"] = ev.time_ns;
    line["kind"] = core::to_string(ev.kind);
    line["endpoint"] = scenario_.endpoints[ev.endpoint].name;
    if (core::is_op_event(ev.kind)) {
        line["thread"] = scenario_.endpoints[ev.endpoint].threads[ev.thread].name;
        line["op"] = model::op_name(ev.op);
        if (ev.kind == core::TraceKind::op_batch) {
            line["iterations"] = ev.requested;
            line["bytes"] = ev.length;
        } else if (ev.op == model::OpKind::sleep) {
            line["duration_ns"] = ev.duration_ns;
        } else {
            line["requested"] = ev.requested;
            line["done"] = ev.length;
        }
    } else if (ev.kind == core::TraceKind::sleep_done) {
        line["thread"] = scenario_.endpoints[ev.endpoint].threads[ev.thread].name;
        line["duration_ns"] = ev.duration_ns;
    } else if (ev.kind == core::TraceKind::segment_sent || ev.kind == core::TraceKind::segment_received) {
        line["seq"] = ev.seq;
        line["len"] = ev.length;
        line["fin"] = ev.fin;
    } else {
        line["seq"] = ev.seq;  // acks: the acknowledgement number
        line["window"] = ev.window;
    }
    if (names_.several) name_channel(scenario_, names_, ev, line);
    ordered_json queues = ordered_json::object();
    ordered_json bytes = ordered_json::object();
    // Socket i sends on direction i and receives on its partner i^1 (see core::Observer).
    for (size_t i = 0; i < names_.sockets.size(); ++i)
        queues[names_.sockets[i]] = {{"sendq", dirs[i].sendq()}, {"recvq", dirs[i ^ 1].recvq()}};
    for (size_t d = 0; d < names_.directions.size(); ++d) {
        const core::DirectionCounters& c = dirs[d];
        bytes[names_.directions[d]] = {{"written", c.written}, {"sent", c.sent}, {"acked", c.acked},
                                      {"in_flight", c.in_flight}, {"arrived", c.arrived}, {"read", c.read},
                                      {"window", c.peer_window}, {"held", c.held}};
    }
    for (size_t q = 0; q < names_.byte_queues.size(); ++q) {
        const core::ByteQueueCounters& c = byte_queues[q];
        queues[names_.byte_queues[q]] = {{"level", c.level()}};
        bytes[names_.byte_queues[q]] = {{"written", c.written}, {"read", c.read}, {"level", c.level()},
                                       {"capacity", c.capacity}, {"peak", c.peak},
                                       {"writer_closed", c.writer_closed}, {"reader_closed", c.reader_closed}};
    }
    line["queues"] = queues;
    line["bytes"] = bytes;
    const std::string text = line.dump() + '\n';
    if (bytes_written_ + static_cast<int64_t>(text.size()) + kCutLineBytes > limit_bytes_) {
        write_cut_line(ev);
        return;
    }
    out_ << text;
    bytes_written_ += static_cast<int64_t>(text.size());
    ++events_written_;
}

void JsonlTrace::write_cut_line(const core::TraceEvent& ev) {
    cut_ = true;
    ordered_json line;
    line["t_ns"] = ev.time_ns;
    line["kind"] = "trace_cut";
    line["events_written"] = events_written_;
    line["limit_bytes"] = limit_bytes_;
    line["message"] = "trace cut here: the next event would have taken the file past its limit of " +
                      text::format_size(limit_bytes_) + "; the run went on, its later events are not in this file";
    const std::string text = line.dump() + '\n';
    TCPSIM_CHECK(static_cast<int64_t>(text.size()) <= kCutLineBytes);
    out_ << text;
    bytes_written_ += static_cast<int64_t>(text.size());
    if (on_cut_) on_cut_(ev, events_written_);
}

}  // namespace tcpsim::views
