#include "analysis/compare.hpp"

#include <algorithm>

#include "core/engine.hpp"

namespace tcpsim::analysis {

std::vector<std::pair<std::string, int64_t>> figures_of(const core::Result& result) {
    std::vector<std::pair<std::string, int64_t>> out;
    for (const core::ThreadReport& t : result.threads) {
        const std::string who = t.endpoint + "." + t.name;
        out.emplace_back(who + " bytes_written", t.bytes_written);
        out.emplace_back(who + " bytes_read", t.bytes_read);
    }
    for (size_t i = 0; i < result.queues.size(); ++i) {
        const std::string key = core::socket_key(result, i);
        out.emplace_back(key + " sendq", result.queues[i].sendq);
        out.emplace_back(key + " recvq", result.queues[i].recvq);
    }
    for (const core::ByteQueueReport& q : result.byte_queues) out.emplace_back(q.name + " level", q.level);
    return out;
}

std::vector<std::pair<std::string, Spread>> measured_spreads(const std::vector<measure::Measurement>& runs) {
    std::vector<std::pair<std::string, Spread>> out;
    // Each run's figures once: a run of thousands of threads has tens of thousands.
    std::vector<std::vector<std::pair<std::string, int64_t>>> figures;
    for (const measure::Measurement& m : runs) figures.push_back(figures_of(m.result));
    const auto& first = figures.at(0);
    for (size_t f = 0; f < first.size(); ++f) {
        std::vector<int64_t> values;
        for (const auto& run : figures) values.push_back(run.at(f).second);
        std::sort(values.begin(), values.end());
        out.emplace_back(first[f].first, Spread{values[(values.size() - 1) / 2], values.front(), values.back()});
    }
    return out;
}

std::pair<int64_t, int64_t> FigureRow::widened(const Spread& s) {
    // Widen by 5% of the range's ends (at least one byte), as the calibration target says.
    return {s.min - std::max<int64_t>(1, s.min / 20), s.max + std::max<int64_t>(1, s.max / 20)};
}

bool FigureRow::within(int64_t predicted, const Spread& s) {
    const auto [lo, hi] = widened(s);
    return predicted >= lo && predicted <= hi;
}

namespace {

// The textbook model takes SQS/RQS as exact capacities; the kernel doubles, clamps and
// charges overhead. Say so per socket, with the numbers the kernel reported.
std::vector<std::string> capacity_notes(const model::Scenario& s, const measure::Measurement& m) {
    std::vector<std::string> notes;
    if (s.profile != model::Profile::textbook || m.sockets.empty()) return notes;
    for (size_t i = 0; i < m.sockets.size(); ++i) {
        const model::SocketSizes& sizes = s.connections[i / 2].sizes[i % 2];
        const measure::SocketState& k = m.sockets[i];
        const std::string& name = k.key;  // the endpoint, with one connection
        const std::string head = "textbook takes " + name + "'s SQS=" + std::to_string(*sizes.sqs_bytes) +
                                 " and RQS=" + std::to_string(*sizes.rqs_bytes) + " as exact capacities; ";
        const std::string kernel = "doubled, clamped to [SOCK_MIN, *mem_max], and charges skb overhead against them";
        // A socket its program had already closed when the run ended cannot be read back.
        notes.push_back(k.sndbuf == 0 && k.rcvbuf == 0
                            ? head + "the kernel takes those requests " + kernel + " (" + name +
                                  "'s socket was closed before the record, so its buffers were not read back)"
                            : head + "the kernel made SO_SNDBUF " + std::to_string(k.sndbuf) + " and SO_RCVBUF " +
                                  std::to_string(k.rcvbuf) + " of those requests (" + kernel +
                                  "), so its queues hold other amounts");
    }
    notes.push_back("the linux column models the kernel's own rules (sim/core/profile.hpp); "
                    "trust it, not the textbook column, for a real host");
    return notes;
}

}  // namespace

Comparison compare(const model::Scenario& scenario, const core::ProfileParams& own_params,
                   const core::ProfileParams& linux_params, std::vector<measure::Measurement> runs) {
    Comparison c;
    c.own_profile = scenario.profile == model::Profile::linux ? "linux" : "textbook";
    c.own_column = scenario.profile == model::Profile::linux ? "linux(own)" : "textbook";
    c.own = core::simulate(scenario, own_params);
    // The linux column predicts this host: the link the measurement ran on, not the scenario's.
    model::Scenario as_linux = scenario;
    as_linux.profile = model::Profile::linux;
    for (model::Connection& connection : as_linux.connections) connection.links = runs.at(0).links;
    c.linux = core::simulate(as_linux, linux_params);
    c.runs = std::move(runs);
    const auto own_figures = figures_of(c.own);
    const auto linux_figures = figures_of(c.linux);
    const auto spreads = measured_spreads(c.runs);
    // Queue levels are figures of a stall; after a completed run they are only timing.
    const bool stalled = c.runs[0].result.outcome == core::Outcome::deadlock;
    for (size_t f = 0; f < spreads.size(); ++f) {
        const std::string& name = spreads[f].first;
        const bool queue = name.ends_with(" sendq") || name.ends_with(" recvq") || name.ends_with(" level");
        if (queue && !stalled) continue;
        c.rows.push_back(FigureRow{name, own_figures[f].second, linux_figures[f].second, spreads[f].second});
    }
    c.notes = capacity_notes(scenario, c.runs[0]);
    const std::array<model::Link, 2>& ran = c.runs[0].links;
    const auto other_link = [&](const model::Connection& connection) { return connection.links != ran; };
    if (std::any_of(scenario.connections.begin(), scenario.connections.end(), other_link))
        c.notes.push_back("measured over " + c.runs[0].network + "; the linux column simulates that link (MSS " +
                          std::to_string(ran[0].mss_bytes) + "), the " + c.own_column + " column the scenario's");
    return c;
}

}  // namespace tcpsim::analysis
