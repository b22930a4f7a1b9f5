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
base = json.load(open(os.path.join(scenarios, "both-write-1500.json")))


def tcpsim_accepts(doc):
    run = subprocess.run([tcpsim, "validate", "-"], input=json.dumps(doc), capture_output=True, text=True, timeout=30)
    if run.returncode not in (0, 2):
        raise SystemExit(f"FAIL tcpsim validate exited {run.returncode}: {run.stderr}")
    if run.returncode == 2 and len(run.stderr.splitlines()) != 1:
        raise SystemExit(f"FAIL tcpsim validate must give one line for bad input, gave: {run.stderr}")
    return run.returncode == 0, run.stderr.strip()


def variant(change):
    doc = copy.deepcopy(base)
    change(doc)
    return doc


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

# Valid: both must accept.
valid = {os.path.basename(f): json.load(open(f)) for f in sorted(glob.glob(os.path.join(scenarios, "*.json")))}
valid["$schema bound for an editor"] = variant(set_path(["$schema"], "schema/scenario.schema.json"))
valid["a direction of its own"] = variant(set_path(["link", "A->B"], {"delay": "5ms"}))
valid["linux without buffer sizes"] = variant(lambda d: (d.update(model="linux"), d["endpoints"]["A"].pop("sqs")))
valid["limits given"] = variant(set_path(["limits"], {"time": "2s", "events": 1000}))

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
    "three endpoints": variant(set_path(["endpoints", "C"], copy.deepcopy(base["endpoints"]["B"]))),
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
    "an unknown outcome": variant(set_path(["expect"], {"outcome": "hang"})),
}

# Invalid in ways a JSON Schema cannot express: the schema accepts, tcpsim refuses.
loader_only = {
    "a size that is not a whole number of bytes": variant(set_path(["endpoints", "A", "sqs"], "1.3KiB")),
    "a write after shutdown": variant(set_path(A_MAIN, ["shutdown", {"write": 1}])),
    "a derived write before any read": variant(set_path(A_MAIN, [{"write": {"ratio": 0.5}}])),
    "repeat until EOF without a read": variant(set_path(A_MAIN, [{"repeat": "eof", "do": [{"write": 1}]}])),
    "a profile file that does not exist": variant(lambda d: d.update(model="linux", profile="no-such-profile.json")),
    "a duplicate key": None,  # JSON text, below: a parsed document cannot hold one
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

for name, doc in both_refuse.items():
    schema_ok = validator.is_valid(doc)
    ours, why = tcpsim_accepts(doc)
    report(not schema_ok and not ours,
           f"both refuse: {name}" + (" (the schema accepts it)" if schema_ok else "") + (" (tcpsim accepts it)" if ours else ""))

for name, doc in loader_only.items():
    if doc is None:
        text = json.dumps(base).replace('"model": "textbook"', '"model": "textbook", "model": "linux"', 1)
        run = subprocess.run([tcpsim, "validate", "-"], input=text, capture_output=True, text=True, timeout=30)
        report(run.returncode == 2 and "duplicate key" in run.stderr, f"tcpsim refuses: {name}")
        continue
    schema_ok = validator.is_valid(doc)
    ours, why = tcpsim_accepts(doc)
    report(schema_ok and not ours, f"schema cannot say, tcpsim refuses: {name}" +
           ("" if schema_ok else " (the schema refuses it too: move it to both_refuse)"))

print(f"schema_agreement: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
