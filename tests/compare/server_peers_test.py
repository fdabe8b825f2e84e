"""hakmem-server --arena jemalloc|mimalloc|tcmalloc, dlopen'ed and preloaded as hakmem-compare
runs them: each serves requests, reports itself in INFO and shuts down cleanly; jemalloc without the preload is refused with one line. Peers that are not
installed are skipped (unittest skip), never faked.

usage: server_peers_test.py BUILD_DIR
"""

import os
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from compare import allocators  # noqa: E402
from compare.server import Server  # noqa: E402

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build")
SERVER = os.path.join(BUILD, "bin", "hakmem-server")


def command(port, *args):
    out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(out)
        return s.recv(4096)


class PeerArenaTest(unittest.TestCase):
    def check_peer(self, name):
        soname = allocators.CONFIGS[name]["soname"]
        if allocators.find_library(soname) is None:
            self.skipTest("%s is not installed" % soname)
        for mode in allocators.MODES:  # dlopen'ed (jemalloc: preloaded) and preloaded
            with self.subTest(mode=mode):
                self.check_launch(name, allocators.launch(name, mode, BUILD))

    def check_launch(self, name, spec):
        server = Server(SERVER, spec["arena"], preload=spec["preload"], store="memory")
        with server:
            self.assertEqual(command(server.port, b"SET", b"k", b"v" * 300), b"+OK\r\n")
            self.assertEqual(command(server.port, b"GET", b"k"), b"$300\r\n" + b"v" * 300 + b"\r\n")
            info = server.info("memory")
            self.assertEqual(info["mem_allocator"], name)
            if name != "mimalloc":  # mimalloc has no cheap bytes-in-use counter
                self.assertGreater(int(info["allocator_bytes_in_use"]), 0)
        self.assertTrue(server.clean_exit, server.log_text)

    def test_jemalloc(self):
        self.check_peer("jemalloc")

    def test_mimalloc(self):
        self.check_peer("mimalloc")

    def test_tcmalloc(self):
        self.check_peer("tcmalloc")

    def test_jemalloc_without_preload_is_refused(self):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        with tempfile.TemporaryDirectory() as d:
            proc = subprocess.run([SERVER, "--port", "0", "--arena", "jemalloc", "--store", "memory",
                                   "--data-dir", d], capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("LD_PRELOAD=libjemalloc.so.2", proc.stderr)


if __name__ == "__main__":
    unittest.main()
