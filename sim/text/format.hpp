// Numbers as people read them (1,073,741,824 bytes; 453.3 KiB; 2.5 ms) and calls as code
// reads them (write(1500), write(1GiB), sleep(1s)). No JSON and no I/O, so the core's cycle
// text, the scenario loader's messages and every view share it. Reading quantities back is
// units.hpp's job.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tcpsim::text {

namespace detail {

// Wide enough for any int64 magnitude times 10^4, so rounding never overflows.
__extension__ typedef unsigned __int128 Wide;

inline uint64_t magnitude(int64_t n) { return n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n); }
inline std::string sign(int64_t n) { return n < 0 ? "-" : ""; }

inline int decimal_digits(uint64_t n) {
    int digits = 1;
    for (; n >= 10; n /= 10) ++digits;
    return digits;
}

// `scaled` holds `decimals` decimal places; trailing zeros are dropped.
inline std::string fixed_text(uint64_t scaled, int decimals) {
    std::string digits = std::to_string(scaled);
    if (decimals == 0) return digits;
    digits.insert(0, std::string(static_cast<size_t>(std::max(0, decimals + 1 - static_cast<int>(digits.size()))), '0'));
    digits.insert(digits.size() - static_cast<size_t>(decimals), ".");
    digits.erase(digits.find_last_not_of('0') + 1);
    if (digits.back() == '.') digits.pop_back();
    return digits;
}

struct Unit {
    std::string_view name;
    uint64_t factor;
};

