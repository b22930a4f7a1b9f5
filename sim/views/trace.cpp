#include "views/trace.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>

#include "core/check.hpp"
#include "text/format.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;


JsonlTrace::JsonlTrace(std::ostream& out, const model::Scenario& scenario, int64_t limit_bytes, CutNotice on_cut)
    : out_(out), scenario_(scenario), limit_bytes_(limit_bytes), on_cut_(std::move(on_cut)) {
    TCPSIM_CHECK(limit_bytes >= kMinLimitBytes);
    for (int e = 0; e < 2; ++e)
        direction_names_[e] = scenario.endpoints[e].name + "->" + scenario.endpoints[1 - e].name;
}

void JsonlTrace::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) {
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
    ordered_json queues = ordered_json::object();
    ordered_json bytes = ordered_json::object();
    for (int e = 0; e < 2; ++e) {
        queues[scenario_.endpoints[e].name] = {{"sendq", dirs[e].sendq()}, {"recvq", dirs[1 - e].recvq()}};
        const core::DirectionCounters& c = dirs[e];
        bytes[direction_names_[e]] = {{"written", c.written}, {"sent", c.sent}, {"acked", c.acked},
                                     {"in_flight", c.in_flight}, {"arrived", c.arrived}, {"read", c.read},
                                     {"window", c.peer_window}, {"held", c.held}};
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
