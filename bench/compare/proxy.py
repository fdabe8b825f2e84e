"""nutcracker (twemproxy) in front of a fleet of servers: its configuration in a temporary
directory, ports picked free, stopped with SIGTERM (children.py cleans up on signals)."""

import os
import shutil
import signal
import socket
import subprocess
import time

from . import children


def find():
    """nutcracker's path (Debian puts it in /usr/sbin, often not on PATH), or None."""
    return shutil.which("nutcracker") or next(
        (p for p in ("/usr/sbin/nutcracker", "/usr/local/sbin/nutcracker")
         if os.access(p, os.X_OK)), None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(listen, servers, timeout_ms=10000):
    """One pool: ketama over md5 of "host:port" (as hakmem-load --servers), weight 1 each,
    never ejected (a server that fails gives errors, its keys never move elsewhere)."""
    return "\n".join(["fleet:", "  listen: %s" % listen, "  redis: true", "  hash: md5",
                      "  distribution: ketama", "  auto_eject_hosts: false",
                      "  timeout: %d" % timeout_ms, "  preconnect: true", "  servers:"] +
                     ["    - %s:1" % s for s in servers]) + "\n"


class ProxyError(RuntimeError):
    pass


class Nutcracker:
    def __init__(self, binary, servers, cpus=None):
        self.binary, self.servers, self.cpus = binary, list(servers), cpus
        self.proc = self.tmp = self.port = None

    def start(self, timeout=30.0):
        self.tmp = children.mkdtemp(prefix="hakmem-compare-proxy-")
        self.port, stats_port = free_port(), free_port()
        conf = os.path.join(self.tmp, "nutcracker.yml")
        with open(conf, "w") as f:
            f.write(config("127.0.0.1:%d" % self.port, self.servers))
        self.log_path = os.path.join(self.tmp, "nutcracker.log")
        cmd = ["taskset", "-c", ",".join(map(str, self.cpus))] if self.cpus else []
        # -s: its stats port, 22222 by default, would collide with another run's.
        cmd += [self.binary, "-c", conf, "-s", str(stats_port), "-a", "127.0.0.1",
                "-o", self.log_path]
        self.proc = children.popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ProxyError("nutcracker exited %d: %s" % (self.proc.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise ProxyError("nutcracker did not listen: " + self.log())

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-1000:].strip()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
            children.forget(self.proc)
            self.proc = None
        if self.tmp:
            children.rmtree(self.tmp)
            self.tmp = None