constexpr uint64_t kKiB = 1024;
// Binary units up to EiB: totals (not single sizes) can pass TiB.
constexpr std::array kBinaryUnits = {
    Unit{"B", 1},
    Unit{"KiB", kKiB},
    Unit{"MiB", kKiB * kKiB},
    Unit{"GiB", kKiB * kKiB * kKiB},
    Unit{"TiB", kKiB * kKiB * kKiB * kKiB},
    Unit{"PiB", kKiB * kKiB * kKiB * kKiB * kKiB},
    Unit{"EiB", kKiB * kKiB * kKiB * kKiB * kKiB * kKiB},
};
constexpr std::array kBandwidthUnits = {
    Unit{"bps", 1},
    Unit{"Kbps", 1000},
    Unit{"Mbps", 1000'000},
    Unit{"Gbps", 1000'000'000},
    Unit{"Tbps", 1000'000'000'000},
};

// The largest unit that divides the magnitude exactly (0 and indivisible values: the first).
template <size_t N>
const Unit& exact_unit(uint64_t m, const std::array<Unit, N>& units) {
    for (size_t i = N; i-- > 1;)
        if (m != 0 && m % units[i].factor == 0) return units[i];
    return units[0];
}

template <size_t N>
std::string format_exact(int64_t value, const std::array<Unit, N>& units) {
    const uint64_t m = magnitude(value);
    const Unit& unit = exact_unit(m, units);
    return sign(value) + std::to_string(m / unit.factor) + " " + std::string(unit.name);
}

// Below this, figures give bytes exactly; from it on, a binary unit.
constexpr uint64_t kShortFromBytes = 10 * kKiB;

// A size of at least kShortFromBytes in the binary unit that keeps it under 1024, rounded half
// up to 4 significant digits: {"453.3", "KiB"}. A value that rounds to 1024 takes the next unit.
inline std::pair<std::string, std::string_view> short_parts(uint64_t m) {
    size_t u = 1;
    while (u + 1 < kBinaryUnits.size() && m / kBinaryUnits[u + 1].factor >= 1) ++u;
    for (;; ++u) {
        const uint64_t factor = kBinaryUnits[u].factor;
        const int decimals = std::max(0, 4 - decimal_digits(m / factor));
        uint64_t scale = 1;
        for (int i = 0; i < decimals; ++i) scale *= 10;
        const Wide scaled = (Wide{m} * scale + factor / 2) / factor;
        if (scaled / scale < 1024 || u + 1 == kBinaryUnits.size())
            return {fixed_text(static_cast<uint64_t>(scaled), decimals), kBinaryUnits[u].name};
    }
}

struct DurationStep {
    std::string_view name;
    uint64_t ns;
    uint64_t cap;  // the first value, in this unit, printed with the next unit instead
};
constexpr std::array kDurationSteps = {
    DurationStep{"ns", 1, 1000},
    DurationStep{"us", 1000, 1000},
    DurationStep{"ms", 1000'000, 1000},
    DurationStep{"s", 1000'000'000, 3600},
    DurationStep{"h", 3600'000'000'000, UINT64_MAX},
};

// m / step.ns rounded half up to 4 significant digits; false when it reaches the step's cap.
inline bool format_in_step(uint64_t m, const DurationStep& step, std::string& number) {
    const int decimals = std::max(0, 4 - decimal_digits(m / step.ns));
    uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    const Wide scaled = (Wide{m} * scale + step.ns / 2) / step.ns;
    if (scaled / scale >= step.cap) return false;
    number = fixed_text(static_cast<uint64_t>(scaled), decimals) + " " + std::string(step.name);
    return true;
}

}  // namespace detail

// 1073741824 -> "1,073,741,824"; -1500 -> "-1,500".
inline std::string grouped(int64_t n) {
    const std::string digits = std::to_string(detail::magnitude(n));
    std::string out = detail::sign(n);
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// "3 steps", "1 step": the count grouped, with the word that fits it.
inline std::string count(int64_t n, std::string_view one, std::string_view many) {
    return grouped(n) + " " + std::string(n == 1 ? one : many);
}

// "1 byte", "1,500 bytes".
inline std::string bytes(int64_t n) { return count(n, "byte", "bytes"); }

// Exact, in the largest binary unit that divides it: "1500 B", "64 KiB", "1 GiB".
inline std::string format_size(int64_t bytes) { return detail::format_exact(bytes, detail::kBinaryUnits); }

// For figures: "1,500 B" below 10 KiB, else "453.3 KiB", "1 GiB" (4 significant digits).
inline std::string size_short(int64_t bytes) {
    const uint64_t m = detail::magnitude(bytes);
    if (m < detail::kShortFromBytes) return grouped(bytes) + " B";
    const auto [number, unit] = detail::short_parts(m);
    return detail::sign(bytes) + number + " " + std::string(unit);
}

// A queue's level for figures, one unit where both share it: "500/500 B", "453.3/512 KiB",
// "0/256 KiB"; "900 B/1 KiB" where they do not.
inline std::string level_short(int64_t used, int64_t capacity) {
    const uint64_t u = detail::magnitude(used), c = detail::magnitude(capacity);
    if (used >= 0 && capacity >= 0) {
        if (c < detail::kShortFromBytes && u < detail::kShortFromBytes) return grouped(used) + "/" + grouped(capacity) + " B";
        if (c >= detail::kShortFromBytes) {
            const auto [cap_number, cap_unit] = detail::short_parts(c);
            if (u == 0) return "0/" + cap_number + " " + std::string(cap_unit);
            if (u >= detail::kShortFromBytes) {
                const auto [used_number, used_unit] = detail::short_parts(u);
                if (used_unit == cap_unit) return used_number + "/" + cap_number + " " + std::string(cap_unit);
            }
        }
    }
    return size_short(used) + "/" + size_short(capacity);
}

// A size as a call's argument, so it cannot be misread as two arguments: digits ("1500",
// "16000000"), or from 64 KiB on, where it is under 1024 of a binary unit exactly, that unit
// without a space, as scenario files write it ("64KiB", "1GiB").
inline std::string size_in_call(int64_t bytes) {
    const uint64_t m = detail::magnitude(bytes);
    const detail::Unit& unit = detail::exact_unit(m, detail::kBinaryUnits);
    if (m < 64 * detail::kKiB || unit.factor == 1 || m / unit.factor >= 1024) return std::to_string(bytes);
    return detail::sign(bytes) + std::to_string(m / unit.factor) + std::string(unit.name);
}

// "0 ns", "50 us", "2.5 ms", "1.2 s", "720 h": at most 4 significant digits (more only for
// whole numbers of hours), rounded half up.
inline std::string format_duration(int64_t ns) {
    const uint64_t m = detail::magnitude(ns);
    std::string number;
    for (const detail::DurationStep& step : detail::kDurationSteps)
        if (detail::format_in_step(m, step, number)) break;
    return detail::sign(ns) + number;
}

// A duration as a call's argument, as scenario files write it: "1s", "2.5ms".
inline std::string duration_in_call(int64_t ns) {
    std::string s = format_duration(ns);
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
}

// "100 Mbps", "1 Gbps", "1500 bps": the largest decimal unit that divides exactly.
inline std::string format_bandwidth(int64_t bps) { return detail::format_exact(bps, detail::kBandwidthUnits); }

// An op as its call: "write(1500)", "write(1GiB)", "read_to_end()", "sleep(1s)",
// "event_loop(write 10000)".
inline std::string call_text(std::string_view op, int64_t requested_bytes, int64_t duration_ns = 0) {
    const std::string name(op);
    if (op == "read_to_end" || op == "shutdown" || op == "close") return name + "()";
    if (op == "sleep") return "sleep(" + duration_in_call(duration_ns) + ")";
    if (op == "event_loop") return "event_loop(write " + size_in_call(requested_bytes) + ")";
    return name + "(" + size_in_call(requested_bytes) + ")";
}

}  // namespace tcpsim::text
