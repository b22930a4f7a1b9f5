#!/usr/bin/env python3
"""Writes the generated scenarios whose outputs are pinned as golden files (tests/golden/):
the shapes the property tests draw at random (both peers writing, random client/server
programs, a transforming server, a writer against a sleeping reader, an event loop), each in
the textbook and the linux model. A fixed seed makes the set the same on every machine.

Usage: tools/golden_scenarios.py OUT_DIR
"""
import json
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261205)


def size(lo=1, hi=5000):
    return rng.randint(lo, hi)


def scenario(name, description, a, b, mss, delay="1ms", bandwidth="10Mbps"):
    return {
        "name": name,
        "description": description,
        "model": "textbook",
        "link": {"bandwidth": bandwidth, "delay": delay, "mss": mss},
        "endpoints": {"A": a, "B": b},
        "limits": {"time": "1h", "events": 20000000},
    }


def side(threads, sqs=None, rqs=None):
    return {"sqs": sqs if sqs is not None else size(), "rqs": rqs if rqs is not None else size(), "threads": threads}


def both_write(i):
    n = size(1, 8000)
    return scenario(f"both-write-{i}", "both peers write n, shut down, then read",
                    side({"main": [{"write": n}, "shutdown", "read_to_end"]}),
                    side({"main": [{"write": n}, "shutdown", "read_to_end"]}), size(100, 3000))


def client_server(i):
    n = size(1, 3000)
    if rng.random() < 0.5:
        client = {"w": [{"repeat": n, "do": [{"write": 3}]}, "shutdown"], "r": ["read_to_end"]}
    else:
        client = {"main": [{"write": 3 * n}, "shutdown", "read_to_end"]}
    server = {"main": [{"repeat": "eof", "do": [{"read": size()}, {"write": {"ratio": 1}}]}, "close"]}
    return scenario(f"client-server-{i}", "a client and an echo server", side(client), side(server), size(100, 3000))


def transform(i):
    block = size(100, 3000)
    ratio = rng.choice([0.25, 0.5, 0.75, 1])
    client = {"main": [{"write": size(1, 20000)}, "shutdown", "read_to_end"]}
    server = {"main": [{"repeat": "eof", "do": [{"read_exact": block}, {"write": {"ratio": ratio}}]}, "close"]}
    return scenario(f"transform-{i}", "a client that writes everything first and a block-transforming server",
                    side(client), side(server), size(100, 3000), delay=rng.choice(["100us", "1ms", "20ms"]))


def sleeper(i):
    n = size(1, 6000)
    writer = {"main": [{"write": n}, "close"]}
    reader = {"main": [{"sleep": rng.choice(["10ms", "500ms", "2s"])}, "read_to_end"]}
    return scenario(f"sleeper-{i}", "a write against a peer that sleeps before it reads",
                    side(writer), side(reader), size(100, 3000))


def event_loop(i):
    total = size(1, 20000)
    chunk = size(1, 4000)
    client = {"main": [{"event_loop": {"write": total, "write_chunk": chunk, "read_chunk": chunk}}]}
    server = {"main": [{"repeat": "eof", "do": [{"read_exact": size(100, 2000)}, {"write": {"ratio": 0.5}}]}, "close"]}
    return scenario(f"event-loop-{i}", "a non-blocking client against a transforming server",
                    side(client), side(server), size(100, 3000))


makers = [(both_write, 24), (client_server, 24), (transform, 16), (sleeper, 8), (event_loop, 8)]
for make, count in makers:
    for i in range(count):
        doc = make(i)
        for model in ("textbook", "linux"):
            doc["model"] = model
            with open(os.path.join(out, f"{doc['name']}-{model}.json"), "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
