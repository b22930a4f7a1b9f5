// The pieces every SVG view shares (the figure, the timeline, the heatmap): escaping, short
// coordinates, text that fits its box, an accessible root element, and round axis ticks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tcpsim::views::svg {

// Escapes text and attribute values alike, for SVG (XML) and HTML.
std::string esc(const std::string& s);

// A coordinate with at most one decimal: exact enough at 900 px, and short.
std::string px(double v);

// A line's predicted width, a little over DejaVu Sans' (the widest common sans-serif), to spot a
// line that would overflow its box before any browser draws it.
double text_width_px(const std::string& s, double font_px, bool bold = false);

// `s` broken at spaces into lines no wider than max_width_px; a word wider than that stands
// alone on its line.
std::vector<std::string> wrap(const std::string& s, double font_px, double max_width_px, bool bold = false);

// One <text>, its font made smaller only when the line would be wider than max_width_px (a
// smaller font rather than textLength: librsvg ignores textLength). `exact`, when given, is a
// <title> child: the tooltip with the exact bytes behind the short sizes the text shows.
std::string text_el(double x, double y, const std::string& s, double font_px, double max_width_px,
                    const std::string& attrs = "", const std::string& exact = "");

// The root <svg> of a picture, readable without sight: role="img", a <title> (what it shows,
// with the verdict) as its first child and a <desc> (the numbers in words), both named by
// aria-labelledby. `id` prefixes their ids, unique within a page holding several pictures.
// `attrs` are more attributes for the root. A white background follows.
std::string open(double width_px, double height_px, const std::string& id, const std::string& title,
                 const std::string& desc, const std::string& attrs = "");

// The smallest 1, 2 or 5 x 10^k that is >= raw (and >= 1).
int64_t nice_125(double raw);

// A tick step for `span` with at most about max_ticks ticks: a 1-2-5 step (0, 500, 1000, 1500).
int64_t round_step(int64_t span, int max_ticks);
// For bytes: a 1-2-5 step in the largest binary unit that still gives >= 4 units, so labels
// read "200 MiB" rather than "209715200 B".
int64_t byte_step(int64_t span_bytes, int max_ticks);
// The multiples of step within [lo, hi], in order.
std::vector<int64_t> multiples_in(int64_t lo, int64_t hi, int64_t step);

// Byte ticks from 0 to the first multiple of the step at or past max_bytes, which ends the axis.
struct Ticks {
    int64_t top = 1;
    std::vector<int64_t> values;
};
Ticks byte_ticks(int64_t max_bytes, int max_ticks);

}  // namespace tcpsim::views::svg
