#!/usr/bin/python3
"""Runs real programs with LD_PRELOAD=libhakmem.so and checks both what they print and the
counters each process reports at exit (HAKMEM_STATS), so a test passes only when the program
worked *and* hakmem served its allocations.

Usage: preload_tests.py --lib libhakmem.so --bin-dir DIR SCENARIO
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

STATS_PREFIX = "hakmem-stats: "


class Failure(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failure(message)


def parse_stats(text):
    """Every stats line in text, parsed: one per process that exited normally."""
    lines = []
    for line in text.splitlines():
        if line.startswith(STATS_PREFIX):
            lines.append(json.loads(line[len(STATS_PREFIX):]))
    return lines


class Runner:
    def __init__(self, lib, bin_dir, tmp):
        self.lib = lib
        self.bin_dir = bin_dir
        self.tmp = tmp
        self.runs = 0

    def env(self, extra=None, preload=True):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HAKMEM_") and k != "LD_PRELOAD"}
        env["LC_ALL"] = "C"
        if preload:
            env["LD_PRELOAD"] = self.lib
            env["HAKMEM_STATS"] = "json"
        env.update(extra or {})
        return env

    def run(self, cmd, extra_env=None, cwd=None, timeout=120, check=True):
        """Runs cmd preloaded, stats to a file of its own; returns (stdout, stderr, stats)."""
        self.runs += 1
        stats_file = os.path.join(self.tmp, "stats-%d.log" % self.runs)
        env = self.env(extra_env)
        env["HAKMEM_STATS_FILE"] = stats_file
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=timeout)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        if check and proc.returncode != 0:
            raise Failure("%s exited with %d\nstdout:\n%s\nstderr:\n%s"
                          % (cmd, proc.returncode, out[-3000:], err[-3000:]))
        stats = []
        if os.path.exists(stats_file):
            with open(stats_file) as f:
                stats = parse_stats(f.read())
        return out, err, stats

    def bin(self, name):
        return os.path.join(self.bin_dir, name)


def counters_of(stats, program=None):
    chosen = [s for s in stats if program is None or s["program"] == program]
    expect(chosen, "no stats line%s in %s" % (" for " + program if program else "", stats))
    return chosen


def expect_served(stats, program=None, **minimums):
    """Every (matching) process allocated through hakmem; the sum of each named counter over
    them reaches its minimum."""
    chosen = counters_of(stats, program)
    for s in chosen:
        expect(s["counters"]["mallocs"] > 0, "hakmem served nothing in %s" % s)
    for name, minimum in minimums.items():
        total = sum(s["counters"][name] for s in chosen)
        expect(total >= minimum, "%s = %d, expected >= %d (%s)" % (name, total, minimum, chosen))
    return chosen


# ---- scenarios ----------------------------------------------------------------------------


def scenario_edge_cases(r):
    out, _, stats = r.run([r.bin("override_edge_cases")])
    expect("edge cases: all checks passed" in out, out)
    expect_served(stats, mallocs=100)


def scenario_malloc_surface(r):
    out, _, stats = r.run([r.bin("override_malloc_surface")])
    expect("malloc surface: all checks passed" in out, out)
    expect_served(stats, mallocs=10000)


def scenario_new_delete(r):
    out, _, stats = r.run([r.bin("override_new_delete_forms")])
    expect("operator new/delete: all checks passed" in out, out)
    expect_served(stats, mallocs=180, large_allocs=50)


def scenario_cross_thread(r):
    # Same line as glibc malloc gives: the result depends on the data only.
    plain = subprocess.run([r.bin("override_cross_thread_frees")], env=r.env(preload=False),
                           capture_output=True, check=True, timeout=120).stdout.decode()
    expect(plain.startswith("objects 180000 corrupt 0 "), plain)
    for route in ("S", "P", "CDA"):  # the route comes from the environment
        out, _, stats = r.run([r.bin("override_cross_thread_frees")],
                              extra_env={"HAKMEM_ROUTE": route})
        expect(out == plain, "route %s: preloaded %r, plain %r" % (route, out, plain))
        (s,) = expect_served(stats, mallocs=180000, frees_remote=100000, heaps_created=4)
        expect(s["options"]["route"] == route, s["options"])


def scenario_free_only_threads(r):
    out, _, stats = r.run([r.bin("override_free_only_threads")])
    expect(out.strip() == "freed 200000 blocks in 4 free-only threads, corrupt 0", out)
    # Nearly every block allocated by main is freed by another thread.
    expect_served(stats, mallocs=200000, frees_remote=180000, large_frees=40)


def scenario_fork_exec(r):
    out, _, stats = r.run([r.bin("override_fork_exec")], timeout=60)
    lines = out.splitlines()
    for n in range(3):
        expect("fork child %d ok" % n in lines, out)
        expect("exec child %d ok" % n in lines, out)
    expect("system child ok" in lines and "parent: 0 failures" in lines, out)
    # The parent, three forked children and three exec'd ones (all this program), plus echo
    # from system() (sh leaves with _exit): each reports counters of its own.
    pids = {s["pid"] for s in stats}
    expect(len(pids) == len(stats), "duplicate pids in %s" % stats)
    ours = counters_of(stats, "override_fork_exec")
    expect(len(ours) >= 7, "expected 7 processes of the program, got %d" % len(ours))
    expect_served(ours, mallocs=7 * 1000)
    expect_served(stats, "echo")


def scenario_thread_exit(r):
    out, _, stats = r.run([r.bin("override_thread_exit")])
    expect(out.strip() == "2000 threads exited", out)
    # One thread at a time: heaps are recycled, whatever runs after hakmem's exit handler.
    (s,) = expect_served(stats, mallocs=4 * 2000, heaps_reused=2000)
    expect(s["counters"]["heaps_created"] <= 4, "a heap per thread: %s" % s["counters"])


def scenario_python(r):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_threads.py")
    # PYTHONMALLOC=malloc: every Python object goes through malloc, not only the big ones.
    out, _, stats = r.run(["/usr/bin/python3", script], extra_env={"PYTHONMALLOC": "malloc"})
    plain = subprocess.run(["/usr/bin/python3", script], env=r.env(preload=False),
                           capture_output=True, check=True, timeout=120).stdout.decode()
    expect(out == plain and out.count("12000 items sha256") == 4,
           "preloaded:\n%s\nplain:\n%s" % (out, plain))
    expect_served(stats, "python3", mallocs=500000, frees_remote=10000, heaps_created=8)


def scenario_git(r):
    home = os.path.join(r.tmp, "home")
    origin = os.path.join(r.tmp, "origin")
    clone = os.path.join(r.tmp, "clone")
    os.makedirs(home)
    env = {"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "Hak Mem", "GIT_AUTHOR_EMAIL": "hak@example.com",
           "GIT_COMMITTER_NAME": "Hak Mem", "GIT_COMMITTER_EMAIL": "hak@example.com"}
    stats = []

    def git(*args, cwd=None):
        out, _, s = r.run(["git"] + list(args), extra_env=env, cwd=cwd)
        stats.extend(s)
        return out

    git("init", "-q", "-b", "main", origin)
    rng = random.Random(8)
    for n in range(1, 6):
        for k in range(20):
            with open(os.path.join(origin, "file%02d.txt" % k), "a") as f:
                f.write("commit %d file %d %s\n" % (n, k, rng.getrandbits(4096)))
        git("add", "-A", cwd=origin)
        git("commit", "-q", "-m", "change number %d" % n, cwd=origin)
    clone_stats_start = len(stats)
    git("clone", "-q", "file://" + origin, clone)  # the transport: upload-pack, index-pack
    clone_stats = stats[clone_stats_start:]
    log = git("log", "--format=%s", cwd=clone)
    expect(log.splitlines() == ["change number %d" % n for n in range(5, 0, -1)], log)
    shown = git("show", "HEAD~2:file07.txt", cwd=clone)
    expect(shown.startswith("commit 1 file 7 ") and "commit 3 file 7 " in shown, shown)
    git("fsck", "--strict", "--no-progress", cwd=clone)
    # The clone ran git, upload-pack and index-pack (at least) as separate preloaded processes.
    expect(len(clone_stats) >= 3, "clone: %d processes reported stats" % len(clone_stats))
    expect_served(stats, mallocs=1000)


def scenario_sort(r):
    path = os.path.join(r.tmp, "input.txt")
    rng = random.Random(50)
    # 50 MiB and more: lines of 48 random hex digits.
    data = rng.randbytes(25 << 20).hex()
    lines = [data[i:i + 48] for i in range(0, len(data), 48)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    expect(os.path.getsize(path) >= 50 << 20, "input too small")
    out, _, stats = r.run(["sort", "--parallel=2", "-S", "256M", path])
    lines.sort()
    expect(out == "\n".join(lines) + "\n", "sort output differs from the expected order")
    expect_served(stats, "sort", large_allocs=1)


def scenario_cmake(r):
    out, _, stats = r.run(["cmake", "--version"],
                          extra_env={"HAKMEM_ROUTE": "P", "HAKMEM_PURGE_DELAY_MS": "25"})
    expect(re.match(r"cmake version \d+\.\d+\.\d+", out), out)
    expect_served(stats, "cmake", mallocs=10)
    options = counters_of(stats, "cmake")[0]["options"]
    # Route and options come from the HAKMEM_* environment.
    expect(options["route"] == "P" and options["purge_delay_ms"] == 25, options)
    out, _, stats = r.run(["cmake", "-E", "capabilities"])
    expect("generators" in json.loads(out), out)
    expect_served(stats, "cmake")


def scenario_ls_stderr(r):
    """Stats on stderr (no HAKMEM_STATS_FILE), from a program that closes its stderr before
    exit (coreutils do); a bad option is reported and ignored."""
    for name in ("alpha", "beta", "gamma"):
        open(os.path.join(r.tmp, name), "w").close()
    env = r.env({"HAKMEM_MIN_REMOTE_COUNT": "999999"})
    proc = subprocess.run(["ls", "-la", r.tmp], env=env, capture_output=True, timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    expect(proc.returncode == 0, err)
    for name in ("alpha", "beta", "gamma"):
        expect(re.search(r" %s$" % name, out, re.M), out)
    expect("hakmem: ignoring HAKMEM_MIN_REMOTE_COUNT=999999" in err, err)
    stats = parse_stats(err)
    expect(len(stats) == 1, err)
    expect_served(stats, "ls")
    expect(stats[0]["options"]["min_remote_count"] == 8, stats)


def scenario_stats_file(r):
    """HAKMEM_STATS_FILE: a relative path is kept across a chdir (git -C), lines append; a
    path that cannot be opened is reported at start and the stats go to stderr."""
    sub = os.path.join(r.tmp, "sub")
    os.makedirs(sub)
    env = r.env({"HAKMEM_STATS_FILE": "stats.log"})
    for _ in range(2):
        subprocess.run(["git", "-C", "sub", "--version"], env=env, cwd=r.tmp, check=True,
                       capture_output=True, timeout=60)
    expect(not os.path.exists(os.path.join(sub, "stats.log")), "stats followed the chdir")
    with open(os.path.join(r.tmp, "stats.log")) as f:
        stats = parse_stats(f.read())
    expect(len(stats) == 2, stats)
    expect_served(stats, "git")

    env = r.env({"HAKMEM_STATS_FILE": os.path.join(r.tmp, "missing", "stats.log")})
    proc = subprocess.run(["ls", r.tmp], env=env, capture_output=True, timeout=60, text=True)
    expect(proc.returncode == 0 and "sub" in proc.stdout.split(), proc.stdout)
    expect("hakmem: cannot open HAKMEM_STATS_FILE=" in proc.stderr, proc.stderr)
    expect_served(parse_stats(proc.stderr), "ls")


def scenario_exports(r):
    """The library exports the malloc family, operator new/delete and hak_*, nothing else,
    and has no dynamic initialisers: hakmem must work before any constructor runs."""
    dynamic = subprocess.run(["nm", "-D", "--defined-only", r.lib], capture_output=True,
                             check=True, text=True).stdout.split()
    exported = {w for w in dynamic if not re.fullmatch(r"[0-9a-f]+|[A-Za-z]", w)}
    required = {"malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
                "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size",
                "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
                "_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
                "_ZnwmSt11align_val_tRKSt9nothrow_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
                "_ZdlPv", "_ZdaPv", "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
                "_ZdlPvm", "_ZdaPvm", "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t",
                "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
                "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
                "cfree", "mallinfo", "mallinfo2", "malloc_trim", "malloc_stats", "malloc_info",
                "hak_malloc", "hak_free", "hak_counters_get", "hak_counters_json"}
    expect(required <= exported, "missing exports: %s" % sorted(required - exported))
    allowed = re.compile(r"(malloc|free|calloc|realloc|reallocarray|posix_memalign|"
                         r"aligned_alloc|memalign|valloc|pvalloc|malloc_usable_size|"
                         r"free_sized|free_aligned_sized|cfree|mallinfo2?|malloc_trim|"
                         r"malloc_stats|malloc_info|__libc_\w+|_Z(nw|na|dl|da)\w+|hak_\w+)")
    extra = sorted(w for w in exported if not allowed.fullmatch(w))
    expect(not extra, "unexpected exports: %s" % extra)
    local = subprocess.run(["nm", r.lib], capture_output=True, check=True, text=True).stdout
    expect("_GLOBAL__sub_I" not in local,
           "dynamic initialisers in libhakmem.so: they would run after the first malloc")


def run_plain(r, cmd, extra):
    """cmd preloaded with the environment extra and no stats unless extra asks: (stdout, stderr)."""
    env = r.env(extra)
    if "HAKMEM_STATS" not in extra:
        del env["HAKMEM_STATS"]
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=60, text=True)
    expect(proc.returncode == 0, proc.stderr)
    return proc.stdout, proc.stderr


def scenario_verbose(r):
    """HAKMEM_VERBOSE=1: every option at start with its value and where it came from."""
    _, err = run_plain(r, ["ls", r.tmp], {"HAKMEM_VERBOSE": "1", "HAKMEM_PURGE_DELAY_MS": "25"})
    expect("hakmem: options (value, where it came from):" in err, err)
    rows = {m.group(1): (m.group(2), m.group(3)) for m in
            re.finditer(r"^hakmem:   (\w+) +(\S+) +(.+)$", err, re.M)}
    expect(rows.get("purge_delay_ms") == ("25", "environment (HAKMEM_PURGE_DELAY_MS)"), rows)
    expect(rows.get("route") == ("P", "default"), rows)
    expect(len(rows) == 13, rows)  # every option of HAK_OPTIONS
    _, quiet = run_plain(r, ["ls", r.tmp], {"HAKMEM_PURGE_DELAY_MS": "25"})
    expect(quiet == "", quiet)  # nothing without HAKMEM_VERBOSE


def scenario_unknown_env(r):
    """A misspelt HAKMEM_* name is warned about with the nearest known one; a name far from
    all is warned about without a guess; the tools' own names are known."""
    _, err = run_plain(r, ["ls", r.tmp], {"HAKMEM_STAT": "1", "HAKMEM_PURGE_DELAY": "5",
                                          "HAKMEM_QQQQQQQQQQQQQQQQ": "1",
                                          "HAKMEM_ADMIN_TOKEN": "t", "HAKMEM_METRICS_TOKEN": "t"})
    expect("hakmem: unknown environment variable HAKMEM_STAT (did you mean HAKMEM_STATS?)" in err,
           err)
    expect("unknown environment variable HAKMEM_PURGE_DELAY (did you mean "
           "HAKMEM_PURGE_DELAY_MS?)" in err, err)
    expect("unknown environment variable HAKMEM_QQQQQQQQQQQQQQQQ (ignored)" in err, err)
    expect("TOKEN" not in err, err)
    expect(len(err.splitlines()) == 3, err)


