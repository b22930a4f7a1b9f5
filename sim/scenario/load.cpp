#include "scenario/load.hpp"

#include "scenario/profile_file.hpp"
#include "text/format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_set>
#include <string_view>
#include <utility>

namespace tcpsim::scenario {
namespace {

using nlohmann::ordered_json;
using Pointer = ordered_json::json_pointer;
using Keys = std::vector<std::string>;
using model::OpKind;

constexpr int64_t kHourNs = 3600'000'000'000;
constexpr int64_t kMaxDelayNs = kHourNs;  // link delay and sleep
constexpr int64_t kMaxLimitTimeNs = int64_t{30} * 24 * kHourNs;
constexpr int64_t kMaxEvents = 10'000'000'000;
constexpr int64_t kMaxMssBytes = 65535;
constexpr int64_t kMaxRepeatCount = int64_t{1} << 40;
constexpr int64_t kMaxThreadWriteBytes = int64_t{1} << 50;
constexpr int kMaxRepeatDepth = 8;
constexpr size_t kMaxJsonDepth = 64;
// An ordered_json object finds keys by linear search: a bound keeps building one fast.
constexpr size_t kMaxObjectKeys = 10000;
constexpr std::ptrdiff_t kMaxScenarioNameChars = 100;
constexpr size_t kMaxIdentifierChars = 32;

std::string locate(const std::string& file, const Pointer& pointer) {
    const std::string text = pointer.to_string();
    return text.empty() ? file : file + ": " + text;
}

std::string join(const Keys& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
}

std::string quoted(const std::string& text) {
    return ordered_json(text).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// A list that may be long, cut so that a message stays one readable line.
std::string some_of(const Keys& items) {
    constexpr size_t kShown = 12;
    if (items.size() <= kShown) return join(items);
    return join(Keys(items.begin(), items.begin() + kShown)) + ", ... (" + std::to_string(items.size()) + " in all)";
}

// `"a"`, `"a" or "b"`, `"a", "b" or "c"`
std::string one_of(const Keys& choices) {
    std::string text;
    for (size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) text += i + 1 == choices.size() ? " or " : ", ";
        text += quoted(choices[i]);
    }
    return text;
}

// A value in the document plus what is needed to report a problem with it.
struct Node {
    const ordered_json& json;
    Pointer pointer;
    const std::string& file;

