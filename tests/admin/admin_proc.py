"""Starts admin_test_server (or any program that prints "port N" once serving) for the
Python admin tests, and stops it with SIGTERM."""
import signal
import socket
import subprocess


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
