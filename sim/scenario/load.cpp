#include "scenario/load.hpp"

#include "scenario/profile_file.hpp"
#include "text/format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
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
    constexpr size_t kShown = 16;  // the format's longest list of keys (the top level's 13) shown whole
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

// Names become --set path segments, so no dots; the pattern is also in the schema.
bool is_identifier(const std::string& name) {
    const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    const auto is_tail = [&](char c) { return is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
    return !name.empty() && name.size() <= kMaxIdentifierChars && is_letter(name[0]) &&
           std::all_of(name.begin() + 1, name.end(), is_tail);
}

// The scenario's named parameters: a value "$name" anywhere below stands for params.name.
using Params = std::vector<std::pair<std::string, const ordered_json*>>;

// A value in the document plus what is needed to report a problem with it. A "$name" value
// is resolved to its parameter's value when it is reached, and keeps its own place in messages.
struct Node {
    const ordered_json& json;
    Pointer pointer;
    const std::string& file;
    const Params* params = nullptr;
    std::string param;  // the parameter this value came from ("$n"), if any

    Node(const ordered_json& value, Pointer at, const std::string& file_name, const Params* named = nullptr,
         std::string from_param = {})
        : json(value), pointer(std::move(at)), file(file_name), params(named), param(std::move(from_param)) {}

    std::string where() const {
        return param.empty() ? locate(file, pointer) : locate(file, pointer) + " (" + param + ", /params/" + param.substr(1) + ")";
    }
    bool has(const std::string& key) const { return json.contains(key); }
    Node child(const std::string& key) const { return node_at(json.at(key), pointer / key); }
    Node item(size_t index) const { return node_at(json.at(index), pointer / index); }
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

private:
    // The node for `value` at `at`, with a "$name" value resolved to its parameter's value.
    Node node_at(const ordered_json& value, const Pointer& at) const {
        if (params == nullptr || !value.is_string()) return {value, at, file, params};
        const auto& text = value.get_ref<const std::string&>();
        if (!text.starts_with('$') || !is_identifier(text.substr(1))) return {value, at, file, params};
        Keys names;
        for (const auto& [name, value_of_name] : *params) {
            if (text.compare(1, std::string::npos, name) == 0) return {*value_of_name, at, file, params, text};
            names.push_back(name);
        }
        throw InputError(locate(file, at) + ": unknown parameter " + quoted(text) +
                         (names.empty() ? " (the scenario has no \"params\")" : " (params: " + some_of(names) + ")"));
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
// A loop's size lists are short: one size per request of a protocol's cycle.
constexpr size_t kMaxCycleSizes = 1000;
constexpr int64_t kPipeDefaultBytes = 65536;  // Linux's pipe capacity (16 pages)

// Only called with names from kBareOps or kObjectOps, which are all op names.
OpKind op_kind(const std::string& name) { return *model::op_kind_named(name); }

model::Op make_op(OpKind kind) {
    model::Op op;
    op.kind = kind;
    return op;
}

bool is_read(OpKind kind) { return kind == OpKind::read || kind == OpKind::read_exact || kind == OpKind::read_to_end; }

bool contains_read(const std::vector<model::Op>& ops) {
    return std::any_of(ops.begin(), ops.end(), [](const model::Op& op) {
        return is_read(op.kind) || (op.kind == OpKind::repeat && contains_read(op.body));
    });
}

// Whether the op writes to `channel` (any channel when -1).
bool writes(const model::Op& op, int channel) {
    if (op.kind == OpKind::repeat)
        return std::any_of(op.body.begin(), op.body.end(), [&](const model::Op& inner) { return writes(inner, channel); });
    const bool writing = op.kind == OpKind::write || op.kind == OpKind::send || (op.kind == OpKind::event_loop && op.write_total > 0);
    return writing && (channel < 0 || op.channel == channel);
}

// What the ops of one endpoint can act on, by name, and which way.
class OpTargets {
public:
    OpTargets(const model::Scenario& scenario, int endpoint) : scenario_(scenario), endpoint_(endpoint) {}

    // The channel an op acts on: `target` names it, or the endpoint has just one channel.
    int resolve(const Node& op_node, const std::optional<Node>& target, OpKind kind, const std::string& target_key) const {
        const auto& channels = scenario_.endpoints[static_cast<size_t>(endpoint_)].channels;
        if (channels.empty())
            op_node.fail_message("endpoint " + quoted(scenario_.endpoints[static_cast<size_t>(endpoint_)].name) +
                                 " has no socket, queue or pipe to act on");
        if (!target) {
            // With one socket, ops that name nothing act on it, as in the two-endpoint form.
            if (channels.size() == 1) return 0;
            const auto is_socket = [](const model::Channel& c) { return c.kind == model::Channel::Kind::socket; };
            if (std::count_if(channels.begin(), channels.end(), is_socket) == 1)
                return static_cast<int>(std::find_if(channels.begin(), channels.end(), is_socket) - channels.begin());
            op_node.fail_message("must say what it acts on: " + target_key + " one of " + names());
        }
        if (!target->json.is_string()) target->fail("must be the name of a socket's peer, a queue or a pipe: " + names());
        const auto& name = target->json.get_ref<const std::string&>();
        const auto it = std::find_if(channels.begin(), channels.end(), [&](const model::Channel& c) { return c.name == name; });
        if (it == channels.end()) target->fail("must be one of this endpoint's sockets, queues or pipes: " + names());
        check_direction(*target, *it, kind);
        return static_cast<int>(it - channels.begin());
    }

private:
    std::string names() const {
        Keys all;
        for (const model::Channel& c : scenario_.endpoints[static_cast<size_t>(endpoint_)].channels) all.push_back(c.name);
        return one_of(all);
    }

    void check_direction(const Node& target, const model::Channel& c, OpKind kind) const {
        if (c.kind == model::Channel::Kind::socket) return;
        if (kind == OpKind::event_loop) target.fail_message("an event loop acts on a socket, not on a queue or pipe");
        const model::ByteQueue& q = scenario_.byte_queues[static_cast<size_t>(c.index)];
        const bool writing = kind == OpKind::write || kind == OpKind::send || kind == OpKind::shutdown;
        const std::string& writer = scenario_.endpoints[static_cast<size_t>(q.writer)].name;
        const std::string& reader = scenario_.endpoints[static_cast<size_t>(q.reader)].name;
        if (writing && q.writer != endpoint_)
            target.fail_message("pipe " + quoted(q.name) + " is written by " + writer + "; this endpoint reads it");
        if (is_read(kind) && q.reader != endpoint_)
            target.fail_message("pipe " + quoted(q.name) + " is read by " + reader + "; this endpoint writes it");
    }

    const model::Scenario& scenario_;
    int endpoint_;
};

std::vector<model::Op> parse_ops(const Node& list, int depth, const OpTargets& targets);

model::Op parse_bare_op(const Node& node, const OpTargets& targets) {
    const auto& name = node.json.get_ref<const std::string&>();
    if (std::find(kBareOps.begin(), kBareOps.end(), name) == kBareOps.end()) node.fail(kOpExpected);
    model::Op op = make_op(op_kind(name));
    op.channel = targets.resolve(node, std::nullopt, op.kind, R"(use {")" + name + R"(": NAME} with NAME)");
    return op;
}

// A size, or a list of sizes taken in turn by the iterations of the loop around the op.
void parse_sizes(const Node& arg, model::Op& op) {
    if (!arg.json.is_array()) {
        op.bytes = size_at(arg, 1);
        return;
    }
    if (arg.json.empty() || arg.json.size() > kMaxCycleSizes) arg.fail("must be a size or a list of 1 to 1000 sizes");
    for (size_t i = 0; i < arg.json.size(); ++i) op.sizes.push_back(size_at(arg.item(i), 1));
    op.bytes = op.sizes.front();
    if (op.sizes.size() == 1) op.sizes.clear();
}

// write/send: a size (or a list), or {"ratio": R} for a size derived from the previous read.
model::Op parse_transfer(OpKind kind, const Node& arg) {
    model::Op op = make_op(kind);
    if (arg.json.is_object()) {
        require_object(arg, {"ratio"});
        const Node ratio = arg.required("ratio");
        op.ratio = parse_ratio(ratio.json, ratio.where());
    } else {
        parse_sizes(arg, op);
    }
    return op;
}

model::Op parse_event_loop(const Node& arg, const OpTargets& targets) {
    require_object(arg, {"write", "write_chunk", "read_chunk", "shutdown", "on"});
    model::Op op = make_op(OpKind::event_loop);
    op.write_total = size_at(arg.required("write"), 0);
    op.write_chunk = size_at(arg.required("write_chunk"), 1);
    op.read_chunk = size_at(arg.required("read_chunk"), 1);
    if (arg.has("shutdown")) {
        const Node shutdown = arg.child("shutdown");
        if (!shutdown.json.is_boolean()) shutdown.fail("must be true or false");
        op.shutdown_when_done = shutdown.json.get<bool>();
    }
    std::optional<Node> on;
    if (arg.has("on")) on.emplace(arg.child("on"));
    op.channel = targets.resolve(arg, on, op.kind, R"(add "on":)");
    return op;
}

model::Op parse_repeat(const Node& node, int depth, const OpTargets& targets) {
    require_object(node, {"repeat", "do"});
    if (depth >= kMaxRepeatDepth) node.fail_message("repeat nested more than 8 deep");
    model::Op op = make_op(OpKind::repeat);
    const Node count = node.required("repeat");
    op.until_eof = count.json == "eof";
    constexpr std::string_view kRepeatExpected = R"(must be a positive integer (at most 2^40), "eof" or a duration such as "10s")";
    if (count.json.is_string() && !op.until_eof) {
        const auto& text = count.json.get_ref<const std::string&>();
        if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) count.fail(kRepeatExpected);
        op.duration_ns = parse_duration_ns(count.json, count.where(), 1, kMaxLimitTimeNs);
    } else if (!op.until_eof) {
        op.count = parse_integer(count, 1, kMaxRepeatCount, kRepeatExpected);
    }
    op.body = parse_ops(node.required("do"), depth + 1, targets);
    if (op.until_eof && !contains_read(op.body)) {
        node.fail_message(R"("repeat": "eof" needs a read, read_exact or read_to_end in "do", else it never ends)");
    }
    return op;
}

// The op key of an op object, and which other key may name its target.
const char* target_key_of(OpKind kind) {
    switch (kind) {
        case OpKind::write:
        case OpKind::send: return "to";
        case OpKind::read:
        case OpKind::read_exact: return "from";
        default: return nullptr;
    }
}

// depth: how many repeats enclose this op.
model::Op parse_op(const Node& node, int depth, const OpTargets& targets) {
    if (node.json.is_string()) return parse_bare_op(node, targets);
    if (!node.json.is_object()) node.fail(kOpExpected);
    if (node.has("repeat") || node.has("do")) return parse_repeat(node, depth, targets);
    Keys allowed = kObjectOps;
    allowed.insert(allowed.end(), kBareOps.begin(), kBareOps.end());
    allowed.insert(allowed.end(), {"to", "from"});
    require_object(node, allowed);
    const auto op_key = std::find_if(node.json.items().begin(), node.json.items().end(), [](const auto& item) {
        return item.key() != "to" && item.key() != "from";
    });
    const size_t target_keys = node.json.contains("to") + node.json.contains("from");
    if (op_key == node.json.items().end() || node.json.size() - target_keys != 1)
        node.fail("must be an object with exactly one op key");
    const std::string& key = op_key.key();
    const Node arg = node.child(key);
    const OpKind kind = op_kind(key);
    const char* target_key = target_key_of(kind);
    for (const char* other : {"to", "from"}) {
        if (node.has(other) && (target_key == nullptr || std::string_view(other) != target_key))
            node.child(other).fail_message(std::string(quoted(other)) + " does not go with " + quoted(key) +
                                           (target_key ? std::string(" (use ") + quoted(target_key) + ")" : ""));
    }
    std::optional<Node> target;
    if (target_key != nullptr && node.has(target_key)) target.emplace(node.child(target_key));
    const std::string add_target = std::string("add ") + quoted(target_key ? target_key : "to") + ":";
    if (kind == OpKind::write || kind == OpKind::send) {
        model::Op op = parse_transfer(kind, arg);
        op.channel = targets.resolve(node, target, kind, add_target);
        return op;
    }
    if (kind == OpKind::event_loop) return parse_event_loop(arg, targets);
    model::Op op = make_op(kind);
    if (kind == OpKind::sleep) {
        op.duration_ns = parse_duration_ns(arg.json, arg.where(), 0, kMaxDelayNs);
    } else if (target_key == nullptr) {  // read_to_end, shutdown, close: {"close": NAME}
        op.channel = targets.resolve(node, arg, kind, "");
    } else {
        parse_sizes(arg, op);  // read, read_exact
        op.channel = targets.resolve(node, target, kind, add_target);
    }
    return op;
}

std::vector<model::Op> parse_ops(const Node& list, int depth, const OpTargets& targets) {
    if (!list.json.is_array() || list.json.empty()) list.fail("must be a non-empty list of ops");
    std::vector<model::Op> ops;
    for (size_t i = 0; i < list.json.size(); ++i) ops.push_back(parse_op(list.item(i), depth, targets));
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

// Ratios are unknown until run time (count 0); an eof or a timed loop counts once.
int64_t op_write_bytes(const model::Op& op) {
    switch (op.kind) {
        case OpKind::write:
        case OpKind::send:
            return op.sizes.empty() ? op.bytes : *std::max_element(op.sizes.begin(), op.sizes.end());
        case OpKind::event_loop: return op.write_total;
        case OpKind::repeat: return saturating_mul(write_bytes(op.body), op.count > 0 ? op.count : 1);
        default: return 0;
    }
}

// Upper bound of the bytes the ops write, saturating at INT64_MAX.
int64_t write_bytes(const std::vector<model::Op>& ops) {
    int64_t total = 0;
    for (const model::Op& op : ops) total = saturating_add(total, op_write_bytes(op));
    return total;
}

// Program-order checks on one thread: no write to a channel once this thread has shut it down
// (the second iteration of a loop that shuts down counts), and no derived write before any read.
class ProgramOrder {
public:
    void check(const Node& list, const std::vector<model::Op>& ops) {
        for (size_t i = 0; i < ops.size(); ++i) {
            const model::Op& op = ops[i];
            const Node item = list.item(i);
            for (const Shut& shut : shuts_) {
                if (writes(op, shut.channel))
                    item.fail_message(std::string(op.kind == OpKind::repeat ? "repeat with a write" : model::op_name(op.kind)) +
                                      " after " + shut.by + " at " + shut.at);
            }
            if ((op.kind == OpKind::write || op.kind == OpKind::send) && op.ratio && !seen_read_)
                item.fail_message("a derived write needs an earlier read in this thread (its size is a share of that read)");
            if (op.kind == OpKind::repeat) check_repeat(item, op);
            if (is_read(op.kind) || op.kind == OpKind::event_loop) seen_read_ = true;
            const bool shuts = op.kind == OpKind::shutdown || op.kind == OpKind::close ||
                               (op.kind == OpKind::event_loop && op.shutdown_when_done);
            if (shuts && !is_shut(op.channel)) shuts_.push_back(Shut{op.channel, item.pointer.to_string(), model::op_name(op.kind)});
        }
    }

private:
    struct Shut {
        int channel;
        std::string at;  // pointer of the first shutdown, close or shutting event loop
        std::string by;  // which of them
    };

    bool is_shut(int channel) const {
        return std::any_of(shuts_.begin(), shuts_.end(), [&](const Shut& s) { return s.channel == channel; });
    }

    void check_repeat(const Node& item, const model::Op& op) {
        const size_t shut_before = shuts_.size();
        check(item.child("do"), op.body);
        const bool again = op.until_eof || op.count != 1;
        for (size_t i = shut_before; i < shuts_.size() && again; ++i) {
            if (writes(op, shuts_[i].channel))
                item.fail_message("repeat writes again after it shuts the socket down at " + shuts_[i].at);
        }
    }

    std::vector<Shut> shuts_;
    bool seen_read_ = false;
};

std::vector<model::Thread> parse_threads(const Node& node, const OpTargets& targets) {
    if (!node.json.is_object() || node.json.empty()) node.fail("must be an object with at least one thread");
    std::vector<model::Thread> threads;
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "thread");
        const Node list = node.child(item.key());
        model::Thread thread{item.key(), parse_ops(list, 0, targets)};
        ProgramOrder().check(list, thread.ops);
        if (write_bytes(thread.ops) > kMaxThreadWriteBytes) {
            list.fail_message("writes more than 2^50 bytes in total (repeat counts multiplied through)");
        }
        threads.push_back(std::move(thread));
    }
    return threads;
}

// linux: absent means the kernel's default buffer sizes.
std::optional<int64_t> parse_queue_size(const Node& node, const std::string& key) {
    if (node.has(key)) return size_at(node.child(key), 1);
    return std::nullopt;
}

int endpoint_named(const model::Scenario& scenario, const std::string& name) {
    for (size_t e = 0; e < scenario.endpoints.size(); ++e)
        if (scenario.endpoints[e].name == name) return static_cast<int>(e);
    return -1;
}

Keys endpoint_names(const model::Scenario& scenario) {
    Keys names;
    for (const model::Endpoint& ep : scenario.endpoints) names.push_back(ep.name);
    return names;
}

int64_t parse_capacity(const Node& node) {
    if (node.json == "unbounded") return model::kUnboundedQueueBytes;
    if (node.json.is_string() && !node.json.get_ref<const std::string&>().empty() &&
        !std::isdigit(static_cast<unsigned char>(node.json.get_ref<const std::string&>()[0])))
        node.fail(R"(must be a size such as 65536 or "64KiB", or "unbounded")");
    return size_at(node, 1);
}

// An endpoint's own queues: each {"capacity": size or "unbounded"}.
void parse_endpoint_queues(const Node& node, int endpoint, model::Scenario& scenario) {
    if (!node.json.is_object()) node.fail("must be an object of queues, such as {\"jobs\": {\"capacity\": 4096}}");
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "queue");
        const Node queue = node.child(item.key());
        require_object(queue, {"capacity"});
        scenario.byte_queues.push_back(
            model::ByteQueue{item.key(), false, endpoint, endpoint, parse_capacity(queue.required("capacity"))});
    }
}