    std::string where() const { return locate(file, pointer); }
    bool has(const std::string& key) const { return json.contains(key); }
    Node child(const std::string& key) const { return {json.at(key), pointer / key, file}; }
    Node item(size_t index) const { return {json.at(index), pointer / index, file}; }
    Node required(const std::string& key) const {
        if (!has(key)) fail_message("missing required key " + quoted(key));
        return child(key);
    }
    // Names every missing key at once, so a first file does not take a round trip per key.
    void require_keys(const Keys& keys, std::string_view why = "") const {
        Keys missing;
        for (const std::string& key : keys)
            if (!has(key)) missing.push_back(key);
        if (missing.empty()) return;
        std::string names;
        for (size_t i = 0; i < missing.size(); ++i) {
            names += i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ";
            names += scenario::quoted(missing[i]);
        }
        fail_message(std::string(missing.size() == 1 ? "missing required key " : "missing required keys ") + names +
                     std::string(why));
    }
    [[noreturn]] void fail(std::string_view expected) const { fail_expected(where(), expected, json); }
    [[noreturn]] void fail_message(const std::string& message) const {
        throw InputError(where() + ": " + message);
    }
};

// An object whose keys must all be in `allowed` (absent keys are checked by the caller).
void require_object(const Node& node, const Keys& allowed) {
    if (!node.json.is_object()) node.fail("must be an object");
    for (const auto& item : node.json.items()) {
        if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
            throw InputError(locate(node.file, node.pointer / item.key()) + ": unknown key (allowed: " + some_of(allowed) + ")");
        }
    }
}

std::string require_string(const Node& node) {
    if (!node.json.is_string()) node.fail("must be a string");
    return node.json.get<std::string>();
}

std::string require_choice(const Node& node, const Keys& choices) {
    if (!node.json.is_string() ||
        std::find(choices.begin(), choices.end(), node.json.get<std::string>()) == choices.end()) {
        node.fail("must be " + one_of(choices));
    }
    return node.json.get<std::string>();
}

int64_t parse_integer(const Node& node, int64_t min, int64_t max, std::string_view expected) {
    const ordered_json& json = node.json;
    const bool fits = json.is_number_unsigned() ? json.get<uint64_t>() <= static_cast<uint64_t>(max)
                                                : json.is_number_integer();
    if (!fits || json.get<int64_t>() < min || json.get<int64_t>() > max) node.fail(expected);
    return json.get<int64_t>();
}

int64_t size_at(const Node& node, int64_t min_bytes, int64_t max_bytes = kMaxSizeBytes) {
    return parse_size(node.json, node.where(), min_bytes, max_bytes);
}

// Names become --set path segments, so no dots; the pattern is also in the schema.
bool is_identifier(const std::string& name) {
    const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    const auto is_tail = [&](char c) { return is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
    return !name.empty() && name.size() <= kMaxIdentifierChars && is_letter(name[0]) &&
           std::all_of(name.begin() + 1, name.end(), is_tail);
}

void check_identifier(const Node& parent, const std::string& name, const std::string& what) {
    if (!is_identifier(name)) {
        fail_expected(locate(parent.file, parent.pointer / name),
                      what + " name must match ^[A-Za-z][A-Za-z0-9_-]{0,31}$", name);
    }
}

// ---- ops ----

const Keys kBareOps = {"read_to_end", "shutdown", "close"};
const Keys kObjectOps = {"write", "send", "read", "read_exact", "sleep", "repeat", "event_loop"};
constexpr std::string_view kOpExpected =
    R"(must be an op: "read_to_end", "shutdown", "close", or an object such as {"write": 1500})";

// Only called with names from kBareOps or kObjectOps, which are all op names.
OpKind op_kind(const std::string& name) { return *model::op_kind_named(name); }

model::Op make_op(OpKind kind) {
    model::Op op;
    op.kind = kind;
    return op;
}

bool contains_read(const std::vector<model::Op>& ops) {
    return std::any_of(ops.begin(), ops.end(), [](const model::Op& op) {
        return op.kind == OpKind::read || op.kind == OpKind::read_exact || op.kind == OpKind::read_to_end ||
               (op.kind == OpKind::repeat && contains_read(op.body));
    });
}

bool writes(const model::Op& op) {
    return op.kind == OpKind::write || op.kind == OpKind::send || (op.kind == OpKind::event_loop && op.write_total > 0) ||
           (op.kind == OpKind::repeat && std::any_of(op.body.begin(), op.body.end(), writes));
}

std::vector<model::Op> parse_ops(const Node& list, int depth);

model::Op parse_bare_op(const Node& node) {
    const auto& name = node.json.get_ref<const std::string&>();
    if (std::find(kBareOps.begin(), kBareOps.end(), name) == kBareOps.end()) node.fail(kOpExpected);
    return make_op(op_kind(name));
}

// write/send: a size, or {"ratio": R} for a size derived from the previous read.
model::Op parse_transfer(OpKind kind, const Node& arg) {
    model::Op op = make_op(kind);
    if (arg.json.is_object()) {
        require_object(arg, {"ratio"});
        const Node ratio = arg.required("ratio");
        op.ratio = parse_ratio(ratio.json, ratio.where());
    } else {
        op.bytes = size_at(arg, 1);
    }
    return op;
}

model::Op parse_event_loop(const Node& arg) {
    require_object(arg, {"write", "write_chunk", "read_chunk", "shutdown"});
    model::Op op = make_op(OpKind::event_loop);
    op.write_total = size_at(arg.required("write"), 0);
    op.write_chunk = size_at(arg.required("write_chunk"), 1);
    op.read_chunk = size_at(arg.required("read_chunk"), 1);
    if (arg.has("shutdown")) {
        const Node shutdown = arg.child("shutdown");
        if (!shutdown.json.is_boolean()) shutdown.fail("must be true or false");
        op.shutdown_when_done = shutdown.json.get<bool>();
    }
    return op;
}

model::Op parse_repeat(const Node& node, int depth) {
    require_object(node, {"repeat", "do"});
    if (depth >= kMaxRepeatDepth) node.fail_message("repeat nested more than 8 deep");
    model::Op op = make_op(OpKind::repeat);
    const Node count = node.required("repeat");
    op.until_eof = count.json == "eof";
    if (!op.until_eof) {
        op.count = parse_integer(count, 1, kMaxRepeatCount, R"(must be a positive integer (at most 2^40) or "eof")");
    }
    op.body = parse_ops(node.required("do"), depth + 1);
    if (op.until_eof && !contains_read(op.body)) {
        node.fail_message(R"("repeat": "eof" needs a read, read_exact or read_to_end in "do", else it never ends)");
    }
    return op;
}

// depth: how many repeats enclose this op.
model::Op parse_op(const Node& node, int depth) {
    if (node.json.is_string()) return parse_bare_op(node);
    if (!node.json.is_object()) node.fail(kOpExpected);
    if (node.has("repeat") || node.has("do")) return parse_repeat(node, depth);
    require_object(node, kObjectOps);
    if (node.json.size() != 1) node.fail("must be an object with exactly one op key");
    const std::string& key = node.json.begin().key();
    const Node arg = node.child(key);
    const OpKind kind = op_kind(key);
    if (kind == OpKind::write || kind == OpKind::send) return parse_transfer(kind, arg);
    if (kind == OpKind::event_loop) return parse_event_loop(arg);
    model::Op op = make_op(kind);
    if (kind == OpKind::sleep) {
        op.duration_ns = parse_duration_ns(arg.json, arg.where(), 0, kMaxDelayNs);
    } else {
        op.bytes = size_at(arg, 1);  // read, read_exact
    }
    return op;
}

std::vector<model::Op> parse_ops(const Node& list, int depth) {
    if (!list.json.is_array() || list.json.empty()) list.fail("must be a non-empty list of ops");
    std::vector<model::Op> ops;
    for (size_t i = 0; i < list.json.size(); ++i) ops.push_back(parse_op(list.item(i), depth));
    return ops;
}

// ---- threads and endpoints ----

int64_t saturating_add(int64_t a, int64_t b) {
    int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

int64_t saturating_mul(int64_t a, int64_t b) {
    int64_t product = 0;
    return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

int64_t write_bytes(const std::vector<model::Op>& ops);

// Ratios are unknown until run time (count 0); an eof loop counts once.
int64_t op_write_bytes(const model::Op& op) {
    switch (op.kind) {
        case OpKind::write:
        case OpKind::send: return op.bytes;
        case OpKind::event_loop: return op.write_total;
        case OpKind::repeat: return saturating_mul(write_bytes(op.body), op.until_eof ? 1 : op.count);
        default: return 0;
    }
}

// Upper bound of the bytes the ops write, saturating at INT64_MAX.
int64_t write_bytes(const std::vector<model::Op>& ops) {
    int64_t total = 0;
    for (const model::Op& op : ops) total = saturating_add(total, op_write_bytes(op));
    return total;
}

// After shutdown/close the write side is gone: writing then is a script bug.
// Program-order checks on one thread: no write once the socket is shut down (the second
// iteration of a loop that shuts down counts), and no derived write before any read.
class ProgramOrder {
public:
    void check(const Node& list, const std::vector<model::Op>& ops) {
        for (size_t i = 0; i < ops.size(); ++i) {
            const model::Op& op = ops[i];
            const Node item = list.item(i);
            if (!shut_at_.empty() && writes(op))
                item.fail_message(std::string(op.kind == OpKind::repeat ? "repeat with a write" : model::op_name(op.kind)) +
                                  " after " + shut_by_ + " at " + shut_at_);
            if ((op.kind == OpKind::write || op.kind == OpKind::send) && op.ratio && !seen_read_)
                item.fail_message("a derived write needs an earlier read in this thread (its size is a share of that read)");
            if (op.kind == OpKind::repeat) check_repeat(item, op);
            if (op.kind == OpKind::read || op.kind == OpKind::read_exact || op.kind == OpKind::read_to_end ||
                op.kind == OpKind::event_loop)
                seen_read_ = true;
            if (shut_at_.empty() && (op.kind == OpKind::shutdown || op.kind == OpKind::close ||
                                     (op.kind == OpKind::event_loop && op.shutdown_when_done))) {
                shut_at_ = item.pointer.to_string();
                shut_by_ = model::op_name(op.kind);
            }
        }
    }

private:
    void check_repeat(const Node& item, const model::Op& op) {
        const bool was_shut = !shut_at_.empty();
        check(item.child("do"), op.body);
        const bool again = op.until_eof || op.count > 1;
        if (!was_shut && !shut_at_.empty() && again && writes(op))
            item.fail_message("repeat writes again after it shuts the socket down at " + shut_at_);
    }

    std::string shut_at_;  // pointer of the first shutdown, close or shutting event loop
    std::string shut_by_;  // which of them
    bool seen_read_ = false;
};

std::vector<model::Thread> parse_threads(const Node& node) {
    if (!node.json.is_object() || node.json.empty()) node.fail("must be an object with at least one thread");
    std::vector<model::Thread> threads;
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "thread");
        const Node list = node.child(item.key());
        model::Thread thread{item.key(), parse_ops(list, 0)};
        ProgramOrder().check(list, thread.ops);
        if (write_bytes(thread.ops) > kMaxThreadWriteBytes) {
            list.fail_message("writes more than 2^50 bytes in total (repeat counts multiplied through)");
        }
        threads.push_back(std::move(thread));
    }
    return threads;
}

// linux: absent means the kernel's default buffer sizes.
std::optional<int64_t> parse_queue_size(const Node& endpoint, const std::string& key) {
    if (endpoint.has(key)) return size_at(endpoint.child(key), 1);
    return std::nullopt;
}

model::Endpoint parse_endpoint(const Node& node, const std::string& name, model::Profile profile) {
    require_object(node, {"sqs", "rqs", "threads"});
    const bool textbook = profile == model::Profile::textbook;
    const bool sizes_missing = textbook && (!node.has("sqs") || !node.has("rqs"));
    node.require_keys(textbook ? Keys{"sqs", "rqs", "threads"} : Keys{"threads"},
                      sizes_missing ? R"( (model "textbook" needs exact queue sizes))" : "");
    model::Endpoint endpoint;
    endpoint.name = name;
    endpoint.sqs_bytes = parse_queue_size(node, "sqs");
    endpoint.rqs_bytes = parse_queue_size(node, "rqs");
    endpoint.threads = parse_threads(node.required("threads"));
    return endpoint;
}

std::array<model::Endpoint, 2> parse_endpoints(const Node& node, model::Profile profile) {
    if (!node.json.is_object()) node.fail("must be an object with exactly two endpoints");
    if (node.json.size() != 2) {
        Keys names;
        for (const auto& item : node.json.items()) names.push_back(item.key());
        node.fail_message("must hold exactly two endpoints, found " + std::to_string(names.size()) +
                          (names.empty() ? "" : ": " + join(names)));
    }
    std::array<model::Endpoint, 2> endpoints;
    size_t index = 0;
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "endpoint");
        endpoints[index++] = parse_endpoint(node.child(item.key()), item.key(), profile);
    }
    return endpoints;
}

