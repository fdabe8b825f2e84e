"""RSS of another process from /proc/<pid>/status, sampled every ~100 ms in a thread."""

import threading
import time


def read_status(pid):
    """(VmRSS, VmHWM) in bytes, or None once the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            text = f.read()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, rest = line.split(":", 1)
            values[key] = int(rest.split()[0]) * 1024  # kB
    if "VmRSS" not in values:  # a zombie has no memory lines
        return None
    return values["VmRSS"], values.get("VmHWM", values["VmRSS"])


class Sampler:
    def __init__(self, pid, interval=0.1):
        self.pid = pid
        self.interval = interval
        self.samples = []  # (seconds since start, rss bytes)
        self.peak = 0      # highest VmHWM seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.monotonic()

    def start(self):
        self._t0 = time.monotonic()
        self._thread.start()

    def now(self):
        return time.monotonic() - self._t0

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        status = read_status(self.pid)
        if status is None:
            return None
        rss, hwm = status
        self.samples.append((round(self.now(), 3), rss))
        self.peak = max(self.peak, hwm, rss)
        return rss

    def stop(self):
        self._stop.set()
        self._thread.join()

    def last(self):
        return self.samples[-1][1] if self.samples else 0