def scenario_stats_table(r):
    """HAKMEM_STATS=1: a table at exit (options and their source, totals, counters that are
    not zero); a value set at run time says so. HAKMEM_STATS=json: the JSON line."""
    script = ("import ctypes; lib = ctypes.CDLL(None); "
              "assert lib.hak_option_set(b'retain_mb', 64, None, 0) == 0; "
              "x = [bytes(1000) for _ in range(10000)]  # above pymalloc's 512 B")
    _, err = run_plain(r, [sys.executable, "-c", script],
                       {"HAKMEM_STATS": "1", "HAKMEM_PURGE_DELAY_MS": "25"})
    expect(re.search(r"^hakmem stats: pid \d+ \(python3[.\d]*\) at exit$", err, re.M), err)
    expect(re.search(r"^    retain_mb +64  run-time$", err, re.M), err)
    expect(re.search(r"^    purge_delay_ms +25  environment$", err, re.M), err)
    expect(re.search(r"^    route +P  default$", err, re.M), err)
    m = re.search(r"^    allocations +(\d+)", err, re.M)
    expect(m and int(m.group(1)) > 10000, err)
    expect(re.search(r"^    page reuse +[\d.]+%  reuses / \(reuses \+ fresh pages\) = \d+ / \d+$",
                     err, re.M), err)
    expect(re.search(r"^    bytes in use +[\d.]+ MiB  \(peak [\d.]+ MiB\)$", err, re.M), err)
    counters = dict(re.findall(r"^    (\w+) +(\d+)$", err.split("counters (those not zero):")[1],
                               re.M))
    expect(int(counters["mallocs"]) == int(m.group(1)) and "os_failures" not in counters, counters)
    per_class = err.split("per size class in use")[1]
    rows = re.findall(r"^ +(\d+) +(\d+) +(\d+) +(\d+) +(-?\d+) +([\d.]+)%$", per_class, re.M)
    expect(len(rows) > 3, per_class)
    # Every row is a class in use, and the rows add up to the allocations counted in total
    # (both read at exit, a moment apart: a few allocations may fall between).
    extra = sum(int(row[1]) for row in rows) - int(m.group(1))
    expect(abs(extra) <= 16, (rows, m.group(1)))
    expect(all(int(row[1]) > 0 and int(row[3]) > 0 for row in rows), rows)
    expect("hakmem-stats: {" not in err, err)
    _, err = run_plain(r, ["ls", r.tmp], {"HAKMEM_STATS": "json"})
    expect_served(parse_stats(err), "ls")


