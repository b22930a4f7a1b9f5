#include "scenario/bind.hpp"

#include <array>

#include "core/check.hpp"
#include "scenario/units.hpp"

namespace tcpsim::scenario {

using nlohmann::ordered_json;

namespace {

// The fields of a link block (and of its direction blocks), and how each is read.
struct LinkField {
    const char* key;
    Leaf leaf;
};
constexpr std::array<LinkField, 3> kLinkFields = {{{"bandwidth", Leaf::link_bandwidth}, {"delay", Leaf::link_delay}, {"mss", Leaf::link_mss}}};

PathSegments child(PathSegments path, const std::string& key) {
    path.push_back(key);
    return path;
}

PathSegments child(const PathSegments& path, size_t index) { return child(path, std::to_string(index)); }

// The member `key` of an object, or nothing.
const ordered_json* member(const ordered_json& object, const std::string& key) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

// What parse_params accepts as a parameter's value, less the lists (a list decides a size
// list's shape, which the binder leaves to the loader).
bool plain_scalar(const ordered_json& value) {
    return value.is_number() || value.is_boolean() ||
           (value.is_string() && !value.get_ref<const std::string&>().starts_with('$'));
}

// Whether a repeat goes round more than once: the loader's program-order checks depend on it.
bool repeats_again(const model::Op& op) { return op.until_eof || op.count != 1; }

model::Op& op_at(model::Scenario& scenario, size_t endpoint, size_t thread, const std::vector<size_t>& path) {
    std::vector<model::Op>* ops = &scenario.endpoints[endpoint].threads[thread].ops;
    model::Op* op = nullptr;
    for (size_t index : path) {
        op = &(*ops)[index];
        ops = &op->body;
    }
    TCPSIM_CHECK(op != nullptr);
    return *op;
}

void find_references(const ordered_json& value, const std::string& name, PathSegments& at,
                     std::vector<PathSegments>& found) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.starts_with('$') && text.compare(1, std::string::npos, name) == 0) found.push_back(at);
        return;
    }
    if (value.is_object()) {
        for (const auto& item : value.items()) {
            if (at.empty() && item.key() == "params") continue;  // the declarations, not references
            at.push_back(item.key());
            find_references(item.value(), name, at, found);
            at.pop_back();
        }
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            at.push_back(std::to_string(i));
            find_references(value[i], name, at, found);
            at.pop_back();
        }
    }
}

}  // namespace

bool declares_parameter(const ordered_json& document, const std::string& name) {
    const ordered_json* params = member(document, "params");
    return params != nullptr && member(*params, name) != nullptr;
}

std::vector<PathSegments> parameter_references(const ordered_json& document, const std::string& name) {
    std::vector<PathSegments> found;
    PathSegments at;
    find_references(document, name, at, found);  // as deep as the document: at most 64 levels
    return found;
}

// ------------------------------------------------------------------ building

ScenarioBinder::ScenarioBinder(const Loaded& loaded) : base_(loaded.scenario) {
    const ordered_json& document = loaded.document;
    bind_sizes_and_links(document);
    const ordered_json* endpoints = member(document, "endpoints");
    for (size_t e = 0; endpoints != nullptr && e < base_.endpoints.size(); ++e) {
        const model::Endpoint& endpoint = base_.endpoints[e];
        const ordered_json* threads = member(*endpoints, endpoint.name);
        threads = threads ? member(*threads, "threads") : nullptr;
        for (size_t t = 0; threads != nullptr && t < endpoint.threads.size(); ++t) {
            const ordered_json* list = member(*threads, endpoint.threads[t].name);
            if (list == nullptr) continue;
            Target thread{Target::Field::op_size, e, t, {}, 0};
            bind_ops(*list, {"endpoints", endpoint.name, "threads", endpoint.threads[t].name}, endpoint.threads[t].ops, thread);
        }
    }
    bind_queues_and_limits(document);
    bind_parameters(document);
}

size_t ScenarioBinder::declare(const PathSegments& path, Leaf leaf) {
    const auto [it, added] = by_path_.emplace(path, bindings_.size());
    if (added) bindings_.push_back(Binding{path, false, leaf, {}, {}, false});
    TCPSIM_CHECK(bindings_[it->second].leaf == leaf);
    return it->second;
}

void ScenarioBinder::target(const PathSegments& path, Leaf leaf, Target target) {
    bindings_[declare(path, leaf)].targets.push_back(std::move(target));
}

