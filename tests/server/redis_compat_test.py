#!/usr/bin/env python3
"""Drives hakmem-server with Debian's python3-redis through every key-lifetime and data-type
command, and, where redis-server is installed, runs the same script against a real redis-server
and compares the replies. Then runs redis-benchmark's default suite (small) against each store.

usage: redis_compat_test.py HAKMEM_SERVER_BINARY
Exit 0 on success, 77 (ctest SKIP) when python3-redis is missing."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    import redis
except ImportError:
    print("SKIP: python3-redis is not installed")
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            redis.Redis(port=port).ping()
            return
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("server did not start on port %d" % port)


def start_hakmem(binary, store, tmp):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--store", store, "--data-dir",
                             os.path.join(tmp, "data-" + store), "--workers", "2", "--fsync", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(port, proc)
    return port, proc


def start_redis(tmp):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc)
    return port, proc


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Each step: a command and how to normalise its reply (sets and hashes have no order).
def as_set(reply):
    return sorted(reply) if isinstance(reply, (list, set)) else reply


def pairs_set(reply):
    if isinstance(reply, list):
        return sorted(zip(reply[0::2], reply[1::2]))
    return reply


STEPS = [
    # strings and key lifetime
    (("SET", "s", "v"), None), (("GET", "s"), None), (("SET", "s", "w", "NX"), None),
    (("SET", "s", "w", "XX", "GET"), None), (("SET", "t", "1", "EX", "100"), None),
    (("SET", "t", "2", "KEEPTTL"), None), (("TTL", "t"), None), (("PTTL", "nokey"), None),
    (("TTL", "s"), None), (("EXPIRE", "s", "50"), None), (("TTL", "s"), None),
    (("EXPIRE", "s", "60", "NX"), None), (("EXPIRE", "s", "70", "GT"), None),
    (("TTL", "s"), None), (("EXPIRE", "s", "10", "LT"), None), (("TTL", "s"), None),
    (("PERSIST", "s"), None), (("PERSIST", "s"), None), (("TTL", "s"), None),
    (("PEXPIRE", "s", "100000"), None), (("EXPIREAT", "s", str(int(time.time()) + 100)), None),
    (("PEXPIREAT", "s", str(int(time.time() * 1000) + 100000)), None),
    (("EXPIRE", "nokey", "10"), None), (("EXPIRE", "s", "abc"), None),
    (("SETEX", "e", "100", "x"), None), (("TTL", "e"), None), (("PSETEX", "e", "100000", "y"), None),
    (("SETEX", "e", "0", "x"), None), (("SETNX", "n", "1"), None), (("SETNX", "n", "2"), None),
    (("GETSET", "n", "3"), None), (("GETSET", "fresh", "1"), None), (("GETDEL", "n"), None),
    (("GETDEL", "n"), None), (("APPEND", "a", "hello"), None), (("APPEND", "a", " world"), None),
    (("STRLEN", "a"), None), (("STRLEN", "nokey"), None), (("TYPE", "a"), None),
    (("TYPE", "nokey"), None), (("RENAME", "a", "b"), None), (("GET", "b"), None),
    (("EXISTS", "a", "b", "b", "nokey"), None), (("RENAME", "nokey", "x"), None),
    (("RENAMENX", "b", "s"), None), (("INCR", "b"), None), (("INCRBY", "cnt", "5"), None),
    (("MSET", "m1", "1", "m2", "2"), None), (("MGET", "m1", "m2", "nokey"), None),
    (("DEL", "m1", "m2", "nokey"), None), (("EXPIRE", "t", "-1"), None), (("EXISTS", "t"), None),
    (("KEYS", "*"), as_set), (("KEYS", "f*"), as_set),
    # lists
    (("RPUSH", "l", "a", "b", "c"), None), (("LPUSH", "l", "z", "y"), None),
    (("LLEN", "l"), None), (("LRANGE", "l", "0", "-1"), None), (("LRANGE", "l", "-2", "100"), None),
    (("LRANGE", "l", "5", "1"), None), (("LINDEX", "l", "0"), None), (("LINDEX", "l", "-1"), None),
    (("LINDEX", "l", "99"), None), (("RPUSH", "l", "a", "b", "a"), None),
    (("LREM", "l", "1", "a"), None), (("LRANGE", "l", "0", "-1"), None),
    (("LREM", "l", "-1", "a"), None), (("LREM", "l", "0", "b"), None),
    (("LRANGE", "l", "0", "-1"), None), (("LTRIM", "l", "1", "-1"), None),
    (("LRANGE", "l", "0", "-1"), None), (("LPOP", "l"), None), (("RPOP", "l"), None),
    (("RPUSH", "l", "1", "2", "3", "4"), None), (("LPOP", "l", "2"), None),
    (("RPOP", "l", "10"), None), (("EXISTS", "l"), None), (("LPOP", "l"), None),
    (("LPOP", "l", "2"), None), (("LLEN", "l"), None), (("RPUSH", "l", "x"), None),
    (("LPOP", "l", "-1"), None), (("TYPE", "l"), None), (("LTRIM", "l", "5", "9"), None),
    (("EXISTS", "l"), None), (("LPUSH", "l"), None),
    # hashes
    (("HSET", "h", "f1", "v1", "f2", "v2"), None), (("HSET", "h", "f1", "w", "f3", "v3"), None),
    (("HGET", "h", "f1"), None), (("HGET", "h", "no"), None), (("HMGET", "h", "f1", "no", "f3"), None),
    (("HLEN", "h"), None), (("HEXISTS", "h", "f2"), None), (("HEXISTS", "h", "no"), None),
    (("HGETALL", "h"), pairs_set), (("HDEL", "h", "f2", "no"), None),
    (("HINCRBY", "h", "n", "5"), None), (("HINCRBY", "h", "n", "-7"), None),
    (("HINCRBY", "h", "f1", "1"), None), (("HSET", "h", "f1"), None),
    (("HMSET", "h", "a", "1"), None), (("TYPE", "h"), None), (("HGETALL", "nokey"), pairs_set),
    (("HDEL", "h", "f1", "f3", "n", "a"), None), (("EXISTS", "h"), None),
    # sets
    (("SADD", "st", "a", "b", "c", "a"), None), (("SADD", "st", "c", "d"), None),
    (("SCARD", "st"), None), (("SISMEMBER", "st", "a"), None), (("SISMEMBER", "st", "q"), None),
    (("SMEMBERS", "st"), as_set), (("SREM", "st", "a", "q"), None), (("SCARD", "st"), None),
    (("TYPE", "st"), None), (("SPOP", "nokey"), None), (("SPOP", "nokey", "2"), None),
    (("SADD", "one", "only"), None), (("SPOP", "one"), None), (("EXISTS", "one"), None),
    (("SADD", "two", "x", "y"), None), (("SPOP", "two", "5"), as_set), (("EXISTS", "two"), None),
    # sorted sets
    (("ZADD", "z", "1", "a", "2", "b", "3", "c"), None), (("ZADD", "z", "1.5", "a"), None),
    (("ZADD", "z", "CH", "1.5", "a", "9", "b"), None), (("ZADD", "z", "NX", "0", "a", "4", "d"), None),
    (("ZADD", "z", "XX", "5", "e", "0.5", "a"), None), (("ZADD", "z", "GT", "0.1", "a"), None),
    (("ZADD", "z", "LT", "0.1", "a"), None), (("ZADD", "z", "INCR", "2", "a"), None),
    (("ZADD", "z", "NX", "XX", "1", "a"), None), (("ZADD", "z", "GT", "LT", "1", "a"), None),
    (("ZADD", "z", "INCR", "1", "a", "2", "b"), None), (("ZADD", "z", "x", "a"), None),
    (("ZADD", "z", "1"), None), (("ZSCORE", "z", "a"), None), (("ZSCORE", "z", "no"), None),
    (("ZCARD", "z"), None), (("ZRANGE", "z", "0", "-1"), None),
    (("ZRANGE", "z", "0", "-1", "WITHSCORES"), None), (("ZRANGE", "z", "1", "2"), None),
    (("ZRANGE", "z", "0", "0", "REV"), None), (("ZRANK", "z", "c"), None),
    (("ZRANK", "z", "no"), None), (("ZINCRBY", "z", "1.25", "c"), None),
    (("ZINCRBY", "z", "3", "new"), None), (("ZREM", "z", "new", "no"), None),
    (("ZPOPMIN", "z"), None), (("ZPOPMIN", "z", "2"), None), (("ZPOPMIN", "nokey"), None),
    (("ZADD", "z", "-inf", "lo", "inf", "hi", "-2.5", "neg"), None),
    (("ZRANGE", "z", "0", "-1", "WITHSCORES"), None), (("TYPE", "z"), None),
    # WRONGTYPE, arity, every type under the keyspace commands
    (("GET", "z"), None), (("LPUSH", "z", "a"), None), (("HGET", "st", "a"), None),
    (("SADD", "h2", "a"), None), (("ZADD", "st", "1", "a"), None), (("INCR", "st"), None),
    (("APPEND", "st", "x"), None), (("LLEN", "s"), None), (("MGET", "s", "st"), None),
    (("GET",), None), (("LRANGE", "l", "0"), None), (("ZRANGE", "z"), None),
    (("HSET", "h", "a", "b", "c"), None), (("RENAME", "st", "st2"), None),
    (("SMEMBERS", "st2"), as_set), (("RENAME", "z", "st2"), None), (("TYPE", "st2"), None),
    (("ZCARD", "st2"), None), (("EXPIRE", "st2", "100"), None), (("TTL", "st2"), None),
    (("SET", "st2", "plain"), None), (("TYPE", "st2"), None), (("DEL", "h2", "st2"), None),
    (("DBSIZE",), None), (("FLUSHDB",), None), (("DBSIZE",), None), (("FLUSHALL",), None),
]


def run_steps(port):
    c = redis.Redis(port=port, decode_responses=True)
    c.flushall()
    c.response_callbacks.clear()  # the replies as the server sent them
    out = []
    for cmd, normalise in STEPS:
        try:
            reply = c.execute_command(*cmd)
            if normalise:
                reply = normalise(reply)
        except redis.exceptions.ResponseError as e:
            reply = "ERROR: " + str(e)
        out.append(reply)
    return out


def check_scan(port):
    """Every key present for the whole scan is returned; MATCH, COUNT and TYPE filter."""
    c = redis.Redis(port=port, decode_responses=True)
    c.flushall()
    for i in range(300):
        c.set("k%d" % i, "v")
    c.rpush("alist", "x")
    c.sadd("aset", "x")
    seen, cursor, calls = set(), 0, 0
    while True:
        cursor, keys = c.scan(cursor, count=7)
        seen.update(keys)
        calls += 1
        c.set("extra%d" % calls, "v")  # keys come and go during the scan
        c.delete("extra%d" % (calls - 1))
        if cursor == 0:
            break
        assert calls < 10000, "scan does not terminate"
    c.delete("extra%d" % calls)
    want = {"k%d" % i for i in range(300)} | {"alist", "aset"}
    assert want <= seen, "scan missed %s" % sorted(want - seen)[:5]
    assert set(c.scan_iter(match="k1*")) == {k for k in want if k.startswith("k1")}
    assert set(c.scan_iter(_type="list")) == {"alist"}
    assert set(c.scan_iter(_type="set")) == {"aset"}
    # expired keys go away in the background too, without being read
    for i in range(50):
        c.set("ttl%d" % i, "v", px=1)
    stored = lambda: c.info("persistence").get("memory_store_keys")
    if stored() is not None:  # the memory store says how many keys it holds
        deadline = time.time() + 20
        while time.time() < deadline and stored() > 302:
            time.sleep(0.05)
        assert stored() == 302, "expired keys were not removed in the background"
    c.flushall()


def benchmark(port):
    if not shutil.which("redis-benchmark"):
        print("redis-benchmark not installed: benchmark skipped")
        return
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-q", "-n", "2000", "-P", "16"],
                       capture_output=True, text=True, timeout=300)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "ERR" not in text and "WRONGTYPE" not in text, text
    for test in ("LPUSH", "RPOP", "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_600", "MSET"):
        assert test in text, "%s missing from redis-benchmark's output:\n%s" % (test, text)


def main():
    binary = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        expected = None
        if shutil.which("redis-server"):
            port, proc = start_redis(tmp)
            try:
                expected = run_steps(port)
            finally:
                stop(proc)
        else:
            print("redis-server not installed: replies are not compared")
        for store in ("memory", "rocksdb"):
            port, proc = start_hakmem(binary, store, tmp)
            try:
                got = run_steps(port)
                if expected is not None:
                    for (cmd, _), want, have in zip(STEPS, expected, got):
                        if want != have:
                            failures += 1
                            print("[%s] %s: redis %r, hakmem %r" % (store, " ".join(cmd), want, have))
                check_scan(port)
                benchmark(port)
            finally:
                stop(proc)
            print("%s: %d commands compared" % (store, len(STEPS)))
    if failures:
        print("%d differences" % failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
