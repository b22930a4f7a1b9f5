#include "analysis/calibrate_refine.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "analysis/calibrate_score.hpp"

namespace tcpsim::analysis {

model::Ratio as_ratio(double value) {
    constexpr int64_t den = 1 << 16;
    return {std::max<int64_t>(0, std::llround(value * den)), den};
}

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
        if (c.measured_end == core::Outcome::deadlock) residuals.push_back(cell_residual(c));
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

// Where the search stands: the point, its residuals and its score on the target.
struct SearchPoint {
    Eigen::Vector3d x;
    Eigen::VectorXd residuals;
    ScoreSummary score;
};

// The residuals are piecewise constant in the parameters (whole segments) and a few cells the
// model cannot reach dominate their squares, so Levenberg-Marquardt alone stalls in the nearest
// plateau or trades many cells for one: it starts from the point of a coarse grid over the
// receive line that best meets the target.
void seed_from_grid(const std::vector<CellData>& data, const core::ProfileParams& params, SearchPoint& at) {
    for (double ratio = 0.70; ratio <= 1.0001; ratio += 0.02) {
        for (double extra = -8000; extra <= 4000; extra += 1000) {
            const Eigen::Vector3d candidate(ratio / kRatioUnit, extra / kExtraUnit, at.x(2));
            const std::vector<CellScore> scores = evaluate(data, with_refined(params, candidate));
            const ScoreSummary score = summarize(scores);
            if (!score.better_than(at.score)) continue;
            at.score = score;
            at.x = candidate;
            at.residuals = cell_residuals(scores);
        }
    }
}

// A central-difference Jacobian. The simulated bytes are integers, so the differences use
// steps of about 1% rather than the machine epsilon.
Eigen::MatrixXd jacobian_at(const std::vector<CellData>& data, const core::ProfileParams& params, const SearchPoint& at) {
    constexpr double kStep = 0.02;
    Eigen::MatrixXd jacobian(at.residuals.size(), kRefined);
    for (int k = 0; k < kRefined; ++k) {
        Eigen::Vector3d up = at.x, down = at.x;
        up(k) += kStep;
        down(k) -= kStep;
        jacobian.col(k) = (cell_residuals(evaluate(data, with_refined(params, up))) -
                           cell_residuals(evaluate(data, with_refined(params, down)))) / (2 * kStep);
    }
    return jacobian;
}

// One Levenberg-Marquardt iteration: up to 8 dampings, keeping only a step that lowers the
// squares without losing on the target. False when none does.
bool improve(const std::vector<CellData>& data, const core::ProfileParams& params, SearchPoint& at, double& lambda) {
    const Eigen::MatrixXd jacobian = jacobian_at(data, params, at);
    const Eigen::Matrix3d normal = jacobian.transpose() * jacobian;
    const Eigen::Vector3d gradient = jacobian.transpose() * at.residuals;
    for (int tries = 0; tries < 8; ++tries) {
        Eigen::Matrix3d damped = normal;
        damped.diagonal() += lambda * (normal.diagonal().array() + 1e-9).matrix();
        const Eigen::Vector3d candidate = at.x - damped.ldlt().solve(gradient);
        const std::vector<CellScore> scores = evaluate(data, with_refined(params, candidate));
        const Eigen::VectorXd rc = cell_residuals(scores);
        const ScoreSummary score = summarize(scores);
        if (rc.squaredNorm() < at.residuals.squaredNorm() && !at.score.better_than(score)) {
            at = SearchPoint{candidate, rc, score};
            lambda = std::max(1e-6, lambda / 3);
            return true;
        }
        lambda *= 4;
    }
    return false;
}

}  // namespace

Refinement refine_on_predictions(const std::vector<CellData>& data, const core::ProfileParams& params) {
    constexpr int kMaxIterations = 25;
    Refinement out{params};
    const std::vector<CellScore> start = evaluate(data, params);
    SearchPoint at{refined_vector(params), cell_residuals(start), {}};
    out.rms_before = rms(at.residuals);
    if (at.residuals.size() < kRefined) {
        out.rms_after_grid = out.rms_after = out.rms_before;
        return out;
    }
    at.score = summarize(start);  // the target, beside the squares
    seed_from_grid(data, params, at);
    out.rms_after_grid = rms(at.residuals);
    double lambda = 1e-2;
    for (int it = 0; it < kMaxIterations; ++it) {
        out.iterations = it + 1;
        if (!improve(data, params, at, lambda)) break;
    }
    out.rms_after = rms(at.residuals);
    out.params = with_refined(params, at.x);
    return out;
}

}  // namespace tcpsim::analysis
