"""The configurations compared, and which of them can run on this machine."""

import os
import subprocess

# name -> how the server runs it. jemalloc cannot be dlopen'ed (static TLS), so the server runs
# with it preloaded and `--arena jemalloc` checks that the process malloc is jemalloc.
CONFIGS = {
    "hakmem-S": {"arena": "hakmem", "route": "S"},
    "hakmem-P": {"arena": "hakmem", "route": "P"},
    "system": {"arena": "system"},
    "jemalloc": {"arena": "jemalloc", "preload_soname": "libjemalloc.so.2"},
    "mimalloc": {"arena": "mimalloc", "soname": "libmimalloc.so.2"},
    "tcmalloc": {"arena": "tcmalloc", "soname": "libtcmalloc_minimal.so.4"},
}
DEFAULT = list(CONFIGS)

# Shared libraries for LD_PRELOAD runs of a whole program (hakmem-bench rocksdb).
PRELOAD_SONAMES = {
    "jemalloc": "libjemalloc.so.2",
    "mimalloc": "libmimalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
}


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


def resolve(names):
    """(runnable configs as name -> spec with "preload" filled, notes about skipped ones)."""
    runnable, notes = {}, []
    for name in names:
        if name not in CONFIGS:
            raise ValueError("unknown allocator '%s' (known: %s)" % (name, ", ".join(CONFIGS)))
        spec = dict(CONFIGS[name])
        soname = spec.get("preload_soname") or spec.get("soname")
        if soname:
            path = find_library(soname)
            if path is None:
                notes.append("%s skipped: %s is not installed" % (name, soname))
                continue
            if "preload_soname" in spec:
                spec["preload"] = path
        runnable[name] = spec
    if "jemalloc" in runnable:
        notes.append("jemalloc cannot be dlopen'ed, so its server runs with jemalloc preloaded as "
                     "the whole process's malloc (RocksDB included); the other arenas serve the "
                     "server's request and reply objects (hakmem also the block cache) while "
                     "RocksDB uses glibc")
    return runnable, notes


def preload_path(name, build_dir):
    """Library to LD_PRELOAD for a whole-program run (None for system), or raise LookupError."""
    if name == "system":
        return None
    if name == "hakmem":
        path = os.path.join(build_dir, "lib", "libhakmem.so")
        if not os.path.exists(path):
            raise LookupError("hakmem skipped: %s not built" % path)
        return path
    path = find_library(PRELOAD_SONAMES[name])
    if path is None:
        raise LookupError("%s skipped: %s is not installed" % (name, PRELOAD_SONAMES[name]))
    return path
