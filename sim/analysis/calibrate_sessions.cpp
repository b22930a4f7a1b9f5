#include "analysis/calibrate_sessions.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

namespace tcpsim::analysis {

namespace {

std::optional<std::string> sysctl_in(const measure::KernelInfo& k, const std::string& name) {
    for (const auto& [key, value] : k.sysctls)
        if (key == name) return value;
    return std::nullopt;
}

// Later sessions must record exactly the settings of the first: the buffers a scenario asks
// for become other queues under other clamps.
void require_same_sysctls(const measure::KernelInfo& first, const std::string& first_path,
                          const measure::KernelInfo& info, const std::string& path) {
    const auto quoted = [](const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : std::string("none"); };
    std::vector<std::string> names;
    for (const auto& setting : first.sysctls) names.push_back(setting.first);
    for (const auto& setting : info.sysctls) names.push_back(setting.first);
    for (const std::string& name : names) {
        const std::optional<std::string> expected = sysctl_in(first, name), found = sysctl_in(info, name);
        if (expected != found)
            throw SessionError(path + ": /kernel/sysctls/" + name + ": expected " + quoted(expected) + " as in " + first_path +
                               " (sessions pooled must share the kernel's settings), found " + quoted(found));
    }
}

// Every cell of a session at the MSS of the first session's first cell.
void require_same_mss(const std::vector<CellData>& data, int64_t mss, const std::string& first_path, const std::string& path) {
    for (size_t i = 0; i < data.size(); ++i)
        if (data[i].cell.mss_bytes != mss)
            throw SessionError(path + ": /cells/" + std::to_string(i) + "/mss_bytes: expected " + std::to_string(mss) + " as in " +
                               first_path + " (a profile is fitted for one MSS), found " + std::to_string(data[i].cell.mss_bytes));
}

// The same file under two names (./x, a link) would count its runs twice.
void require_distinct(const std::vector<std::string>& paths) {
    for (size_t i = 0; i < paths.size(); ++i)
        for (size_t j = 0; j < i; ++j) {
            std::error_code error;
            if (std::filesystem::equivalent(paths[j], paths[i], error))
                throw SessionError(paths[i] + ": given to --from twice (also as " + paths[j] + "): its runs would count twice");
        }
}

}  // namespace

Sessions load_sessions(std::vector<std::string> paths) {
    std::sort(paths.begin(), paths.end());
    require_distinct(paths);
    Sessions sessions{paths, {}, {}};
    std::vector<std::string> releases;
    for (const std::string& path : paths) {
        auto [data, info] = load_session(path);
        if (data.empty()) throw SessionError(path + ": /cells: expected the cells of a measured grid, found none");
        if (sessions.data.empty()) sessions.kernel.sysctls = info.sysctls;
        else require_same_sysctls(sessions.kernel, paths.front(), info, path);
        const int64_t mss = sessions.data.empty() ? data.front().cell.mss_bytes : sessions.data.front().front().cell.mss_bytes;
        require_same_mss(data, mss, paths.front(), path);
        if (std::find(releases.begin(), releases.end(), info.release) == releases.end()) {
            sessions.kernel.release += (releases.empty() ? "" : ", ") + info.release;
            releases.push_back(info.release);
        }
        sessions.data.push_back(std::move(data));
    }
    return sessions;
}

core::ProfileParams with_recorded_clamps(core::ProfileParams base, const measure::KernelInfo& recorded) {
    const auto clamp = [&recorded](const std::string& name, int64_t fallback) {
        const std::optional<std::string> value = sysctl_in(recorded, name);
        if (!value) return fallback;
        try {
            return static_cast<int64_t>(std::stoll(*value));
        } catch (const std::exception&) {
            throw SessionError(name + " in the recorded kernel is not a number: " + *value);
        }
    };
    base.wmem_max_bytes = clamp("net.core.wmem_max", base.wmem_max_bytes);
    base.rmem_max_bytes = clamp("net.core.rmem_max", base.rmem_max_bytes);
    return base;
}

}  // namespace tcpsim::analysis
