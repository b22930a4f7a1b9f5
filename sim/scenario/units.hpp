// JSON values in scenario files read as quantities (sizes, durations, bandwidths, ratios),
// with the one-line error a bad one gets. The unit tables and the exact reading of "64KiB"
// are text/units.hpp's; printing is text/format.hpp's.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model.hpp"

namespace tcpsim::scenario {

// One clear line, already formatted: "<file>: <json pointer>: <expected>, got <found>".
struct InputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr int64_t kMaxSizeBytes = int64_t{1} << 40;
inline constexpr int64_t kMaxBandwidthBps = 10'000'000'000'000;  // 10 Tbps

// Throws InputError "<where>: <expected>, got <found>", found as compact JSON
// cut to 40 characters. `where` is the "file: /pointer" prefix.
[[noreturn]] void fail_expected(const std::string& where, std::string_view expected,
                                const nlohmann::ordered_json& found);

// A command-line value as the JSON a scenario file would hold there: plain digits an integer
// ("1500"), anything else a string ("64KiB", "1.5"), for the readers below.
nlohmann::ordered_json argument_json(std::string_view text);

// Bytes from a JSON integer or a string "<number>[ ]<unit>", unit one of B, KB, MB,
// GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024). A decimal number
// is accepted only when it makes a whole number of bytes ("1.5KiB" = 1536).
int64_t parse_size(const nlohmann::ordered_json& v, const std::string& where,
                   int64_t min_bytes = 0, int64_t max_bytes = kMaxSizeBytes);

// Nanoseconds from a JSON integer or a string with unit ns, us, ms, s, min, h.
int64_t parse_duration_ns(const nlohmann::ordered_json& v, const std::string& where,
                          int64_t min_ns = 0,
                          int64_t max_ns = std::numeric_limits<int64_t>::max());

// Bits per second from a JSON integer or a string with unit bps, Kbps, Mbps, Gbps,
// Tbps (or bit/s, Kbit/s, Mbit/s, Gbit/s, Tbit/s), powers of 1000.
int64_t parse_bandwidth_bps(const nlohmann::ordered_json& v, const std::string& where,
                            int64_t min_bps = 1, int64_t max_bps = kMaxBandwidthBps);

// A JSON number in (0, 1000] with at most 6 decimal places, as an exact reduced
// fraction (0.5 -> 1/2); no double survives the parse.
model::Ratio parse_ratio(const nlohmann::ordered_json& v, const std::string& where);

}  // namespace tcpsim::scenario
