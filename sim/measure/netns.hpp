// Two test hosts of tcpsim's own: network namespaces joined by a veth pair.
// Made for one measurement and removed afterwards; addressed only inside themselves.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpsim::measure {

class NetnsPair {
public:
    // Creates the pair with the given MTU, and applies delay/rate with tc netem where
    // the kernel has it (a warning otherwise). Returns nullopt with `why_not` set when
    // namespaces cannot be made here (no permission, no `ip`).
    static std::optional<NetnsPair> create(int mtu, int64_t delay_ns, int64_t rate_bps,
                                           std::vector<std::string>& warnings, std::string& why_not);
    NetnsPair(NetnsPair&& other) noexcept;
    NetnsPair& operator=(NetnsPair&& other) noexcept;
    NetnsPair(const NetnsPair&) = delete;
    ~NetnsPair();

    const std::string& name(int host) const { return names_[host]; }
    const std::string& address(int host) const { return addresses_[host]; }
    bool shaped() const { return shaped_; }  // tc netem applies the delay and rate

private:
    NetnsPair() = default;
    std::array<std::string, 2> names_;
    std::array<std::string, 2> addresses_;
    bool owned_ = false;
    bool shaped_ = false;
};

// Runs a program (no shell) and returns its exit status; output goes to `output`.
int run_program(const std::vector<std::string>& argv, std::string& output);

// Creates a TCP socket inside a named network namespace (empty name: this one).
int socket_in_namespace(const std::string& netns_name, std::string& error);

}  // namespace tcpsim::measure