// Socket sizes: a connection's own block for an end, else the endpoint's default. Link fields:
// the connection's own link for the direction, its own shared fields, the top-level link for
// the direction, the top-level shared fields, nearest first (as parse_connections merges them).
void ScenarioBinder::bind_sizes_and_links(const ordered_json& document) {
    const ordered_json* endpoints = member(document, "endpoints");
    const ordered_json* connections = member(document, "connections");
    const ordered_json* top_link = member(document, "link");
    if (endpoints == nullptr) return;
    for (const auto& item : endpoints->items())
        for (const char* key : {"sqs", "rqs"})
            if (member(item.value(), key)) declare({"endpoints", item.key(), key}, Leaf::socket_size);
    // Every field of a link block (its direction blocks too), with or without a direction to set.
    const auto declare_link = [&](const ordered_json* link, const PathSegments& at) {
        if (link == nullptr || !link->is_object()) return;
        for (const auto& item : link->items()) {
            for (const LinkField& field : kLinkFields) {
                if (item.value().is_object() && member(item.value(), field.key))
                    declare(child(child(at, item.key()), field.key), field.leaf);  // a direction's block
                if (item.key() == field.key) declare(child(at, item.key()), field.leaf);
            }
        }
    };
    declare_link(top_link, {"link"});
    for (size_t k = 0; k < base_.connections.size(); ++k) {
        const model::Connection& c = base_.connections[k];
        const ordered_json* own = connections ? &(*connections)[k] : nullptr;
        const PathSegments own_at = {"connections", std::to_string(k)};
        if (own) declare_link(member(*own, "link"), child(own_at, "link"));
        for (size_t side = 0; side < 2; ++side) {
            const std::string& name = base_.endpoints[static_cast<size_t>(c.ends[side])].name;
            const std::string& peer = base_.endpoints[static_cast<size_t>(c.ends[1 - side])].name;
            const ordered_json* end = own ? member(*own, name) : nullptr;
            for (const char* key : {"sqs", "rqs"}) {
                const Target::Field field = std::string_view(key) == "sqs" ? Target::Field::sqs : Target::Field::rqs;
                if (end && member(*end, key)) {
                    target(child(child(own_at, name), key), Leaf::socket_size, Target{field, k, side, {}, 0});
                } else if (const ordered_json* defaults = member(*endpoints, name); defaults && member(*defaults, key)) {
                    target({"endpoints", name, key}, Leaf::socket_size, Target{field, k, side, {}, 0});
                }
            }
            const std::string direction = name + "->" + peer;
            const ordered_json* own_link = own ? member(*own, "link") : nullptr;
            constexpr std::array<Target::Field, 3> kSets = {Target::Field::bandwidth, Target::Field::delay, Target::Field::mss};
            for (size_t f = 0; f < kLinkFields.size(); ++f) {
                const char* field = kLinkFields[f].key;
                const Leaf leaf = kLinkFields[f].leaf;
                const Target::Field which = kSets[f];
                const std::array<std::pair<const ordered_json*, PathSegments>, 2> blocks = {
                    std::pair{own_link, child(own_at, "link")}, std::pair{top_link, PathSegments{"link"}}};
                for (const auto& [block, at] : blocks) {
                    if (block == nullptr) continue;
                    const ordered_json* directed = member(*block, direction);
                    if (directed && member(*directed, field)) {
                        target(child(child(at, direction), field), leaf, Target{which, k, side, {}, 0});
                        break;
                    }
                    if (member(*block, field)) {
                        target(child(at, field), leaf, Target{which, k, side, {}, 0});
                        break;
                    }
                }
            }
        }
    }
}

// A list of ops as the document holds it beside the model's: a list given by a parameter
// ("$ops") or a shape that does not match is left unbound.
void ScenarioBinder::bind_ops(const ordered_json& list, const PathSegments& at, const std::vector<model::Op>& ops,
                              const Target& thread) {
    if (!list.is_array() || list.size() != ops.size()) return;
    for (size_t i = 0; i < ops.size(); ++i) {
        Target where = thread;
        where.op_path.push_back(i);
        bind_op(list[i], child(at, i), ops[i], where);
    }
}