// Endpoints first without their threads: the ops' targets need the connections and pipes.
// Each endpoint's "sqs"/"rqs" are the defaults of its sockets.
std::vector<model::SocketSizes> parse_endpoint_shells(const Node& node, model::Scenario& scenario, bool shorthand) {
    if (!node.json.is_object()) {
        node.fail(shorthand ? "must be an object with exactly two endpoints" : "must be an object of endpoints");
    }
    if (shorthand && node.json.size() != 2) {
        Keys names;
        for (const auto& item : node.json.items()) names.push_back(item.key());
        node.fail_message("must hold exactly two endpoints, found " + std::to_string(names.size()) +
                          (names.empty() ? "" : ": " + join(names)) + R"( (any other number needs a "connections" list))");
    }
    if (node.json.empty()) node.fail("must hold at least one endpoint");
    std::vector<model::SocketSizes> defaults;
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "endpoint");
        const Node endpoint = node.child(item.key());
        require_object(endpoint, {"sqs", "rqs", "threads", "queues"});
        if (shorthand && scenario.profile == model::Profile::textbook && (!endpoint.has("sqs") || !endpoint.has("rqs"))) {
            endpoint.require_keys({"sqs", "rqs", "threads"}, R"( (model "textbook" needs exact queue sizes))");
        }
        endpoint.require_keys({"threads"});
        scenario.endpoints.push_back(model::Endpoint{item.key(), {}, {}});
        defaults.push_back(model::SocketSizes{parse_queue_size(endpoint, "sqs"), parse_queue_size(endpoint, "rqs")});
        if (endpoint.has("queues"))
            parse_endpoint_queues(endpoint.child("queues"), static_cast<int>(scenario.endpoints.size() - 1), scenario);
    }
    return defaults;
}

