"""A small RESP client for what hakmem-load cannot do: INFO, deleting a set of keys, and reading
every key back to count the live data (keys + values) the server holds."""

import socket

KEY_FORMAT = "key:%012d"  # hakmem-load's keys (clients/load/README.md)


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Client:
    def __init__(self, port, host="127.0.0.1", timeout=60):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb", buffering=1 << 20)

    def close(self):
        self.file.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _line(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise OSError("connection closed by the server")
        return line[:-2]

    def reply(self):
        """One reply: str (simple), int, bytes or None (bulk), list (array); -ERR raises."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise OSError("server error: " + rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)
            if len(data) != n + 2:
                raise OSError("connection closed by the server")
            return data[:-2]
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise OSError("protocol error: %r" % line[:80])

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def info(self, section="memory"):
        body = self.call("INFO", section).decode(errors="replace")
        fields = {}
        for line in body.splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
        return fields

    def delete(self, key_ids, batch=200):
        """DEL of the given key numbers, `batch` keys per command; the number deleted."""
        deleted = 0
        ids = list(key_ids)
        for start in range(0, len(ids), batch):
            deleted += self.call("DEL", *[KEY_FORMAT % i for i in ids[start:start + batch]])
        return deleted

    def live_data(self, keys, batch=200):
        """(keys present, their key + value bytes) over keys 0..keys-1, by MGET."""
        present = total = 0
        for start in range(0, keys, batch):
            names = [KEY_FORMAT % i for i in range(start, min(keys, start + batch))]
            self.sock.sendall(encode("MGET", *names))
            line = self._line()
            if line[:1] != b"*" or int(line[1:]) != len(names):
                raise OSError("unexpected MGET reply %r" % line[:80])
            for name in names:
                n = int(self._line()[1:])
                if n >= 0:
                    if len(self.file.read(n + 2)) != n + 2:
                        raise OSError("connection closed by the server")
                    present += 1
                    total += n + len(name)
        return present, total
