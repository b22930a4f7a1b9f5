#include "analysis/calibrate.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "text/format.hpp"

namespace tcpsim::analysis {

using model::Op;
using model::OpKind;
using nlohmann::ordered_json;

const char* to_string(Protocol protocol) {
    switch (protocol) {
        case Protocol::both_write: return "both-write";
        case Protocol::compress: return "compress";
        case Protocol::uppercase: return "uppercase";
    }
    return "?";
}

std::string Cell::label() const {
    const auto buf = [](const std::optional<int64_t>& b) { return b ? text::format_size(*b) : std::string("default"); };
    return std::string(to_string(protocol)) + " " + buf(buffer_a) + "/" + buf(buffer_b) + " write " +
           text::format_size(write_bytes) + " mss " + std::to_string(mss_bytes);
}

std::vector<Cell> calibration_grid(int64_t mss_bytes) {
    std::vector<std::pair<std::optional<int64_t>, std::optional<int64_t>>> buffers = {{std::nullopt, std::nullopt}};
    for (int64_t kib : {4, 8, 16, 32, 64, 128}) buffers.emplace_back(kib * 1024, kib * 1024);
    buffers.emplace_back(4 * 1024, 64 * 1024);
    buffers.emplace_back(64 * 1024, 4 * 1024);
    std::vector<Cell> grid;
    for (Protocol p : {Protocol::both_write, Protocol::compress, Protocol::uppercase})
        for (const auto& [a, b] : buffers)
            for (int64_t w : {16, 1024, 65536}) grid.push_back(Cell{p, a, b, w, mss_bytes});
    return grid;
}

namespace {

constexpr int64_t kCellTotalBytes = int64_t{256} << 20;  // far beyond any grid cell's capacity

Op op_of(OpKind kind, int64_t bytes = 0) {
    Op op;
    op.kind = kind;
    op.bytes = bytes;
    return op;
}

Op repeat_of(int64_t count, std::vector<Op> body) {
    Op op = op_of(OpKind::repeat);
    op.count = count;
    op.until_eof = count == 0;
    op.body = std::move(body);
    return op;
}

Op derived_write(int64_t num, int64_t den) {
    Op op = op_of(OpKind::write);
    op.ratio = model::Ratio{num, den};
    return op;
}

}  // namespace

model::Scenario cell_scenario(const Cell& c) {
    model::Scenario s;
    s.name = "calibrate " + c.label();
    s.profile = model::Profile::linux;
    const std::vector<Op> writer = {repeat_of(kCellTotalBytes / c.write_bytes, {op_of(OpKind::write, c.write_bytes)}),
                                    op_of(OpKind::shutdown), op_of(OpKind::read_to_end)};
    std::vector<Op> peer;
    switch (c.protocol) {
        case Protocol::both_write: peer = writer; break;
        case Protocol::compress:
            peer = {repeat_of(0, {op_of(OpKind::read_exact, 1000), derived_write(1, 2)}), op_of(OpKind::close)};
            break;
        case Protocol::uppercase:
            peer = {repeat_of(0, {op_of(OpKind::read, 1024), derived_write(1, 1)}), op_of(OpKind::close)};
            break;
    }
    const std::array<std::optional<int64_t>, 2> buffers = {c.buffer_a, c.buffer_b};
    const std::array<std::vector<Op>, 2> programs = {writer, peer};
    for (int e = 0; e < 2; ++e) {
        s.endpoints[e].name = e == 0 ? "A" : "B";
        s.endpoints[e].sqs_bytes = buffers[e];
        s.endpoints[e].rqs_bytes = buffers[e];
        s.endpoints[e].threads = {model::Thread{"main", programs[e]}};
        s.links[e] = model::Link{measure::kLocalBandwidthBps, measure::kLocalDelayNs, c.mss_bytes};
    }
    s.limits = model::Limits{3600LL * 1'000'000'000, 1'000'000'000};
    return s;
}

RunData run_data(const measure::Measurement& m) {
    return RunData{m.result.outcome, m.result.threads.at(0).bytes_written, m.sockets};
}

namespace {

// Least squares y = ratio * x (+ extra, when `with_extra`) over the samples.
std::pair<double, double> fit_line(const std::vector<double>& x, const std::vector<double>& y, bool with_extra,
                                   double& rms) {
    const Eigen::Index n = static_cast<Eigen::Index>(x.size());
    Eigen::MatrixXd a(n, with_extra ? 2 : 1);
    Eigen::VectorXd b(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        a(i, 0) = x[static_cast<size_t>(i)];
        if (with_extra) a(i, 1) = 1.0;
        b(i) = y[static_cast<size_t>(i)];
    }
    const Eigen::VectorXd coef = a.colPivHouseholderQr().solve(b);
    rms = std::sqrt((a * coef - b).squaredNorm() / std::max<double>(1, static_cast<double>(n)));
    return {coef(0), with_extra ? coef(1) : 0.0};
}

model::Ratio as_ratio(double value) {
    constexpr int64_t den = 1 << 16;  // fine enough for byte counts up to megabytes
    return {std::max<int64_t>(0, std::llround(value * den)), den};
}

int64_t median_of(std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[(v.size() - 1) / 2];
}

// The bytes accepted over some runs (at least one): median, min and max.
Spread accepted_spread(const std::vector<RunData>& runs) {
    std::vector<int64_t> accepted;
    accepted.reserve(runs.size());
    for (const RunData& r : runs) accepted.push_back(r.accepted);
    const auto [min, max] = std::minmax_element(accepted.begin(), accepted.end());
    return Spread{median_of(accepted), *min, *max};
}

// A score's verdict on its prediction: inside the widened range, and the error against the median.
void judge(CellScore& score) {
    score.within = FigureRow::within(score.predicted, score.measured);
    score.relative_error = static_cast<double>(score.predicted - score.measured.median) /
                           static_cast<double>(std::max<int64_t>(1, score.measured.median));
}

bool mostly_stalled(const std::vector<RunData>& runs) {
    const auto stalls = std::count_if(runs.begin(), runs.end(), [](const RunData& r) { return r.outcome == core::Outcome::deadlock; });
    return stalls * 2 > static_cast<std::ptrdiff_t>(runs.size());
}

// A cell with bytes at a stall to predict: measured, and stalled in most runs.
bool stalled(const CellData& d) { return !d.runs.empty() && mostly_stalled(d.runs); }

}  // namespace

namespace {

constexpr double kMedianPull = 0.3;

// The residual of one stalled cell, relative to its measured median: how far the prediction
// lies outside the kernel's own range widened by 5% (the target), plus a small pull towards
// the median so that predictions inside the range still centre.
double cell_residual(const CellScore& c) {
    const double median = static_cast<double>(std::max<int64_t>(1, c.measured.median));
    const double low = 0.95 * static_cast<double>(c.measured.min);
    const double high = 1.05 * static_cast<double>(c.measured.max);
    const double predicted = static_cast<double>(c.predicted);
    const double outside = predicted > high ? predicted - high : predicted < low ? predicted - low : 0.0;
    return outside / median + kMedianPull * c.relative_error;
}

Eigen::VectorXd cell_residuals(const std::vector<CellScore>& scores) {
    std::vector<double> residuals;
    for (const CellScore& c : scores)
        if (c.measured_outcome == "deadlock") residuals.push_back(cell_residual(c));
    return Eigen::Map<const Eigen::VectorXd>(residuals.data(), static_cast<Eigen::Index>(residuals.size()));
}

double rms(const Eigen::VectorXd& v) {
    return v.size() == 0 ? 0.0 : std::sqrt(v.squaredNorm() / static_cast<double>(v.size()));
}

// The parameters step 2 moves, in units where a step of 1 is a large change.
constexpr int kRefined = 3;
constexpr double kRatioUnit = 0.1, kExtraUnit = 10000.0, kDefaultUnit = 100000.0;

Eigen::Vector3d refined_vector(const core::ProfileParams& p) {
    return {static_cast<double>(p.recv_payload.num) / static_cast<double>(p.recv_payload.den) / kRatioUnit,
            static_cast<double>(p.recv_extra_bytes) / kExtraUnit,
            static_cast<double>(p.rcvbuf_default_bytes) / kDefaultUnit};
}

core::ProfileParams with_refined(core::ProfileParams p, const Eigen::Vector3d& x) {
    p.recv_payload = as_ratio(std::clamp(x(0) * kRatioUnit, 0.05, 1.0));
    p.recv_extra_bytes = std::llround(x(1) * kExtraUnit);
    // Autotuning only grows a buffer: the default is never below the one a connection starts with.
    p.rcvbuf_default_bytes = std::max<int64_t>(p.rcvbuf_initial_bytes, std::llround(x(2) * kDefaultUnit));
    return p;
}

// Levenberg-Marquardt with a central-difference Jacobian. The simulated bytes are integers,
// so the differences use steps of about 1% rather than the machine epsilon.
core::ProfileParams refine(const std::vector<CellData>& data, core::ProfileParams params, FitReport& report) {
    constexpr int kMaxIterations = 25;
    constexpr double kStep = 0.02;
    Eigen::Vector3d x = refined_vector(params);
    Eigen::VectorXd r = cell_residuals(evaluate(data, params));
    report.rms_before_refine = rms(r);
    if (r.size() < kRefined) {
        report.rms_after_grid = report.rms_after_refine = report.rms_before_refine;
        return params;
    }
    // The residuals are piecewise constant in the parameters (whole segments) and a few cells
    // the model cannot reach dominate their squares, so Levenberg-Marquardt alone stalls in
    // the nearest plateau or trades many cells for one: start it from the point of a coarse
    // grid over the receive line that best meets the target, and keep only steps that lower
    // the squares without losing on the target.
    ScoreSummary best = summarize(evaluate(data, params));  // the target, beside the squares
    for (double ratio = 0.70; ratio <= 1.0001; ratio += 0.02) {
        for (double extra = -8000; extra <= 4000; extra += 1000) {
            const Eigen::Vector3d candidate(ratio / kRatioUnit, extra / kExtraUnit, x(2));
            const std::vector<CellScore> scores = evaluate(data, with_refined(params, candidate));
            const ScoreSummary score = summarize(scores);
            if (!score.better_than(best)) continue;
            best = score;
            x = candidate;
            r = cell_residuals(scores);
        }
    }
    report.rms_after_grid = rms(r);
    double lambda = 1e-2;
    for (int it = 0; it < kMaxIterations; ++it) {
        Eigen::MatrixXd jacobian(r.size(), kRefined);
        for (int k = 0; k < kRefined; ++k) {
            Eigen::Vector3d up = x, down = x;
            up(k) += kStep;
            down(k) -= kStep;
            jacobian.col(k) = (cell_residuals(evaluate(data, with_refined(params, up))) -
                               cell_residuals(evaluate(data, with_refined(params, down)))) / (2 * kStep);
        }
        const Eigen::Matrix3d normal = jacobian.transpose() * jacobian;
        const Eigen::Vector3d gradient = jacobian.transpose() * r;
        bool improved = false;
        for (int tries = 0; tries < 8 && !improved; ++tries) {
            Eigen::Matrix3d damped = normal;
            damped.diagonal() += lambda * (normal.diagonal().array() + 1e-9).matrix();
            const Eigen::Vector3d candidate = x - damped.ldlt().solve(gradient);
            const std::vector<CellScore> scores = evaluate(data, with_refined(params, candidate));
            const Eigen::VectorXd rc = cell_residuals(scores);
            const ScoreSummary score = summarize(scores);
            if (rc.squaredNorm() < r.squaredNorm() && !best.better_than(score)) {
                x = candidate;
                r = rc;
                best = score;
                lambda = std::max(1e-6, lambda / 3);
                improved = true;
            } else {
                lambda *= 4;
            }
        }
        report.refine_iterations = it + 1;
        if (!improved) break;
    }
    report.rms_after_refine = rms(r);
    return with_refined(params, x);
}

}  // namespace

FitReport fit_profile(const std::vector<CellData>& data, const core::ProfileParams& base) {
    FitReport report;
    report.params = base;
    std::vector<double> snd_x, snd_y, rcv_x, rcv_y;
    std::vector<int64_t> default_snd, default_rcv, default_sndbuf, overheads;
    std::vector<int64_t> rcv_mss;  // beside rcv_x: the MSS that sized the arriving skbs
    int64_t default_mss = 0;
    for (const CellData& d : data) {
        for (const RunData& r : d.runs) {
            if (r.outcome != core::Outcome::deadlock) continue;
            // SO_MEMINFO: a stalled SendQ costs its payload plus one overhead per skb; the
            // smallest difference seen is one skb's.
            for (const measure::SocketState& s : r.sockets)
                if (s.outq > 0 && s.wmem_queued > s.outq) overheads.push_back(s.wmem_queued - s.outq);
        }
        if (d.cell.protocol != Protocol::both_write) continue;  // both peers' writers are blocked: clean stalls
        for (const RunData& r : d.runs) {
            if (r.outcome != core::Outcome::deadlock) continue;
            // A's SendQ holds what A's writer queued; B's RecvQ what reached B unread.
            const measure::SocketState& a = r.sockets[0];
            const measure::SocketState& b = r.sockets[1];
            if (!d.cell.buffer_a) {
                default_snd.push_back(a.outq);
                default_rcv.push_back(b.inq);
                default_sndbuf.push_back(a.sndbuf);
                default_mss = d.cell.mss_bytes;
                continue;
            }
            snd_x.push_back(static_cast<double>(a.sndbuf));
            snd_y.push_back(static_cast<double>(a.outq));
            rcv_x.push_back(static_cast<double>(b.rcvbuf));
            rcv_mss.push_back(d.cell.mss_bytes);
            rcv_y.push_back(static_cast<double>(b.inq));
        }
    }
    if (!overheads.empty()) {
        report.params.skb_overhead_bytes = *std::min_element(overheads.begin(), overheads.end());
        report.overhead_measured = true;
    }
    // With skb accounting the receive line is over the payload the buffer holds in skbs of
    // the handshake's size_goal (each charged its truesize), as capacities_for computes it.
    const auto receive_payload = [&](int64_t rcvbuf, int64_t mss) {
        return report.params.skb_overhead_bytes > 0
                   ? core::rules::skb_payload_bytes(report.params, rcvbuf, core::rules::skb_size_goal(rcvbuf, mss))
                   : rcvbuf;
    };
    for (size_t i = 0; i < rcv_x.size(); ++i)
        rcv_x[i] = static_cast<double>(receive_payload(static_cast<int64_t>(rcv_x[i]), rcv_mss[i]));
    report.samples = static_cast<int>(snd_x.size());
    if (snd_x.size() >= 2) {
        // The send queue is the buffer less skb overhead per skb: a share of SO_SNDBUF. The
        // receive queue is the window's share of SO_RCVBUF less what silly-window avoidance
        // keeps back, roughly constant: a share and an offset.
        const auto [s_ratio, s_extra] = fit_line(snd_x, snd_y, false, report.send_rms_bytes);
        const auto [r_ratio, r_extra] = fit_line(rcv_x, rcv_y, true, report.recv_rms_bytes);
        report.params.send_payload = as_ratio(s_ratio);
        report.params.send_extra_bytes = std::llround(s_extra);
        report.params.recv_payload = as_ratio(r_ratio);
        report.params.recv_extra_bytes = std::llround(r_extra);
    }
    // Autotuned defaults. With skb accounting the send buffer is the one the kernel grew to;
    // otherwise, and for the receive side, the buffer whose fitted payload is the median queue.
    const auto buffer_for = [](int64_t payload, model::Ratio ratio, int64_t extra) {
        return ratio.num == 0 ? payload : (payload - extra) * ratio.den / ratio.num;
    };
    if (!default_snd.empty()) {
        report.params.sndbuf_default_bytes =
            report.params.skb_overhead_bytes > 0
                ? median_of(default_sndbuf)
                : buffer_for(median_of(default_snd), report.params.send_payload, report.params.send_extra_bytes);
        // An unset receiver's skbs are sized by its first buffer, tcp_rmem[1].
        const int64_t initial = report.params.rcvbuf_initial_bytes;
        const int64_t payload = buffer_for(median_of(default_rcv), report.params.recv_payload, report.params.recv_extra_bytes);
        report.params.rcvbuf_default_bytes =
            static_cast<int64_t>(static_cast<double>(payload) * static_cast<double>(initial) /
                                 static_cast<double>(std::max<int64_t>(1, receive_payload(initial, default_mss))));
    }
    report.params = refine(data, report.params, report);
    return report;
}

std::vector<CellScore> evaluate(const std::vector<CellData>& data, const core::ProfileParams& params) {
    std::vector<CellScore> scores;
    for (const CellData& d : data) {
        if (d.runs.empty()) continue;
        CellScore score;
        score.label = d.cell.label();
        const core::Result predicted = core::simulate(cell_scenario(d.cell), params);
        score.predicted = predicted.threads.at(0).bytes_written;
        score.predicted_outcome = core::to_string(predicted.outcome);
        score.measured = accepted_spread(d.runs);
        score.measured_outcome = mostly_stalled(d.runs) ? "deadlock" : "completed";
        judge(score);
        scores.push_back(score);
    }
    return scores;
}

ScoreSummary summarize(const std::vector<CellScore>& scores) {
    ScoreSummary s;
    std::vector<double> errors;
    for (const CellScore& c : scores) {
        if (c.measured_outcome != "deadlock") continue;  // bytes at a stall exist only where it stalls
        ++s.cells;
        s.within += c.within ? 1 : 0;
        errors.push_back(std::fabs(c.relative_error));
    }
    std::sort(errors.begin(), errors.end());
    if (!errors.empty()) s.median_abs_error = errors[(errors.size() - 1) / 2];
    return s;
}

// ------------------------------------------------------------------ data files

namespace {

ordered_json socket_json(const measure::SocketState& s) {
    return {{"siocoutq", s.outq}, {"siocinq", s.inq}, {"so_sndbuf", s.sndbuf}, {"so_rcvbuf", s.rcvbuf},
            {"wmem_queued", s.wmem_queued}, {"rmem_alloc", s.rmem_alloc}, {"drops", s.drops}};
}

measure::SocketState socket_from(const ordered_json& j) {
    measure::SocketState s;
    s.outq = j.at("siocoutq");
    s.inq = j.at("siocinq");
    s.sndbuf = j.at("so_sndbuf");
    s.rcvbuf = j.at("so_rcvbuf");
    // SO_MEMINFO joined the record later; data measured before has none (0: not measured).
    s.wmem_queued = j.value("wmem_queued", int64_t{0});
    s.rmem_alloc = j.value("rmem_alloc", int64_t{0});
    s.drops = j.value("drops", int64_t{0});
    return s;
}

Protocol protocol_named(const std::string& name) {
    for (Protocol p : {Protocol::both_write, Protocol::compress, Protocol::uppercase})
        if (name == to_string(p)) return p;
    throw std::invalid_argument("unknown protocol " + name);
}

core::Outcome outcome_named(const std::string& name) {
    for (core::Outcome o : {core::Outcome::deadlock, core::Outcome::completed, core::Outcome::limit})
        if (name == core::to_string(o)) return o;
    throw std::invalid_argument("unknown outcome " + name);
}

}  // namespace

ordered_json data_json(const std::vector<CellData>& data) {
    ordered_json cells = ordered_json::array();
    for (const CellData& d : data) {
        ordered_json runs = ordered_json::array();
        for (const RunData& r : d.runs)
            runs.push_back({{"outcome", core::to_string(r.outcome)}, {"accepted", r.accepted},
                            {"sockets", {socket_json(r.sockets[0]), socket_json(r.sockets[1])}}});
        cells.push_back({{"protocol", to_string(d.cell.protocol)},
                         {"buffer_a", d.cell.buffer_a ? ordered_json(*d.cell.buffer_a) : ordered_json(nullptr)},
                         {"buffer_b", d.cell.buffer_b ? ordered_json(*d.cell.buffer_b) : ordered_json(nullptr)},
                         {"write_bytes", d.cell.write_bytes},
                         {"mss_bytes", d.cell.mss_bytes},
                         {"runs", runs}});
    }
    return cells;
}

std::vector<CellData> pool_sessions(const std::vector<std::vector<CellData>>& sessions) {
    std::vector<CellData> pooled;
    std::map<std::string, size_t> index_of;  // cell label -> its place in `pooled`
    for (const std::vector<CellData>& session : sessions)
        for (const CellData& d : session) {
            const auto [it, fresh] = index_of.emplace(d.cell.label(), pooled.size());
            if (fresh) pooled.push_back(CellData{d.cell, {}});
            std::vector<RunData>& runs = pooled[it->second].runs;
            runs.insert(runs.end(), d.runs.begin(), d.runs.end());
        }
    return pooled;
}

int write_size_blind_ceiling(const std::vector<CellData>& data) {
    // The widened ranges of each protocol and buffer pair, one per write size.
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> ranges;
    for (const CellData& d : data) {
        if (!stalled(d)) continue;
        Cell pair = d.cell;
        pair.write_bytes = 0;
        ranges[pair.label()].push_back(FigureRow::widened(accepted_spread(d.runs)));
    }
    // The most intervals one figure lies in is reached at the low end of one of them.
    int ceiling = 0;
    for (const auto& [pair, intervals] : ranges) {
        std::ptrdiff_t best = 0;
        for (const auto& [figure, unused_high] : intervals)
            best = std::max(best, std::count_if(intervals.begin(), intervals.end(), [figure = figure](const auto& r) {
                                return r.first <= figure && figure <= r.second;
                            }));
        ceiling += static_cast<int>(best);
    }
    return ceiling;
}

SessionAgreement session_agreement(const std::vector<std::vector<CellData>>& sessions) {
    SessionAgreement agreement;
    std::vector<std::vector<CellScore>> others_predict(sessions.size());
    std::vector<std::vector<CellData>> common(sessions.size());  // each session's cells that stalled in all
    for (const CellData& cell : sessions.empty() ? std::vector<CellData>{} : sessions.front()) {
        const std::string label = cell.cell.label();
        std::vector<const std::vector<RunData>*> runs;  // this cell's runs in each session
        for (const std::vector<CellData>& session : sessions) {
            const auto found = std::find_if(session.begin(), session.end(),
                                            [&label](const CellData& d) { return d.cell.label() == label; });
            if (found == session.end() || !stalled(*found)) break;
            runs.push_back(&found->runs);
        }
        if (runs.size() != sessions.size()) continue;  // not a stall in every session
        ++agreement.cells;
        for (size_t i = 0; i < runs.size(); ++i) common[i].push_back(CellData{cell.cell, *runs[i]});
        int64_t low = std::numeric_limits<int64_t>::min(), high = std::numeric_limits<int64_t>::max();
        for (size_t i = 0; i < runs.size(); ++i) {
            CellScore score;
            score.label = label;
            score.measured = accepted_spread(*runs[i]);
            score.measured_outcome = score.predicted_outcome = "deadlock";
            const auto [lo, hi] = FigureRow::widened(score.measured);
            low = std::max(low, lo);
            high = std::min(high, hi);
            std::vector<RunData> others;
            for (size_t j = 0; j < runs.size(); ++j)
                if (j != i) others.insert(others.end(), runs[j]->begin(), runs[j]->end());
            score.predicted = accepted_spread(others).median;
            judge(score);
            others_predict[i].push_back(score);
        }
        agreement.no_common_figure += low > high ? 1 : 0;
    }
    for (const std::vector<CellScore>& scores : others_predict) agreement.others_predict.push_back(summarize(scores));
    for (const std::vector<CellData>& session : common) agreement.write_size_blind.push_back(write_size_blind_ceiling(session));
    agreement.pooled_write_size_blind = write_size_blind_ceiling(pool_sessions(common));
    return agreement;
}

std::vector<CellData> data_from_json(const ordered_json& j) {
    std::vector<CellData> data;
    std::string at = "/cells";  // where the reading is, for the error
    try {
        const ordered_json& cells = j.at("cells");
        for (size_t i = 0; i < cells.size(); ++i) {
            at = "/cells/" + std::to_string(i);
            const ordered_json& c = cells.at(i);
            CellData d;
            d.cell.protocol = protocol_named(c.at("protocol"));
            if (!c.at("buffer_a").is_null()) d.cell.buffer_a = c.at("buffer_a").get<int64_t>();
            if (!c.at("buffer_b").is_null()) d.cell.buffer_b = c.at("buffer_b").get<int64_t>();
            d.cell.write_bytes = c.at("write_bytes");
            d.cell.mss_bytes = c.at("mss_bytes");
            const ordered_json& runs = c.at("runs");
            for (size_t k = 0; k < runs.size(); ++k) {
                at = "/cells/" + std::to_string(i) + "/runs/" + std::to_string(k);
                const ordered_json& r = runs.at(k);
                d.runs.push_back(RunData{outcome_named(r.at("outcome")), r.at("accepted"),
                                         {socket_from(r.at("sockets").at(0)), socket_from(r.at("sockets").at(1))}});
            }
            data.push_back(std::move(d));
        }
    } catch (const std::exception& e) {
        throw std::invalid_argument(at + ": expected calibration data (cells of runs, as `calibrate` saves them): " +
                                    scenario::short_reason(e.what()));
    }
    return data;
}

}  // namespace tcpsim::analysis
