#include "views/measured.hpp"

#include <algorithm>
#include <map>
#include <cstdio>
#include <sstream>

#include "analysis/compare.hpp"
#include "scenario/profile_file.hpp"
#include "text/format.hpp"
#include "views/report.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;

ordered_json kernel_json(const measure::KernelInfo& info) {
    ordered_json sysctls = ordered_json::object();
    for (const auto& [name, value] : info.sysctls) sysctls[name] = value;
    return {{"release", info.release}, {"sysctls", sysctls}};
}

ordered_json measurement_json(const measure::Measurement& m) {
    ordered_json j = report_json(m.result);
    j.erase("events");
    ordered_json sockets = ordered_json::object();
    for (size_t i = 0; i < m.sockets.size(); ++i) {
        const measure::SocketState& s = m.sockets[i];
        ordered_json state = {{"closed_by_program", s.closed_by_program},
                              {"siocoutq", s.outq}, {"siocinq", s.inq}, {"so_sndbuf", s.sndbuf},
                              {"so_rcvbuf", s.rcvbuf}, {"snd_wnd", s.snd_wnd}, {"rcv_space", s.rcv_space},
                              {"rcv_ssthresh", s.rcv_ssthresh}, {"snd_mss", s.snd_mss}, {"rcv_mss", s.rcv_mss},
                              {"probes", s.probes}, {"wmem_queued", s.wmem_queued},
                              {"rmem_alloc", s.rmem_alloc}, {"drops", s.drops}};
        if (s.closed_by_program) {
            // Nothing could be read from it: null, not 0. (The window it advertised was read
            // from its peer; the peer's, from it.)
            for (auto& [key, value] : state.items())
                if (key != "closed_by_program") value = nullptr;
            for (const char* key : {"sendq", "recvq", "sqs", "rqs"}) j["queues"][s.key][key] = nullptr;
            j["queues"][m.sockets[i ^ 1].key]["window"] = nullptr;  // its peer's socket: i ^ 1
        }
        sockets[s.key] = state;
    }
    j["sockets"] = sockets;
    j["content_ok"] = m.content_ok;
    if (!m.content_ok) j["content_error"] = m.content_error;
    j["network"] = m.network;
    j["warnings"] = m.warnings;
    j["wall_ns"] = m.wall_ns;
    return j;
}

namespace {

// In how many runs the socket named `key` was closed by its program before the record.
int closed_runs(const std::vector<measure::Measurement>& runs, const std::string& key) {
    int n = 0;
    for (const measure::Measurement& m : runs)
        for (const measure::SocketState& s : m.sockets) n += s.key == key && s.closed_by_program ? 1 : 0;
    return n;
}

// The runs in which a figure could not be read: a queue of a socket closed by its program.
int runs_not_knowing(const std::vector<measure::Measurement>& runs, const std::string& figure) {
    for (const measure::SocketState& s : runs.at(0).sockets)
        if (figure == s.key + " sendq" || figure == s.key + " recvq") return closed_runs(runs, s.key);
    return 0;
}

std::string closed_in_words(int closed, size_t runs) {
    return "not known (closed by its program" +
           (runs == 1 ? std::string(")") : " in " + std::to_string(closed) + " of " + std::to_string(runs) + " runs)");
}

std::string outcome_counts(const std::vector<measure::Measurement>& runs) {
    std::map<std::string, int> counts;
    for (const measure::Measurement& m : runs) ++counts[core::to_string(m.result.outcome)];
    std::string text;
    for (const auto& [outcome, n] : counts) text += (text.empty() ? "" : ", ") + outcome + " " + std::to_string(n);
    return text;
}

}  // namespace

ordered_json repeated_json(const std::vector<measure::Measurement>& runs, const measure::KernelInfo& info) {
    ordered_json j;
    j["scenario"] = runs.at(0).result.scenario;
    j["kernel"] = kernel_json(info);
    ordered_json all = ordered_json::array();
    for (const measure::Measurement& m : runs) all.push_back(measurement_json(m));
    j["runs"] = all;
    ordered_json median = ordered_json::object();
    for (const auto& [name, s] : analysis::measured_spreads(runs))
        median[name] = runs_not_knowing(runs, name) > 0 ? ordered_json(nullptr)
                                                         : ordered_json{{"median", s.median}, {"min", s.min}, {"max", s.max}};
    j["figures"] = median;
    return j;
}