// ---- link and limits ----

struct LinkFields {
    std::optional<int64_t> bandwidth_bps;
    std::optional<int64_t> delay_ns;
    std::optional<int64_t> mss_bytes;

    // Fields set here win over `base`.
    LinkFields over(const LinkFields& base) const {
        return {bandwidth_bps ? bandwidth_bps : base.bandwidth_bps, delay_ns ? delay_ns : base.delay_ns,
                mss_bytes ? mss_bytes : base.mss_bytes};
    }
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

// A link block: shared fields plus per-direction overrides keyed "a->b".
struct LinkBlock {
    LinkFields shared;
    std::vector<std::pair<std::string, LinkFields>> directions;

    LinkFields for_direction(const std::string& direction) const {
        for (const auto& [name, fields] : directions)
            if (name == direction) return fields.over(shared);
        return shared;
    }
};

LinkBlock parse_link_block(const Node& link, const Keys& directions) {
    Keys allowed = {"bandwidth", "delay", "mss"};
    allowed.insert(allowed.end(), directions.begin(), directions.end());
    require_object(link, allowed);
    LinkBlock block{parse_link_fields(link), {}};
    for (const std::string& direction : directions) {
        if (!link.has(direction)) continue;
        const Node override_node = link.child(direction);
        require_object(override_node, {"bandwidth", "delay", "mss"});
        block.directions.emplace_back(direction, parse_link_fields(override_node));
    }
    return block;
}

// One value of a direction; `where` is the link block that must give it.
int64_t pick(const Node& where, const std::string& direction, const std::string& key, std::optional<int64_t> value) {
    if (value) return *value;
    where.fail_message("missing required key " + quoted(key) + " (no value for direction " + direction + ")");
}

model::Link complete_link(const Node& where, const std::string& direction, const LinkFields& fields) {
    return model::Link{pick(where, direction, "bandwidth", fields.bandwidth_bps), pick(where, direction, "delay", fields.delay_ns),
                       pick(where, direction, "mss", fields.mss_bytes)};
}

// ---- connections and pipes ----

std::string direction_name(const model::Scenario& s, int from, int to) {
    return s.endpoints[static_cast<size_t>(from)].name + "->" + s.endpoints[static_cast<size_t>(to)].name;
}

// The textbook model needs every socket's exact sizes: from the connection's own block for
// that end, else the endpoint's defaults.
model::SocketSizes end_sizes(const Node& connection, const std::string& name, const model::SocketSizes& defaults,
                             model::Profile profile) {
    model::SocketSizes sizes = defaults;
    if (connection.has(name)) {
        const Node end = connection.child(name);
        require_object(end, {"sqs", "rqs"});
        if (end.has("sqs")) sizes.sqs_bytes = size_at(end.child("sqs"), 1);
        if (end.has("rqs")) sizes.rqs_bytes = size_at(end.child("rqs"), 1);
    }
    if (profile == model::Profile::textbook && (!sizes.sqs_bytes || !sizes.rqs_bytes)) {
        connection.fail_message(std::string("missing ") + (sizes.sqs_bytes ? "\"rqs\"" : "\"sqs\"") + " for " + name +
                                R"( (model "textbook" needs exact queue sizes: give it here under ")" + name +
                                "\" or in endpoints." + name + ")");
    }
    return sizes;
}

