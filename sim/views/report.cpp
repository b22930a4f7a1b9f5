#include "views/report.hpp"

#include "views/ascii_figure.hpp"

#include <sstream>

#include "text/format.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;
using text::format_duration;
using text::grouped;

ordered_json report_json(const core::Result& result) {
    ordered_json j;
    j["scenario"] = result.scenario;
    j["outcome"] = core::to_string(result.outcome);
    j["time_ns"] = result.time_ns;
    j["events"] = result.events;
    if (result.outcome == core::Outcome::limit) j["limit"] = core::to_string(result.limit_reason);
    ordered_json threads = ordered_json::array();
    for (const core::ThreadReport& t : result.threads) {
        ordered_json jt;
        jt["endpoint"] = t.endpoint;
        jt["name"] = t.name;
        jt["state"] = core::to_string(t.state);
        jt["bytes_written"] = t.bytes_written;
        jt["bytes_read"] = t.bytes_read;
        if (t.blocked_in) {
            const core::BlockedIn& b = *t.blocked_in;
            jt["blocked_in"] = {{"op", model::op_name(b.op)}, {"index", b.index}, {"at", b.at}};
            if (!b.on.empty()) jt["blocked_in"]["on"] = b.on;
            if (b.op == model::OpKind::sleep) {
                jt["blocked_in"]["duration_ns"] = b.duration_ns;
            } else {
                jt["blocked_in"]["requested"] = b.requested;
                jt["blocked_in"]["done"] = b.done;
            }
        } else {
            jt["blocked_in"] = nullptr;
        }
        if (!t.error.empty()) jt["error"] = t.error;
        threads.push_back(jt);
    }
    j["threads"] = threads;
    ordered_json queues = ordered_json::object();
    for (size_t i = 0; i < result.queues.size(); ++i) {
        const core::QueueReport& q = result.queues[i];
        ordered_json& entry = queues[core::socket_key(result, i)];
        entry = {{"sendq", q.sendq}, {"recvq", q.recvq}, {"sqs", q.sqs}, {"rqs", q.rqs}, {"window", q.window}};
        if (q.recvq_held > 0) entry["recvq_held"] = q.recvq_held;
    }
    j["queues"] = queues;
    if (!result.byte_queues.empty()) {
        ordered_json byte_queues = ordered_json::object();
        for (const core::ByteQueueReport& q : result.byte_queues) {
            byte_queues[q.name] = {{"kind", q.pipe ? "pipe" : "queue"}, {"level", q.level}, {"capacity", q.capacity},
                                   {"peak", q.peak}, {"written", q.written}, {"read", q.read},
                                   {"writer_closed", q.writer_closed}, {"reader_closed", q.reader_closed}};
        }
        j["byte_queues"] = byte_queues;
    }
    j["cycle"] = result.cycle;
    if (!result.off_cycle.empty()) j["off_cycle"] = result.off_cycle;
    return j;
}

