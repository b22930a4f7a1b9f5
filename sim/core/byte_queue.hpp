// An in-process queue between threads or a pipe between processes: bounded, no window and no
// link, so a write moves its bytes at once and the capacity is exact. A writer blocks while it
// is full, a reader while it is empty; the reader sees EOF once the writing end is closed and
// the queue is empty, and a writer fails (EPIPE) once the reading end is closed.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/check.hpp"
#include "core/model.hpp"
#include "core/observer.hpp"

namespace tcpsim::core {

class ByteQueueState {
public:
    explicit ByteQueueState(const model::ByteQueue& spec) { counters_.capacity = spec.capacity_bytes; }

    int64_t level() const { return counters_.level(); }
    int64_t space() const { return counters_.capacity - counters_.level(); }
    bool at_eof() const { return counters_.writer_closed && level() == 0; }
    bool writer_closed() const { return counters_.writer_closed; }
    bool reader_closed() const { return counters_.reader_closed; }
    const ByteQueueCounters& counters() const { return counters_; }

    void write(int64_t bytes) {
        TCPSIM_CHECK(bytes >= 0 && bytes <= space() && !counters_.writer_closed);
        counters_.written += bytes;
        counters_.peak = std::max(counters_.peak, level());
    }
    void consume(int64_t bytes) {
        TCPSIM_CHECK(bytes >= 0 && bytes <= level());
        counters_.read += bytes;
    }
    void close_writer() { counters_.writer_closed = true; }
    void close_reader() { counters_.reader_closed = true; }

    // Bytes are conserved and the queue never holds more than its capacity.
    void check_invariants() const {
        const ByteQueueCounters& c = counters_;
        TCPSIM_CHECK(c.written >= c.read && c.read >= 0);
        TCPSIM_CHECK(c.level() <= c.capacity && c.peak <= c.capacity && c.peak >= c.level());
    }

private:
    ByteQueueCounters counters_;
};

}  // namespace tcpsim::core
