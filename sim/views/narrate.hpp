// `tcpsim explain`: a run told step by step for a reader. Repeated steps are summarised,
// so that even a 1 GiB run is a short read.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::views {

class Narrator : public core::Observer {
public:
    static constexpr int kShownPerKind = 3;    // steps of one kind told in full
    static constexpr size_t kTailSteps = 6;    // the last steps before the end, always told

    explicit Narrator(const model::Scenario& scenario);
    void on_event(const core::TraceEvent& event, const std::array<core::DirectionCounters, 2>& directions) override;
    // The narration so far, with the last steps and the summaries of what was skipped.
    std::vector<std::string> lines() const;

private:
    // What makes two steps "the same pattern": cheap to build for every event.
    using Kind = std::tuple<int, int, int, std::string_view, bool>;  // kind, endpoint, thread, op, zero window
    struct Step {
        core::TraceEvent event;
        std::array<core::DirectionCounters, 2> directions;
    };
    // False for bookkeeping a reader does not need; decided for every event, cheaply.
    bool worth_telling(const core::TraceEvent& ev);
    std::string describe(const Step& step) const;
    std::string render(const Step& step) const;
    std::string kind_name(const Kind& kind) const;
    std::string queues(const std::array<core::DirectionCounters, 2>& dirs) const;
    std::string who(int endpoint, int thread) const;
    std::string summary(int64_t steps) const;

    const model::Scenario& scenario_;
    std::vector<std::string> lines_;
    std::map<Kind, int64_t> told_;     // per kind, steps told in full
    std::map<Kind, int64_t> skipped_;  // per kind, steps summarised since the last told one
    std::deque<Step> tail_;            // the latest skipped steps, told at the end
    std::array<int64_t, 2> last_window_{{-1, -1}};  // per sender, the window it last heard
};

// The rule of n-(SQS+RQS) worked out for a run's blocked writes and the scenario's shape.
std::vector<std::string> rule_lines(const model::Scenario& scenario, const core::Result& result);

}  // namespace tcpsim::views
