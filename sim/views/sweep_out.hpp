// Sweep results as CSV, JSON Lines and an SVG heatmap; shard files merged back into one.
#pragma once

#include <string>
#include <vector>

#include "analysis/sweep.hpp"

namespace tcpsim::views {

enum class SweepFormat { csv, jsonl };
SweepFormat sweep_format_for(const std::string& path);  // by extension; csv when neither

std::string sweep_header(const analysis::Sweep& sweep, const analysis::SweepRow& first, SweepFormat format);
std::string sweep_line(const analysis::SweepRow& row, SweepFormat format);

// The outcome grid of a two-axis sweep: completed light, deadlock shaded by the first
// thread's bytes at the stall, the rule's boundary drawn where it applies.
std::string heatmap_svg(const analysis::Sweep& sweep, const std::vector<analysis::SweepRow>& rows,
                        const std::string& title);

// Joins shard outputs (rows keyed by their point) into the file one run would write.
// Throws std::invalid_argument naming the problem (different headers, missing points).
std::string merge_shards(const std::vector<std::string>& texts, const std::vector<std::string>& names);

}  // namespace tcpsim::views
