"""The format's descriptions agree: a real JSON Schema validator (Debian's python3-jsonschema)
and `tcpsim validate` give the same verdict on every shipped scenario and on a table of invalid
ones, wherever the schema can express the rule; where it cannot, the schema accepts and tcpsim
refuses, and the case says which rule that is.

Usage: /usr/bin/python3 tests/schema_agreement.py PATH_TO_TCPSIM SCENARIOS_DIR
"""
import copy
import glob
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("FAIL python3-jsonschema is not installed: tools/setup.sh installs it (TCPSIM_TEST_TOOLS=1)")
    sys.exit(1)

tcpsim, scenarios = sys.argv[1], sys.argv[2]
schema = json.load(open(os.path.join(scenarios, "schema", "scenario.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def library(name):
    return json.load(open(os.path.join(scenarios, name)))


base = library("both-write-1500.json")  # today's form: two endpoints, one connection
proxy = library("proxy-store-forward.json")  # three endpoints, two connections, params
pipes = library("subprocess-pipes.json")  # two processes, two pipes, no connection
queue = library("server-queue-bounded.json")  # today's form plus an in-process queue


def tcpsim_accepts(doc):
    run = subprocess.run([tcpsim, "validate", "-"], input=json.dumps(doc), capture_output=True, text=True, timeout=30)
    if run.returncode not in (0, 2):
        raise SystemExit(f"FAIL tcpsim validate exited {run.returncode}: {run.stderr}")
    if run.returncode == 2 and len(run.stderr.splitlines()) != 1:
        raise SystemExit(f"FAIL tcpsim validate must give one line for bad input, gave: {run.stderr}")
    return run.returncode == 0, run.stderr.strip()


def variant(change, of=None):
    doc = copy.deepcopy(base if of is None else of)
    change(doc)
    return doc


def changes(*steps):
    def change(doc):
        for step in steps:
            step(doc)
    return change


def set_path(path, value):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def delete_path(path):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


A_MAIN = ["endpoints", "A", "threads", "main"]
PROXY_MAIN = ["endpoints", "proxy", "threads", "main"]
PARENT_MAIN = ["endpoints", "parent", "threads", "main"]
READER = ["endpoints", "server", "threads", "reader"]

# Valid: both must accept.
valid = {os.path.basename(f): json.load(open(f)) for f in sorted(glob.glob(os.path.join(scenarios, "*.json")))}
valid["$schema bound for an editor"] = variant(set_path(["$schema"], "schema/scenario.schema.json"))
valid["a direction of its own"] = variant(set_path(["link", "A->B"], {"delay": "5ms"}))
valid["linux without buffer sizes"] = variant(lambda d: (d.update(model="linux"), d["endpoints"]["A"].pop("sqs")))
valid["limits given"] = variant(set_path(["limits"], {"time": "2s", "events": 1000}))
valid["one connection in the long form"] = variant(changes(
    delete_path(["link"]),
    set_path(["connections"], [{"between": ["B", "A"], "link": {"bandwidth": "1Gbps", "delay": "1ms", "mss": 1460,
                                                               "B->A": {"delay": "3ms"}}, "A": {"rqs": 800}}]),
    set_path(["expect", "queues"], {"A": {"rqs": 800}, "B": {"sqs": 500}})))
valid["a connection's own link, direction and end sizes"] = variant(changes(
    set_path(["link", "client->proxy"], {"delay": "4ms"}),
    set_path(["connections", 1], {"between": ["proxy", "server"], "link": {"mss": 536, "server->proxy": {"delay": "2ms"}},
                                  "proxy": {"sqs": 1000}, "server": {"sqs": "1KiB", "rqs": 700}})), proxy)
valid["textbook sizes given only per connection"] = variant(changes(
    lambda d: [d["endpoints"][e].pop(k) for e in ("client", "proxy") for k in ("sqs", "rqs")],
    set_path(["connections", 0, "client"], {"sqs": 500, "rqs": 500}),
    set_path(["connections", 0, "proxy"], {"sqs": 500, "rqs": 500}),
    set_path(["connections", 1, "proxy"], {"sqs": 500, "rqs": 500})), proxy)
valid["linux with connections and no sizes"] = variant(changes(
    set_path(["model"], "linux"), lambda d: [d["endpoints"][e].pop(k) for e in d["endpoints"] for k in ("sqs", "rqs")]),
    proxy)
valid["a pipe's own capacity"] = variant(set_path(["pipes", "stdin", "capacity"], "4KiB"), pipes)
valid["one endpoint, two threads and a queue"] = {
    "name": "solo", "description": "d", "model": "textbook", "connections": [],
    "endpoints": {"solo": {"queues": {"q": {"capacity": 100}},
                           "threads": {"w": [{"write": [100, 50], "to": "q"}, {"close": "q"}], "r": ["read_to_end"]}}},
    "expect": {"byte_queues": {"solo.q": {"written": 150, "read": 150, "peak": 100}}}}
valid["an unbounded queue's capacity expected"] = variant(changes(
    set_path(["endpoints", "server", "queues", "jobs", "capacity"], "unbounded"),
    set_path(["expect", "byte_queues", "server.jobs"], {"capacity": 4611686018427387904})), queue)
valid["size lists, cycling in a loop"] = variant(set_path(
    A_MAIN, [{"repeat": 3, "do": [{"write": [100, "1KiB", 300]}]}, "shutdown", {"read": [10, 20]}, "read_to_end"]))
valid["a loop bounded by simulated time"] = variant(set_path(A_MAIN, [{"repeat": "10ms", "do": [{"send": 100}]}, "shutdown", "read_to_end"]))
valid["targets: to, from, on and the named forms"] = variant(set_path(PROXY_MAIN, [
    {"read": 100, "from": "client"}, {"send": 100, "to": "server"}, {"read_exact": [1, 2], "from": "server"},
    {"event_loop": {"write": 100, "write_chunk": 10, "read_chunk": 10, "shutdown": False, "on": "client"}},
    {"shutdown": "server"}, {"read_to_end": "server"}, {"close": "client"}]), proxy)
valid["parameters for sizes, lists, durations, counts, names and flags"] = variant(changes(
    set_path(["params"], {"sizes": [100, 200], "pause": "1ms", "times": 3, "peer": "server", "stop": True,
                          "bw": "1Gbps", "n": 1500, "request": 5000}),
    set_path(["link", "bandwidth"], "$bw"),
    set_path(["endpoints", "proxy", "sqs"], "$n"),
    set_path(PROXY_MAIN, [{"repeat": "$times", "do": [{"write": "$sizes", "to": "$peer"}, {"sleep": "$pause"}]},
                          {"event_loop": {"write": "$n", "write_chunk": 10, "read_chunk": 10, "shutdown": "$stop", "on": "client"}},
                          {"shutdown": "$peer"}, {"read_to_end": "$peer"}]),
    set_path(["expect", "threads", "proxy.main"], {"bytes_written": "$n"})), proxy)
valid["socket and byte queue keys in expect"] = variant(set_path(["expect"], {
    "queues": {"client.proxy": {"sqs": 500}, "proxy.client": {"rqs": 500}, "server.proxy": {"sendq": 0}},
}), proxy)

# Invalid where the schema can say so: both must refuse.
both_refuse = {
    "no name": variant(delete_path(["name"])),
    "no description, model, link or endpoints": {"name": "x"},
    "an unknown top-level key": variant(set_path(["colour"], "blue")),
    "an unknown model": variant(set_path(["model"], "bsd")),
    "$schema that is not a string": variant(set_path(["$schema"], 7)),
    "a zero bandwidth string": variant(set_path(["link", "bandwidth"], "0bps")),
    "a zero bandwidth integer": variant(set_path(["link", "bandwidth"], 0)),
    "a bandwidth without unit": variant(set_path(["link", "bandwidth"], "fast")),
    "a zero time limit": variant(set_path(["limits"], {"time": 0})),
    "a zero time limit string": variant(set_path(["limits"], {"time": "0ms"})),
    "a zero events limit": variant(set_path(["limits"], {"events": 0})),
    "an unknown limit": variant(set_path(["limits"], {"steps": 5})),
    "three endpoints without connections": variant(set_path(["endpoints", "C"], copy.deepcopy(base["endpoints"]["B"]))),
    "a negative queue size": variant(set_path(["endpoints", "A", "sqs"], -5)),
    "a zero queue size string": variant(set_path(["endpoints", "A", "sqs"], "0KiB")),
    "a size with an unknown unit": variant(set_path(["endpoints", "A", "sqs"], "5 parsecs")),
    "textbook without a queue size": variant(delete_path(["endpoints", "A", "rqs"])),
    "a thread name with a dot": variant(set_path(["endpoints", "A", "threads", "a.b"], ["close"])),
    "an unknown op": variant(set_path(A_MAIN, [{"jump": 3}])),
    "an unknown bare op": variant(set_path(A_MAIN, ["jump"])),
    "an empty op list": variant(set_path(A_MAIN, [])),
    "a zero MSS": variant(set_path(["link", "mss"], 0)),
    "a repeat count of zero": variant(set_path(A_MAIN, [{"repeat": 0, "do": [{"write": 1}]}])),
    "a profile for the textbook model": variant(set_path(["profile"], "linux.json")),
    "an empty profile path": variant(lambda d: d.update(model="linux", profile="")),
    "an unknown expect key": variant(set_path(["expect"], {"verdict": "deadlock"})),
    "variants not a list": (variant(set_path(["variants"], "compress-threads.json")), "/variants: must be a list of 1 to 16"),
    "an empty variants list": (variant(set_path(["variants"], [])), "/variants: must be a list of 1 to 16"),
    "an empty variant name": (variant(set_path(["variants"], [""])), "/variants/0: must be a file name"),
    "a variant that is not a string": (variant(set_path(["variants"], [3])), "/variants/0: must be a file name"),
    "an unknown outcome": variant(set_path(["expect"], {"outcome": "hang"})),
    # The issue-16 format: what tcpsim says is checked too, so that it refuses for this reason.
    "no link and no connections": (variant(delete_path(["link"])), ': missing required key "link"'),
    "no endpoints at all": (variant(set_path(["endpoints"], {}), pipes), "/endpoints: must hold at least one endpoint"),
    "connections that are not a list": (variant(set_path(["connections"], {}), pipes), "/connections: must be a list"),
    "a connection without between": (variant(delete_path(["connections", 0, "between"]), proxy),
                                     '/connections/0: missing required key "between"'),
    "a connection between one endpoint": (variant(set_path(["connections", 0, "between"], ["client"]), proxy),
                                          "/connections/0/between: must be a list of two endpoint names"),
    "a connection from an endpoint to itself": (variant(set_path(["connections", 0, "between"], ["proxy", "proxy"]), proxy),
                                                "/connections/0/between: a connection joins two different endpoints"),
    "a connection's end sizes that are not an object": (variant(set_path(["connections", 0, "client"], 500), proxy),
                                                        "/connections/0/client: must be an object"),
    "an unknown key in a connection's end sizes": (variant(set_path(["connections", 0, "client"], {"window": 5}), proxy),
                                                   "/connections/0/client/window: unknown key"),
    "a connection without a link when there is no top-level link": (
        variant(delete_path(["link"]), proxy), '/connections/0: missing required key "bandwidth"'),
    "a queue capacity of 0": (variant(set_path(["endpoints", "server", "queues", "jobs", "capacity"], 0), queue),
                              "/endpoints/server/queues/jobs/capacity: must be a positive size"),
    "a queue capacity that is a word": (variant(set_path(["endpoints", "server", "queues", "jobs", "capacity"], "infinite"), queue),
                                        '/capacity: must be a size such as 65536 or "64KiB", or "unbounded"'),
    "a queue without capacity": (variant(set_path(["endpoints", "server", "queues", "jobs"], {}), queue),
                                 '/endpoints/server/queues/jobs: missing required key "capacity"'),
    "a queue name with a dot": (variant(set_path(["endpoints", "server", "queues", "a.b"], {"capacity": 1}), queue),
                                "queue name must match"),
    "a pipe without a reader": (variant(delete_path(["pipes", "stdin", "to"]), pipes), '/pipes/stdin: missing required key "to"'),
    "a pipe capacity of 0": (variant(set_path(["pipes", "stdin", "capacity"], 0), pipes), "/pipes/stdin/capacity: must be a positive size"),
    "an unknown key in a pipe": (variant(set_path(["pipes", "stdin", "mode"], "binary"), pipes), "/pipes/stdin/mode: unknown key"),
    "a size list of 0 items": (variant(set_path(A_MAIN, [{"write": []}])), "/write: must be a size or a list of 1 to 1000 sizes"),
    "a size list of 1001 items": (variant(set_path(A_MAIN, [{"write": [1] * 1001}])), "must be a size or a list of 1 to 1000 sizes"),
    "a zero in a size list": (variant(set_path(A_MAIN, [{"read": [5, 0]}])), "/read/1: must be a positive size"),
    "a to on a read": (variant(set_path(PROXY_MAIN, [{"read": 1, "to": "client"}]), proxy),
                       '/0/to: "to" does not go with "read" (use "from")'),
    "a from on a write": (variant(set_path(PROXY_MAIN, [{"write": 1, "from": "client"}]), proxy),
                          '/0/from: "from" does not go with "write" (use "to")'),
    "a to on a sleep": (variant(set_path(A_MAIN, [{"sleep": "1ms", "to": "B"}])), '/0/to: "to" does not go with "sleep"'),
    "a named close with two targets": (variant(set_path(PARENT_MAIN, [{"close": "stdin", "shutdown": "stdout"}]), pipes),
                                       "/0: must be an object with exactly one op key"),
    "a named close whose target is a number": (variant(set_path(PARENT_MAIN, [{"close": 7}]), pipes),
                                               "/0/close: must be the name of a socket's peer, a queue or a pipe"),
    "an event loop on a number": (variant(set_path(A_MAIN, [{"event_loop": {"write": 1, "write_chunk": 1, "read_chunk": 1, "on": 1}}])),
                                  "/event_loop/on: must be the name of a socket's peer"),
    "a zero duration loop": (variant(set_path(A_MAIN, [{"repeat": "0s", "do": [{"write": 1}]}])), '/0/repeat: must be a positive duration'),
    "a loop bounded by a word": (variant(set_path(A_MAIN, [{"repeat": "forever", "do": [{"write": 1}]}])), '/0/repeat: must be a positive integer (at most 2^40), "eof" or a duration'),
    "a param named like a top-level key": (variant(set_path(["params"], {"name": "x"})),
                                           "/params/name: a parameter may not share its name with a top-level key"),
    "a param name with a dot": (variant(set_path(["params"], {"a.b": 1})), "parameter name must match"),
    "a param whose value is a reference": (variant(set_path(["params"], {"a": 1, "b": "$a"})), "/params/b: must be a number"),
    "a param that is an empty list": (variant(set_path(["params"], {"a": []})), "/params/a: must be a number"),
    "a param that is an object": (variant(set_path(["params"], {"a": {"b": 1}})), "/params/a: must be a number"),
    "a params list that is not an object": (variant(set_path(["params"], [1])), "/params: must be an object"),
    "a reference that is not a name": (variant(set_path(A_MAIN, [{"write": "$1500"}])), "/0/write: must be a positive size"),
    "an unknown byte_queues field": (variant(set_path(["expect", "byte_queues", "stdin"], {"depth": 1}), pipes),
                                     "/expect/byte_queues/stdin/depth: unknown key"),
    "an unknown thread state": (variant(set_path(["expect", "threads", "A.main"], {"state": "stuck"})),
                                "/expect/threads/A.main/state: must be"),
}

# Invalid in ways a JSON Schema cannot express: the schema accepts, tcpsim refuses.
loader_only = {
    "a size that is not a whole number of bytes": variant(set_path(["endpoints", "A", "sqs"], "1.3KiB")),
    "a write after shutdown": variant(set_path(A_MAIN, ["shutdown", {"write": 1}])),
    "a derived write before any read": variant(set_path(A_MAIN, [{"write": {"ratio": 0.5}}])),
    "repeat until EOF without a read": variant(set_path(A_MAIN, [{"repeat": "eof", "do": [{"write": 1}]}])),
    "a profile file that does not exist": variant(lambda d: d.update(model="linux", profile="no-such-profile.json")),
    "a duplicate key": None,  # JSON text, below: a parsed document cannot hold one
    # Names that must refer to something declared elsewhere in the file.
    "a connection naming an unknown endpoint": (variant(set_path(["connections", 1, "between"], ["proxy", "database"]), proxy),
                                                "/connections/1/between/1: must be one of the endpoints"),
    "a connection's end sizes named after an endpoint not on it": (
        variant(set_path(["connections", 0, "server"], {"sqs": 5}), proxy), "/connections/0/server: unknown key"),
    "a link direction that no connection has": (variant(set_path(["link", "client->server"], {"delay": "1ms"}), proxy),
                                                "/link/client->server: unknown key"),
    "a pipe naming an unknown endpoint": (variant(set_path(["pipes", "stdin", "to"], "grandchild"), pipes),
                                          "/pipes/stdin/to: must be one of the endpoints"),
    "a pipe from an endpoint to itself": (variant(set_path(["pipes", "stdin", "to"], "parent"), pipes),
                                          "/pipes/stdin: a pipe joins two endpoints"),
    "a queue named like a socket's peer": (variant(set_path(["endpoints", "server", "queues", "client"], {"capacity": 1}), queue),
                                           '"client" names both its socket to client and its queue /endpoints/server/queues/client'),
    "an op naming an unknown target": (variant(set_path(PROXY_MAIN, [{"write": 1, "to": "database"}]), proxy),
                                       "/0/to: must be one of this endpoint's sockets, queues or pipes"),
    "an op without a target where there are several": (variant(set_path(PROXY_MAIN, [{"write": 1}]), proxy),
                                                       '/0: must say what it acts on: add "to": one of "client" or "server"'),
    "a bare close where there are several channels": (variant(set_path(PARENT_MAIN, ["close"]), pipes),
                                                      '/0: must say what it acts on: use {"close": NAME}'),
    "a write to a pipe by its reader": (variant(set_path(PARENT_MAIN, [{"write": 1, "to": "stdout"}]), pipes),
                                        'pipe "stdout" is written by child; this endpoint reads it'),
    "a read from a pipe by its writer": (variant(set_path(PARENT_MAIN, [{"read": 1, "from": "stdin"}]), pipes),
                                         'pipe "stdin" is read by child; this endpoint writes it'),
    "an event loop on a pipe": (variant(set_path(PARENT_MAIN, [{"event_loop": {"write": 1, "write_chunk": 1, "read_chunk": 1, "on": "stdin"}}]), pipes),
                                "an event loop acts on a socket, not on a queue or pipe"),
    "a second connection between the same pair": (
        variant(lambda d: d["connections"].append({"between": ["server", "proxy"]}), proxy), "one connection per pair"),
    "an unknown parameter": (variant(set_path(A_MAIN, [{"write": "$x"}])),
                             '/0/write: unknown parameter "$x" (the scenario has no "params")'),
    "a parameter whose value does not fit": (variant(set_path(["params", "request"], "lots"), proxy),
                                             '/0/write ($request, /params/request): must be a positive size'),
    "a textbook socket without sizes": (variant(lambda d: d["endpoints"]["client"].pop("sqs"), proxy),
                                        '/connections/0: missing "sqs" for client'),
    "an expect key naming no socket": (variant(set_path(["expect", "queues"], {"client.server": {"sqs": 1}}), proxy),
                                       "/expect/queues/client.server: unknown key"),
    "an expect key naming no queue": (variant(set_path(["expect", "byte_queues"], {"server.work": {"level": 1}}), queue),
                                      "/expect/byte_queues/server.work: unknown key"),
    "a loop bounded by more than 30 days": (variant(set_path(A_MAIN, [{"repeat": "745h", "do": [{"write": 1}]}])),
                                            "/0/repeat: must be at most"),
}

passed = failed = 0


def report(ok, name):
    global passed, failed
    print(("PASS " if ok else "FAIL ") + name)
    passed, failed = passed + ok, failed + (not ok)


for name, doc in valid.items():
    schema_ok = validator.is_valid(doc)
    ours, why = tcpsim_accepts(doc)
    report(schema_ok and ours, f"valid, both accept: {name}" + ("" if ours else f" (tcpsim: {why})"))


def says(why, fragment):
    """Whether tcpsim's refusal is for the reason the case is about; '' when it is."""
    return "" if fragment is None or fragment in why else f" (tcpsim refused for another reason: {why})"


for name, case in both_refuse.items():
    doc, fragment = case if isinstance(case, tuple) else (case, None)
    schema_ok = validator.is_valid(doc)
    ours, why = tcpsim_accepts(doc)
    wrong = "" if ours else says(why, fragment)
    report(not schema_ok and not ours and not wrong,
           f"both refuse: {name}" + (" (the schema accepts it)" if schema_ok else "") + (" (tcpsim accepts it)" if ours else "") + wrong)

for name, case in loader_only.items():
    doc, fragment = case if isinstance(case, tuple) else (case, None)
    if doc is None:
        text = json.dumps(base).replace('"model": "textbook"', '"model": "textbook", "model": "linux"', 1)
        run = subprocess.run([tcpsim, "validate", "-"], input=text, capture_output=True, text=True, timeout=30)
        report(run.returncode == 2 and "duplicate key" in run.stderr, f"tcpsim refuses: {name}")
        continue
    schema_ok = validator.is_valid(doc)
    ours, why = tcpsim_accepts(doc)
    wrong = "" if ours else says(why, fragment)
    report(schema_ok and not ours and not wrong, f"schema cannot say, tcpsim refuses: {name}" +
           ("" if schema_ok else " (the schema refuses it too: move it to both_refuse)") + (" (tcpsim accepts it)" if ours else "") + wrong)

print(f"schema_agreement: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
