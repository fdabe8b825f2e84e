"""A fleet on loopback for the tests: N hakmem-servers (memory store, --port 0) and one
nutcracker (twemproxy) in front of them, its configuration written into a temporary directory.
Fleet is a context manager; everything it started is stopped on exit, also when a test fails
or the start itself fails half way."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# nutcracker's path, free ports and its configuration: the same as hakmem-compare's fleet.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from compare.proxy import config, free_port  # noqa: E402
from compare.proxy import find as find_nutcracker  # noqa: E402,F401


def proxy_config(listen, servers):
    """The pool as hakmem-compare writes it, with a shorter timeout for the tests."""
    return config(listen, servers, timeout_ms=5000)


class Fleet:
    def __init__(self, server_bin, count=3, nutcracker=None, server_args=()):
        self.server_bin, self.count = server_bin, count
        self.nutcracker = nutcracker
        self.server_args = list(server_args)
        self.procs = []
        self.servers = []  # "127.0.0.1:PORT" of each hakmem-server
        self.proxy = None  # "127.0.0.1:PORT" of nutcracker
        self.tmp = None

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="hakmem-fleet-")
        try:
            for i in range(self.count):
                self.servers.append(self._start_server(i))
            if self.nutcracker:
                self._start_proxy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _spawn(self, cmd, log_name):
        with open(os.path.join(self.tmp, log_name), "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def _start_server(self, i):
        port_file = os.path.join(self.tmp, "port%d" % i)
        proc = self._spawn([self.server_bin, "--port", "0", "--port-file", port_file,
                            "--no-admin", "--store", "memory", "--workers", "1",
                            "--data-dir", os.path.join(self.tmp, "data%d" % i),
                            *self.server_args], "server%d.log" % i)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("hakmem-server exited %d: %s" % (proc.returncode,
                                                                   self.log("server%d.log" % i)))
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    return "127.0.0.1:%d" % int(text)
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise RuntimeError("hakmem-server did not start: " + self.log("server%d.log" % i))

    def _start_proxy(self):
        port, stats_port = free_port(), free_port()
        conf = os.path.join(self.tmp, "nutcracker.yml")
        with open(conf, "w") as f:
            f.write(proxy_config("127.0.0.1:%d" % port, self.servers))
        # -s/-a: its stats port, which defaults to 22222 and would collide between runs.
        proc = self._spawn([self.nutcracker, "-c", conf, "-s", str(stats_port), "-a", "127.0.0.1",
                            "-o", os.path.join(self.tmp, "nutcracker.log")], "nutcracker.out")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("nutcracker exited %d: %s" % (proc.returncode,
                                                                self.log("nutcracker.log")))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self.proxy = "127.0.0.1:%d" % port
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nutcracker did not listen: " + self.log("nutcracker.log"))

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        """SIGTERM to each process group, SIGKILL after 10 s; then the temporary directory."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])
