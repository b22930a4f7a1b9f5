#include "measure/netns.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "measure/relay.hpp"

namespace tcpsim::measure {

int run_program(const std::vector<std::string>& argv, std::string& output) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return -1;
    const pid_t pid = fork();
    if (pid < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    output.clear();
    char buf[512];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) output.append(buf, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

std::atomic<int> pair_counter{0};

// The namespaces that exist now, for a signal handler to remove: `ip netns del` is an
// unmount and an unlink of their files, and both are plain system calls, safe in a handler.
constexpr int kMaxLiveNamespaces = 8;
constexpr size_t kNamespacePathMax = 96;
char live_namespace_paths[kMaxLiveNamespaces][kNamespacePathMax];
std::atomic<bool> live_namespace_used[kMaxLiveNamespaces];

std::string namespace_path(const std::string& name) { return "/var/run/netns/" + name; }

extern "C" void remove_namespaces_and_reraise(int sig) {
    for (int i = 0; i < kMaxLiveNamespaces; ++i) {
        if (!live_namespace_used[i].load()) continue;
        umount2(live_namespace_paths[i], MNT_DETACH);
        unlink(live_namespace_paths[i]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void install_cleanup_handlers() {
    static std::atomic<bool> installed{false};
    if (installed.exchange(true)) return;
    struct sigaction action {};
    action.sa_handler = remove_namespaces_and_reraise;
    sigemptyset(&action.sa_mask);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &action, nullptr);
}

// When all slots are taken the namespace is only removed the normal way.
void register_live_namespace(const std::string& name) {
    const std::string path = namespace_path(name);
    if (path.size() >= kNamespacePathMax) return;
    install_cleanup_handlers();
    for (int i = 0; i < kMaxLiveNamespaces; ++i) {
        if (live_namespace_used[i].load()) continue;
        std::memcpy(live_namespace_paths[i], path.c_str(), path.size() + 1);
        live_namespace_used[i].store(true);
        return;
    }
}

void unregister_live_namespace(const std::string& name) {
    const std::string path = namespace_path(name);
    for (int i = 0; i < kMaxLiveNamespaces; ++i)
        if (live_namespace_used[i].load() && path == live_namespace_paths[i]) live_namespace_used[i].store(false);
}

bool step(const std::vector<std::string>& argv, std::string& why_not) {
    std::string output;
    const int status = run_program(argv, output);
    if (status == 0) return true;
    why_not = argv[0] + " " + argv[1] + " " + argv[2] + " failed" + (output.empty() ? "" : ": " + output);
    return false;
}

// Runs `make` (which returns a file descriptor, or -1 with `error` set) inside a network
// namespace. setns changes only the calling thread, so a short-lived thread does it; what it
// makes stays in that namespace for its whole life.
int in_namespace(const std::string& netns_name, const std::function<int(std::string&)>& make, std::string& error) {
    int fd = -1;
    std::thread maker([&] {
        const std::string path = namespace_path(netns_name);
        const int ns_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) {
            error = "cannot enter network namespace " + netns_name + ": " + std::strerror(errno);
            if (ns_fd >= 0) close(ns_fd);
            return;
        }
        close(ns_fd);
        fd = make(error);
    });
    maker.join();
    return fd;
}

int open_tun(const std::string& device, std::string& error) {
    const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error = std::string("/dev/net/tun: ") + std::strerror(errno);
        return -1;
    }
    ifreq request{};
    request.ifr_flags = IFF_TUN | IFF_NO_PI;  // bare IP packets
    std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) != 0) {
        error = "TUNSETIFF " + device + ": " + std::strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::optional<NetnsPair> NetnsPair::create(int mtu, const std::array<Shape, 2>& shapes, std::vector<std::string>& warnings,
                                           std::string& why_not) {
    NetnsPair pair;
    const std::string id = std::to_string(getpid() % 100000) + "-" + std::to_string(pair_counter++);
    pair.names_ = {"tcpsim-" + id + "-a", "tcpsim-" + id + "-b"};
    pair.addresses_ = {"10.231.0.1", "10.231.0.2"};
    const std::array<std::string, 2> links = {"tsa" + id, "tsb" + id};
    // Registered before they exist: an interrupt between `add` and registration would leak.
    for (const std::string& name : pair.names_) register_live_namespace(name);
    pair.owned_ = true;  // from here on the destructor removes what was made
    for (int h = 0; h < 2; ++h)
        if (!step({"ip", "netns", "add", pair.names_[h]}, why_not) ||
            !step({"ip", "-n", pair.names_[h], "link", "set", "lo", "up"}, why_not))
            return std::nullopt;
    if (!pair.join_by_veth(links, mtu, why_not)) return std::nullopt;
    if ((shapes[0].delayed() || shapes[1].delayed() || shapes[0].rate_bps > 0 || shapes[1].rate_bps > 0) &&
        !pair.shape(links, mtu, shapes, warnings, why_not))
        return std::nullopt;
    return pair;
}

bool NetnsPair::join_by_veth(const std::array<std::string, 2>& links, int mtu, std::string& why_not) {
    // Both ends are made inside the hosts, so nothing is ever left in this namespace.
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "-n", names_[0], "link", "add", links[0], "type", "veth", "peer", "name", links[1], "netns", names_[1]},
        {"ip", "-n", names_[0], "addr", "add", addresses_[0] + "/30", "dev", links[0]},
        {"ip", "-n", names_[1], "addr", "add", addresses_[1] + "/30", "dev", links[1]},
        {"ip", "-n", names_[0], "link", "set", links[0], "mtu", std::to_string(mtu), "up"},
        {"ip", "-n", names_[1], "link", "set", links[1], "mtu", std::to_string(mtu), "up"},
    };
    for (const auto& s : steps)
        if (!step(s, why_not)) return false;
    return true;
}

