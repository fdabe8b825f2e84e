"""The configurations compared, how the server runs each one, and what the allocator serves."""

import os
import subprocess

# name -> allocator family, hakmem's route, the peer's shared library.
CONFIGS = {
    "hakmem-S": {"family": "hakmem", "route": "S"},
    "hakmem-P": {"family": "hakmem", "route": "P"},
    # Opt-in (not in DEFAULT): Route P without the background thread that hakmem-server turns on
    # (--allocator-background), to show what it changes (the burst scenario).
    "hakmem-P-nobg": {"family": "hakmem", "route": "P", "env": {"HAKMEM_BACKGROUND": "0"},
                      "opt_in": True},
    "system": {"family": "system"},
    "jemalloc": {"family": "jemalloc", "soname": "libjemalloc.so.2"},
    "mimalloc": {"family": "mimalloc", "soname": "libmimalloc.so.2"},
    "tcmalloc": {"family": "tcmalloc", "soname": "libtcmalloc_minimal.so.4"},
}
DEFAULT = [name for name, spec in CONFIGS.items() if not spec.get("opt_in")]
# Where libhakmem.so sits under --build: "lib" in a build tree; the installed script sets the
# install prefix's library directory (lib/<multiarch> under /usr).
LIBDIR = "lib"
MODES = ("whole", "arena")

# Shared libraries for LD_PRELOAD runs of a whole program (hakmem-bench rocksdb).
PRELOAD_SONAMES = {name: spec["soname"] for name, spec in CONFIGS.items() if "soname" in spec}


def find_library(soname):
    """Absolute path of an installed shared library, or None (ldconfig's cache, then lib dirs)."""
    try:
        out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    for line in out.splitlines():
        name, arrow, path = line.strip().partition(" => ")
        if arrow and name.split(" ")[0] == soname and os.path.exists(path):
            return path
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"):
        path = os.path.join(d, soname)
        if os.path.exists(path):
            return path
    return None


def launch(name, mode, build_dir):
    """How hakmem-server runs `name`: {arena, route, preload, env, counter, serves}, or raise
    LookupError naming what is missing.

    whole: the allocator is the process's malloc (LD_PRELOAD; system: nothing preloaded), so it
    serves everything: the store's keys and values, requests, replies, RocksDB, libstdc++. The
    peers' arenas are then the preloaded library itself (dlopen of a loaded soname returns it),
    so INFO's allocator counters cover the whole process; hakmem's come from HAKMEM_STATS at exit
    (the server's own linked-in hakmem would be a second, idle instance, so --arena system).
    arena: `--arena NAME` serves only the server's arena objects; the rest stays on glibc
    (jemalloc cannot be dlopen'ed, so it is preloaded and serves the whole process anyway).
    """
    spec = CONFIGS[name]
    family = spec["family"]
    out = {"arena": family, "route": None, "preload": None, "env": {}, "counter": "info"}
    if family == "hakmem":
        lib = os.path.join(build_dir, LIBDIR, "libhakmem.so")
        extra = spec.get("env", {})
        settings = "".join(" %s=%s" % kv for kv in sorted(extra.items()))
        if mode == "whole":
            if not os.path.exists(lib):
                raise LookupError("%s skipped: %s not built" % (name, lib))
            out.update(arena="system", preload=lib, env=dict(extra, HAKMEM_ROUTE=spec["route"]),
                       counter="hakmem_stats",
                       serves="libhakmem.so preloaded (HAKMEM_ROUTE=%s%s): the whole process"
                              % (spec["route"], settings))
        else:
            out.update(route=spec["route"], env=dict(extra),
                       serves="--arena hakmem --route %s%s: the server's arena objects "
                              "(requests, replies, what the store keeps on the arena, RocksDB's "
                              "block cache); the rest on glibc" % (spec["route"], settings))
        return out
    if family == "system":
        out["serves"] = ("glibc malloc, nothing preloaded: the whole process" if mode == "whole" else
                         "--arena system: glibc malloc, which serves the whole process anyway")
        return out
    path = find_library(spec["soname"])
    if path is None:
        raise LookupError("%s skipped: %s is not installed" % (name, spec["soname"]))
    if mode == "whole" or family == "jemalloc":
        out["preload"] = path
        out["serves"] = "%s preloaded: the whole process" % spec["soname"]
        if mode == "arena":
            out["serves"] += " (jemalloc cannot be dlopen'ed, so it is preloaded in arena mode too)"
    else:
        out["serves"] = ("--arena %s (dlopen'ed): the server's arena objects; the rest on glibc"
                         % family)
    if family == "mimalloc":
        out["counter"] = None  # mimalloc has no cheap bytes-in-use counter
    return out


def resolve(names, mode="whole", build_dir="build"):
    """(runnable configs as name -> launch spec, notes about skipped ones)."""
    runnable, notes = {}, []
    for name in names:
        if name not in CONFIGS:
            raise ValueError("unknown allocator '%s' (known: %s)" % (name, ", ".join(CONFIGS)))
        try:
            runnable[name] = launch(name, mode, build_dir)
        except LookupError as e:
            notes.append(str(e))
    return runnable, notes


def preload_path(name, build_dir):
    """Library to LD_PRELOAD for a whole-program run (None for system), or raise LookupError."""
    if name == "system":
        return None
    if name == "hakmem":
        path = os.path.join(build_dir, LIBDIR, "libhakmem.so")
        if not os.path.exists(path):
            raise LookupError("hakmem skipped: %s not built" % path)
        return path
    path = find_library(PRELOAD_SONAMES[name])
    if path is None:
        raise LookupError("%s skipped: %s is not installed" % (name, PRELOAD_SONAMES[name]))
    return path