// ---- link and limits ----

struct LinkFields {
    std::optional<int64_t> bandwidth_bps;
    std::optional<int64_t> delay_ns;
    std::optional<int64_t> mss_bytes;
};

LinkFields parse_link_fields(const Node& node) {
    LinkFields fields;
    if (node.has("bandwidth")) {
        const Node bandwidth = node.child("bandwidth");
        fields.bandwidth_bps = parse_bandwidth_bps(bandwidth.json, bandwidth.where());
    }
    if (node.has("delay")) {
        const Node delay = node.child("delay");
        fields.delay_ns = parse_duration_ns(delay.json, delay.where(), 0, kMaxDelayNs);
    }
    if (node.has("mss")) fields.mss_bytes = size_at(node.child("mss"), 1, kMaxMssBytes);
    return fields;
}

// The direction's own value wins over the shared one; one of them must exist.
int64_t pick(const Node& link, const std::string& direction, const std::string& key,
             std::optional<int64_t> own, std::optional<int64_t> shared) {
    if (own) return *own;
    if (shared) return *shared;
    link.fail_message("missing required key " + quoted(key) + " (no value for direction " + direction + ")");
}

std::array<model::Link, 2> parse_link(const Node& link, const std::array<model::Endpoint, 2>& endpoints) {
    const std::array<std::string, 2> directions = {endpoints[0].name + "->" + endpoints[1].name,
                                                   endpoints[1].name + "->" + endpoints[0].name};
    require_object(link, {"bandwidth", "delay", "mss", directions[0], directions[1]});
    const LinkFields shared = parse_link_fields(link);
    std::array<model::Link, 2> links;
    for (size_t i = 0; i < links.size(); ++i) {
        LinkFields own;
        if (link.has(directions[i])) {
            const Node override_node = link.child(directions[i]);
            require_object(override_node, {"bandwidth", "delay", "mss"});
            own = parse_link_fields(override_node);
        }
        links[i].bandwidth_bps = pick(link, directions[i], "bandwidth", own.bandwidth_bps, shared.bandwidth_bps);
        links[i].delay_ns = pick(link, directions[i], "delay", own.delay_ns, shared.delay_ns);
        links[i].mss_bytes = pick(link, directions[i], "mss", own.mss_bytes, shared.mss_bytes);
    }
    return links;
}

