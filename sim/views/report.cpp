#include "views/report.hpp"

#include <sstream>

#include "scenario/units.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;
using scenario::format_duration;

ordered_json report_json(const core::Result& result) {
    ordered_json j;
    j["scenario"] = result.scenario;
    j["outcome"] = core::to_string(result.outcome);
    j["time_ns"] = result.time_ns;
    j["events"] = result.events;
    if (result.outcome == core::Outcome::limit) j["limit"] = result.limit_reason;
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
            jt["blocked_in"] = {{"op", b.op}, {"index", b.index}, {"at", b.at},
                                {"requested", b.requested}, {"done", b.done}};
        } else {
            jt["blocked_in"] = nullptr;
        }
        if (!t.error.empty()) jt["error"] = t.error;
        threads.push_back(jt);
    }
    j["threads"] = threads;
    ordered_json queues = ordered_json::object();
    for (const core::QueueReport& q : result.queues) {
        queues[q.endpoint] = {{"sendq", q.sendq}, {"recvq", q.recvq}, {"sqs", q.sqs}, {"rqs", q.rqs},
                              {"window", q.window}};
        if (q.recvq_held > 0) queues[q.endpoint]["recvq_held"] = q.recvq_held;
    }
    j["queues"] = queues;
    j["cycle"] = result.cycle;
    return j;
}

namespace {

std::string verdict_line(const core::Result& r, ReportSource source) {
    std::ostringstream out;
    switch (r.outcome) {
        case core::Outcome::deadlock: out << "DEADLOCK: every unfinished thread is blocked for good, since "; break;
        case core::Outcome::completed: out << "COMPLETED: every thread finished at "; break;
        case core::Outcome::limit: out << "LIMIT: stopped by the " << r.limit_reason << " limit at "; break;
    }
    out << format_duration(r.time_ns);
    if (source == ReportSource::simulated) out << " (" << r.events << " events)";
    out << core::failures_in_words(r);
    return out.str();
}

std::string thread_line(const core::ThreadReport& t) {
    std::ostringstream out;
    out << "  " << t.endpoint << "." << t.name << ": " << core::to_string(t.state);
    if (t.blocked_in) {
        const core::BlockedIn& b = *t.blocked_in;
        out << " in " << b.op;
        if (b.op == "sleep") {
            out << " at " << b.at;
        } else if (b.op == "read_to_end") {
            out << " at " << b.at << ", " << b.done << " bytes read so far";
        } else {
            out << "(" << b.requested << ") at " << b.at << ", " << b.done << " of " << b.requested << " bytes done";
        }
    }
    if (!t.error.empty()) out << " (" << t.error << ")";
    out << "; wrote " << t.bytes_written << ", read " << t.bytes_read;
    return out.str();
}

}  // namespace

std::string report_text(const core::Result& result, ReportSource source) {
    std::ostringstream out;
    out << result.scenario << ": " << verdict_line(result, source) << "\n";
    out << "Threads:\n";
    for (const core::ThreadReport& t : result.threads) out << thread_line(t) << "\n";
    if (source == ReportSource::simulated) {
        out << "Queues (bytes used / capacity):\n";
        for (const core::QueueReport& q : result.queues) {
            out << "  " << q.endpoint << ": SendQ " << q.sendq << "/" << q.sqs << ", RecvQ " << q.recvq << "/" << q.rqs;
            if (q.recvq_held > 0) out << " + " << q.recvq_held << " read but held";
            out << ", advertised window " << q.window << "\n";
        }
    } else {
        out << "Queues (SIOCOUTQ, SIOCINQ; the buffers as read back):\n";
        for (const core::QueueReport& q : result.queues) {
            out << "  " << q.endpoint << ": ";
            if (q.sqs == 0 && q.rqs == 0) {
                out << "socket closed by its program before the record\n";
                continue;
            }
            out << "SendQ " << q.sendq << " (SO_SNDBUF " << q.sqs << "), RecvQ " << q.recvq << " (SO_RCVBUF " << q.rqs
                << "), advertised window " << q.window << "\n";
        }
    }
    if (!result.cycle.empty()) {
        out << "Wait-for cycle:\n";
        for (size_t i = 0; i < result.cycle.size(); ++i)
            out << (i == 0 ? "     " : "  -> ") << result.cycle[i] << "\n";
    }
    return out.str();
}

}  // namespace tcpsim::views
