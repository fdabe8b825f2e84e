"""SIGTERM or SIGINT to bench/hakmem-compare mid-run stops every child (hakmem-server,
hakmem-load) and removes the temporary directories; the exit status is 128 + the signal.

usage: interrupt_test.py BUILD_DIR
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "..", "..", "bench", "hakmem-compare")
BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build")


def processes_mentioning(text):
    """{pid: argv[0] basename} of live processes whose command line contains `text`."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # a zombie is gone, only not reaped yet
        except OSError:
            continue
        if any(text.encode() in a for a in argv):
            out[int(pid)] = os.path.basename(argv[0].decode(errors="replace"))
    return out


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


class InterruptTest(unittest.TestCase):
    def interrupt(self, signum, extra, wanted):
        with tempfile.TemporaryDirectory(prefix="hakmem-interrupt-") as root:
            tmp, out = os.path.join(root, "tmp"), os.path.join(root, "out")
            os.makedirs(tmp)
            env = dict(os.environ, TMPDIR=tmp)  # the driver's temporary directories go here
            proc = subprocess.Popen([sys.executable, DRIVER, "--profile", "smoke", "--build", BUILD,
                                     "--out", out, "--allocs", "system", "--no-plots"] + extra,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
            try:
                found = wait_for(lambda: wanted <= set(processes_mentioning(root).values()))
                self.assertTrue(found, "never saw %s running: %s" % (wanted, processes_mentioning(root)))
                self.assertTrue(os.listdir(tmp), "the server's temporary directory is missing")
                proc.send_signal(signum)
                _, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertEqual(proc.returncode, 128 + signum, err[-2000:])
            self.assertIn("interrupted by %s" % signal.Signals(signum).name, err)
            self.assertEqual(processes_mentioning(root), {}, "children left running")
            self.assertEqual(os.listdir(tmp), [], "temporary directories left behind")

    def test_sigterm_during_load(self):
        self.interrupt(signal.SIGTERM, ["--scenarios", "ycsb-closed", "--ycsb-requests", "100000000"],
                       {"hakmem-server", "hakmem-load"})

    def test_sigint_while_idle(self):
        self.interrupt(signal.SIGINT, ["--scenarios", "burst", "--idle-seconds", "120"],
                       {"hakmem-server"})


if __name__ == "__main__":
    unittest.main()