model::Limits parse_limits(const Node& root) {
    model::Limits limits;  // the defaults, for what the file leaves out
    if (!root.has("limits")) return limits;
    const Node node = root.child("limits");
    require_object(node, {"time", "events"});
    if (node.has("time")) {
        const Node time = node.child("time");
        limits.time_ns = parse_duration_ns(time.json, time.where(), 1, kMaxLimitTimeNs);
    }
    if (node.has("events")) {
        limits.events = parse_integer(node.child("events"), 1, kMaxEvents, "must be a positive integer of at most 10^10");
    }
    return limits;
}

std::string parse_name(const Node& node) {
    constexpr std::string_view kExpected = "must be a non-empty string of at most 100 characters";
    if (!node.json.is_string()) node.fail(kExpected);
    const auto& name = node.json.get_ref<const std::string&>();
    // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
    const auto chars = std::count_if(name.begin(), name.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
    if (name.empty() || chars > kMaxScenarioNameChars) node.fail(kExpected);
    return name;
}

model::Scenario parse_scenario(const Node& root) {
    // "$schema" lets an editor bind scenario.schema.json; tcpsim itself ignores it.
    require_object(root, {"$schema", "name", "description", "model", "link", "endpoints", "limits", "profile", "expect"});
    root.require_keys({"name", "description", "model", "link", "endpoints"});
    if (root.has("$schema")) require_string(root.child("$schema"));
    model::Scenario scenario;
    scenario.name = parse_name(root.required("name"));
    scenario.description = require_string(root.required("description"));
    const bool is_linux = require_choice(root.required("model"), {"textbook", "linux"}) == "linux";
    scenario.profile = is_linux ? model::Profile::linux : model::Profile::textbook;
    const Node link = root.required("link");
    scenario.endpoints = parse_endpoints(root.required("endpoints"), scenario.profile);
    scenario.links = parse_link(link, scenario.endpoints);
    scenario.limits = parse_limits(root);
    return scenario;
}

// A profile file named relative to the scenario file that names it.
std::string resolve_profile_path(const Node& node, const model::Scenario& scenario) {
    std::string path = require_string(node);
    if (scenario.profile != model::Profile::linux) node.fail_message("a profile file applies to model \"linux\" only");
    if (path.empty() || path.front() == '/') return path;
    const size_t slash = node.file.find_last_of('/');
    return slash == std::string::npos ? path : node.file.substr(0, slash + 1) + path;
}

// ---- expect: validated and rewritten with plain integers for sizes ----

ordered_json normalize_blocked_in(const Node& node) {
    if (node.json.is_null()) return nullptr;
    if (!node.json.is_object()) node.fail("must be null or an object");
    require_object(node, {"op", "index", "at", "requested", "done"});
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) {
        const Node field = node.child(item.key());
        if (item.key() == "op" || item.key() == "at") {
            out[item.key()] = require_string(field);
        } else if (item.key() == "index") {
            out[item.key()] = parse_integer(field, 0, INT64_MAX, "must be a non-negative integer");
        } else {
            out[item.key()] = size_at(field, 0, kMaxThreadWriteBytes);
        }
    }
    return out;
}