void ScenarioBinder::bind_op(const ordered_json& op, const PathSegments& at, const model::Op& model_op, const Target& where) {
    if (!op.is_object()) return;  // "shutdown", "close", "read_to_end" or a "$name" hold no number
    const auto with = [&](Target::Field field, size_t item = 0) {
        Target t = where;
        t.field = field;
        t.item = item;
        return t;
    };
    if (model_op.kind == model::OpKind::repeat) {
        if (member(op, "repeat")) target(child(at, "repeat"), Leaf::repeat_count, with(Target::Field::repeat));
        if (const ordered_json* body = member(op, "do")) bind_ops(*body, child(at, "do"), model_op.body, where);
        return;
    }
    const std::string key = model::op_name(model_op.kind);
    const ordered_json* arg = member(op, key);
    if (arg == nullptr) return;
    const PathSegments arg_at = child(at, key);
    switch (model_op.kind) {
        case model::OpKind::write:
        case model::OpKind::send:
        case model::OpKind::read:
        case model::OpKind::read_exact:
            if (arg->is_object()) return;  // {"ratio": R}: a size derived at run time
            if (arg->is_array()) {
                // The loader keeps no list of one size (op.bytes alone).
                const size_t listed = model_op.sizes.empty() ? 1 : model_op.sizes.size();
                if (arg->size() != listed) return;
                for (size_t j = 0; j < listed; ++j) target(child(arg_at, j), Leaf::op_size, with(Target::Field::op_item, j));
            }
            target(arg_at, Leaf::op_size, with(Target::Field::op_size));
            return;
        case model::OpKind::sleep: target(arg_at, Leaf::sleep, with(Target::Field::sleep)); return;
        case model::OpKind::event_loop:
            if (member(*arg, "write")) target(child(arg_at, "write"), Leaf::loop_write, with(Target::Field::loop_write));
            if (member(*arg, "write_chunk"))
                target(child(arg_at, "write_chunk"), Leaf::loop_chunk, with(Target::Field::loop_write_chunk));
            if (member(*arg, "read_chunk"))
                target(child(arg_at, "read_chunk"), Leaf::loop_chunk, with(Target::Field::loop_read_chunk));
            return;
        default: return;
    }
}

void ScenarioBinder::bind_queues_and_limits(const ordered_json& document) {
    const auto queue_index = [&](const std::string& name, bool pipe, int writer) -> std::optional<size_t> {
        for (size_t q = 0; q < base_.byte_queues.size(); ++q) {
            const model::ByteQueue& queue = base_.byte_queues[q];
            if (queue.name == name && queue.pipe == pipe && (pipe || queue.writer == writer)) return q;
        }
        return std::nullopt;
    };
    if (const ordered_json* endpoints = member(document, "endpoints")) {
        for (size_t e = 0; e < base_.endpoints.size(); ++e) {
            const std::string& name = base_.endpoints[e].name;
            const ordered_json* endpoint = member(*endpoints, name);
            const ordered_json* queues = endpoint ? member(*endpoint, "queues") : nullptr;
            if (queues == nullptr || !queues->is_object()) continue;
            for (const auto& item : queues->items()) {
                const std::optional<size_t> q = queue_index(item.key(), false, static_cast<int>(e));
                if (q && member(item.value(), "capacity"))
                    target({"endpoints", name, "queues", item.key(), "capacity"}, Leaf::queue_capacity,
                           Target{Target::Field::capacity, *q, 0, {}, 0});
            }
        }
    }
    if (const ordered_json* pipes = member(document, "pipes"); pipes && pipes->is_object()) {
        for (const auto& item : pipes->items()) {
            const std::optional<size_t> q = queue_index(item.key(), true, 0);
            if (q && member(item.value(), "capacity"))
                target({"pipes", item.key(), "capacity"}, Leaf::pipe_capacity, Target{Target::Field::capacity, *q, 0, {}, 0});
        }
    }
    if (const ordered_json* limits = member(document, "limits")) {
        if (member(*limits, "time")) target({"limits", "time"}, Leaf::limit_time, Target{Target::Field::limit_time, 0, 0, {}, 0});
        if (member(*limits, "events")) target({"limits", "events"}, Leaf::limit_events, Target{Target::Field::limit_events, 0, 0, {}, 0});
    }
}

void ScenarioBinder::bind_parameters(const ordered_json& document) {
    const ordered_json* params = member(document, "params");
    if (params == nullptr || !params->is_object()) return;
    for (const auto& item : params->items()) {
        Binding parameter{{"params", item.key()}, true, Leaf::socket_size, {}, {}, false};
        for (const PathSegments& at : parameter_references(document, item.key())) {
            const auto it = by_path_.find(at);
            if (it == by_path_.end()) parameter.unbound_references = true;
            else parameter.references.push_back(it->second);
        }
        by_path_.emplace(PathSegments{"params", item.key()}, bindings_.size());
        bindings_.push_back(std::move(parameter));
    }
}