std::string repeated_text(const std::vector<measure::Measurement>& runs, const measure::KernelInfo& info) {
    std::ostringstream out;
    out << (runs[0].sockets.empty() ? "Measured on real pipes and queues between threads (" : "Measured on real sockets over ")
        << runs[0].network << (runs[0].sockets.empty() ? ")" : "") << ", Linux " << info.release << ", "
        << runs.size() << " run" << (runs.size() == 1 ? "" : "s") << ": " << outcome_counts(runs) << "\n";
    if (runs.size() > 1) {
        for (size_t i = 0; i < runs.size(); ++i) {
            const core::Result& r = runs[i].result;
            out << "  run " << i + 1 << ": " << core::to_string(r.outcome) << " at " << text::format_duration(r.time_ns);
            for (const core::ThreadReport& t : r.threads)
                out << "; " << t.endpoint << "." << t.name << " wrote " << t.bytes_written << ", read " << t.bytes_read;
            out << "\n";
        }
    }
    out << "First run:\n" << report_text(runs[0].result, ReportSource::measured);
    if (!runs[0].sockets.empty()) out << "Kernel view of the sockets (first run):\n";
    for (const measure::SocketState& s : runs[0].sockets) {
        if (s.closed_by_program) {
            out << "  " << s.key << ": " << closed_in_words(1, 1) << "\n";
            continue;
        }
        out << "  " << s.key << ": SIOCOUTQ " << s.outq << ", SIOCINQ " << s.inq << ", SO_SNDBUF " << s.sndbuf
            << ", SO_RCVBUF " << s.rcvbuf << ", peer window " << s.snd_wnd << ", rcv_space " << s.rcv_space
            << ", zero-window probes " << s.probes << "\n"
            << "     memory: sk_wmem_queued " << s.wmem_queued << ", sk_rmem_alloc " << s.rmem_alloc
            << " (payload plus skb overhead), segments dropped " << s.drops << "\n";
    }
    if (runs.size() > 1) {
        out << "Figures over " << runs.size() << " runs (median, min..max):\n";
        for (const auto& [name, s] : analysis::measured_spreads(runs)) {
            const int closed = runs_not_knowing(runs, name);
            out << "  " << name << ": ";
            if (closed > 0) out << closed_in_words(closed, runs.size()) << "\n";
            else out << s.median << " (" << s.min << ".." << s.max << ")\n";
        }
    }
    bool content_ok = true;
    for (const measure::Measurement& m : runs) {
        if (m.content_ok) continue;
        content_ok = false;
        out << "CONTENT ERROR: " << m.content_error << "\n";
    }
    if (content_ok) out << "Content: every byte received was checked against what was sent: correct.\n";
    std::vector<std::string> warnings;
    for (const measure::Measurement& m : runs)
        for (const std::string& w : m.warnings)
            if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    for (const std::string& w : warnings) out << "warning: " << w << "\n";
    return out.str();
}

namespace {

// Relative to the measured value; not a number when that is 0 and the prediction is not.
double relative_error(int64_t predicted, int64_t measured) {
    if (measured == 0) return predicted == 0 ? 0.0 : std::nan("");
    return static_cast<double>(predicted - measured) / static_cast<double>(std::llabs(measured));
}

std::string percent(double fraction) {
    if (std::isnan(fraction)) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * fraction);
    return buf;
}

ordered_json json_number(double v) { return std::isnan(v) ? ordered_json(nullptr) : ordered_json(v); }

std::string pad(const std::string& text, size_t width, bool right = false) {
    if (text.size() >= width) return text;
    const std::string fill(width - text.size(), ' ');
    return right ? fill + text : text + fill;
}

}  // namespace

