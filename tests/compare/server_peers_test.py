"""hakmem-server --arena jemalloc|mimalloc|tcmalloc, dlopen'ed and preloaded as hakmem-compare
runs them: each serves requests, reports itself in INFO and shuts down cleanly; jemalloc without the preload is refused with one line. Peers that are not
installed are skipped (unittest skip), never faked. And --allocator-background: the process
allocator's background thread is turned on in whichever allocator serves malloc(), unless the
flag or the environment says otherwise.

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


class AllocatorBackgroundTest(unittest.TestCase):
    def state(self, arena, preload=None, env=None, args=()):
        server = Server(SERVER, arena, preload=preload, store="memory", env=env, extra_args=args)
        with server:
            self.assertEqual(command(server.port, b"PING"), b"+PONG\r\n")
            state = server.info("memory")["allocator_background"]
        self.assertTrue(server.clean_exit, server.log_text)
        return state

    def test_preloaded_hakmem(self):
        lib = os.path.join(BUILD, "lib", "libhakmem.so")
        if not os.path.exists(lib):
            self.skipTest("libhakmem.so not built")
        self.assertEqual(self.state("system", lib), "on")
        self.assertEqual(self.state("system", lib, args=["--allocator-background", "off"]), "off")
        # The environment decides when the flag is not given; the flag wins when it is.
        self.assertEqual(self.state("system", lib, env={"HAKMEM_BACKGROUND": "0"}), "environment")
        self.assertEqual(self.state("system", lib, env={"HAKMEM_BACKGROUND": "0"},
                                    args=["--allocator-background", "on"]), "on")

    def test_arena_hakmem_and_glibc(self):
        self.assertEqual(self.state("hakmem"), "on")
        self.assertEqual(self.state("hakmem", args=["--allocator-background", "off"]), "off")
        self.assertEqual(self.state("system"), "none")  # glibc has no such thread

    def test_preloaded_jemalloc(self):
        path = allocators.find_library("libjemalloc.so.2")
        if path is None:
            self.skipTest("libjemalloc.so.2 is not installed")
        self.assertEqual(self.state("jemalloc", path), "on")
        self.assertEqual(self.state("jemalloc", path, env={"MALLOC_CONF": "background_thread:false"}),
                         "environment")

    def test_bad_value_is_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            proc = subprocess.run([SERVER, "--port", "0", "--store", "memory", "--data-dir", d,
                                   "--allocator-background", "maybe"],
                                  capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--allocator-background", proc.stderr)


if __name__ == "__main__":
    unittest.main()