ordered_json normalize_thread_expectation(const Node& node) {
    require_object(node, {"state", "bytes_written", "bytes_read", "blocked_in"});
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) {
        const Node field = node.child(item.key());
        if (item.key() == "state") {
            out[item.key()] = require_choice(field, {"blocked", "sleeping", "running", "done", "failed"});
        } else if (item.key() == "blocked_in") {
            out[item.key()] = normalize_blocked_in(field);
        } else {
            out[item.key()] = size_at(field, 0, kMaxThreadWriteBytes);
        }
    }
    return out;
}

ordered_json normalize_threads(const Node& node, const model::Scenario& scenario) {
    Keys thread_keys;
    for (const auto& endpoint : scenario.endpoints) {
        for (const auto& thread : endpoint.threads) thread_keys.push_back(endpoint.name + "." + thread.name);
    }
    require_object(node, thread_keys);
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) out[item.key()] = normalize_thread_expectation(node.child(item.key()));
    return out;
}

ordered_json normalize_queues(const Node& node, const model::Scenario& scenario) {
    require_object(node, {scenario.endpoints[0].name, scenario.endpoints[1].name});
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) {
        const Node queues = node.child(item.key());
        require_object(queues, {"sendq", "recvq", "sqs", "rqs"});
        ordered_json sizes = ordered_json::object();
        for (const auto& field : queues.json.items()) sizes[field.key()] = size_at(queues.child(field.key()), 0);
        out[item.key()] = sizes;
    }
    return out;
}