ordered_json comparison_json(const analysis::Comparison& c, const measure::KernelInfo& info) {
    ordered_json j;
    j["scenario"] = c.own.scenario;
    j["kernel"] = kernel_json(info);
    j["profile"] = c.own_profile;
    j["outcome"] = {{"predicted", core::to_string(c.own.outcome)},
                    {"linux", core::to_string(c.linux.outcome)},
                    {"measured", outcome_counts(c.runs)}};
    ordered_json rows = ordered_json::array();
    for (const analysis::FigureRow& r : c.rows) {
        rows.push_back({{"figure", r.name},
                        {"predicted", r.own},
                        {"predicted_abs_error", r.own - r.measured.median},
                        {"predicted_rel_error", json_number(relative_error(r.own, r.measured.median))},
                        {"linux", r.linux},
                        {"linux_abs_error", r.linux - r.measured.median},
                        {"linux_rel_error", json_number(relative_error(r.linux, r.measured.median))},
                        {"linux_within_measured_range", analysis::FigureRow::within(r.linux, r.measured)},
                        {"measured", {{"median", r.measured.median}, {"min", r.measured.min}, {"max", r.measured.max}}}});
    }
    j["figures"] = rows;
    j["notes"] = c.notes;
    ordered_json runs = ordered_json::array();
    for (const measure::Measurement& m : c.runs) runs.push_back(measurement_json(m));
    j["runs"] = runs;
    return j;
}

std::string comparison_text(const analysis::Comparison& c, const measure::KernelInfo& info) {
    std::ostringstream out;
    out << c.own.scenario << ": predicted (" << c.own_profile << ", linux) vs measured over " << c.runs[0].network
        << ", Linux " << info.release
        << ", " << c.runs.size() << " run" << (c.runs.size() == 1 ? "" : "s") << "\n";
    out << "  outcome: " << c.own_profile << " " << core::to_string(c.own.outcome) << ", linux "
        << core::to_string(c.linux.outcome) << ", measured " << outcome_counts(c.runs) << "\n\n";
    out << pad("figure", 28) << pad(c.own_column, 11, true) << pad("abs", 10, true) << pad("rel", 8, true)
        << pad("linux", 11, true) << pad("abs", 10, true) << pad("rel", 8, true) << "   measured median (min..max)\n";
    const auto signed_bytes = [](int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); };
    for (const analysis::FigureRow& r : c.rows) {
        out << pad(r.name, 28) << pad(std::to_string(r.own), 11, true)
            << pad(signed_bytes(r.own - r.measured.median), 10, true)
            << pad(percent(relative_error(r.own, r.measured.median)), 8, true) << pad(std::to_string(r.linux), 11, true)
            << pad(signed_bytes(r.linux - r.measured.median), 10, true)
            << pad(percent(relative_error(r.linux, r.measured.median)), 8, true) << "   " << r.measured.median << " ("
            << r.measured.min << ".." << r.measured.max << ")"
            << (analysis::FigureRow::within(r.linux, r.measured) ? "" : "  linux outside the measured range") << "\n";
    }
    if (!c.notes.empty()) {
        out << "\nWhy they differ:\n";
        for (const std::string& n : c.notes) out << "  - " << n << "\n";
    }
    for (const measure::Measurement& m : c.runs)
        if (!m.content_ok) out << "CONTENT ERROR: " << m.content_error << "\n";
    return out.str();
}

std::string agreement_text(const analysis::SessionAgreement& agreement, const std::vector<std::string>& paths) {
    std::ostringstream out;
    out << "The kernel against itself over " << paths.size() << " sessions, in the " << agreement.cells
        << " cells that stalled in every one (ranges widened by 5%):\n";
    for (size_t i = 0; i < paths.size() && i < agreement.others_predict.size(); ++i) {
        const analysis::ScoreSummary& s = agreement.others_predict[i];
        out << "  " << paths[i] << ": the other sessions' median lies in its range in " << s.within << " of " << s.cells
            << " cells; median |relative error| " << percent(s.median_abs_error) << "; a prediction blind to the write size reaches at most "
            << agreement.write_size_blind.at(i) << "\n";
    }
    out << agreement.no_common_figure << " of " << agreement.cells
        << " cells have no figure inside every session's range: no prediction can meet them in every session\n";
    out << "Against the range pooled over every session, a prediction blind to the write size (as the simulator's is) reaches at most "
        << agreement.pooled_write_size_blind << " of " << agreement.cells << " cells\n";
    return out.str();
}

