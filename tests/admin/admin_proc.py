"""Starts admin_test_server (or any program that prints "port N" once serving) for the
Python admin tests, and stops it with SIGTERM; starts hakmem-server for the end-to-end ones
(ServerTestCase: one server per test, and hakmem-admin calls to it)."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import unittest


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AdminProcess:
    def __init__(self, path, *args):
        self.proc = subprocess.Popen([path, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.proc.kill()
            raise RuntimeError(f"{path} did not start: {line!r} {self.proc.stderr.read()!r}")
        self.port = int(line.split()[1])
        self.addr = f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ServerProcess:
    """hakmem-server on free ports (`args` added to --port 0 --port-file --admin-port 0), up
    once it prints "listening"; `admin_addr` and `port` as it printed and wrote them."""

    def __init__(self, path, tmp_dir, args, env=None):
        port_file = os.path.join(tmp_dir, "port")
        self.proc = subprocess.Popen(
            [path, "--port", "0", "--port-file", port_file, "--admin-port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.admin_addr = None
        for line in self.proc.stdout:
            m = re.match(r"hakmem-server admin gRPC on (\S+)", line)
            if m:
                self.admin_addr = m.group(1)
            if line.startswith("hakmem-server listening"):
                break
        self.port = None
        if os.path.exists(port_file):
            with open(port_file) as f:
                self.port = int(f.read())
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


class ServerTestCase(unittest.TestCase):
    """A test case with its own temporary directory (`tmp`) and one hakmem-server, started by
    start_server in the subclass's setUp; `admin` runs hakmem-admin against it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.running = None

    def start_server(self, server, admin, args, env=None):
        self.admin_path = admin
        self.running = ServerProcess(server, self.tmp.name, args, env=env)
        self.server = self.running.proc
        self.admin_addr, self.port = self.running.admin_addr, self.running.port
        self.assertIsNotNone(self.admin_addr, "no admin address printed")
        self.assertIsNotNone(self.port, "no port file written")

    def tearDown(self):
        if self.running is not None:
            self.running.kill()
        self.tmp.cleanup()

    def admin(self, *args):
        r = subprocess.run([self.admin_path, "--addr", self.admin_addr, *args],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout
