"""Collection replies are sized before they are built: LRANGE, HGETALL, HVALS, SMEMBERS, ZRANGE,
the popping commands, KEYS and SCAN over collections far larger than --max-reply-bytes are
refused with -ERR, a client that pipelines them without reading does not raise the server's
peak RSS (the collection is not copied), nothing is popped by a refused pop, and replies within
the limit are whole and exact. Raw RESP over sockets, for the memory and the RocksDB store.

Usage: collection_reply_limits_test.py HAKMEM_SERVER_BINARY
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                                "compare"))
from resp import encode  # noqa: E402  (hakmem-compare's RESP client)

LIMIT = 2 << 20  # --max-reply-bytes
ELEMENT = 512 << 10  # each big element; 24 of them make a collection six times the limit
COUNT = 24
GREEDY_REPEAT = 8  # each refused command, pipelined by the client that never reads


# Errors come back as values (Error), not exceptions: the refusals are what is checked.
def read_reply(f):
    line = f.readline()
    if not line:
        raise RuntimeError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b":"):
        return rest.decode()
    if kind == b"-":
        return Error(rest.decode())
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    raise RuntimeError("unexpected reply %r" % line)


class Error(str):
    pass


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return read_reply(self.file)


def hwm_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def element(tag, i):
    return (b"%s%03d" % (tag, i)) + b"x" * (ELEMENT - 4)


def fill(c):
    for i in range(COUNT):
        assert c.call("RPUSH", "list", element(b"l", i)) == str(i + 1)
        assert c.call("HSET", "hash", "f%d" % i, element(b"h", i)) == "1"
        assert c.call("SADD", "set", element(b"s", i)) == "1"
        assert c.call("ZADD", "zset", i, element(b"z", i)) == "1"
        assert c.call("SET", element(b"k", i), "1") == "OK"  # big key names for KEYS and SCAN
    for i in range(3):
        c.call("RPUSH", "small:list", "a%d" % i)
        c.call("HSET", "small:hash", "f%d" % i, "v%d" % i)
        c.call("SADD", "small:set", "m%d" % i)
        c.call("ZADD", "small:zset", i, "z%d" % i)


# Each reply would be about COUNT * ELEMENT bytes: six times the limit.
REFUSED = [
    ("LRANGE", "list", 0, -1),
    ("LPOP", "list", COUNT),
    ("RPOP", "list", COUNT),
    ("HGETALL", "hash"),
    ("HVALS", "hash"),
    ("SMEMBERS", "set"),
    ("SPOP", "set", COUNT),
    ("ZRANGE", "zset", 0, -1),
    ("ZRANGE", "zset", 0, -1, "REV", "WITHSCORES"),
    ("ZPOPMIN", "zset", COUNT),
    ("KEYS", "*"),
    ("SCAN", 0, "COUNT", 1000),
]


def check_refusal(reply, command):
    assert isinstance(reply, Error), "%s: %r" % (command[0], reply)
    assert reply.startswith("ERR reply of ") and "max-reply-bytes (%d)" % LIMIT in reply, reply


def run(binary, store):
    tmp = tempfile.mkdtemp(prefix="hakmem-collection-limits-")
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen(
        [binary, "--port", "0", "--port-file", port_file, "--no-admin", "--store", store,
         "--data-dir", os.path.join(tmp, "data"), "--workers", "2",
         "--max-reply-bytes", str(LIMIT)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start: %s" % proc.stderr.read().decode())
            time.sleep(0.05)
        port = int(open(port_file).read())
        c = Client(port)
        fill(c)
        before = hwm_bytes(proc.pid)

        # A client that never reads pipelines every refused command; then another is served.
        greedy = Client(port)
        burst = b"".join(encode(*cmd) for cmd in REFUSED for _ in range(GREEDY_REPEAT))
        greedy.sock.sendall(burst)
        assert c.call("PING") == "PONG"
        # Read only now (the peak is a peak): the refusals are small, a built reply or a copy
        # of the collection would have shown.
        for cmd in REFUSED:
            for _ in range(GREEDY_REPEAT):
                check_refusal(read_reply(greedy.file), cmd)
        growth = hwm_bytes(proc.pid) - before
        collection = COUNT * ELEMENT
        assert growth < collection // 2, "%s: peak RSS grew by %d bytes" % (store, growth)
        for cmd in REFUSED:
            check_refusal(c.call(*cmd), cmd)
        # A refused pop took nothing.
        assert c.call("LLEN", "list") == str(COUNT)
        assert c.call("SCARD", "set") == str(COUNT)
        assert c.call("ZCARD", "zset") == str(COUNT)

        # Replies within the limit are whole.
        got = c.call("LRANGE", "list", 0, 2)
        assert got == [element(b"l", i) for i in range(3)], [len(x) for x in got]
        got = c.call("ZRANGE", "zset", 1, 2, "REV", "WITHSCORES")
        assert got == [element(b"z", 22), b"22", element(b"z", 21), b"21"]
        assert c.call("LPOP", "list", 2) == [element(b"l", 0), element(b"l", 1)]
        assert c.call("LRANGE", "small:list", 0, -1) == [b"a0", b"a1", b"a2"]
        assert c.call("RPOP", "small:list", 2) == [b"a2", b"a1"]
        got = c.call("HGETALL", "small:hash")
        assert dict(zip(got[::2], got[1::2])) == {b"f%d" % i: b"v%d" % i for i in range(3)}
        assert sorted(c.call("HKEYS", "small:hash")) == [b"f0", b"f1", b"f2"]
        assert sorted(c.call("HVALS", "small:hash")) == [b"v0", b"v1", b"v2"]
        assert sorted(c.call("SMEMBERS", "small:set")) == [b"m0", b"m1", b"m2"]
        assert len(c.call("SPOP", "small:set", 2)) == 2 and c.call("SCARD", "small:set") == "1"
        assert c.call("ZRANGE", "small:zset", 0, -1, "WITHSCORES") == [
            b"z0", b"0", b"z1", b"1", b"z2", b"2"]
        assert c.call("ZPOPMIN", "small:zset", 1) == [b"z0", b"0"]
        assert sorted(c.call("KEYS", "small:*")) == [
            b"small:hash", b"small:list", b"small:set", b"small:zset"]
        cursor, keys = c.call("SCAN", 0, "MATCH", "small:*", "COUNT", 1000)
        assert cursor == b"0" and len(keys) == 4, (cursor, keys)
        print("%s: refused %d collection replies, peak RSS +%d KiB" %
              (store, len(REFUSED) * (GREEDY_REPEAT + 1), growth >> 10))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", tmp])


def main():
    for store in ("memory", "rocksdb"):
        run(sys.argv[1], store)
    print("ok")


if __name__ == "__main__":
    main()