std::string calibration_text(const analysis::FitReport& fit, const std::vector<analysis::CellScore>& scores) {
    std::ostringstream out;
    const core::ProfileParams& p = fit.params;
    out << "Fit over " << fit.samples << " stalled both-write runs (least squares):\n";
    if (p.skb_overhead_bytes > 0)
        out << "  SendQ: whole skbs of size_goal while sk_wmem_queued < SO_SNDBUF, " << p.skb_overhead_bytes
            << " bytes of overhead per skb (" << (fit.overhead_measured ? "read off SO_MEMINFO" : "the built-in value; this data has no SO_MEMINFO")
            << ")\n"
            << "         (the payload line it replaces: " << static_cast<double>(p.send_payload.num) / p.send_payload.den
            << " x SO_SNDBUF, rms residual " << static_cast<int64_t>(fit.send_rms_bytes) << " bytes)\n";
    else
        out << "  SendQ payload = " << static_cast<double>(p.send_payload.num) / p.send_payload.den << " x SO_SNDBUF + "
            << p.send_extra_bytes << "   (rms residual " << static_cast<int64_t>(fit.send_rms_bytes) << " bytes)\n";
    out << "  RecvQ payload = " << static_cast<double>(p.recv_payload.num) / p.recv_payload.den
        << (p.skb_overhead_bytes > 0 ? " x SO_RCVBUF x goal/(goal + " + std::to_string(p.skb_overhead_bytes) + ") + "
                                     : std::string(" x SO_RCVBUF + "))
        << p.recv_extra_bytes << "   (queue fit rms residual " << static_cast<int64_t>(fit.recv_rms_bytes) << " bytes)\n"
        << "  defaults (autotuned): SO_SNDBUF " << p.sndbuf_default_bytes << ", SO_RCVBUF " << p.rcvbuf_default_bytes
        << "\n"
        << "  refined on the predictions (a grid, then Levenberg-Marquardt, " << fit.refine_iterations
        << " iterations): rms cell residual " << fit.rms_before_refine << " -> " << fit.rms_after_grid << " -> "
        << fit.rms_after_refine << "\n\n";
    out << pad("cell", 52) << pad("predicted", 11, true) << pad("error", 9, true) << "   measured median (min..max)\n";
    for (const analysis::CellScore& c : scores) {
        out << pad(c.label, 52) << pad(std::to_string(c.predicted), 11, true) << pad(percent(c.relative_error), 9, true)
            << "   " << c.measured.median << " (" << c.measured.min << ".." << c.measured.max << ")";
        if (c.measured_end != core::Outcome::deadlock) out << "  measured " << core::to_string(c.measured_end);
        else if (!c.within) out << "  OUTSIDE";
        if (c.predicted_end != c.measured_end) out << "  predicted " << core::to_string(c.predicted_end);
        out << "\n";
    }
    const analysis::ScoreSummary s = analysis::summarize(scores);
    out << "\n" << s.within << " of " << s.cells << " stalled cells predicted within the measured range (+-5%); "
        << "median |relative error| " << percent(s.median_abs_error) << "\n";
    return out.str();
}

ordered_json calibration_json(const analysis::FitReport& fit, const std::vector<analysis::CellScore>& scores,
                              const measure::KernelInfo& info) {
    const analysis::ScoreSummary s = analysis::summarize(scores);
    ordered_json cells = ordered_json::array();
    for (const analysis::CellScore& c : scores)
        cells.push_back({{"cell", c.label}, {"predicted", c.predicted}, {"predicted_outcome", core::to_string(c.predicted_end)},
                         {"measured", {{"median", c.measured.median}, {"min", c.measured.min}, {"max", c.measured.max}}},
                         {"measured_outcome", core::to_string(c.measured_end)}, {"within", c.within},
                         {"relative_error", c.relative_error}});
    return {{"profile", "linux"},
            {"calibrated_on", kernel_json(info)},
            {"fit", {{"samples", fit.samples}, {"send_rms_bytes", fit.send_rms_bytes}, {"recv_rms_bytes", fit.recv_rms_bytes},
                     {"skb_overhead_measured", fit.overhead_measured}, {"refine_iterations", fit.refine_iterations},
                     {"refine_rms_before", fit.rms_before_refine}, {"refine_rms_after_grid", fit.rms_after_grid},
                     {"refine_rms_after", fit.rms_after_refine},
                     {"cells_within", s.within}, {"cells_stalled", s.cells}, {"median_abs_relative_error", s.median_abs_error}}},
            {"params", scenario::profile_params_json(fit.params)},
            {"evaluation", cells}};
}

}  // namespace tcpsim::views
