#include "analysis/sweep.hpp"

#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/check.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"

namespace tcpsim::analysis {

using scenario::InputError;

namespace {

constexpr int64_t kMaxPoints = 10'000'000;

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != sep) continue;
        parts.push_back(text.substr(start, i - start));
        start = i + 1;
    }
    return parts;
}

}  // namespace

int64_t parse_size_argument(const std::string& text, const std::string& where) {
    const bool digits = !text.empty() && text.size() < 19 && text.find_first_not_of("0123456789") == std::string::npos;
    return scenario::parse_size(digits ? nlohmann::ordered_json(std::stoll(text)) : nlohmann::ordered_json(text), where);
}

namespace {

std::vector<std::string> range_values(const std::vector<std::string>& parts, const std::string& where) {
    const int64_t lo = parse_size_argument(parts[0], where + " (start)");
    const int64_t hi = parse_size_argument(parts[1], where + " (end)");
    if (hi < lo) throw InputError(where + ": the range ends before it starts");
    std::vector<std::string> values;
    if (!parts[2].empty() && parts[2][0] == 'x') {
        const int64_t factor = parse_size_argument(parts[2].substr(1), where + " (factor)");
        if (factor < 2 || lo == 0) throw InputError(where + ": a geometric range needs a start > 0 and a factor >= 2");
        for (int64_t v = lo; v <= hi && static_cast<int64_t>(values.size()) < kMaxPoints; v *= factor) {
            values.push_back(std::to_string(v));
            if (v > hi / factor) break;
        }
        return values;
    }
    const int64_t step = parse_size_argument(parts[2], where + " (step)");
    if (step <= 0) throw InputError(where + ": the step must be positive");
    if ((hi - lo) / step >= kMaxPoints) throw InputError(where + ": more than 10,000,000 values");
    for (int64_t v = lo; v <= hi; v += step) values.push_back(std::to_string(v));
    return values;
}

}  // namespace

Axis parse_axis(const std::string& text) {
    const std::string where = "--vary " + text;
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw InputError(where + ": expected PATH=SPEC, e.g. endpoints.A.sqs=500:8000:500");
    Axis axis{text.substr(0, eq), {}};
    const std::string spec = text.substr(eq + 1);
    const std::vector<std::string> parts = split(spec, ':');
    if (parts.size() == 3) {
        axis.values = range_values(parts, where);
    } else if (parts.size() == 1) {
        axis.values = split(spec, ',');
        for (const std::string& v : axis.values)
            if (v.empty()) throw InputError(where + ": an empty value in the list");
    } else {
        throw InputError(where + ": SPEC is a list a,b,c or a range lo:hi:step or lo:hi:xFACTOR");
    }
    if (axis.values.empty()) throw InputError(where + ": no values");
    return axis;
}

bool SweepRow::rule_agrees() const {
    if (!rule) return true;
    const bool deadlock = result.outcome == core::Outcome::deadlock;
    if (deadlock != rule->deadlock) return false;
    if (!deadlock) return true;
    // At a deadlock the rule also names the bytes the writer handed over.
    const std::string& endpoint = result.queues[rule->endpoint].endpoint;
    for (const core::ThreadReport& t : result.threads)
        if (t.endpoint == endpoint) return t.bytes_written == rule->accepted;
    return false;
}

Sweep::Sweep(nlohmann::ordered_json document, std::string label, std::vector<std::string> base_sets,
             std::vector<Axis> axes, std::string profile_path)
    : document_(std::move(document)), label_(std::move(label)), base_sets_(std::move(base_sets)),
      axes_(std::move(axes)), profile_path_(std::move(profile_path)) {
    for (const Axis& a : axes_) {
        if (size_ > kMaxPoints / static_cast<int64_t>(a.values.size()))
            throw InputError(label_ + ": the sweep has more than 10,000,000 points");
        size_ *= static_cast<int64_t>(a.values.size());
    }
    scenario_at(values_at(0));  // a bad path or value is an input error before any work starts
}

std::vector<std::string> Sweep::values_at(int64_t point) const {
    std::vector<std::string> values(axes_.size());
    for (size_t i = axes_.size(); i-- > 0;) {
        const auto n = static_cast<int64_t>(axes_[i].values.size());
        values[i] = axes_[i].values[static_cast<size_t>(point % n)];
        point /= n;
    }
    return values;
}

SweepRow Sweep::run(int64_t point) const { return run_values(values_at(point), point); }

scenario::Loaded Sweep::scenario_at(const std::vector<std::string>& values) const {
    TCPSIM_CHECK(values.size() == axes_.size());
    std::vector<std::string> sets = base_sets_;
    for (size_t i = 0; i < axes_.size(); ++i) sets.push_back(axes_[i].path + "=" + values[i]);
    return scenario::load_document(document_, label_, sets);
}

SweepRow Sweep::run_values(const std::vector<std::string>& values, int64_t point) const {
    SweepRow row;
    row.point = point;
    row.values = values;
    const scenario::Loaded loaded = scenario_at(values);
    const std::string& profile = profile_path_.empty() ? loaded.profile_path : profile_path_;
    row.result = core::simulate(loaded.scenario, scenario::params_for(loaded.scenario.profile, profile,
                                                                      scenario::profile_mss(loaded.scenario)));
    row.rule = predict(loaded.scenario);
    return row;
}

std::vector<SweepRow> run_points(const Sweep& sweep, int64_t begin, int64_t end, int jobs,
                                 const std::function<void(int64_t, int64_t)>& progress) {
    TCPSIM_CHECK(begin >= 0 && begin <= end && end <= sweep.size() && jobs >= 1);
    const int64_t total = end - begin;
    std::vector<SweepRow> rows(static_cast<size_t>(total));
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;  // the first failure, guarded by error_mu
    std::mutex error_mu;
    const auto worker = [&] {
        for (int64_t i; (i = next++) < total;) {
            try {
                rows[static_cast<size_t>(i)] = sweep.run(begin + i);
            } catch (...) {
                std::lock_guard lock(error_mu);
                if (!error) error = std::current_exception();
                failed = true;
                next = total;  // stop handing out work
            }
            ++done;
        }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    if (progress) {
        // Bounded by the points: each pass waits until at least one more is done or all are.
        while (done < total && !failed) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            progress(done, total);
        }
        progress(done, total);
    }
    for (std::thread& t : threads) t.join();
    if (error) std::rethrow_exception(error);
    return rows;
}

std::pair<int64_t, int64_t> shard_range(int64_t points, int shard, int shards) {
    TCPSIM_CHECK(shards >= 1 && shard >= 1 && shard <= shards);
    const auto at = [&](int64_t k) { return static_cast<int64_t>(static_cast<core::int128>(points) * k / shards); };
    return {at(shard - 1), at(shard)};
}

}  // namespace tcpsim::analysis
