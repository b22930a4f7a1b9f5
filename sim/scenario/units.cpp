#include "scenario/units.hpp"

#include "text/units.hpp"

namespace tcpsim::scenario {
namespace {

using nlohmann::ordered_json;

// One JSON value being read as a quantity, with what is needed to complain about it.
struct Reading {
    const text::Quantity& quantity;
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
    int64_t in_range(int64_t number) const {
        if (number > max) fail_too_large();
        if (number >= min) return number;
        if (min <= 1) fail_expected(where, "must be " + kind(), value);
        fail_expected(where, "must be at least " + quantity.format(min), value);
    }

    int64_t from_text() const {
        const text::QuantityReading reading = text::read_quantity(value.get_ref<const std::string&>(), quantity);
        switch (reading.problem) {
            case text::QuantityProblem::none: return in_range(reading.value);
            case text::QuantityProblem::syntax: fail_syntax();
            case text::QuantityProblem::fraction: fail_fraction();
            case text::QuantityProblem::too_large: fail_too_large();
        }
        fail_syntax();
    }

    int64_t parse() const {
        if (value.is_string()) return from_text();
        if (value.is_number_unsigned()) {
            const uint64_t number = value.get<uint64_t>();
            if (number > static_cast<uint64_t>(max)) fail_too_large();
            return in_range(static_cast<int64_t>(number));
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

ordered_json argument_json(std::string_view text) {
    if (text::plain_integer(text)) return std::stoll(std::string(text));
    return std::string(text);
}

int64_t parse_size(const ordered_json& v, const std::string& where, int64_t min_bytes, int64_t max_bytes) {
    return Reading{text::kSize, v, where, min_bytes, max_bytes}.parse();
}

int64_t parse_duration_ns(const ordered_json& v, const std::string& where, int64_t min_ns, int64_t max_ns) {
    return Reading{text::kDuration, v, where, min_ns, max_ns}.parse();
}

int64_t parse_bandwidth_bps(const ordered_json& v, const std::string& where, int64_t min_bps,
                            int64_t max_bps) {
    return Reading{text::kBandwidth, v, where, min_bps, max_bps}.parse();
}

model::Ratio parse_ratio(const ordered_json& v, const std::string& where) {
    constexpr std::string_view kExpected = "must be a number > 0 and <= 1000 with at most 6 decimal places";
    if (!v.is_number()) fail_expected(where, kExpected, v);
    const std::optional<text::Fraction> ratio = text::exact_ratio(v.get<double>());
    if (!ratio) fail_expected(where, kExpected, v);
    return {ratio->num, ratio->den};
}

}  // namespace tcpsim::scenario