// In place of the veth pair: a tun device in each host, joined by tcpsim's own packet relay.
bool NetnsPair::join_by_relay(const std::array<std::string, 2>& links, int mtu, const std::array<Shape, 2>& shapes,
                              std::string& why_not) {
    std::string ignored;
    run_program({"ip", "-n", names_[0], "link", "del", links[0]}, ignored);  // and with it the veth's other end
    std::array<int, 2> fds{-1, -1};
    bool made = true;
    for (int h = 0; h < 2 && made; ++h) {
        const std::vector<std::vector<std::string>> steps = {
            {"ip", "-n", names_[h], "tuntap", "add", "dev", links[h], "mode", "tun"},
            {"ip", "-n", names_[h], "addr", "add", addresses_[h], "peer", addresses_[1 - h], "dev", links[h]},
            {"ip", "-n", names_[h], "link", "set", links[h], "mtu", std::to_string(mtu), "up"},
        };
        for (const auto& s : steps) made = made && step(s, why_not);
        if (made) {
            const std::string device = links[h];
            fds[h] = in_namespace(names_[h], [&device](std::string& error) { return open_tun(device, error); }, why_not);
            made = fds[h] >= 0;
        }
    }
    if (!made) {
        for (int h = 0; h < 2; ++h) {
            if (fds[h] >= 0) close(fds[h]);
            run_program({"ip", "-n", names_[h], "link", "del", links[h]}, ignored);
        }
        return false;
    }
    relay_ = std::make_unique<PacketRelay>(fds, std::array<int64_t, 2>{shapes[0].delay_ns, shapes[1].delay_ns},
                                           std::array<int64_t, 2>{shapes[0].rate_bps, shapes[1].rate_bps});
    kind_ = "tun pair relayed by tcpsim";
    return true;
}

namespace {

// Sets the root qdisc of each host's end of the pair (none where `qdisc_of` gives no arguments);
// false, with the tool's words, if one fails, and then no host keeps one of them.
bool set_qdiscs(const std::array<std::string, 2>& hosts, const std::array<std::string, 2>& links,
                const std::function<std::vector<std::string>(int host)>& qdisc_of, std::string& output) {
    for (int h = 0; h < 2; ++h) {
        const std::vector<std::string> qdisc = qdisc_of(h);
        if (qdisc.empty()) continue;
        // `replace`, so that what an earlier attempt left cannot make this one fail.
        std::vector<std::string> argv = {"ip", "netns", "exec", hosts[h], "tc", "qdisc", "replace", "dev", links[h], "root"};
        argv.insert(argv.end(), qdisc.begin(), qdisc.end());
        if (run_program(argv, output) == 0) continue;
        std::string ignored;
        for (int set = 0; set < h; ++set)
            run_program({"ip", "netns", "exec", hosts[set], "tc", "qdisc", "del", "dev", links[set], "root"}, ignored);
        return false;
    }
    return true;
}

// "delay and rate", "delay" or "rate": what the shapes ask for.
std::string asked(const std::array<NetnsPair::Shape, 2>& shapes) {
    const bool delay = shapes[0].delayed() || shapes[1].delayed();
    const bool rate = shapes[0].rate_bps > 0 || shapes[1].rate_bps > 0;
    return delay && rate ? "delay and rate" : delay ? "delay" : "rate";
}

}  // namespace

