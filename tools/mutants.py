#!/usr/bin/python3
"""The loop of tools/mutants.sh: apply each mutation of tools/mutants.txt to a scratch copy,
build tcpsim_tests, run it, record the test cases that failed, restore the file; then print the
table. Run through tools/mutants.sh, which makes the copy and its build.

Usage: mutants.py SCRATCH BUILD_DIR BASELINE_SECONDS [ID_PREFIX...]
Exit status: 0 if every selected mutation is caught by a test whose name names its rule, else 1.
"""
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SEPARATOR = " | "
# doctest's console reporter starts each failing test case's block with this line.
TEST_CASE_LINE = re.compile(r"^TEST CASE:\s+(.*?)\s*$", re.M)
BLOCK_RULE = "=" * 79


@dataclass
class Mutation:
    ident: str
    rule: str
    names: list
    path: str
    old: str
    new: str
    status: str = ""          # CAUGHT, MISSED, BAD PATTERN, BUILD FAILED, TIMEOUT
    caught_by: list = field(default_factory=list)
    seconds: int = 0

    def naming_tests(self):
        return [t for t in self.caught_by if any(n in t for n in self.names)]


def load(list_path):
    mutations = []
    for number, line in enumerate(list_path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(SEPARATOR)
        if len(fields) != 6:
            sys.exit(f"{list_path}:{number}: expected 6 fields separated by '{SEPARATOR}', found {len(fields)}")
        ident, rule, names, path, old, new = (f.strip() for f in fields)
        mutations.append(Mutation(ident, rule, [n.strip() for n in names.split(",") if n.strip()], path, old, new))
    return mutations


def failed_test_cases(output):
    """The names of the test cases doctest reports as failed (an error, an exception or a crash)."""
    failed = []
    for block in output.split(BLOCK_RULE):
        m = TEST_CASE_LINE.search(block)
        if m and re.search(r"\b(ERROR|FATAL ERROR)\b", block) and m.group(1) not in failed:
            failed.append(m.group(1))
    return failed


def run_one(mutation, scratch, build, timeout_s):
    source = scratch / mutation.path
    text = source.read_text()
    count = text.count(mutation.old)
    if count != 1:
        mutation.status = f"BAD PATTERN ({count} matches)"
        return
    start = time.monotonic()
    source.write_text(text.replace(mutation.old, mutation.new))
    try:
        b = subprocess.run(["cmake", "--build", str(build), "-j2", "--target", "tcpsim_tests"],
                           capture_output=True, text=True)
        if b.returncode != 0:
            mutation.status = "BUILD FAILED"
            print(b.stdout[-3000:], file=sys.stderr)
            return
        try:
            r = subprocess.run([str(build / "tcpsim_tests"), "--no-colors"], cwd=scratch,
                               capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            mutation.status = "TIMEOUT"
            mutation.caught_by = failed_test_cases(out)
            return
        mutation.caught_by = failed_test_cases(r.stdout + r.stderr)
        if r.returncode != 0 and not mutation.caught_by:
            mutation.caught_by = [f"(tcpsim_tests exited {r.returncode} without naming a test case)"]
        mutation.status = "CAUGHT" if mutation.caught_by else "MISSED"
    finally:
        source.write_text(text)  # same bytes back: ninja rebuilds it, ccache serves the original
        mutation.seconds = int(time.monotonic() - start)


def verdict_ok(m):
    return m.status == "CAUGHT" and bool(m.naming_tests())


def print_table(mutations):
    print("| id | rule | result | named | caught by (a test naming the rule; +N other tests) |")
    print("|---|---|---|---|---|")
    for m in mutations:
        naming = m.naming_tests()
        named = "yes" if naming else "no"
        shown = naming[:1] if naming else m.caught_by[:1]
        others = len(m.caught_by) - len(shown)
        cell = "; ".join(shown) + (f" (+{others})" if others else "")
        if m.status != "CAUGHT":
            named = "—"
        print(f"| {m.ident} | {m.rule} | {m.status} | {named} | {cell or '—'} |")
    bad = [m.ident for m in mutations if not verdict_ok(m)]
    print()
    print(f"{len(mutations) - len(bad)} of {len(mutations)} mutations caught by a test named after their rule."
          + (f" Not: {' '.join(bad)}." if bad else ""))


def print_details(mutations):
    print()
    print("Every failing test case per mutation:")
    for m in mutations:
        print(f"{m.ident} {m.status} ({m.seconds} s), names: {', '.join(m.names)}")
        for t in m.caught_by:
            print(f"    {t}")


def main():
    scratch, build, baseline_s, prefixes = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
    mutations = [m for m in load(Path(__file__).resolve().parent / "mutants.txt")
                 if not prefixes or any(m.ident.startswith(p) for p in prefixes)]
    if not mutations:
        sys.exit(f"mutants: no mutation id starts with {' or '.join(prefixes)}")
    # A mutation that makes the tests run far longer than the unmutated code is stopped and
    # reported, never waited on.
    timeout_s = max(300.0, 10 * baseline_s)
    for i, m in enumerate(mutations, 1):
        run_one(m, scratch, build, timeout_s)
        naming = m.naming_tests()
        print(f"mutants: [{i}/{len(mutations)}] {m.ident} {m.status} ({m.seconds} s), {len(m.caught_by)} failing, "
              f"{len(naming)} naming the rule{': ' + naming[0] if naming else ''}", file=sys.stderr, flush=True)
    print_table(mutations)
    print_details(mutations)
    return 0 if all(verdict_ok(m) for m in mutations) else 1


if __name__ == "__main__":
    sys.exit(main())