// Every "a->b" direction the connections name, for the top-level link's override keys.
Keys connection_directions(const Node& list) {
    Keys directions;
    for (size_t k = 0; k < list.json.size(); ++k) {
        const ordered_json& between = list.json[k].is_object() ? list.json[k].value("between", ordered_json()) : ordered_json();
        if (!between.is_array() || between.size() != 2 || !between[0].is_string() || !between[1].is_string()) continue;
        directions.push_back(between[0].get<std::string>() + "->" + between[1].get<std::string>());
        directions.push_back(between[1].get<std::string>() + "->" + between[0].get<std::string>());
    }
    return directions;
}

void parse_connections(const Node& root, model::Scenario& scenario, const std::vector<model::SocketSizes>& defaults) {
    const Node list = root.child("connections");
    if (!list.json.is_array()) list.fail(R"(must be a list of connections, such as [{"between": ["client", "server"]}])");
    std::optional<LinkBlock> shared;
    if (root.has("link")) shared = parse_link_block(root.child("link"), connection_directions(list));
    std::map<std::pair<int, int>, size_t> pairs;  // each pair of endpoints joined, and by which connection
    for (size_t k = 0; k < list.json.size(); ++k) {
        const Node connection = list.item(k);
        if (!connection.json.is_object()) connection.fail(R"(must be an object such as {"between": ["client", "server"]})");
        const Node between = connection.required("between");
        if (!between.json.is_array() || between.json.size() != 2) between.fail("must be a list of two endpoint names");
        model::Connection c;
        for (size_t side = 0; side < 2; ++side) {
            const Node name = between.item(side);
            const int e = name.json.is_string() ? endpoint_named(scenario, name.json.get<std::string>()) : -1;
            if (e < 0) name.fail("must be one of the endpoints: " + one_of(endpoint_names(scenario)));
            c.ends[side] = e;
        }
        if (c.ends[0] == c.ends[1]) between.fail_message("a connection joins two different endpoints");
        const auto [earlier, joined] = pairs.try_emplace({std::min(c.ends[0], c.ends[1]), std::max(c.ends[0], c.ends[1])}, k);
        if (!joined)
            between.fail_message("these endpoints are already joined by connections/" + std::to_string(earlier->second) +
                                 " (ops name a socket by its peer, so one connection per pair)");
        const std::string a = scenario.endpoints[static_cast<size_t>(c.ends[0])].name;
        const std::string b = scenario.endpoints[static_cast<size_t>(c.ends[1])].name;
        require_object(connection, {"between", "link", a, b});
        const std::array<std::string, 2> directions = {a + "->" + b, b + "->" + a};
        std::optional<LinkBlock> own;
        if (connection.has("link")) own = parse_link_block(connection.child("link"), {directions[0], directions[1]});
        for (size_t side = 0; side < 2; ++side) {
            LinkFields fields = shared ? shared->for_direction(directions[side]) : LinkFields{};
            if (own) fields = own->for_direction(directions[side]).over(fields);
            c.links[side] = complete_link(own ? connection.child("link") : shared ? root.child("link") : connection,
                                          directions[side], fields);
            const int e = c.ends[side];
            c.sizes[side] = end_sizes(connection, scenario.endpoints[static_cast<size_t>(e)].name,
                                      defaults[static_cast<size_t>(e)], scenario.profile);
        }
        scenario.connections.push_back(c);
    }
}

