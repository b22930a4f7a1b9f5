// Samples of a run for pictures: every socket's SendQ and RecvQ, every queue's and pipe's level,
// and every thread's bytes over time.
// One sample per instant; memory stays bounded: past kMaxSamples it keeps every other
// sample and samples half as often.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"

namespace tcpsim::views {

struct Sample {
    int64_t time_ns = 0;
    // Per socket (Result::queues order) its SendQ then its RecvQ, then each byte queue's level:
    // in queue_labels() order.
    std::vector<int64_t> queues;
    std::vector<int64_t> written;  // per thread, in Result::threads order
    std::vector<int64_t> read;
};

class Recorder : public core::Observer {
public:
    static constexpr size_t kMaxSamples = 20000;
    explicit Recorder(const model::Scenario& scenario);
    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions, std::span<const core::ByteQueueCounters> byte_queues) override;
    const std::vector<Sample>& samples() const { return samples_; }
    const std::vector<std::string>& thread_labels() const { return labels_; }  // "A.main", ...
    // "A.SendQ", "A.RecvQ", ... with one connection; "proxy.server.SendQ", ... with several;
    // then the byte queues' keys ("server.jobs", "stdin").
    const std::vector<std::string>& queue_labels() const { return queue_labels_; }

private:
    std::vector<std::string> labels_;
    std::vector<std::string> queue_labels_;
    std::vector<size_t> first_thread_;  // index of each endpoint's first thread in labels_
    Sample current_;
    std::vector<Sample> samples_;
    size_t stride_ = 1;
    size_t seen_ = 0;
};

}  // namespace tcpsim::views
