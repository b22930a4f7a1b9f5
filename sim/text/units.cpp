#include "text/units.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "text/format.hpp"

namespace tcpsim::text {
namespace {

// Wide enough for (up to 20 digits) x (largest unit factor), so reading never overflows.
__extension__ typedef __int128 Wide;

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

Wide digits_value(std::string_view digits) {
    Wide value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
}

const Unit* find_unit(const Quantity& quantity, std::string_view name) {
    for (const Unit& unit : quantity.units) {
        if (unit.name == name) return &unit;
    }
    return nullptr;
}

}  // namespace

constexpr Quantity kSize{
    "size", "bytes",
    R"(an integer number of bytes, or a string such as "64KiB" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB))",
    kSizeUnits, format_size};
constexpr Quantity kDuration{
    "duration", "nanoseconds",
    R"(an integer number of nanoseconds, or a string such as "5ms" (units ns, us, ms, s, min, h))",
    kDurationUnits, format_duration};
constexpr Quantity kBandwidth{
    "bandwidth", "bits per second",
    R"(an integer number of bits per second, or a string such as "1Gbps" (units bps, Kbps, Mbps, Gbps, Tbps))",
    kBandwidthUnits, format_bandwidth};

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool plain_integer(std::string_view text) {
    // 18 digits at most: every such number fits in int64.
    return text.size() < 19 && all_digits(text);
}

QuantityReading read_quantity(std::string_view text, const Quantity& quantity) {
    const size_t number_end = std::min(text.find_first_not_of("0123456789."), text.size());
    const std::string_view number = text.substr(0, number_end);
    std::string_view unit_name = text.substr(number_end);
    if (unit_name.starts_with(' ')) unit_name.remove_prefix(1);
    const size_t dot = number.find('.');
    std::string_view integer = number.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? "" : number.substr(dot + 1);
    const Unit* unit = find_unit(quantity, unit_name);
    if (unit == nullptr || !all_digits(integer) || (dot != std::string_view::npos && !all_digits(fraction))) {
        return {0, QuantityProblem::syntax};
    }
    integer.remove_prefix(std::min(integer.find_first_not_of('0'), integer.size()));
    fraction.remove_suffix(fraction.size() - (fraction.find_last_not_of('0') + 1));
    // Beyond these lengths the value is out of range or not whole for any unit we have.
    if (integer.size() > 20) return {0, QuantityProblem::too_large};
    if (fraction.size() > 18) return {0, QuantityProblem::fraction};
    const Wide fraction_units = digits_value(fraction) * unit->factor;
    const Wide fraction_scale = digits_value("1" + std::string(fraction.size(), '0'));
    if (fraction_units % fraction_scale != 0) return {0, QuantityProblem::fraction};
    const Wide value = digits_value(integer) * unit->factor + fraction_units / fraction_scale;
    if (value > std::numeric_limits<int64_t>::max()) return {0, QuantityProblem::too_large};
    return {static_cast<int64_t>(value), QuantityProblem::none};
}

std::optional<Fraction> exact_ratio(double number) {
    constexpr int64_t kMillionth = 1000'000;
    if (!(number > 0 && number <= 1000)) return std::nullopt;
    const int64_t millionths = std::llround(number * kMillionth);
    // Exact iff the 6-place decimal is the very number written (same double).
    if (static_cast<double>(millionths) / kMillionth != number) return std::nullopt;
    const int64_t divisor = std::gcd(millionths, kMillionth);
    return Fraction{millionths / divisor, kMillionth / divisor};
}

}  // namespace tcpsim::text
