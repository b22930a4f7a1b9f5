#include "core/observer.hpp"

namespace tcpsim::core {

const char* to_string(TraceKind kind) {
    switch (kind) {
        case TraceKind::segment_sent: return "segment_sent";
        case TraceKind::segment_received: return "segment_received";
        case TraceKind::ack_sent: return "ack_sent";
        case TraceKind::ack_received: return "ack_received";
        case TraceKind::probe_sent: return "probe_sent";
        case TraceKind::op_start: return "op_start";
        case TraceKind::op_block: return "op_block";
        case TraceKind::op_return: return "op_return";
        case TraceKind::op_batch: return "op_batch";
        case TraceKind::persist_timeout: return "persist_timeout";
        case TraceKind::delack_timeout: return "delack_timeout";
        case TraceKind::sleep_done: return "sleep_done";
    }
    return "?";
}

}  // namespace tcpsim::core
