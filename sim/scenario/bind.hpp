// Values set straight on a loaded model, without building and parsing the document again:
// what a sweep does at each of its points.
//
// A binding ties a JSON pointer of the document to the model fields its leaf decides (an
// endpoint's "sqs" is the size of each of its sockets that a connection does not size itself;
// a top-level link field is the value of each direction nothing nearer overrides). A value is
// read with the loader's parser and bounds for that leaf (parse_leaf). Whatever the binder cannot
// do exactly as the loader would (a path without a binding, a value the loader refuses, a change
// to a check the loader makes on the whole program), it declines, and the caller loads the
// document instead: so the model, and any error, is the one load_document gives.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.hpp"
#include "scenario/load.hpp"

namespace tcpsim::scenario {

// The keys and indexes of a --set path, as analysis::path_segments splits it.
using PathSegments = std::vector<std::string>;

// Whether the document declares a parameter `name` in its "params" block.
bool declares_parameter(const nlohmann::ordered_json& document, const std::string& name);

// The places whose value is "$name" (a reference to parameter `name`), in document order.
std::vector<PathSegments> parameter_references(const nlohmann::ordered_json& document, const std::string& name);

// A value of the document a user can set (a slider of the lecture page): its path, how its leaf
// is read, and whether it is a parameter (read as the first leaf that uses it).
struct SettableValue {
    PathSegments path;
    Leaf leaf = Leaf::socket_size;
    bool parameter = false;
};

class ScenarioBinder {
public:
    // `loaded` as load_document made it (its document with the --set values already applied).
    explicit ScenarioBinder(const Loaded& loaded);

    // The binding of a path (a parameter as {"params", name}); nothing when it has none.
    std::optional<size_t> find(const PathSegments& path) const;

    // One value for one binding.
    using Assignment = std::pair<size_t, const nlohmann::ordered_json*>;
    // The loaded scenario as load_document would give it after `--set path=value` for each
    // assignment in turn; nothing where it might not be (then load the document instead).
    std::optional<model::Scenario> apply(const std::vector<Assignment>& assignments) const;

    size_t size() const { return bindings_.size(); }

    // Every value the binder can set, in the order it met them: the document's sizes, links,
    // ops, queues and limits, then its parameters. A leaf holding "$name" is left out (its
    // parameter stands for it), and so is a parameter no bound leaf uses.
    std::vector<SettableValue> settable() const;

private:
    // One model field a leaf decides.
    struct Target {
        enum class Field {
            sqs, rqs,                                  // connections[a].sizes[b]
            bandwidth, delay, mss,                     // connections[a].links[b]
            op_size, op_item, sleep, repeat,           // an op of endpoints[a].threads[b]
            loop_write, loop_write_chunk, loop_read_chunk,
            capacity,                                  // byte_queues[a]
            limit_time, limit_events,
        };
        Field field;
        size_t a = 0, b = 0;
        std::vector<size_t> op_path;  // the op's index in its list, through the repeats around it
        size_t item = 0;              // op_item: the index in the op's size list
    };
    struct Binding {
        PathSegments path;
        bool parameter = false;
        Leaf leaf = Leaf::socket_size;     // how a leaf's value is read
        std::vector<Target> targets;       // none: a leaf that something nearer overrides everywhere
        std::vector<size_t> references;    // a parameter: the bound leaves that hold "$name"
        bool unbound_references = false;   // a parameter: some "$name" is where no binding is
    };

    size_t declare(const PathSegments& path, Leaf leaf);
    void target(const PathSegments& path, Leaf leaf, Target target);
    void bind_sizes_and_links(const nlohmann::ordered_json& document);
    void bind_ops(const nlohmann::ordered_json& list, const PathSegments& at, const std::vector<model::Op>& ops,
                  const Target& thread);
    void bind_op(const nlohmann::ordered_json& op, const PathSegments& at, const model::Op& model_op, const Target& where);
    void bind_queues_and_limits(const nlohmann::ordered_json& document);
    void bind_parameters(const nlohmann::ordered_json& document);

    bool set_leaf(model::Scenario& scenario, const Binding& binding, const nlohmann::ordered_json& value) const;

    model::Scenario base_;
    std::vector<Binding> bindings_;
    std::map<PathSegments, size_t> by_path_;
};

}  // namespace tcpsim::scenario
