#include "views/sweep_out.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace tcpsim::views {

using nlohmann::ordered_json;

SweepFormat sweep_format_for(const std::string& path) {
    const std::string ext = ".jsonl";
    if (path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
        return SweepFormat::jsonl;
    return SweepFormat::csv;
}

namespace {

std::string rule_text(const analysis::SweepRow& row) {
    if (!row.rule) return "";
    return row.rule->deadlock ? "deadlock" : "completed";
}

std::string agrees_text(const analysis::SweepRow& row) {
    if (!row.rule) return "";
    return row.rule_agrees() ? "yes" : "NO";
}

// CSV fields never contain commas or quotes here except axis paths; quote those that do.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

std::string sweep_header(const analysis::Sweep& sweep, const analysis::SweepRow& first, SweepFormat format) {
    if (format == SweepFormat::jsonl) return "";
    std::string h = "point";
    for (const analysis::Axis& a : sweep.axes()) h += "," + csv_field(a.path);
    h += ",outcome,time_ns,events";
    for (const core::ThreadReport& t : first.result.threads) {
        const std::string who = t.endpoint + "." + t.name;
        h += "," + who + ".written," + who + ".read";
    }
    return h + ",rule,rule_agrees\n";
}

std::string sweep_line(const analysis::SweepRow& row, SweepFormat format) {
    const core::Result& r = row.result;
    if (format == SweepFormat::jsonl) {
        ordered_json j;
        j["point"] = row.point;
        j["values"] = row.values;
        j["outcome"] = core::to_string(r.outcome);
        j["time_ns"] = r.time_ns;
        j["events"] = r.events;
        ordered_json threads = ordered_json::object();
        for (const core::ThreadReport& t : r.threads)
            threads[t.endpoint + "." + t.name] = {{"written", t.bytes_written}, {"read", t.bytes_read}};
        j["threads"] = threads;
        j["rule"] = row.rule ? ordered_json(rule_text(row)) : ordered_json(nullptr);
        j["rule_agrees"] = row.rule ? ordered_json(row.rule_agrees()) : ordered_json(nullptr);
        return j.dump() + "\n";
    }
    std::ostringstream out;
    out << row.point;
    for (const std::string& v : row.values) out << "," << csv_field(v);
    out << "," << core::to_string(r.outcome) << "," << r.time_ns << "," << r.events;
    for (const core::ThreadReport& t : r.threads) out << "," << t.bytes_written << "," << t.bytes_read;
    out << "," << rule_text(row) << "," << agrees_text(row) << "\n";
    return out.str();
}

// ------------------------------------------------------------------ heatmap

namespace {

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

// White-to-red for the stall figure, t in [0, 1].
std::string red_shade(double t) {
    const int g = static_cast<int>(220 - 180 * t);
    std::ostringstream c;
    c << "rgb(" << static_cast<int>(250 - 60 * t) << "," << g << "," << g << ")";
    return c.str();
}

// Every `step`-th label, so that at most about ten show.
size_t tick_step(size_t n) { return std::max<size_t>(1, (n + 9) / 10); }

}  // namespace

std::string heatmap_svg(const analysis::Sweep& sweep, const std::vector<analysis::SweepRow>& rows,
                        const std::string& title) {
    const analysis::Axis& ax = sweep.axes().at(0);
    const analysis::Axis& ay = sweep.axes().at(1);
    const auto nx = static_cast<Eigen::Index>(ax.values.size());
    const auto ny = static_cast<Eigen::Index>(ay.values.size());
    // stall(i, j): the first thread's bytes written at a deadlock, -1 where the run completed.
    Eigen::MatrixXd stall = Eigen::MatrixXd::Constant(nx, ny, -1.0);
    Eigen::MatrixXi rule = Eigen::MatrixXi::Constant(nx, ny, -1);  // -1 none, 0 completed, 1 deadlock
    Eigen::MatrixXi mismatch = Eigen::MatrixXi::Zero(nx, ny);
    for (const analysis::SweepRow& row : rows) {
        const Eigen::Index i = row.point / ny, j = row.point % ny;
        if (row.result.outcome == core::Outcome::deadlock)
            stall(i, j) = static_cast<double>(row.result.threads.at(0).bytes_written);
        else if (row.result.outcome == core::Outcome::limit)
            stall(i, j) = -2.0;
        if (row.rule) rule(i, j) = row.rule->deadlock ? 1 : 0;
        mismatch(i, j) = row.rule_agrees() ? 0 : 1;
    }
    const bool any_deadlock = (stall.array() >= 0).any();
    const double lo = any_deadlock ? (stall.array() >= 0).select(stall, stall.maxCoeff()).minCoeff() : 0;
    const double hi = any_deadlock ? stall.maxCoeff() : 1;

    const int cell = static_cast<int>(std::clamp<Eigen::Index>(560 / std::max(nx, ny), 4, 48));
    const int left = 90, top = 50, plot_w = cell * static_cast<int>(nx), plot_h = cell * static_cast<int>(ny);
    const int width = left + plot_w + 320, height = top + plot_h + 70;
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << left << "\" y=\"24\" font-size=\"15\">" << esc(title) << "</text>\n";
    // Cells: x grows right, y grows up.
    for (Eigen::Index i = 0; i < nx; ++i)
        for (Eigen::Index j = 0; j < ny; ++j) {
            const double v = stall(i, j);
            const std::string fill = v == -1.0 ? "rgb(214,236,214)" : v == -2.0 ? "rgb(250,230,150)"
                                   : red_shade(hi > lo ? (v - lo) / (hi - lo) : 1.0);
            const int x = left + cell * static_cast<int>(i), y = top + plot_h - cell * static_cast<int>(j + 1);
            svg << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << cell << "\" height=\"" << cell
                << "\" fill=\"" << fill << "\"/>\n";
            if (mismatch(i, j))
                svg << "<text x=\"" << x + cell / 2 << "\" y=\"" << y + cell / 2 + 4
                    << "\" text-anchor=\"middle\" font-weight=\"bold\">x</text>\n";
        }
    // The rule's boundary: an edge between neighbouring cells where its prediction flips.
    for (Eigen::Index i = 0; i < nx; ++i)
        for (Eigen::Index j = 0; j < ny; ++j) {
            if (rule(i, j) < 0) continue;
            const int x = left + cell * static_cast<int>(i), y = top + plot_h - cell * static_cast<int>(j + 1);
            if (i + 1 < nx && rule(i + 1, j) >= 0 && rule(i + 1, j) != rule(i, j))
                svg << "<line x1=\"" << x + cell << "\" y1=\"" << y << "\" x2=\"" << x + cell << "\" y2=\"" << y + cell
                    << "\" stroke=\"black\" stroke-width=\"2.5\"/>\n";
            if (j + 1 < ny && rule(i, j + 1) >= 0 && rule(i, j + 1) != rule(i, j))
                svg << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x + cell << "\" y2=\"" << y
                    << "\" stroke=\"black\" stroke-width=\"2.5\"/>\n";
        }
    svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
        << "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (size_t i = 0; i < ax.values.size(); i += tick_step(ax.values.size()))
        svg << "<text x=\"" << left + cell * static_cast<int>(i) + cell / 2 << "\" y=\"" << top + plot_h + 16
            << "\" text-anchor=\"middle\" font-size=\"10\">" << esc(ax.values[i]) << "</text>\n";
    for (size_t j = 0; j < ay.values.size(); j += tick_step(ay.values.size()))
        svg << "<text x=\"" << left - 6 << "\" y=\"" << top + plot_h - cell * static_cast<int>(j) - cell / 2 + 4
            << "\" text-anchor=\"end\" font-size=\"10\">" << esc(ay.values[j]) << "</text>\n";
    svg << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << top + plot_h + 40 << "\" text-anchor=\"middle\">"
        << esc(ax.path) << " (bytes)</text>\n"
        << "<text transform=\"translate(20," << top + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
        << esc(ay.path) << " (bytes)</text>\n";
    // Legend.
    const int lx = left + plot_w + 20;
    svg << "<rect x=\"" << lx << "\" y=\"" << top << "\" width=\"14\" height=\"14\" fill=\"rgb(214,236,214)\"/>"
        << "<text x=\"" << lx + 20 << "\" y=\"" << top + 11 << "\">completed</text>\n";
    for (int k = 0; k < 10; ++k)
        svg << "<rect x=\"" << lx + 14 * k << "\" y=\"" << top + 26 << "\" width=\"14\" height=\"14\" fill=\""
            << red_shade(k / 9.0) << "\"/>\n";
    svg << "<text x=\"" << lx << "\" y=\"" << top + 56 << "\">deadlock: " << static_cast<int64_t>(lo) << " .. "
        << static_cast<int64_t>(hi) << "</text>\n<text x=\"" << lx << "\" y=\"" << top + 70
        << "\">bytes written by " << (rows.empty() ? "" : esc(rows[0].result.threads.at(0).endpoint + "." + rows[0].result.threads.at(0).name))
        << " at the stall</text>\n"
        << "<line x1=\"" << lx << "\" y1=\"" << top + 90 << "\" x2=\"" << lx + 28 << "\" y2=\"" << top + 90
        << "\" stroke=\"black\" stroke-width=\"2.5\"/><text x=\"" << lx + 34 << "\" y=\"" << top + 94
        << "\">rule's boundary</text>\n<text x=\"" << lx + 4 << "\" y=\"" << top + 114
        << "\" font-weight=\"bold\">x</text><text x=\"" << lx + 34 << "\" y=\"" << top + 114
        << "\">simulation disagrees with rule</text>\n</svg>\n";
    return svg.str();
}

// ------------------------------------------------------------------ merge

namespace {

int64_t point_of(const std::string& line, bool jsonl) {
    if (jsonl) return ordered_json::parse(line).at("point").get<int64_t>();
    return std::stoll(line.substr(0, line.find(',')));
}

}  // namespace

std::string merge_shards(const std::vector<std::string>& texts, const std::vector<std::string>& names) {
    std::map<int64_t, std::string> rows;
    std::string header;
    bool jsonl = false;
    for (size_t f = 0; f < texts.size(); ++f) {
        std::istringstream in(texts[f]);
        std::string line;
        bool first = true;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            if (first && f == 0) jsonl = line.front() == '{';
            if (first && !jsonl) {
                if (f == 0) header = line;
                else if (line != header) throw std::invalid_argument(names[f] + ": its header differs from " + names[0] + "'s");
                first = false;
                continue;
            }
            first = false;
            int64_t point = 0;
            try {
                point = point_of(line, jsonl);
            } catch (const std::exception&) {
                throw std::invalid_argument(names[f] + ": a row without a point number: " + line.substr(0, 40));
            }
            if (!rows.emplace(point, line).second)
                throw std::invalid_argument(names[f] + ": point " + std::to_string(point) + " appears twice");
        }
    }
    int64_t expected = 0;
    for (const auto& [point, line] : rows)
        if (point != expected++) throw std::invalid_argument("point " + std::to_string(expected - 1) + " is missing: a shard is absent");
    std::string out = jsonl || header.empty() ? "" : header + "\n";
    for (const auto& [point, line] : rows) out += line + "\n";
    return out;
}

}  // namespace tcpsim::views