bool NetnsPair::shape(const std::array<std::string, 2>& links, int mtu, const std::array<Shape, 2>& shapes,
                      std::vector<std::string>& warnings, std::string& why_not) {
    std::string netem_output;
    const auto netem_of = [&shapes](int h) {
        std::vector<std::string> args = {"netem"};
        if (shapes[h].delayed()) args.insert(args.end(), {"delay", std::to_string(shapes[h].delay_ns / 1000) + "us"});
        if (shapes[h].rate_bps > 0) args.insert(args.end(), {"rate", std::to_string(shapes[h].rate_bps) + "bit"});
        return args.size() > 1 ? args : std::vector<std::string>{};
    };
    if (set_qdiscs(names_, links, netem_of, netem_output)) {
        applied_ = shapes;
        shaping_ = "the scenario's " + asked(shapes) + " by tc netem";
        return true;
    }
    const std::string why = "tc netem is not available here (" + netem_output + ")";
    if (shapes[0].delayed() || shapes[1].delayed()) {
        std::string relay_why;
        if (join_by_relay(links, mtu, shapes, relay_why)) {
            applied_ = shapes;
            warnings.push_back(why + ": tcpsim relays the packets itself, between tun devices, with the scenario's " +
                               asked(shapes));
            shaping_ = "the scenario's " + asked(shapes) + " by tcpsim's packet relay (no tc netem)";
            return true;
        }
        std::string veth_why;
        if (!join_by_veth(links, mtu, veth_why)) {  // the relay took the veth pair down: put it back
            why_not = why + ", no packet relay (" + relay_why + ") and no veth pair again (" + veth_why + ")";
            return false;
        }
        warnings.push_back("no packet relay here (" + relay_why + ")");
    }
    const bool delayed = shapes[0].delayed() || shapes[1].delayed();
    if (shapes[0].rate_bps <= 0 && shapes[1].rate_bps <= 0) {
        warnings.push_back(why + ": the veth link runs without the scenario's delay");
        shaping_ = "without the scenario's delay (no tc netem)";
        return true;
    }
    // A token bucket of two frames or a millisecond at the rate, whichever is larger, so the rate
    // holds at every speed; and a queue deeper than any TCP send buffer (at most twice
    // wmem_max or tcp_wmem[2]), so it drops nothing, as the simulator's link. (tc refuses a
    // burst that lasts minutes at the rate; measure then says the rate is not applied.)
    const auto tbf_of = [&shapes, mtu](int h) {
        constexpr int64_t kLimitBytes = int64_t{64} << 20;
        const int64_t rate_bps = shapes[h].rate_bps;
        if (rate_bps <= 0) return std::vector<std::string>{};
        const int64_t burst_bytes = std::max<int64_t>(rate_bps / 8 / 1000, 2 * (mtu + 14));
        return std::vector<std::string>{"tbf", "rate", std::to_string(rate_bps) + "bit", "burst", std::to_string(burst_bytes),
                                        "limit", std::to_string(kLimitBytes)};
    };
    std::string tbf_output;
    if (set_qdiscs(names_, links, tbf_of, tbf_output)) {
        for (int h = 0; h < 2; ++h) applied_[h].rate_bps = shapes[h].rate_bps;
        warnings.push_back(why + ": the scenario's rate is applied with tc tbf" + (delayed ? ", but not its delay" : ""));
        shaping_ = std::string("the scenario's rate by tc tbf") + (delayed ? ", not its delay (no tc netem)" : "");
        return true;
    }
    const std::string missing = delayed ? "delay and rate" : "rate";
    warnings.push_back(why + ", nor tc tbf (" + tbf_output + "): the veth link runs without the scenario's " + missing);
    shaping_ = "without the scenario's " + missing + " (no tc netem or tbf)";
    return true;
}

std::string NetnsPair::relay_trouble() const {
    if (!relay_) return "";
    if (!relay_->error().empty()) return "the packet relay stopped: " + relay_->error();
    if (relay_->dropped() > 0) return "the packet relay lost " + std::to_string(relay_->dropped()) + " packets";
    return "";
}

NetnsPair::NetnsPair(NetnsPair&& other) noexcept
    : names_(std::move(other.names_)), addresses_(std::move(other.addresses_)), owned_(other.owned_),
      applied_(other.applied_), shaping_(std::move(other.shaping_)),
      kind_(std::move(other.kind_)), relay_(std::move(other.relay_)) {
    other.owned_ = false;
}

NetnsPair& NetnsPair::operator=(NetnsPair&& other) noexcept {
    std::swap(names_, other.names_);
    std::swap(addresses_, other.addresses_);
    std::swap(owned_, other.owned_);
    std::swap(applied_, other.applied_);
    std::swap(shaping_, other.shaping_);
    std::swap(kind_, other.kind_);
    std::swap(relay_, other.relay_);
    return *this;
}

NetnsPair::~NetnsPair() {
    relay_.reset();  // the relay stops before its devices go
    if (!owned_) return;
    std::string ignored;
    // Deleting a namespace removes the veth end inside it, and with it the pair.
    for (const std::string& name : names_) {
        if (access(namespace_path(name).c_str(), F_OK) == 0) run_program({"ip", "netns", "del", name}, ignored);
        unregister_live_namespace(name);
    }
}

int socket_in_namespace(const std::string& netns_name, std::string& error) {
    if (netns_name.empty()) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) error = std::string("socket: ") + std::strerror(errno);
        return fd;
    }
    return in_namespace(netns_name, [](std::string& make_error) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) make_error = std::string("socket: ") + std::strerror(errno);
        return fd;
    }, error);
}

}  // namespace tcpsim::measure
