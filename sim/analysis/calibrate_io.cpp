#include "analysis/calibrate_io.hpp"

#include "scenario/load.hpp"

namespace tcpsim::analysis {

using nlohmann::ordered_json;

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

ordered_json buffer_json(const std::optional<int64_t>& buffer) { return buffer ? ordered_json(*buffer) : ordered_json(nullptr); }

// One cell's description, without its runs.
Cell cell_from(const ordered_json& c) {
    Cell cell;
    cell.protocol = protocol_named(c.at("protocol"));
    if (!c.at("buffer_a").is_null()) cell.buffer_a = c.at("buffer_a").get<int64_t>();
    if (!c.at("buffer_b").is_null()) cell.buffer_b = c.at("buffer_b").get<int64_t>();
    cell.write_bytes = c.at("write_bytes");
    cell.mss_bytes = c.at("mss_bytes");
    return cell;
}

RunData run_from(const ordered_json& r) {
    return RunData{outcome_named(r.at("outcome")), r.at("accepted"),
                   {socket_from(r.at("sockets").at(0)), socket_from(r.at("sockets").at(1))}};
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
                         {"buffer_a", buffer_json(d.cell.buffer_a)},
                         {"buffer_b", buffer_json(d.cell.buffer_b)},
                         {"write_bytes", d.cell.write_bytes},
                         {"mss_bytes", d.cell.mss_bytes},
                         {"runs", runs}});
    }
    return cells;
}

std::vector<CellData> data_from_json(const ordered_json& j) {
    std::vector<CellData> data;
    std::string at = "/cells";  // where the reading is, for the error
    try {
        const ordered_json& cells = j.at("cells");
        for (size_t i = 0; i < cells.size(); ++i) {
            at = "/cells/" + std::to_string(i);
            CellData d{cell_from(cells.at(i)), {}};
            const ordered_json& runs = cells.at(i).at("runs");
            for (size_t k = 0; k < runs.size(); ++k) {
                at = "/cells/" + std::to_string(i) + "/runs/" + std::to_string(k);
                d.runs.push_back(run_from(runs.at(k)));
            }
            data.push_back(std::move(d));
        }
    } catch (const std::exception& e) {
        throw std::invalid_argument(at + ": expected calibration data (cells of runs, as `calibrate` saves them): " +
                                    scenario::short_reason(e.what()));
    }
    return data;
}

std::pair<std::vector<CellData>, measure::KernelInfo> load_session(const std::string& path) {
    const ordered_json j = scenario::parse_json(scenario::read_file(path), path);
    try {
        const auto kernel = j.find("kernel");
        if (!j.is_object() || kernel == j.end() || !kernel->is_object())
            throw std::invalid_argument("/kernel: expected an object (the kernel that made the data), found none");
        measure::KernelInfo info{kernel->value("release", std::string("unknown")), {}};
        const ordered_json sysctls = kernel->value("sysctls", ordered_json::object());
        for (const auto& [name, value] : sysctls.items())
            info.sysctls.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
        return {data_from_json(j), info};
    } catch (const std::exception& e) {
        throw SessionError(path + ": " + e.what());
    }
}

}  // namespace tcpsim::analysis
