"""The introspection commands through Debian's python3-redis, against hakmem-server and, when
Debian's redis-server is installed, against it too: every expected reply below is what Redis
7.0 answers, and the run checks that a real redis-server still agrees.

Usage: redis_py_introspection_test.py HAKMEM_SERVER_BINARY   (exit 77: skipped)
"""
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
    print("SKIP: python3-redis is not installed (apt install python3-redis)")
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


def reply(client, *args):
    """The reply as redis-py returns it (its parsing applied), or the error text."""
    try:
        return client.execute_command(*args)
    except redis.ResponseError as e:
        return "error: " + str(e)


# (command, Redis 7.0's reply). Run in order on a fresh server.
SCRIPT = [
    (("CLIENT", "SETNAME", "py"), "OK"),
    (("CLIENT", "GETNAME"), "py"),
    (("CLIENT", "SETNAME", "a b"),
     "error: Client names cannot contain spaces, newlines or special characters."),
    (("CLIENT", "FOO"), "error: unknown subcommand 'FOO'. Try CLIENT HELP."),
    (("CLIENT", "ID", "x"), "error: wrong number of arguments for 'client|id' command"),
    (("CLIENT", "KILL", "ID", "0"), "error: client-id should be greater than 0"),
    (("CLIENT", "KILL", "ID", "999999"), 0),
    (("CLIENT", "KILL", "1.2.3.4:5"), "error: No such client"),
    (("CLIENT", "LIST", "TYPE", "bogus"), "error: Unknown client type 'bogus'"),
    (("CONFIG", "SET", "nosuch", "1"),
     "error: Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
    (("CONFIG", "SET", "maxclients", "abc"),
     "error: CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't "
     "be parsed into an integer"),
    (("CONFIG", "SET", "timeout", "-1"),
     "error: CONFIG SET failed (possibly related to argument 'timeout') - argument must be "
     "between 0 and 2147483647 inclusive"),
    (("CONFIG", "SET", "maxclients", "1", "maxclients", "2"),
     "error: CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
     "parameter"),
    (("CONFIG", "SET", "databases", "3"),
     "error: CONFIG SET failed (possibly related to argument 'databases') - can't set "
     "immutable config"),
    (("CONFIG", "SET", "timeout", "5", "slowlog-max-len", "64"), "OK"),
    (("CONFIG", "GET", "timeout"), ["timeout", "5"]),
    (("CONFIG", "GET", "slowlog-max-len"), ["slowlog-max-len", "64"]),
    (("CONFIG", "SET", "timeout", "0"), "OK"),
    (("CONFIG", "GET", "save"), ["save", ""]),
    (("CONFIG", "GET", "appendonly"), ["appendonly", "no"]),
    (("CONFIG", "GET", "no-such-*"), []),
    (("CONFIG",), "error: wrong number of arguments for 'config' command"),
    (("CONFIG", "SET", "timeout"), "error: wrong number of arguments for 'config|set' command"),
    (("CONFIG", "RESETSTAT", "x"),
     "error: wrong number of arguments for 'config|resetstat' command"),
    (("CONFIG", "HELP", "x"), "error: wrong number of arguments for 'config|help' command"),
    (("CONFIG", "FOO"), "error: unknown subcommand 'FOO'. Try CONFIG HELP."),
    (("CONFIG", "RESETSTAT"), "OK"),
    (("SLOWLOG", "RESET"), "OK"),
    (("SLOWLOG", "LEN"), 0),
    (("SLOWLOG", "GET", "-5"), "error: count should be greater than or equal to -1"),
    (("SLOWLOG", "GET", "1", "2"),
     "error: unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."),
    (("SLOWLOG", "LEN", "x"), "error: wrong number of arguments for 'slowlog|len' command"),
    (("SLOWLOG", "FOO"), "error: unknown subcommand 'FOO'. Try SLOWLOG HELP."),
    (("TIME", "x"), "error: wrong number of arguments for 'time' command"),
    (("MEMORY", "USAGE", "nokey"), None),
    (("MEMORY", "USAGE"), "error: wrong number of arguments for 'memory|usage' command"),
    (("MEMORY", "DOCTOR", "x"), "error: wrong number of arguments for 'memory|doctor' command"),
    (("MEMORY", "FOO"), "error: unknown subcommand 'FOO'. Try MEMORY HELP."),
    (("SET", "k", "v"), True),
    (("MEMORY", "USAGE", "k", "SAMPLES", "x"), "error: value is not an integer or out of range"),
    (("COMMAND", "COUNT", "x"), "error: wrong number of arguments for 'command|count' command"),
    (("HELLO", "4"), "error: NOPROTO unsupported protocol version"),
    (("HELLO", "x"), "error: Protocol version is not an integer or out of range"),
    (("HELLO", "2", "FOO"), "error: Syntax error in HELLO option 'FOO'"),
    (("HSET", "h", "f", "v"), 1),
    (("HGETALL", "h"), {"f": "v"}),
    (("ZADD", "z", "0.1", "a"), 1),
    (("ZSCORE", "z", "a"), 0.1),
    (("ZINCRBY", "z", "1", "a"), 1.1),
]


def run_script(client):
    return [reply(client, *cmd) for cmd, _ in SCRIPT]


def check_common(client, name, failures):
    """Replies whose details differ per server: types and fields, not values."""
    now = client.time()
    if not (isinstance(now, tuple) and len(now) == 2 and now[0] > 1_600_000_000):
        failures.append("%s: TIME gave %r" % (name, now))
    hello = client.execute_command("HELLO", "2")
    hello = dict(zip(hello[::2], hello[1::2])) if isinstance(hello, list) else hello
    if set(hello) != {"server", "version", "proto", "id", "mode", "role", "modules"} or \
            hello["proto"] != 2:
        failures.append("%s: HELLO 2 gave %r" % (name, hello))
    me = client.client_id()
    entry = [c for c in client.client_list() if int(c["id"]) == me]
    if len(entry) != 1 or entry[0]["name"] != "py" or entry[0]["cmd"] != "client|list":
        failures.append("%s: CLIENT LIST gave %r" % (name, entry))
    client.set("e", "1", ex=100)
    keyspace = client.info("keyspace")
    if keyspace.get("db0", {}).get("keys") != 4 or keyspace["db0"].get("expires") != 1:
        failures.append("%s: INFO keyspace gave %r" % (name, keyspace))  # k, h, z and e
    clients = client.info("clients")
    if clients.get("blocked_clients") != 0 or clients.get("connected_clients", 0) < 1:
        failures.append("%s: INFO clients gave %r" % (name, clients))
    memory = client.info("memory")
    ratio = memory.get("mem_fragmentation_ratio", 0)
    if not memory.get("used_memory", 0) > 0 or not 0 < ratio < 20:
        failures.append("%s: INFO memory used_memory=%r ratio=%r" %
                        (name, memory.get("used_memory"), ratio))
    stats = client.memory_stats()
    for field in ("peak.allocated", "total.allocated", "keys.count", "fragmentation"):
        if field not in stats:
            failures.append("%s: MEMORY STATS lacks %s: %r" % (name, field, stats))
    if not isinstance(client.memory_usage("k"), int):
        failures.append("%s: MEMORY USAGE k" % name)
    if not isinstance(client.execute_command("MEMORY", "DOCTOR"), str):
        failures.append("%s: MEMORY DOCTOR" % name)
    help_lines = client.execute_command("CONFIG", "HELP")
    if not (isinstance(help_lines, list) and len(help_lines) > 3):
        failures.append("%s: CONFIG HELP gave %r" % (name, help_lines))
    client.config_set("slowlog-log-slower-than", 0)
    client.execute_command("SLOWLOG", "RESET")
    client.get("k")
    log = client.slowlog_get(5)
    if not log or not any(e["command"] in ("GET k", b"GET k") for e in log):
        failures.append("%s: SLOWLOG GET gave %r" % (name, log))
    client.config_set("slowlog-log-slower-than", 10000)


def start(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
    except Exception:
        proc.kill()
        raise
    return proc


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="hakmem-redis-py-")
    failures = []
    procs = []
    try:
        port = free_port()
        procs.append(start([binary, "--port", str(port), "--store", "memory", "--no-admin",
                            "--data-dir", os.path.join(tmp, "data")], port))
        servers = [("hakmem-server", port)]
        redis_server = shutil.which("redis-server")
        if redis_server:
            rport = free_port()
            procs.append(start([redis_server, "--port", str(rport), "--save", "",
                                "--appendonly", "no", "--dir", tmp], rport))
            servers.append(("redis-server", rport))
        else:
            print("note: redis-server is not installed; checked against the recorded replies")
        for name, p in servers:
            client = redis.Redis(port=p, decode_responses=True)
            got = run_script(client)
            for (cmd, want), have in zip(SCRIPT, got):
                if have != want:
                    failures.append("%s: %s -> %r, Redis 7.0 gives %r" %
                                    (name, " ".join(cmd), have, want))
            check_common(client, name, failures)
            client.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print("%d servers, %d scripted commands, %d failures" %
          (len(servers), len(SCRIPT), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
