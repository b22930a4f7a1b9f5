// Quantities as people write them ("64KiB", "5ms", "1Gbps", 0.5), read exactly: integers
// only, no double survives. The unit tables live here; printing is format.hpp's job, and
// reading a JSON value as a quantity (with its one-line error) is scenario/units.hpp's.
// No JSON and no other tcpsim layer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tcpsim::text {

struct Unit {
    std::string_view name;
    int64_t factor;  // in the quantity's base unit: bytes, nanoseconds, bits per second
};

// One kind of quantity: what it is called, how it is written, how it prints.
struct Quantity {
    std::string_view noun;    // "size"
    std::string_view whole;   // "bytes", as in "must be a whole number of bytes"
    std::string_view syntax;  // how to write one, for messages about malformed values
    std::span<const Unit> units;
    std::string (*format)(int64_t);
};

// B, KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024).
extern const Quantity kSize;
// ns, us, ms, s, min, h.
extern const Quantity kDuration;
// bps, Kbps, Mbps, Gbps, Tbps (or bit/s, Kbit/s, Mbit/s, Gbit/s, Tbit/s), powers of 1000.
extern const Quantity kBandwidth;

// At least one character, every one a decimal digit.
bool all_digits(std::string_view text);

// Plain digits short enough for int64 ("1500"): a command-line value that means an integer
// in the quantity's base unit, as a JSON file would write it. "1KiB", "1.5" and "" do not.
bool plain_integer(std::string_view text);

enum class QuantityProblem {
    none,
    syntax,     // not "<digits>[.<digits>][ ]<unit>" with one of the quantity's units
    fraction,   // not a whole number of the base unit ("0.5ns")
    too_large,  // above INT64_MAX
};

struct QuantityReading {
    int64_t value = 0;  // in the base unit; 0 unless problem is none
    QuantityProblem problem = QuantityProblem::none;
};

// "<digits>[.<digits>][ ]<unit>", exactly: a decimal number is accepted only when it makes a
// whole number of the base unit ("1.5KiB" = 1536 bytes).
QuantityReading read_quantity(std::string_view text, const Quantity& quantity);

struct Fraction {
    int64_t num = 1;
    int64_t den = 1;
};

// A number in (0, 1000] with at most 6 decimal places, as an exact reduced fraction
// (0.5 -> 1/2); nullopt for any other number.
std::optional<Fraction> exact_ratio(double number);

}  // namespace tcpsim::text