// Today's form: two endpoints, one connection, the link at the top.
void join_the_two(const Node& root, model::Scenario& scenario, const std::vector<model::SocketSizes>& sizes) {
    const Node link = root.required("link");
    const std::array<std::string, 2> directions = {direction_name(scenario, 0, 1), direction_name(scenario, 1, 0)};
    const LinkBlock block = parse_link_block(link, {directions[0], directions[1]});
    model::Connection c;
    for (size_t side = 0; side < 2; ++side) {
        c.links[side] = complete_link(link, directions[side], block.for_direction(directions[side]));
        c.sizes[side] = sizes[side];
    }
    scenario.connections.push_back(c);
}

void parse_pipes(const Node& node, model::Scenario& scenario) {
    if (!node.json.is_object()) node.fail(R"(must be an object of pipes, such as {"to_child": {"from": "parent", "to": "child"}})");
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "pipe");
        const Node pipe = node.child(item.key());
        require_object(pipe, {"from", "to", "capacity"});
        pipe.require_keys({"from", "to"});
        model::ByteQueue q{item.key(), true, 0, 0, kPipeDefaultBytes};
        for (const char* key : {"from", "to"}) {
            const Node end = pipe.child(key);
            const int e = end.json.is_string() ? endpoint_named(scenario, end.json.get<std::string>()) : -1;
            if (e < 0) end.fail("must be one of the endpoints: " + one_of(endpoint_names(scenario)));
            (std::string_view(key) == "from" ? q.writer : q.reader) = e;
        }
        if (q.writer == q.reader)
            pipe.fail_message("a pipe joins two endpoints (processes); threads of one endpoint share a queue");
        if (pipe.has("capacity")) q.capacity_bytes = size_at(pipe.child("capacity"), 1);
        scenario.byte_queues.push_back(q);
    }
}