ordered_json normalize_expect(const Node& node, const model::Scenario& scenario) {
    require_object(node, {"outcome", "time_ns", "events", "threads", "queues"});
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) {
        const std::string& key = item.key();
        const Node field = node.child(key);
        if (key == "outcome") {
            out[key] = require_choice(field, {"deadlock", "completed", "limit"});
        } else if (key == "time_ns") {
            out[key] = parse_duration_ns(field.json, field.where());
        } else if (key == "events") {
            out[key] = parse_integer(field, 0, INT64_MAX, "must be a non-negative integer");
        } else if (key == "threads") {
            out[key] = normalize_threads(field, scenario);
        } else {
            out[key] = normalize_queues(field, scenario);
        }
    }
    return out;
}

// ---- JSON text ----

// One linear pass over the text before it is parsed into a document: nlohmann keeps only the
// last of repeated keys (we would rather say so), deeper documents are not scenarios (and
// unbounded depth exhausts the stack), and an ordered_json object finds each key by a linear
// scan, so an object with a huge number of keys would take quadratic time to build.
class StructureCheck final : public nlohmann::json_sax<ordered_json> {
public:
    explicit StructureCheck(const std::string& file) : file_(file) {}

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override { return open(false); }
    bool start_array(std::size_t) override { return open(true); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool key(string_t& key) override {
        Frame& frame = frames_.back();
        if (frame.keys.size() >= kMaxObjectKeys)
            throw InputError(locate(file_, pointer()) + ": more than " + std::to_string(kMaxObjectKeys) +
                             " keys in one object");
        if (!frame.keys.insert(key).second)
            throw InputError(locate(file_, pointer() / key) + ": duplicate key (each key may appear once)");
        frame.segment = key;
        return true;
    }
    // Syntax errors (and numbers too large for a double) end the pass; parse_json reports them.
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) override {
        error_position = position;
        error_message = error.what();
        return false;
    }

    size_t error_position = 0;
    std::string error_message;

private:
    struct Frame {
        bool is_array = false;
        size_t next_index = 0;
        std::string segment;  // the key or index of the child being parsed
        std::unordered_set<std::string> keys;
    };

