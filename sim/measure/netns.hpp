// Two test hosts of tcpsim's own: network namespaces joined by a veth pair.
// Made for one measurement and removed afterwards; addressed only inside themselves.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tcpsim::measure {

class PacketRelay;

class NetnsPair {
public:
    // What one host's link adds to what it sends: a one-way delay and a rate (0: none).
    struct Shape {
        int64_t delay_ns = 0;
        int64_t rate_bps = 0;
        bool delayed() const { return delay_ns > 0; }
    };
    // Creates the pair with the given MTU, and applies each host's shape to what it sends, with
    // tc netem where the kernel has it. Without netem, a delay and rate are applied by tcpsim's
    // own packet relay between tun devices in place of the veth pair, and a rate alone with
    // tc tbf; a warning names what is missing. Returns nullopt with `why_not` set when the
    // hosts cannot be made and joined here (no permission, no `ip`).
    static std::optional<NetnsPair> create(int mtu, const std::array<Shape, 2>& shapes, std::vector<std::string>& warnings,
                                           std::string& why_not);
    NetnsPair(NetnsPair&& other) noexcept;
    NetnsPair& operator=(NetnsPair&& other) noexcept;
    NetnsPair(const NetnsPair&) = delete;
    ~NetnsPair();

    const std::string& name(int host) const { return names_[host]; }
    const std::string& address(int host) const { return addresses_[host]; }
    const Shape& applied(int host) const { return applied_[host]; }  // what was applied (0: not)
    const std::string& shaping() const { return shaping_; }  // what was applied, in words
    const std::string& kind() const { return kind_; }        // "veth pair", or the relayed tun pair
    // Empty, or what went wrong in the packet relay (lost packets, a device gone), for a warning.
    std::string relay_trouble() const;

private:
    NetnsPair() = default;
    // False, with `why_not`, only if the hosts are left unjoined.
    bool shape(const std::array<std::string, 2>& links, int mtu, const std::array<Shape, 2>& shapes,
               std::vector<std::string>& warnings, std::string& why_not);
    bool join_by_veth(const std::array<std::string, 2>& links, int mtu, std::string& why_not);
    bool join_by_relay(const std::array<std::string, 2>& links, int mtu, const std::array<Shape, 2>& shapes,
                       std::string& why_not);
    std::array<std::string, 2> names_;
    std::array<std::string, 2> addresses_;
    bool owned_ = false;
    std::array<Shape, 2> applied_;
    std::string shaping_ = "unshaped: the scenario's link is no slower than the local one";
    std::string kind_ = "veth pair";
    std::unique_ptr<PacketRelay> relay_;
};

// Runs a program (no shell) and returns its exit status; output goes to `output`.
int run_program(const std::vector<std::string>& argv, std::string& output);

// Creates a TCP socket inside a named network namespace (empty name: this one).
int socket_in_namespace(const std::string& netns_name, std::string& error);

}  // namespace tcpsim::measure
