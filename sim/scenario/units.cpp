#include "scenario/units.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <span>

#include "text/format.hpp"

namespace tcpsim::scenario {
namespace {

using nlohmann::ordered_json;

// Wide enough for (up to 20 digits) x (largest unit factor), so parsing never overflows.
__extension__ typedef __int128 Wide;

struct Unit {
    std::string_view name;
    int64_t factor;
};

// One kind of quantity: what it is called, how it is written, how it prints.
struct Quantity {
    std::string_view noun;    // "size"
    std::string_view whole;   // "bytes", as in "must be a whole number of bytes"
    std::string_view syntax;  // how to write one, for messages about malformed values
    std::span<const Unit> units;
    std::string (*format)(int64_t);
};

constexpr int64_t kKiB = 1024;
constexpr std::array kSizeUnits = {
    Unit{"B", 1},
    Unit{"KB", 1000},
    Unit{"MB", 1000'000},
    Unit{"GB", 1000'000'000},
    Unit{"TB", 1000'000'000'000},
    Unit{"KiB", kKiB},
    Unit{"MiB", kKiB * kKiB},
    Unit{"GiB", kKiB * kKiB * kKiB},
    Unit{"TiB", kKiB * kKiB * kKiB * kKiB},
};
constexpr std::array kDurationUnits = {
    Unit{"ns", 1},
    Unit{"us", 1000},
    Unit{"ms", 1000'000},
    Unit{"s", 1000'000'000},
    Unit{"min", 60'000'000'000},
    Unit{"h", 3600'000'000'000},
};
constexpr std::array kBandwidthUnits = {
    Unit{"bps", 1},
    Unit{"Kbps", 1000},
    Unit{"Mbps", 1000'000},
    Unit{"Gbps", 1000'000'000},
    Unit{"Tbps", 1000'000'000'000},
    Unit{"bit/s", 1},
    Unit{"Kbit/s", 1000},
    Unit{"Mbit/s", 1000'000},
    Unit{"Gbit/s", 1000'000'000},
    Unit{"Tbit/s", 1000'000'000'000},
};

const Quantity kSize{
    "size", "bytes",
    R"(an integer number of bytes, or a string such as "64KiB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB))",
    kSizeUnits, text::format_size};
const Quantity kDuration{
    "duration", "nanoseconds",
    R"(an integer number of nanoseconds, or a string such as "5ms" (units ns, us, ms, s, min, h))",
    kDurationUnits, text::format_duration};
const Quantity kBandwidth{
    "bandwidth", "bits per second",
    R"(an integer number of bits per second, or a string such as "1Gbps" (units bps, Kbps, Mbps, Gbps, Tbps))",
    kBandwidthUnits, text::format_bandwidth};

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Wide digits_value(std::string_view digits) {
    Wide value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
}

// One JSON value being read as a quantity, with what is needed to complain about it.
struct Reading {
    const Quantity& quantity;
    const ordered_json& value;
    const std::string& where;
    int64_t min;
    int64_t max;

    std::string kind() const {
        const std::string noun(quantity.noun);
        if (min == 0) return "a non-negative " + noun;
        if (min == 1) return "a positive " + noun;
        return "a " + noun;
    }
    [[noreturn]] void fail_syntax() const {
        fail_expected(where, "must be " + kind() + ": " + std::string(quantity.syntax), value);
    }
    [[noreturn]] void fail_fraction() const {
        fail_expected(where, "must be a whole number of " + std::string(quantity.whole), value);
    }
    [[noreturn]] void fail_too_large() const {
        fail_expected(where, "must be at most " + quantity.format(max), value);
    }
    int64_t in_range(Wide number) const {
        if (number > max) fail_too_large();
        if (number >= min) return static_cast<int64_t>(number);
        if (min <= 1) fail_expected(where, "must be " + kind(), value);
        fail_expected(where, "must be at least " + quantity.format(min), value);
    }

    const Unit* find_unit(std::string_view name) const {
        for (const Unit& unit : quantity.units) {
            if (unit.name == name) return &unit;
        }
        return nullptr;
    }

    // "<digits>[.<digits>][ ]<unit>"
    int64_t from_text() const {
        const std::string_view text = value.get_ref<const std::string&>();
        const size_t number_end = std::min(text.find_first_not_of("0123456789."), text.size());
        const std::string_view number = text.substr(0, number_end);
        std::string_view unit_name = text.substr(number_end);
        if (unit_name.starts_with(' ')) unit_name.remove_prefix(1);
        const size_t dot = number.find('.');
        const std::string_view integer = number.substr(0, dot);
        std::string_view fraction = dot == std::string_view::npos ? "" : number.substr(dot + 1);
        const Unit* unit = find_unit(unit_name);
        if (unit == nullptr || !all_digits(integer) || (dot != std::string_view::npos && !all_digits(fraction))) {
            fail_syntax();
        }
        return in_range(scaled(integer, fraction, unit->factor));
    }

    Wide scaled(std::string_view integer, std::string_view fraction, int64_t factor) const {
        integer.remove_prefix(std::min(integer.find_first_not_of('0'), integer.size()));
        fraction.remove_suffix(fraction.size() - (fraction.find_last_not_of('0') + 1));
        // Beyond these lengths the value is out of range or not whole for any unit we have.
        if (integer.size() > 20) fail_too_large();
        if (fraction.size() > 18) fail_fraction();
        const Wide fraction_units = digits_value(fraction) * factor;
        const Wide fraction_scale = digits_value("1" + std::string(fraction.size(), '0'));
        if (fraction_units % fraction_scale != 0) fail_fraction();
        return digits_value(integer) * factor + fraction_units / fraction_scale;
    }

    int64_t parse() const {
        if (value.is_string()) return from_text();
        if (value.is_number_unsigned()) {
            const uint64_t number = value.get<uint64_t>();
            return in_range(number > static_cast<uint64_t>(max) ? Wide{max} + 1 : Wide{number});
        }
        if (value.is_number_integer()) return in_range(value.get<int64_t>());
        fail_syntax();
    }
};

}  // namespace

void fail_expected(const std::string& where, std::string_view expected, const ordered_json& found) {
    constexpr size_t kMaxFoundChars = 40;
    std::string text = found.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    if (text.size() > kMaxFoundChars) {
        size_t cut = kMaxFoundChars - 3;
        // Never split a UTF-8 sequence: back up over continuation bytes.
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "...";
    }
    throw InputError(where + ": " + std::string(expected) + ", got " + text);
}

int64_t parse_size(const ordered_json& v, const std::string& where, int64_t min_bytes, int64_t max_bytes) {
    return Reading{kSize, v, where, min_bytes, max_bytes}.parse();
}

int64_t parse_duration_ns(const ordered_json& v, const std::string& where, int64_t min_ns, int64_t max_ns) {
    return Reading{kDuration, v, where, min_ns, max_ns}.parse();
}

int64_t parse_bandwidth_bps(const ordered_json& v, const std::string& where, int64_t min_bps,
                            int64_t max_bps) {
    return Reading{kBandwidth, v, where, min_bps, max_bps}.parse();
}

model::Ratio parse_ratio(const ordered_json& v, const std::string& where) {
    constexpr std::string_view kExpected = "must be a number > 0 and <= 1000 with at most 6 decimal places";
    constexpr int64_t kMillionth = 1000'000;
    if (!v.is_number()) fail_expected(where, kExpected, v);
    const double ratio = v.get<double>();
    if (!(ratio > 0 && ratio <= 1000)) fail_expected(where, kExpected, v);
    const int64_t millionths = std::llround(ratio * kMillionth);
    // Exact iff the 6-place decimal is the very number the file wrote (same double).
    if (static_cast<double>(millionths) / kMillionth != ratio) fail_expected(where, kExpected, v);
    const int64_t divisor = std::gcd(millionths, kMillionth);
    return {millionths / divisor, kMillionth / divisor};
}

}  // namespace tcpsim::scenario
