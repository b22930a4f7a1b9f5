#include "views/svg.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "core/check.hpp"

namespace tcpsim::views::svg {

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string px(double v) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << v;
    std::string s = out.str();
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s == "-0" ? "0" : s;
}

namespace {

// Advance widths in em, rounded up from DejaVu Sans (librsvg's usual sans-serif, and the widest
// of the common ones): digits 0.636, most lower case about 0.6, spaces and stops 0.318.
double char_width_em(unsigned char c) {
    if ((c & 0xC0) == 0x80) return 0;     // a UTF-8 continuation byte: counted with its lead
    if (c >= 0x80) return 0.84;           // a character past ASCII (an arrow): as wide as M
    if (c >= 'A' && c <= 'Z') return c == 'M' || c == 'W' ? 0.90 : c == 'I' || c == 'J' ? 0.34 : 0.74;
    switch (c) {
        case ' ': case ',': case '.': case ':': case ';': case '\'': case '!': case '|': case 'i': case 'j': case 'l':
            return 0.34;
        case '(': case ')': case '[': case ']': case 'f': case 'r': case 't': case '-': return 0.42;
        case 'm': case 'w': return 0.90;
        default: return 0.64;
    }
}

}  // namespace

double text_width_px(const std::string& s, double font_px, bool bold) {
    double em = 0;
    for (const char c : s) em += char_width_em(static_cast<unsigned char>(c));
    return em * font_px * (bold ? 1.1 : 1.0);
}

std::vector<std::string> wrap(const std::string& s, double font_px, double max_width_px, bool bold) {
    std::vector<std::string> lines;
    std::string line;
    size_t at = 0;
    while (at <= s.size()) {
        const size_t space = std::min(s.find(' ', at), s.size());
        const std::string word = s.substr(at, space - at);
        const std::string longer = line.empty() ? word : line + " " + word;
        if (!line.empty() && text_width_px(longer, font_px, bold) > max_width_px) {
            lines.push_back(line);
            line = word;
        } else {
            line = longer;
        }
        at = space + 1;
    }
    if (!line.empty() || lines.empty()) lines.push_back(line);
    return lines;
}

std::string text_el(double x, double y, const std::string& s, double font_px, double max_width_px, const std::string& attrs,
                    const std::string& exact) {
    const double predicted_px = text_width_px(s, font_px, attrs.find("bold") != std::string::npos);
    const double font = predicted_px > max_width_px ? font_px * max_width_px / predicted_px : font_px;
    std::ostringstream out;
    out << "<text x=\"" << px(x) << "\" y=\"" << px(y) << "\" font-size=\"" << px(font) << "\"";
    if (!attrs.empty()) out << " " << attrs;
    out << ">" << esc(s);
    if (!exact.empty()) out << "<title>" << esc(exact) << "</title>";
    out << "</text>\n";
    return out.str();
}

std::string open(double width_px, double height_px, const std::string& id, const std::string& title, const std::string& desc,
                 const std::string& attrs) {
    std::ostringstream out;
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << px(width_px) << "\" height=\"" << px(height_px)
        << "\" viewBox=\"0 0 " << px(width_px) << " " << px(height_px) << "\" role=\"img\" aria-labelledby=\"" << id
        << "-title " << id << "-desc\" font-family=\"sans-serif\" font-size=\"12\"" << (attrs.empty() ? "" : " " + attrs)
        << ">\n<title id=\"" << id << "-title\">" << esc(title) << "</title>\n<desc id=\"" << id << "-desc\">" << esc(desc)
        << "</desc>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    return out.str();
}

int64_t nice_125(double raw) {
    // 10^0 .. 10^18: 5 x 10^18 is the largest 1-2-5 value an int64 holds.
    int64_t decade = 1;
    for (int i = 0; i <= 18; ++i) {
        for (int64_t m : {1, 2, 5})
            if (static_cast<double>(m * decade) >= raw) return m * decade;
        if (i < 18) decade *= 10;
    }
    return 5 * decade;
}

int64_t round_step(int64_t span, int max_ticks) {
    TCPSIM_CHECK(max_ticks >= 2);
    return nice_125(static_cast<double>(std::max<int64_t>(span, 1)) / (max_ticks - 1));
}

int64_t byte_step(int64_t span_bytes, int max_ticks) {
    TCPSIM_CHECK(max_ticks >= 2);
    const int64_t hi = std::max<int64_t>(span_bytes, 1);
    int64_t unit = 1;
    while (hi / unit / 1024 >= 4) unit *= 1024;
    return nice_125(static_cast<double>(hi) / static_cast<double>(unit) / (max_ticks - 1)) * unit;
}

std::vector<int64_t> multiples_in(int64_t lo, int64_t hi, int64_t step) {
    TCPSIM_CHECK(step > 0);
    std::vector<int64_t> out;
    // The first multiple at or past lo (division rounds toward zero).
    int64_t v = lo / step * step;
    if (v < lo) v += step;
    for (; v <= hi; v += step) out.push_back(v);
    return out;
}

Ticks byte_ticks(int64_t max_bytes, int max_ticks) {
    const int64_t hi = std::max<int64_t>(max_bytes, 1);
    const int64_t step = byte_step(hi, max_ticks);
    Ticks t;
    t.top = (hi + step - 1) / step * step;
    t.values = multiples_in(0, t.top, step);
    return t;
}

}  // namespace tcpsim::views::svg
