#include "analysis/calibrate_fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <utility>

#include "analysis/calibrate_refine.hpp"
#include "core/engine.hpp"
#include "core/linux_rules.hpp"

namespace tcpsim::analysis {

namespace {

// What step 1 reads off the stalls: the queues against the buffers that held them.
struct QueueSamples {
    std::vector<double> snd_x, snd_y;  // A's SO_SNDBUF, A's SendQ: both-write cells with set buffers
    std::vector<double> rcv_x, rcv_y;  // B's SO_RCVBUF (then the payload it holds), B's RecvQ
    std::vector<int64_t> rcv_mss;      // beside rcv_x: the MSS that sized the arriving skbs
    std::vector<int64_t> default_snd, default_rcv, default_sndbuf;  // cells with the kernel's default buffers
    int64_t default_mss = 0;
    std::vector<int64_t> overheads;    // SO_MEMINFO's charge beyond the payload of a stalled SendQ
};

// SO_MEMINFO: a stalled SendQ costs its payload plus one overhead per skb; the smallest
// difference seen is one skb's.
void add_overheads(const CellData& d, QueueSamples& q) {
    for (const RunData& r : d.runs) {
        if (r.outcome != core::Outcome::deadlock) continue;
        for (const measure::SocketState& s : r.sockets)
            if (s.outq > 0 && s.wmem_queued > s.outq) q.overheads.push_back(s.wmem_queued - s.outq);
    }
}

// Both peers' writers are blocked in a both-write stall: clean queues. A's SendQ holds what
// A's writer queued; B's RecvQ what reached B unread.
void add_queues(const CellData& d, QueueSamples& q) {
    if (d.cell.protocol != Protocol::both_write) return;
    for (const RunData& r : d.runs) {
        if (r.outcome != core::Outcome::deadlock) continue;
        const measure::SocketState& a = r.sockets[0];
        const measure::SocketState& b = r.sockets[1];
        if (!d.cell.buffer_a) {
            q.default_snd.push_back(a.outq);
            q.default_rcv.push_back(b.inq);
            q.default_sndbuf.push_back(a.sndbuf);
            q.default_mss = d.cell.mss_bytes;
            continue;
        }
        q.snd_x.push_back(static_cast<double>(a.sndbuf));
        q.snd_y.push_back(static_cast<double>(a.outq));
        q.rcv_x.push_back(static_cast<double>(b.rcvbuf));
        q.rcv_mss.push_back(d.cell.mss_bytes);
        q.rcv_y.push_back(static_cast<double>(b.inq));
    }
}

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

// With skb accounting the receive line is over the payload the buffer holds in skbs of the
// handshake's size_goal (each charged its truesize), as capacities_for computes it.
int64_t receive_payload(const core::ProfileParams& params, int64_t rcvbuf, int64_t mss) {
    return params.skb_overhead_bytes > 0 ? core::rules::skb_payload_bytes(params, rcvbuf, core::rules::skb_size_goal(rcvbuf, mss)) : rcvbuf;
}

// The send queue is the buffer less skb overhead per skb: a share of SO_SNDBUF. The receive
// queue is the window's share of SO_RCVBUF less what silly-window avoidance keeps back,
// roughly constant: a share and an offset.
void fit_queue_lines(QueueSamples& q, FitReport& report) {
    for (size_t i = 0; i < q.rcv_x.size(); ++i)
        q.rcv_x[i] = static_cast<double>(receive_payload(report.params, static_cast<int64_t>(q.rcv_x[i]), q.rcv_mss[i]));
    report.samples = static_cast<int>(q.snd_x.size());
    if (q.snd_x.size() < 2) return;
    const auto [s_ratio, s_extra] = fit_line(q.snd_x, q.snd_y, false, report.send_rms_bytes);
    const auto [r_ratio, r_extra] = fit_line(q.rcv_x, q.rcv_y, true, report.recv_rms_bytes);
    report.params.send_payload = as_ratio(s_ratio);
    report.params.send_extra_bytes = std::llround(s_extra);
    report.params.recv_payload = as_ratio(r_ratio);
    report.params.recv_extra_bytes = std::llround(r_extra);
}

// The buffer whose fitted payload is `payload`.
int64_t buffer_for(int64_t payload, model::Ratio ratio, int64_t extra) {
    return ratio.num == 0 ? payload : (payload - extra) * ratio.den / ratio.num;
}

// Autotuned defaults. With skb accounting the send buffer is the one the kernel grew to;
// otherwise, and for the receive side, the buffer whose fitted payload is the median queue.
void fit_defaults(const QueueSamples& q, core::ProfileParams& p) {
    if (q.default_snd.empty()) return;
    p.sndbuf_default_bytes = p.skb_overhead_bytes > 0 ? median_of(q.default_sndbuf)
                                                      : buffer_for(median_of(q.default_snd), p.send_payload, p.send_extra_bytes);
    // An unset receiver's skbs are sized by its first buffer, tcp_rmem[1].
    const int64_t initial = p.rcvbuf_initial_bytes;
    const int64_t payload = buffer_for(median_of(q.default_rcv), p.recv_payload, p.recv_extra_bytes);
    p.rcvbuf_default_bytes =
        static_cast<int64_t>(static_cast<double>(payload) * static_cast<double>(initial) /
                             static_cast<double>(std::max<int64_t>(1, receive_payload(p, initial, q.default_mss))));
}

}  // namespace

FitReport fit_profile(const std::vector<CellData>& data, const core::ProfileParams& base) {
    FitReport report;
    report.params = base;
    QueueSamples q;
    for (const CellData& d : data) {
        add_overheads(d, q);
        add_queues(d, q);
    }
    if (!q.overheads.empty()) {
        report.params.skb_overhead_bytes = *std::min_element(q.overheads.begin(), q.overheads.end());
        report.overhead_measured = true;
    }
    fit_queue_lines(q, report);
    fit_defaults(q, report.params);
    const Refinement refined = refine_on_predictions(data, report.params);
    report.params = refined.params;
    report.rms_before_refine = refined.rms_before;
    report.rms_after_grid = refined.rms_after_grid;
    report.rms_after_refine = refined.rms_after;
    report.refine_iterations = refined.iterations;
    return report;
}

}  // namespace tcpsim::analysis
