// --trace: every simulator event as one JSON object a line (JSON Lines), up to a size limit.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "core/engine.hpp"
#include "core/model.hpp"
#include "views/names.hpp"

namespace tcpsim::views {

class JsonlTrace : public core::Observer {
public:
    static constexpr int64_t kDefaultLimitBytes = int64_t{1} << 30;
    // Room kept for the line that says the trace was cut, so the file never passes its limit.
    static constexpr int64_t kCutLineBytes = 512;
    static constexpr int64_t kMinLimitBytes = 4096;
    using CutNotice = std::function<void(const core::TraceEvent& first_dropped, int64_t events_written)>;

    // Writes whole lines while they fit in `limit_bytes`. The first event that does not fit is
    // replaced by a last line {"kind":"trace_cut",...}; `on_cut` hears of it once, and later
    // events are dropped (the run itself goes on).
    JsonlTrace(std::ostream& out, const model::Scenario& scenario, int64_t limit_bytes = kDefaultLimitBytes,
               CutNotice on_cut = {});
    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions, std::span<const core::ByteQueueCounters> byte_queues) override;
    bool cut() const { return cut_; }
    int64_t bytes_written() const { return bytes_written_; }

private:
    void write_cut_line(const core::TraceEvent& event);

    std::ostream& out_;
    const model::Scenario& scenario_;
    ChannelNames names_;
    int64_t limit_bytes_;
    CutNotice on_cut_;
    int64_t bytes_written_ = 0;
    int64_t events_written_ = 0;
    bool cut_ = false;
};

}  // namespace tcpsim::views
