// --trace: every simulator event as one JSON object a line (JSON Lines).
#pragma once

#include <array>
#include <ostream>
#include <string>

#include "core/engine.hpp"
#include "core/model.hpp"

namespace tcpsim::views {

class JsonlTrace : public core::Observer {
public:
    JsonlTrace(std::ostream& out, const model::Scenario& scenario);
    void on_event(const core::TraceEvent& event, const std::array<core::DirectionCounters, 2>& directions) override;

private:
    std::ostream& out_;
    const model::Scenario& scenario_;
    std::array<std::string, 2> direction_names_;  // "A->B", "B->A"
};

}  // namespace tcpsim::views
