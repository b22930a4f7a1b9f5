#include "views/trace.hpp"

#include <nlohmann/json.hpp>

namespace tcpsim::views {

using nlohmann::ordered_json;

namespace {

bool is_op_event(core::TraceKind kind) {
    return kind == core::TraceKind::op_start || kind == core::TraceKind::op_block ||
           kind == core::TraceKind::op_return || kind == core::TraceKind::op_batch;
}

}  // namespace

JsonlTrace::JsonlTrace(std::ostream& out, const model::Scenario& scenario) : out_(out), scenario_(scenario) {
    for (int e = 0; e < 2; ++e)
        direction_names_[e] = scenario.endpoints[e].name + "->" + scenario.endpoints[1 - e].name;
}

void JsonlTrace::on_event(const core::TraceEvent& ev, const std::array<core::DirectionCounters, 2>& dirs) {
    ordered_json line;
    line["t_ns"] = ev.time_ns;
    line["kind"] = core::to_string(ev.kind);
    line["endpoint"] = scenario_.endpoints[ev.endpoint].name;
    if (is_op_event(ev.kind)) {
        line["thread"] = scenario_.endpoints[ev.endpoint].threads[ev.thread].name;
        line["op"] = ev.op;
        if (ev.kind == core::TraceKind::op_batch) {
            line["iterations"] = ev.requested;
            line["bytes"] = ev.length;
        } else {
            line["requested"] = ev.requested;
            line["done"] = ev.length;
        }
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
    out_ << line.dump() << '\n';
}

}  // namespace tcpsim::views