// Each endpoint's channels: its sockets in connection order, then its queues and pipes.
void name_channels(const Node& endpoints, model::Scenario& scenario) {
    using Kind = model::Channel::Kind;
    for (size_t k = 0; k < scenario.connections.size(); ++k) {
        const auto& ends = scenario.connections[k].ends;
        for (size_t side = 0; side < 2; ++side)
            scenario.endpoints[static_cast<size_t>(ends[side])].channels.push_back(
                model::Channel{Kind::socket, static_cast<int>(k), scenario.endpoints[static_cast<size_t>(ends[1 - side])].name});
    }
    for (size_t q = 0; q < scenario.byte_queues.size(); ++q) {
        const model::ByteQueue& spec = scenario.byte_queues[q];
        // An in-process queue is one channel of its endpoint; a pipe is one of each of its two.
        const std::vector<int> ends = spec.pipe ? std::vector<int>{spec.writer, spec.reader} : std::vector<int>{spec.writer};
        for (int e : ends) {
            auto& channels = scenario.endpoints[static_cast<size_t>(e)].channels;
            const auto clash = std::find_if(channels.begin(), channels.end(), [&](const model::Channel& c) { return c.name == spec.name; });
            if (clash != channels.end()) {
                const std::string& endpoint = scenario.endpoints[static_cast<size_t>(e)].name;
                const auto what = [&](const model::Channel& c) -> std::string {
                    if (c.kind == Kind::socket) return "its socket to " + c.name;
                    const model::ByteQueue& named = scenario.byte_queues[static_cast<size_t>(c.index)];
                    return named.pipe ? "the pipe /pipes/" + named.name : "its queue /endpoints/" + endpoint + "/queues/" + named.name;
                };
                endpoints.child(endpoint).fail_message(
                    quoted(spec.name) + " names both " + what(*clash) + " and " +
                    what(model::Channel{Kind::byte_queue, static_cast<int>(q), spec.name}) +
                    " (ops name what they act on, so one name for one thing)");
            }
            channels.push_back(model::Channel{Kind::byte_queue, static_cast<int>(q), spec.name});
        }
    }
}

