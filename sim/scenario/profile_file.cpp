#include "scenario/profile_file.hpp"

#include <algorithm>

#include "scenario/load.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"

namespace tcpsim::scenario {

using nlohmann::ordered_json;

namespace {

struct SizeField { const char* name; int64_t core::ProfileParams::*member; };
struct TimeField { const char* name; int64_t core::ProfileParams::*member; };
struct FlagField { const char* name; bool core::ProfileParams::*member; };
struct RatioField { const char* name; model::Ratio core::ProfileParams::*member; };

constexpr SizeField kSizes[] = {
    {"wmem_max", &core::ProfileParams::wmem_max_bytes},
    {"rmem_max", &core::ProfileParams::rmem_max_bytes},
    {"sndbuf_min", &core::ProfileParams::sndbuf_min_bytes},
    {"rcvbuf_min", &core::ProfileParams::rcvbuf_min_bytes},
    {"sndbuf_default", &core::ProfileParams::sndbuf_default_bytes},
    {"rcvbuf_default", &core::ProfileParams::rcvbuf_default_bytes},
    {"rcvbuf_initial", &core::ProfileParams::rcvbuf_initial_bytes},
    {"send_extra", &core::ProfileParams::send_extra_bytes},
    {"recv_extra", &core::ProfileParams::recv_extra_bytes},
    {"skb_overhead", &core::ProfileParams::skb_overhead_bytes},
    {"header", &core::ProfileParams::header_bytes},
};
constexpr TimeField kTimes[] = {
    {"delack", &core::ProfileParams::delack_ns},
    {"persist_min", &core::ProfileParams::persist_min_ns},
    {"persist_max", &core::ProfileParams::persist_max_ns},
};
constexpr FlagField kFlags[] = {
    {"rcv_skbs_freed_whole", &core::ProfileParams::rcv_skbs_freed_whole},
    {"receiver_sws", &core::ProfileParams::receiver_sws},
    {"update_when_doubled", &core::ProfileParams::update_when_doubled},
    {"delayed_ack", &core::ProfileParams::delayed_ack},
    {"nagle", &core::ProfileParams::nagle},
    {"whole_segment_in_window", &core::ProfileParams::whole_segment_in_window},
    {"segment_half_window", &core::ProfileParams::segment_half_window},
    {"writer_wakes_at_third", &core::ProfileParams::writer_wakes_at_third},
};
constexpr RatioField kRatios[] = {
    {"send_payload", &core::ProfileParams::send_payload},
    {"recv_payload", &core::ProfileParams::recv_payload},
};

std::string allowed_keys() {
    std::string keys;
    const auto add = [&](const char* name) { keys += (keys.empty() ? "" : ", ") + std::string(name); };
    for (const auto& f : kSizes) add(f.name);
    for (const auto& f : kTimes) add(f.name);
    for (const auto& f : kFlags) add(f.name);
    for (const auto& f : kRatios) add(f.name);
    return keys;
}

// Extra bytes may be negative (a fitted intercept); every other size is a byte count.
int64_t parse_signed_size(const ordered_json& v, const std::string& where) {
    if (v.is_number_integer()) return v.get<int64_t>();
    return parse_size(v, where);
}

model::Ratio parse_fraction(const ordered_json& v, const std::string& where) {
    if (!v.is_object() || !v.contains("num") || !v.contains("den") || v.size() != 2 ||
        !v["num"].is_number_integer() || !v["den"].is_number_integer() || v["num"].get<int64_t>() < 0 ||
        v["den"].get<int64_t>() <= 0)
        fail_expected(where, "must be {\"num\": N, \"den\": D} with N >= 0 and D > 0", v);
    return {v["num"].get<int64_t>(), v["den"].get<int64_t>()};
}

}  // namespace

core::ProfileParams parse_profile(const ordered_json& params, const std::string& where, const core::ProfileParams& base) {
    if (!params.is_object()) fail_expected(where, "must be an object", params);
    core::ProfileParams p = base;
    for (const auto& [key, value] : params.items()) {
        const std::string at = where + "/" + key;
        bool known = false;
        for (const auto& f : kSizes)
            if (key == f.name) {
                // Sizes stay far from int64 overflow in the capacity arithmetic; only the
                // fitted intercepts (the *_extra keys) may be negative.
                constexpr int64_t kMaxProfileBytes = int64_t{1} << 40;
                const int64_t bytes = parse_signed_size(value, at);
                const bool signed_ok = key.size() > 6 && key.compare(key.size() - 6, 6, "_extra") == 0;
                if (bytes > kMaxProfileBytes || bytes < (signed_ok ? -kMaxProfileBytes : 0))
                    fail_expected(at, signed_ok ? "must be a byte count within +-1 TiB" : "must be a byte count from 0 to 1 TiB",
                                  value);
                p.*f.member = bytes;
                known = true;
            }
        for (const auto& f : kTimes)
            if (key == f.name) { p.*f.member = parse_duration_ns(value, at); known = true; }
        for (const auto& f : kFlags)
            if (key == f.name) {
                if (!value.is_boolean()) fail_expected(at, "must be true or false", value);
                p.*f.member = value.get<bool>();
                known = true;
            }
        for (const auto& f : kRatios)
            if (key == f.name) { p.*f.member = parse_fraction(value, at); known = true; }
        if (!known) throw InputError(at + ": unknown key (allowed: " + allowed_keys() + ")");
    }
    return p;
}

core::ProfileParams parse_complete_profile(const ordered_json& params, const std::string& where) {
    if (!params.is_object()) fail_expected(where, "must be an object", params);
    const auto require = [&](const char* name) {
        if (!params.contains(name)) throw InputError(where + ": missing key \"" + name + "\" (this profile must name every key)");
    };
    for (const auto& f : kSizes) require(f.name);
    for (const auto& f : kTimes) require(f.name);
    for (const auto& f : kFlags) require(f.name);
    for (const auto& f : kRatios) require(f.name);
    return parse_profile(params, where, core::textbook_profile());
}

ordered_json profile_params_json(const core::ProfileParams& p) {
    ordered_json j;
    for (const auto& f : kSizes) j[f.name] = p.*f.member;
    for (const auto& f : kTimes) j[f.name] = text::format_duration(p.*f.member);
    for (const auto& f : kFlags) j[f.name] = p.*f.member;
    for (const auto& f : kRatios) j[f.name] = {{"num", (p.*f.member).num}, {"den", (p.*f.member).den}};
    return j;
}

namespace {

const ordered_json& params_of_document(const ordered_json& doc, const std::string& label) {
    if (!doc.is_object() || !doc.contains("params"))
        throw InputError(label + ": a profile file is an object with a \"params\" object");
    return doc["params"];
}

// The built-in profiles stand on no other: each names every key.
core::ProfileParams parse_builtin_profile(const char* text, const std::string& label) {
    const ordered_json doc = parse_json(text, label);
    return parse_complete_profile(params_of_document(doc, label), label + ": /params");
}

}  // namespace

core::ProfileParams load_profile_file(const std::string& path) {
    const ordered_json doc = parse_json(read_file(path), path);
    return parse_profile(params_of_document(doc, path), path + ": /params", builtin_linux_params(kBuiltinLoopbackMssBytes));
}

const core::ProfileParams& builtin_linux_params(int64_t mss_bytes) {
    static const core::ProfileParams loopback = parse_builtin_profile(loopback_profile_text(), "built-in linux profile (loopback)");
    static const core::ProfileParams veth = parse_builtin_profile(veth_profile_text(), "built-in linux profile (veth)");
    // Nearest by ratio: from the geometric mean of the two calibration MSSes, sqrt(1448 * 65483).
    constexpr int64_t kLoopbackFromMss = 9738;
    return mss_bytes >= kLoopbackFromMss ? loopback : veth;
}

std::string builtin_linux_profile_name(int64_t mss_bytes) {
    return &builtin_linux_params(mss_bytes) == &builtin_linux_params(kBuiltinLoopbackMssBytes) ? "loopback (MSS 65483)"
                                                                                             : "veth (MSS 1448)";
}

int64_t profile_mss(const model::Scenario& scenario) {
    int64_t mss = 0;
    for (const model::Connection& c : scenario.connections) mss = std::max({mss, c.links[0].mss_bytes, c.links[1].mss_bytes});
    return mss;
}

std::string profile_in_words(const model::Scenario& scenario, const std::string& profile_path) {
    if (scenario.profile == model::Profile::textbook) return "";
    if (!profile_path.empty()) return "linux, from " + profile_path;
    const int64_t mss = profile_mss(scenario);
    return "linux, built in, calibrated on " + builtin_linux_profile_name(mss) + ", the nearest to this link's MSS " +
           std::to_string(mss);
}

core::ProfileParams params_for(model::Profile profile, const std::string& profile_path, int64_t mss_bytes) {
    if (profile == model::Profile::textbook) return core::textbook_profile();
    if (!profile_path.empty()) return load_profile_file(profile_path);
    return builtin_linux_params(mss_bytes);
}

}  // namespace tcpsim::scenario