    // Every value, container or not, advances the index of an enclosing array.
    bool value() {
        if (!frames_.empty() && frames_.back().is_array) frames_.back().segment = std::to_string(frames_.back().next_index++);
        return true;
    }
    bool open(bool is_array) {
        value();
        if (frames_.size() >= kMaxJsonDepth)
            throw InputError(file_ + ": nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        frames_.emplace_back().is_array = is_array;
        return true;
    }
    bool close() {
        frames_.pop_back();
        return true;
    }
    // The pointer of the object being parsed (each enclosing frame's current child).
    Pointer pointer() const {
        Pointer at;
        for (size_t i = 0; i + 1 < frames_.size(); ++i) at /= frames_[i].segment;
        return at;
    }

    const std::string& file_;
    std::vector<Frame> frames_;
};

// "line L, column C" of the byte nlohmann stopped at; columns count characters.
std::string text_position(const std::string& text, size_t bytes_read) {
    // bytes_read includes the offending byte (or the end of input, one past the text).
    const size_t index = std::min(bytes_read == 0 ? 0 : bytes_read - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(index), '\n');
    const size_t line_start = index == 0 ? 0 : text.rfind('\n', index - 1) + 1;  // npos + 1 == 0
    const auto column = 1 + std::count_if(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                                          text.begin() + static_cast<std::ptrdiff_t>(index),
                                          [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

// "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error while
// parsing object key - unexpected '}'; last read: '...'; expected string literal"
// -> "unexpected '}'; expected string literal"
std::string short_reason(std::string message) {
    if (const size_t dash = message.find(" - "); dash != std::string::npos) {
        message.erase(0, dash + 3);
    } else if (const size_t tag = message.find("] "); tag != std::string::npos) {
        message.erase(0, tag + 2);
    }
    if (const size_t last = message.find("; last read: '"); last != std::string::npos) {
        const size_t end = message.find("'; ", last + 14);
        message.erase(last, end == std::string::npos ? std::string::npos : end + 1 - last);
    }
    return message;
}

ordered_json parse_json(const std::string& text, const std::string& file) {
    StructureCheck check(file);
    if (!ordered_json::sax_parse(text, &check)) {
        throw InputError(file + ": " + text_position(text, check.error_position) + ": invalid JSON (" +
                         short_reason(check.error_message) + ")");
    }
    return ordered_json::parse(text);  // cannot fail: the text passed the check above
}

std::string read_file(const std::string& path) {
    const bool from_stdin = path == kStdinPath;
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    const int fd = from_stdin ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw InputError(path + ": cannot open file");
    struct stat info {};
    if (fstat(fd, &info) != 0 || (!from_stdin && !S_ISREG(info.st_mode))) {
        if (!from_stdin) close(fd);
        throw InputError(path + (S_ISDIR(info.st_mode) ? ": cannot open file (it is a directory)"
                                                       : ": not a regular file (a scenario, profile or session is a file)"));
    }
    // Read at most one byte past the limit: enough to know the input is too large.
    std::string text;
    bool failed = false;
    char buffer[1 << 16];
    while (text.size() <= kMaxInputBytes) {
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failed = n < 0;
            break;
        }
        text.append(buffer, static_cast<size_t>(n));
    }
    if (!from_stdin) close(fd);
    if (failed) throw InputError(path + ": cannot read file (" + std::strerror(errno) + ")");
    if (text.size() > kMaxInputBytes)
        throw InputError(path + ": larger than " + text::format_size(kMaxInputBytes) + " (the most tcpsim reads as one input)");
    return text;
}

namespace {

// ---- --set ----

class SetOverride {
public:
    SetOverride(const std::string& assignment, const std::string& file) : assignment_(assignment), file_(file) {}

    void apply(ordered_json& doc) const {
        const size_t equals = assignment_.find('=');
        if (equals == std::string::npos || equals == 0) fail("expected path=value");
        const std::vector<std::string> segments = split_path(assignment_.substr(0, equals));
        ordered_json* node = &doc;
        Pointer at;
        // A missing object on the way is created ("limits.events" on a file with no limits):
        // the loader then checks that the format allows it where it is.
        for (size_t i = 0; i + 1 < segments.size(); ++i) node = &step(*node, segments[i], at, true);
        ordered_json new_value = value(assignment_.substr(equals + 1));
        try {
            (void)new_value.dump();
        } catch (const ordered_json::type_error&) {
            fail("the value is not valid UTF-8");
        }
        // Only the last segment may name a new key, and only in an object.
        if (node->is_object()) {
            (*node)[segments.back()] = std::move(new_value);
        } else {
            step(*node, segments.back(), at, false) = std::move(new_value);
        }
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw InputError(file_ + ": --set " + assignment_ + ": " + why);
    }

    static std::string describe(const Pointer& at) {
        return at.empty() ? "the top level" : at.to_string();
    }

    std::vector<std::string> split_path(const std::string& path) const {
        std::vector<std::string> segments;
        if (path.starts_with('/')) {
            Pointer pointer;
            try {
                pointer = Pointer(path);
            } catch (const ordered_json::exception&) {
                fail("invalid JSON pointer " + quoted(path));
            }
            for (; !pointer.empty(); pointer.pop_back()) segments.insert(segments.begin(), pointer.back());
            return segments;
        }
        for (size_t start = 0;;) {
            const size_t dot = std::min(path.find('.', start), path.size());
            segments.push_back(path.substr(start, dot - start));
            if (segments.back().empty()) fail("empty segment in path " + quoted(path));
            if (dot == path.size()) return segments;
            start = dot + 1;
        }
    }

    size_t array_index(const ordered_json& array, const std::string& segment, const Pointer& at) const {
        const bool numeric = !segment.empty() && segment.size() <= 18 &&
                             std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!numeric) fail(quoted(segment) + " is not an array index at " + describe(at));
        const size_t index = std::stoull(segment);
        if (index >= array.size()) {
            fail("index " + segment + " out of range at " + describe(at) + " (" + std::to_string(array.size()) + " items)");
        }
        return index;
    }

    ordered_json& step(ordered_json& node, const std::string& segment, Pointer& at, bool create) const {
        if (node.is_object()) {
            if (!node.contains(segment) && !create) fail("no key " + quoted(segment) + " at " + describe(at));
            if (!node.contains(segment)) node[segment] = ordered_json::object();
            at /= segment;
            return node[segment];
        }
        if (!node.is_array()) fail(describe(at) + " is a " + node.type_name() + ", not an object or array");
        const size_t index = array_index(node, segment, at);
        at /= index;
        return node[index];
    }

    // JSON when it parses (500, "x", {"read":3}), else the text itself (64KiB, textbook).
    static ordered_json value(const std::string& text) {
        ordered_json parsed = ordered_json::parse(text, nullptr, false);
        return parsed.is_discarded() ? ordered_json(text) : parsed;
    }

    const std::string& assignment_;
    const std::string& file_;
};

}  // namespace

void apply_set(ordered_json& doc, const std::string& assignment, const std::string& file_label) {
    SetOverride(assignment, file_label).apply(doc);
}

Loaded load_text(const std::string& text, const std::string& file_label, const std::vector<std::string>& sets) {
    return load_document(parse_json(text, file_label), file_label, sets);
}

Loaded load_document(ordered_json document, const std::string& file_label, const std::vector<std::string>& sets) {
    Loaded loaded;
    loaded.document = std::move(document);
    for (const std::string& assignment : sets) apply_set(loaded.document, assignment, file_label);
    const Node root{loaded.document, Pointer{}, file_label};
    loaded.scenario = parse_scenario(root);
    if (root.has("expect")) loaded.expect = normalize_expect(root.child("expect"), loaded.scenario);
    if (root.has("profile")) {
        const Node profile = root.child("profile");
        loaded.profile_path = resolve_profile_path(profile, loaded.scenario);
        try {
            load_profile_file(loaded.profile_path);  // a scenario is valid only with a profile that loads
        } catch (const InputError& e) {
            profile.fail_message(std::string("the profile file does not load: ") + e.what());
        }
    }
    return loaded;
}

Loaded load_file(const std::string& path, const std::vector<std::string>& sets) {
    return load_text(read_file(path), path == kStdinPath ? "<stdin>" : path, sets);
}

}  // namespace tcpsim::scenario
