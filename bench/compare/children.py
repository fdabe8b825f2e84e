"""Every child process and temporary directory of a comparison, so that SIGINT/SIGTERM stop them all.

The signal handler raises Interrupted in the main thread; code that starts a child or makes a
directory runs inside `guarded()`, where a signal is held back until the child is registered (so
none can slip between fork and registration). `cleanup()` (from cli.main's finally) stops what is
still running: SIGTERM to each child's process group, SIGKILL after a grace period, then removes
the directories.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

_lock = threading.Lock()
_procs = {}   # pid -> (Popen, own process group?)
_dirs = []
_state = {"depth": 0, "pending": None}


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__("interrupted by %s" % signal.Signals(signum).name)
        self.signum = signum


def _handler(signum, frame):
    if _state["depth"]:
        _state["pending"] = signum
    else:
        raise Interrupted(signum)


def install():
    """SIGINT and SIGTERM raise Interrupted in the main thread."""
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


@contextlib.contextmanager
def guarded():
    """A signal that arrives inside is raised when the block ends, not in the middle of it."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        pending = _state["pending"]
        if not _state["depth"] and pending:
            _state["pending"] = None
            raise Interrupted(pending)


def popen(cmd, **kwargs):
    """subprocess.Popen, registered until forget() (or cleanup())."""
    with guarded():
        proc = subprocess.Popen(cmd, **kwargs)
        with _lock:
            _procs[proc.pid] = (proc, bool(kwargs.get("start_new_session")))
    return proc


def forget(proc):
    with _lock:
        _procs.pop(proc.pid, None)


def mkdtemp(prefix):
    with guarded():
        path = tempfile.mkdtemp(prefix=prefix)
        with _lock:
            _dirs.append(path)
    return path


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        if path in _dirs:
            _dirs.remove(path)


def _signal(proc, own_group, signum):
    try:
        if own_group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup(grace=15.0):
    """Stops every registered child still running and removes every registered directory."""
    with _lock:
        procs = list(_procs.values())
        dirs = list(_dirs)
    running = [(p, g) for p, g in procs if p.poll() is None]
    for proc, group in running:
        _signal(proc, group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc, group in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(proc, group, signal.SIGKILL)
            proc.wait()
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _procs.clear()
        del _dirs[:]
    return len(running)
