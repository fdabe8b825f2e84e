#!/usr/bin/env python3
"""Runs one hakmem-bench command and checks what it reports (never how fast).

  check_run.py --alloc NAME [--extra k1,k2] [--counters-moved c1,c2] -- COMMAND...
      one --json run: exit 0, no bad block, the allocator and route it ran on, the extra
      figures, for hakmem counters that count the run's own mallocs (so they come from the
      instance that serves malloc) and, with --counters-moved, that those counters are above 0
  check_run.py --rows A,B -- COMMAND...                     a --compare run: exit 0, a row each
"""
import argparse
import json
import subprocess
import sys


def fail(msg):
    print("check_run: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alloc")
    ap.add_argument("--extra", default="")
    ap.add_argument("--rows", default="")
    ap.add_argument("--counters-moved", default="")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        fail("exit status %d" % proc.returncode)
    if args.rows:
        rows = [line.split("|")[1].strip() for line in proc.stdout.splitlines()
                if line.startswith("| ") and not line.startswith("| config")]
        for want in args.rows.split(","):
            if not any(r == want or r.startswith(want + " ") for r in rows):
                fail("no row for %s in %s" % (want, rows))
        return
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        fail("no output")
    doc = json.loads(lines[-1])
    if doc["bad_blocks"] != 0:
        fail("bad_blocks = %d" % doc["bad_blocks"])
    if doc["alloc"] != args.alloc:
        fail("ran on %s, not %s" % (doc["alloc"], args.alloc))
    if doc["ops_per_sec"] <= 0 or doc["peak_rss"] <= 0:
        fail("no work or no RSS reported")
    for key in filter(None, args.extra.split(",")):
        if key not in doc["extra"]:
            fail("extra figure %s missing from %s" % (key, sorted(doc["extra"])))
    if args.alloc == "hakmem":
        if doc["route"] not in ("S", "P", "CDA"):
            fail("hakmem run reports route %r" % doc["route"])
        if doc["counters"].get("mallocs", 0) <= 0 or not 0 <= doc["page_reuse_rate"] <= 1:
            fail("hakmem counters do not count this run's mallocs")
        for name in filter(None, args.counters_moved.split(",")):
            if doc["counters"].get(name, 0) <= 0:
                fail("counter %s did not move: %s" % (name, doc["counters"].get(name)))
    elif doc["route"] or doc["counters"]:
        fail("%s run reports hakmem's route or counters" % args.alloc)


if __name__ == "__main__":
    main()
