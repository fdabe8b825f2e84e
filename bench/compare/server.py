"""One hakmem-server lifetime: fresh data dir, ephemeral ports, RSS sampling, clean SIGTERM."""

import json
import os
import queue
import signal
import subprocess
import threading
import time

from . import children, resp, rss


class ServerError(RuntimeError):
    pass


class Server:
    """Starts hakmem-server on 127.0.0.1 with --port 0; use as a context manager."""

    def __init__(self, binary, arena, route=None, preload=None, store="rocksdb",
                 extra_args=(), start_timeout=30.0, stop_timeout=60.0, env=None, cpus=None,
                 hakmem_stats=False):
        self.binary = binary
        self.arena = arena
        self.route = route
        self.preload = preload
        self.store = store
        self.env = dict(env or {})
        self.cpus = cpus                  # taskset CPU list, or None
        self.hakmem_stats = hakmem_stats  # HAKMEM_STATS=json into a file: the preloaded hakmem's counters
        self.stats = None                 # that line's "counters", once stopped
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.tmp = None
        self.proc = None
        self.port = None
        self.admin = None  # "127.0.0.1:NNNN"
        self.sampler = None
        self.log_text = ""
        self.clean_exit = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.tmp = children.mkdtemp(prefix="hakmem-compare-")
        port_file = os.path.join(self.tmp, "port")
        cmd = ["taskset", "-c", ",".join(map(str, self.cpus))] if self.cpus else []
        cmd += [self.binary, "--bind", "127.0.0.1", "--port", "0", "--port-file", port_file,
               "--admin-bind", "127.0.0.1", "--arena", self.arena, "--store", self.store,
               "--data-dir", os.path.join(self.tmp, "data")]
        if self.route:
            cmd += ["--route", self.route]
        cmd += self.extra_args
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if self.preload:
            env["LD_PRELOAD"] = self.preload
        env.update(self.env)
        self.stats_path = os.path.join(self.tmp, "hakmem-stats.log")
        if self.hakmem_stats:
            env.update(HAKMEM_STATS="json", HAKMEM_STATS_FILE=self.stats_path)
        self.stderr_path = os.path.join(self.tmp, "server.log")
        with open(self.stderr_path, "w") as log:  # the child keeps its own descriptor
            self.proc = children.popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env, text=True,
                                       start_new_session=True)
        self.command = cmd
        lines = queue.Queue()
        threading.Thread(target=_pump, args=(self.proc.stdout, lines), daemon=True).start()
        # The admin line comes first (the service starts inside Server::start), then "listening".
        deadline = time.monotonic() + self.start_timeout
        while self.port is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                message = "server did not start: " + self._log_tail()
                self._kill()
                self.stop()  # removes the temporary directory
                raise ServerError(message)
            if " admin gRPC on " in line:
                self.admin = line.rsplit(" ", 1)[-1].strip()
            elif "listening on" in line:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
        self.sampler = rss.Sampler(self.proc.pid)
        self.sampler.start()

    def info(self, section="memory"):
        """INFO <section> over RESP, as a dict of strings."""
        with resp.Client(self.port, timeout=10) as c:
            return c.info(section)

    def client(self, timeout=120):
        return resp.Client(self.port, timeout=timeout)

    def stop(self):
        """SIGTERM and wait; records whether the server exited 0 on its own."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self.clean_exit = self.proc.returncode == 0
        if self.sampler:
            self.sampler.stop()
        self.log_text = self._log_tail()
        self.stats = self._read_stats()
        children.forget(self.proc)
        children.rmtree(self.tmp)
        self.proc = None

    def _read_stats(self):
        """The counters of the "hakmem-stats: {...}" line libhakmem.so wrote at exit, or None."""
        try:
            with open(self.stats_path) as f:
                for line in f:
                    if line.startswith("hakmem-stats: "):
                        return json.loads(line.split(": ", 1)[1]).get("counters")
        except (OSError, ValueError):
            pass
        return None

    def _kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def _log_tail(self, limit=2000):
        try:
            with open(self.stderr_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return ""
        return text[-limit:].strip()


def _pump(stream, lines):
    for line in stream:
        lines.put(line)
    lines.put(None)

