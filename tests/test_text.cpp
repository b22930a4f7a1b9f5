// Numbers and calls as people read them (sim/text/format.hpp), and quantities as people
// write them (sim/text/units.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "text/format.hpp"
#include "text/units.hpp"

using namespace tcpsim;
using namespace tcpsim::text;

TEST_CASE("exact sizes, durations and bandwidths") {
    CHECK(format_size(0) == "0 B");
    CHECK(format_size(1500) == "1500 B");
    CHECK(format_size(1536) == "1536 B");
    CHECK(format_size(65536) == "64 KiB");
    CHECK(format_size(int64_t{1} << 30) == "1 GiB");
    CHECK(format_size(int64_t{1} << 50) == "1 PiB");
    CHECK(format_size(-2048) == "-2 KiB");
    CHECK(format_duration(0) == "0 ns");
    CHECK(format_duration(999) == "999 ns");
    CHECK(format_duration(50'000) == "50 us");
    CHECK(format_duration(2500'000) == "2.5 ms");
    CHECK(format_duration(1234'567) == "1.235 ms");
    CHECK(format_duration(999'960) == "1 ms");  // rounding carries into the next unit
    CHECK(format_duration(1200'000'000) == "1.2 s");
    CHECK(format_duration(3599'000'000'000) == "3599 s");
    CHECK(format_duration(3600'000'000'000) == "1 h");
    CHECK(format_duration(30LL * 24 * 3600'000'000'000) == "720 h");
    CHECK(format_duration(-1500) == "-1.5 us");
    CHECK(format_duration(std::numeric_limits<int64_t>::max()) == "2562048 h");  // 2562047.79 h, rounded
    CHECK(format_bandwidth(1000'000'000) == "1 Gbps");
    CHECK(format_bandwidth(1500) == "1500 bps");
}

TEST_CASE("digit grouping and plurals") {
    CHECK(grouped(0) == "0");
    CHECK(grouped(999) == "999");
    CHECK(grouped(1000) == "1,000");
    CHECK(grouped(1073741824) == "1,073,741,824");
    CHECK(grouped(-1500) == "-1,500");
    CHECK(grouped(std::numeric_limits<int64_t>::min()) == "-9,223,372,036,854,775,808");
    CHECK(bytes(1) == "1 byte");
    CHECK(bytes(0) == "0 bytes");
    CHECK(bytes(1500) == "1,500 bytes");
    CHECK(count(1, "step", "steps") == "1 step");
    CHECK(count(12000, "step", "steps") == "12,000 steps");
}

TEST_CASE("short sizes for figures: 4 significant digits in a binary unit") {
    CHECK(size_short(0) == "0 B");
    CHECK(size_short(1500) == "1,500 B");
    CHECK(size_short(10239) == "10,239 B");
    CHECK(size_short(10240) == "10 KiB");
    CHECK(size_short(464220) == "453.3 KiB");
    CHECK(size_short(524272) == "512 KiB");
    CHECK(size_short(1048575) == "1 MiB");  // 1023.999 KiB rounds into the next unit
    CHECK(size_short(1049176) == "1.001 MiB");
    CHECK(size_short(int64_t{1} << 30) == "1 GiB");
    CHECK(size_short(std::numeric_limits<int64_t>::max()) == "8 EiB");
    CHECK(level_short(500, 500) == "500/500 B");
    CHECK(level_short(464220, 524272) == "453.3/512 KiB");
    CHECK(level_short(0, 262144) == "0/256 KiB");
    CHECK(level_short(900, 1 << 20) == "900 B/1 MiB");
    CHECK(level_short(1 << 30, 1 << 30) == "1/1 GiB");
}

TEST_CASE("property: a short size is within 0.05% of the exact bytes, under 1024 of its unit") {
    const std::vector<std::string> units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::mt19937_64 rng(14);
    for (int i = 0; i < 2000; ++i) {
        const int64_t n = static_cast<int64_t>(rng() >> (1 + rng() % 63));
        std::string s = size_short(n);
        CAPTURE(n);
        CAPTURE(s);
        s.erase(std::remove(s.begin(), s.end(), ','), s.end());
        const size_t space = s.find(' ');
        REQUIRE(space != std::string::npos);
        const double number = std::stod(s.substr(0, space));
        const auto unit = std::find(units.begin(), units.end(), s.substr(space + 1));
        REQUIRE(unit != units.end());
        const double factor = std::pow(1024.0, static_cast<double>(unit - units.begin()));
        if (n < 10240) CHECK(*unit == "B");
        else CHECK(number < 1024);
        const double exact = static_cast<double>(n);
        CHECK(std::abs(number * factor - exact) <= exact * 0.0005 + 0.5);
    }
}

TEST_CASE("calls keep a form that cannot be misread") {
    CHECK(call_text("write", 1500) == "write(1500)");
    CHECK(call_text("write", 65535) == "write(65535)");
    CHECK(call_text("write", 65536) == "write(64KiB)");
    CHECK(call_text("write", 100000000) == "write(100000000)");
    CHECK(call_text("write", 16000000) == "write(16000000)");  // 15625 KiB: digits read better
    CHECK(call_text("write", 1536 * 1024) == "write(1572864)");
    CHECK(call_text("write", int64_t{1} << 30) == "write(1GiB)");
    CHECK(call_text("read_exact", 1000) == "read_exact(1000)");
    CHECK(call_text("read_to_end", 0) == "read_to_end()");
    CHECK(call_text("close", 0) == "close()");
    CHECK(call_text("sleep", 0, 1'000'000'000) == "sleep(1s)");
    CHECK(call_text("sleep", 0, 2'500'000) == "sleep(2.5ms)");
    CHECK(call_text("event_loop", 10000) == "event_loop(write 10000)");
    CHECK(size_in_call(1 << 20) == "1MiB");
    CHECK(duration_in_call(50'000) == "50us");
}

TEST_CASE("quantities as written: exact values, or the problem by name") {
    using P = QuantityProblem;
    const auto read = [](std::string_view written, const Quantity& q) { return read_quantity(written, q); };
    CHECK(read("64KiB", kSize).value == 65536);
    CHECK(read("1.5 KiB", kSize).value == 1536);
    CHECK(read("0.5KB", kSize).value == 500);
    CHECK(read("2.5ms", kDuration).value == 2500'000);
    CHECK(read("1min", kDuration).value == 60'000'000'000);
    CHECK(read("1Gbit/s", kBandwidth).value == 1000'000'000);
    CHECK(read("9223372036854775807B", kSize).value == std::numeric_limits<int64_t>::max());
    CHECK(read("9223372036854775808B", kSize).problem == P::too_large);
    CHECK(read("999999999999999999999TB", kSize).problem == P::too_large);
    CHECK(read("0.5ns", kDuration).problem == P::fraction);
    CHECK(read("1.0000000000000000001s", kDuration).problem == P::fraction);
    CHECK(read("1500", kSize).problem == P::syntax);  // digits alone are a JSON integer's job
    CHECK(read("5kib", kSize).problem == P::syntax);
    CHECK(read("5ms", kSize).problem == P::syntax);
    CHECK(read(".5KiB", kSize).problem == P::syntax);
    CHECK(read("5  KiB", kSize).problem == P::syntax);
    CHECK(read("", kSize).problem == P::syntax);
}

TEST_CASE("property: a size or bandwidth printed exactly reads back as itself") {
    std::mt19937_64 random(20261205);
    for (int i = 0; i < 10000; ++i) {
        const int shift = static_cast<int>(random() % 41);
        const int64_t bytes = static_cast<int64_t>(random() % (uint64_t{1} << 40)) >> shift << (shift / 2);
        const QuantityReading size = read_quantity(format_size(bytes), kSize);
        REQUIRE(size.problem == QuantityProblem::none);
        CHECK(size.value == bytes);
        const int64_t bps = 1 + static_cast<int64_t>(random() % 10'000'000'000'000) / (i % 2 == 0 ? 1 : 1000'000);
        const QuantityReading bandwidth = read_quantity(format_bandwidth(bps), kBandwidth);
        REQUIRE(bandwidth.problem == QuantityProblem::none);
        CHECK(bandwidth.value == bps);
    }
}

TEST_CASE("plain integers: digits short enough for int64, nothing else") {
    CHECK(plain_integer("0"));
    CHECK(plain_integer("1500"));
    CHECK(plain_integer("999999999999999999"));        // 18 digits
    CHECK_FALSE(plain_integer("1000000000000000000"));  // 19: may not fit, read as text
    CHECK_FALSE(plain_integer(""));
    CHECK_FALSE(plain_integer("-1"));
    CHECK_FALSE(plain_integer("1.5"));
    CHECK_FALSE(plain_integer("64KiB"));
    CHECK(all_digits("1000000000000000000000"));
    CHECK_FALSE(all_digits(""));
}

TEST_CASE("ratios are exact reduced fractions of at most 6 decimal places") {
    const auto fraction = [](double number) {
        const std::optional<Fraction> f = exact_ratio(number);
        return f ? std::to_string(f->num) + "/" + std::to_string(f->den) : "none";
    };
    CHECK(fraction(0.5) == "1/2");
    CHECK(fraction(0.25) == "1/4");
    CHECK(fraction(1000) == "1000/1");
    CHECK(fraction(0.000001) == "1/1000000");
    CHECK(fraction(0.1234567) == "none");
    CHECK(fraction(0) == "none");
    CHECK(fraction(-0.5) == "none");
    CHECK(fraction(1000.5) == "none");
    CHECK(fraction(std::nan("")) == "none");
}