std::vector<SettableValue> ScenarioBinder::settable() const {
    std::vector<bool> holds_reference(bindings_.size(), false);
    for (const Binding& binding : bindings_)
        for (size_t reference : binding.references) holds_reference[reference] = true;
    std::vector<SettableValue> out;
    for (size_t i = 0; i < bindings_.size(); ++i) {
        const Binding& binding = bindings_[i];
        if (holds_reference[i]) continue;
        if (!binding.parameter) out.push_back({binding.path, binding.leaf, false});
        else if (!binding.references.empty()) out.push_back({binding.path, bindings_[binding.references.front()].leaf, true});
    }
    return out;
}

// ------------------------------------------------------------------ applying

std::optional<size_t> ScenarioBinder::find(const PathSegments& path) const {
    const auto it = by_path_.find(path);
    if (it == by_path_.end()) return std::nullopt;
    return it->second;
}

bool ScenarioBinder::set_leaf(model::Scenario& scenario, const Binding& binding, const ordered_json& value) const {
    int64_t number = 0;
    model::Op repeat;  // a repeat's new bound: count, or duration (never "eof": that asks for a read in its body)
    try {
        if (binding.leaf == Leaf::repeat_count) {
            if (value == "eof") return false;
            if (value.is_string()) repeat.duration_ns = parse_leaf(Leaf::repeat_duration, value, "");
            else repeat.count = parse_leaf(Leaf::repeat_count, value, "");
        } else {
            number = parse_leaf(binding.leaf, value, "");
        }
    } catch (const InputError&) {
        return false;  // the loader gives the message
    }
    using F = Target::Field;
    for (const Target& t : binding.targets) {
        switch (t.field) {
            case F::sqs: scenario.connections[t.a].sizes[t.b].sqs_bytes = number; break;
            case F::rqs: scenario.connections[t.a].sizes[t.b].rqs_bytes = number; break;
            case F::bandwidth: scenario.connections[t.a].links[t.b].bandwidth_bps = number; break;
            case F::delay: scenario.connections[t.a].links[t.b].delay_ns = number; break;
            case F::mss: scenario.connections[t.a].links[t.b].mss_bytes = number; break;
            case F::capacity: scenario.byte_queues[t.a].capacity_bytes = number; break;
            case F::limit_time: scenario.limits.time_ns = number; break;
            case F::limit_events: scenario.limits.events = number; break;
            default: {
                model::Op& op = op_at(scenario, t.a, t.b, t.op_path);
                switch (t.field) {
                    case F::op_size:
                        op.sizes.clear();
                        op.bytes = number;
                        break;
                    case F::op_item:
                        if (!op.sizes.empty()) op.sizes[t.item] = number;
                        if (t.item == 0) op.bytes = number;
                        break;
                    case F::sleep: op.duration_ns = number; break;
                    case F::repeat:
                        // A loop that starts or stops going round again changes the loader's
                        // program-order checks (writes after a shutdown in the loop).
                        if (repeats_again(op) != repeats_again(repeat)) return false;
                        op.until_eof = false;
                        op.count = repeat.count;
                        op.duration_ns = repeat.duration_ns;
                        break;
                    case F::loop_write:
                        if ((op.write_total > 0) != (number > 0)) return false;  // whether it writes at all
                        op.write_total = number;
                        break;
                    case F::loop_write_chunk: op.write_chunk = number; break;
                    case F::loop_read_chunk: op.read_chunk = number; break;
                    default: TCPSIM_CHECK(false && "a target that is not an op's");
                }
            }
        }
    }
    return true;
}

std::optional<model::Scenario> ScenarioBinder::apply(const std::vector<Assignment>& assignments) const {
    model::Scenario scenario = base_;
    // Parameters first: --set on a leaf replaces its "$name", so a leaf set directly keeps its
    // value whichever --set comes first.
    for (const auto& [id, value] : assignments) {
        const Binding& binding = bindings_[id];
        if (!binding.parameter) continue;
        if (binding.unbound_references || !plain_scalar(*value)) return std::nullopt;
        for (size_t reference : binding.references)
            if (!set_leaf(scenario, bindings_[reference], *value)) return std::nullopt;
    }
    for (const auto& [id, value] : assignments) {
        const Binding& binding = bindings_[id];
        if (!binding.parameter && !set_leaf(scenario, binding, *value)) return std::nullopt;
    }
    for (const model::Endpoint& endpoint : scenario.endpoints)
        for (const model::Thread& thread : endpoint.threads)
            if (!within_write_limit(thread.ops)) return std::nullopt;
    return scenario;
}

}  // namespace tcpsim::scenario