// ---- params ----

const Keys kTopLevelKeys = {"$schema", "name", "description", "model", "link", "endpoints", "connections",
                            "pipes", "params", "limits", "profile", "expect", "variants"};

Params parse_params(const Node& root) {
    Params params;
    if (!root.has("params")) return params;
    const Node node{root.json.at("params"), Pointer("/params"), root.file};
    if (!node.json.is_object()) node.fail(R"(must be an object of named values, such as {"n": 1500})");
    for (const auto& item : node.json.items()) {
        check_identifier(node, item.key(), "parameter");
        if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), item.key()) != kTopLevelKeys.end())
            node.child(item.key()).fail_message("a parameter may not share its name with a top-level key");
        const ordered_json& value = item.value();
        const auto plain = [](const ordered_json& v) {
            return v.is_number() || v.is_boolean() || (v.is_string() && !v.get_ref<const std::string&>().starts_with('$'));
        };
        const bool ok = plain(value) || (value.is_array() && !value.empty() && std::all_of(value.begin(), value.end(), plain));
        if (!ok) node.child(item.key()).fail("must be a number, a string such as \"64KiB\" or \"10ms\", or a list of them");
        params.emplace_back(item.key(), &value);
    }
    return params;
}

// ---- limits ----

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
    require_object(root, kTopLevelKeys);
    const bool shorthand = !root.has("connections");
    root.require_keys(shorthand ? Keys{"name", "description", "model", "link", "endpoints"}
                                : Keys{"name", "description", "model", "endpoints"});
    if (root.has("$schema")) require_string(Node{root.json.at("$schema"), Pointer("/$schema"), root.file});
    model::Scenario scenario;
    scenario.name = parse_name(root.required("name"));
    scenario.description = require_string(root.required("description"));
    const bool is_linux = require_choice(root.required("model"), {"textbook", "linux"}) == "linux";
    scenario.profile = is_linux ? model::Profile::linux : model::Profile::textbook;
    const Node endpoints = root.required("endpoints");
    const std::vector<model::SocketSizes> defaults = parse_endpoint_shells(endpoints, scenario, shorthand);
    if (shorthand) {
        join_the_two(root, scenario, defaults);
    } else {
        parse_connections(root, scenario, defaults);
    }
    if (root.has("pipes")) parse_pipes(root.child("pipes"), scenario);
    name_channels(endpoints, scenario);
    for (size_t e = 0; e < scenario.endpoints.size(); ++e) {
        model::Endpoint& endpoint = scenario.endpoints[e];
        endpoint.threads = parse_threads(endpoints.child(endpoint.name).required("threads"), OpTargets(scenario, static_cast<int>(e)));
    }
    scenario.limits = parse_limits(root);
    return scenario;
}

// A path a scenario names, relative to the scenario file's folder.
std::string beside_the_file(const std::string& path, const std::string& file) {
    if (path.empty() || path.front() == '/') return path;
    const size_t slash = file.find_last_of('/');
    return slash == std::string::npos ? path : file.substr(0, slash + 1) + path;
}

// A profile file named relative to the scenario file that names it.
std::string resolve_profile_path(const Node& node, const model::Scenario& scenario) {
    std::string path = require_string(node);
    if (scenario.profile != model::Profile::linux) node.fail_message("a profile file applies to model \"linux\" only");
    return beside_the_file(path, node.file);
}

// ---- variants: other versions of the same programs, for `tcpsim lecture` ----

constexpr size_t kMaxVariants = 16;