namespace {

std::string verdict_line(const core::Result& r, ReportSource source) {
    std::ostringstream out;
    const std::string events = source == ReportSource::simulated ? " (" + text::count(r.events, "event", "events") + ")" : "";
    switch (r.outcome) {
        case core::Outcome::deadlock:
            out << "DEADLOCK: every unfinished thread is blocked for good, since " << format_duration(r.time_ns) << events;
            break;
        case core::Outcome::completed: out << "COMPLETED: every thread finished at " << format_duration(r.time_ns) << events; break;
        case core::Outcome::limit:
            out << "LIMIT: stopped by the " << core::to_string(r.limit_reason) << " limit at " << format_duration(r.time_ns) << events;
            break;
        case core::Outcome::stopped:
            out << "STOPPED where asked, at " << format_duration(r.time_ns) << events << ": the state then; the run had not ended";
            break;
    }
    out << core::failures_in_words(r);
    return out.str();
}

std::string byte_queue_line(const core::ByteQueueReport& q) {
    std::ostringstream out;
    out << q.name << " (" << (q.pipe ? "pipe" : "queue") << "): " << grouped(q.level) << "/"
        << (q.capacity >= model::kUnboundedQueueBytes ? std::string("unbounded") : grouped(q.capacity)) << ", peak "
        << grouped(q.peak) << ", " << grouped(q.written) << " written, " << grouped(q.read) << " read";
    if (q.writer_closed) out << ", writing end closed";
    if (q.reader_closed) out << ", reading end closed";
    return out.str();
}

std::string thread_line(const core::ThreadReport& t) {
    std::ostringstream out;
    out << "  " << t.endpoint << "." << t.name << ": " << core::to_string(t.state);
    if (t.blocked_in) {
        const core::BlockedIn& b = *t.blocked_in;
        out << " in " << text::call_text(model::op_name(b.op), b.requested, b.duration_ns) << (b.on.empty() ? "" : " ")
            << b.on << " at " << b.at;
        if (b.op == model::OpKind::read_to_end) out << ", " << text::bytes(b.done) << " read so far";
        else if (b.op != model::OpKind::sleep) out << ", " << grouped(b.done) << " of " << text::bytes(b.requested) << " done";
    }
    if (!t.error.empty()) out << " (" << t.error << ")";
    out << "; wrote " << grouped(t.bytes_written) << ", read " << grouped(t.bytes_read);
    return out.str();
}

// A measured queue: its window is the one the peer's socket heard, so it is not known once
// the peer's program has closed that socket (its buffers then read back as 0).
// Socket i's line; its peer socket (i ^ 1, the other end of its connection) heard its window.
std::string measured_queue_line(const core::Result& r, size_t i) {
    const core::QueueReport& q = r.queues[i];
    const core::QueueReport& peer = r.queues[i ^ 1];
    std::ostringstream out;
    out << "  " << core::socket_key(r, i) << ": ";
    if (q.sqs == 0 && q.rqs == 0) {
        out << "socket closed by its program before the record";
        return out.str();
    }
    out << "SendQ " << grouped(q.sendq) << " (SO_SNDBUF " << grouped(q.sqs) << "), RecvQ " << grouped(q.recvq)
        << " (SO_RCVBUF " << grouped(q.rqs) << "), advertised window ";
    if (peer.sqs == 0 && peer.rqs == 0)
        out << "not known (" << (r.queues.size() == 2 ? peer.endpoint + "'s socket" : "socket " + core::socket_key(r, i ^ 1))
            << ", which heard it, was closed by its program)";
    else out << grouped(q.window);
    return out.str();
}

}  // namespace

std::string report_text(const core::Result& result, ReportSource source) {
    std::ostringstream out;
    out << result.scenario << ": " << verdict_line(result, source) << "\n";
    out << "Threads:\n";
    for (const core::ThreadReport& t : result.threads) out << thread_line(t) << "\n";
    if (result.queues.empty()) {
        // pipes and in-process queues only: no socket to list
    } else if (source == ReportSource::simulated) {
        out << "Queues (bytes used / capacity):\n";
        for (size_t i = 0; i < result.queues.size(); ++i) {
            const core::QueueReport& q = result.queues[i];
            out << "  " << core::socket_key(result, i) << ": SendQ " << grouped(q.sendq) << "/" << grouped(q.sqs) << ", RecvQ "
                << grouped(q.recvq) << "/" << grouped(q.rqs);
            if (q.recvq_held > 0) out << " + " << grouped(q.recvq_held) << " read but held";
            out << ", advertised window " << grouped(q.window) << "\n";
        }
    } else {
        out << "Queues (SIOCOUTQ, SIOCINQ; the buffers as read back):\n";
        for (size_t i = 0; i < result.queues.size(); ++i) out << measured_queue_line(result, i) << "\n";
    }
    if (!result.byte_queues.empty()) {
        out << "Queues and pipes (bytes held / capacity):\n";
        for (const core::ByteQueueReport& q : result.byte_queues) out << "  " << byte_queue_line(q) << "\n";
    }
    if (!result.cycle.empty()) {
        out << "Wait-for cycle:\n";
        for (size_t i = 0; i < result.cycle.size(); ++i)
            out << (i == 0 ? "     " : "  -> ") << result.cycle[i] << "\n";
    }
    for (const std::string& line : result.off_cycle) out << "  also: " << line << "\n";
    return out.str();
}

std::string run_report_text(const model::Scenario& scenario, const core::Result& result, const std::string& profile_words,
                            bool at_asked) {
    std::string out = report_text(result);
    if (!profile_words.empty()) out += "Profile: " + profile_words + "\n";
    if (result.outcome == core::Outcome::deadlock || at_asked) out += "\n" + ascii_figure(scenario, result);
    return out;
}

nlohmann::ordered_json run_report_json(const core::Result& result, const std::string& profile_words) {
    nlohmann::ordered_json out = report_json(result);
    if (!profile_words.empty()) out["profile"] = profile_words;
    return out;
}

}  // namespace tcpsim::views