def scenario_background(r):
    """HAKMEM_BACKGROUND=1: every process starts the background thread at a slow path (under
    preload pthread_create allocates through hakmem itself) and works as without it: threads
    freeing each other's blocks, fork and exec, Python's threads."""
    bg = {"HAKMEM_BACKGROUND": "1"}
    plain = subprocess.run([r.bin("override_cross_thread_frees")], env=r.env(preload=False),
                           capture_output=True, check=True, timeout=120).stdout.decode()
    out, _, stats = r.run([r.bin("override_cross_thread_frees")], extra_env=bg)
    expect(out == plain, "preloaded %r, plain %r" % (out, plain))
    (s,) = expect_served(stats, mallocs=180000, frees_remote=100000, background_wakeups=1)
    expect(s["options"]["background"] == 1, s["options"])
    out, _, stats = r.run([r.bin("override_fork_exec")], extra_env=bg, timeout=60)
    expect("parent: 0 failures" in out.splitlines(), out)
    expect_served(counters_of(stats, "override_fork_exec"), mallocs=7 * 1000)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_threads.py")
    out, _, stats = r.run(["/usr/bin/python3", script],
                          extra_env=dict(bg, PYTHONMALLOC="malloc"))
    expect(out.count("12000 items sha256") == 4, out)
    expect_served(stats, "python3", mallocs=500000)
    out, _, stats = r.run(["ls", r.tmp], extra_env=bg)  # a process that lives a moment
    expect_served(stats, "ls")


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items()
             if name.startswith("scenario_")}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", required=True, help="path of libhakmem.so")
    parser.add_argument("--bin-dir", required=True, help="directory of the test programs")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="hakmem-preload-")
    try:
        SCENARIOS[args.scenario](Runner(os.path.abspath(args.lib), args.bin_dir, tmp))
    except Failure as e:
        print("FAILED %s: %s" % (args.scenario, e))
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("passed %s" % args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