std::vector<std::string> resolve_variant_paths(const Node& list) {
    if (!list.json.is_array() || list.json.empty() || list.json.size() > kMaxVariants)
        list.fail("must be a list of 1 to 16 scenario files (relative to this one), such as [\"compress-threads.json\"]");
    std::vector<std::string> paths;
    for (size_t i = 0; i < list.json.size(); ++i) {
        const Node item = list.item(i);
        if (!item.json.is_string() || item.json.get_ref<const std::string&>().empty()) item.fail("must be a file name");
        paths.push_back(beside_the_file(item.json.get<std::string>(), list.file));
    }
    return paths;
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

// Sizes under each key, all of them from `fields`.
ordered_json normalize_sizes(const Node& node, const Keys& keys, const Keys& fields, const std::string& none) {
    if (keys.empty()) node.fail_message("the scenario has no " + none);
    require_object(node, keys);
    ordered_json out = ordered_json::object();
    for (const auto& item : node.json.items()) {
        const Node entry = node.child(item.key());
        require_object(entry, fields);
        ordered_json sizes = ordered_json::object();
        for (const auto& field : entry.json.items()) {
            const Node value = entry.child(field.key());
            sizes[field.key()] = field.key() == "capacity" && value.json == "unbounded" ? model::kUnboundedQueueBytes
                                                                                        : size_at(value, 0, model::kUnboundedQueueBytes);
        }
        out[item.key()] = sizes;
    }
    return out;
}

ordered_json normalize_expect(const Node& node, const model::Scenario& scenario) {
    require_object(node, {"outcome", "time_ns", "events", "threads", "queues", "byte_queues"});
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
        } else if (key == "queues") {
            out[key] = normalize_sizes(field, model::socket_keys(scenario), {"sendq", "recvq", "sqs", "rqs"}, "sockets");
        } else {
            out[key] = normalize_sizes(field, model::byte_queue_keys(scenario), {"level", "peak", "capacity", "written", "read"},
                                       "queues or pipes");
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
        std::vector<std::string> segments = split_path(assignment_.substr(0, equals));
        // A bare name the scenario declares in "params" sets that parameter.
        if (segments.size() == 1 && doc.is_object()) {
            const bool has_params = doc.contains("params") && doc["params"].is_object();
            if (has_params && doc["params"].contains(segments[0])) {
                segments.insert(segments.begin(), "params");
            } else if (has_params && !doc.contains(segments[0]) &&
                       std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), segments[0]) == kTopLevelKeys.end()) {
                Keys names;
                for (const auto& item : doc["params"].items()) names.push_back(item.key());
                fail("no parameter " + scenario::quoted(segments[0]) + " (params: " + some_of(names) +
                     ") and no top-level key of that name");
            }
        }
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
    const Node document_root{loaded.document, Pointer{}, file_label};
    if (!loaded.document.is_object()) document_root.fail("must be an object");
    const Params params = parse_params(document_root);
    const Node root{loaded.document, Pointer{}, file_label, &params};
    loaded.scenario = parse_scenario(root);
    if (root.has("expect")) loaded.expect = normalize_expect(root.child("expect"), loaded.scenario);
    if (root.has("variants")) loaded.variant_paths = resolve_variant_paths(root.child("variants"));
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

int64_t parse_leaf(Leaf leaf, const ordered_json& value, const std::string& where) {
    const Node node{value, Pointer{}, where};
    switch (leaf) {
        case Leaf::socket_size: return size_at(node, 1);
        case Leaf::link_bandwidth: return parse_bandwidth_bps(value, where);
        case Leaf::link_delay: return parse_duration_ns(value, where, 0, kMaxDelayNs);
        case Leaf::link_mss: return size_at(node, 1, kMaxMssBytes);
        case Leaf::op_size: return size_at(node, 1);
        case Leaf::sleep: return parse_duration_ns(value, where, 0, kMaxDelayNs);
        case Leaf::repeat_count:
            return parse_integer(node, 1, kMaxRepeatCount,
                                 R"(must be a positive integer (at most 2^40), "eof" or a duration such as "10s")");
        case Leaf::repeat_duration: return parse_duration_ns(value, where, 1, kMaxLimitTimeNs);
        case Leaf::loop_write: return size_at(node, 0);
        case Leaf::loop_chunk: return size_at(node, 1);
        case Leaf::queue_capacity: return parse_capacity(node);
        case Leaf::pipe_capacity: return size_at(node, 1);
        case Leaf::limit_time: return parse_duration_ns(value, where, 1, kMaxLimitTimeNs);
        case Leaf::limit_events: return parse_integer(node, 1, kMaxEvents, "must be a positive integer of at most 10^10");
    }
    throw InputError(where + ": not a numeric leaf");
}

bool within_write_limit(const std::vector<model::Op>& ops) { return write_bytes(ops) <= kMaxThreadWriteBytes; }

Loaded load_file(const std::string& path, const std::vector<std::string>& sets) {
    return load_text(read_file(path), path == kStdinPath ? "<stdin>" : path, sets);
}

}  // namespace tcpsim::scenario
