"""Allocates heavily in several threads, passing objects between them (so they are freed by
a thread that did not create them). Prints results that depend only on the data: the same
under any allocator."""
import hashlib
import queue
import threading

THREADS = 4
ITEMS = 12000


def make_item(tid, i):
    return {
        "id": (tid, i),
        "blob": bytes([(tid * 31 + i) % 256]) * (i % 2000),
        "words": [str(i * k) for k in range(i % 40)],
        "text": ("t%d-%d;" % (tid, i)) * (i % 60),
    }


def producer(tid, q):
    for i in range(ITEMS):
        q.put(make_item(tid, i))
    q.put(None)


def consumer(q, results, slot):
    digest = hashlib.sha256()
    count = 0
    while True:
        item = q.get()
        if item is None:
            break
        digest.update(repr(item["id"]).encode())
        digest.update(item["blob"])
        digest.update(",".join(item["words"]).encode())
        digest.update(item["text"].encode())
        count += 1
    results[slot] = (count, digest.hexdigest())


def churn(tid, results, slot):
    # Thread-local churn: dicts and lists that grow, shrink and die in the same thread.
    total = 0
    for round_ in range(30):
        table = {("k", tid, i): [i] * (i % 30) for i in range(3000)}
        total += sum(len(v) for v in table.values())
        del table
    results[slot] = total


def main():
    results = [None] * (THREADS * 2)
    threads = []
    for tid in range(THREADS):
        q = queue.Queue(maxsize=256)
        threads.append(threading.Thread(target=producer, args=(tid, q)))
        threads.append(threading.Thread(target=consumer, args=(q, results, tid)))
    for tid in range(THREADS):
        threads.append(threading.Thread(target=churn, args=(tid, results, THREADS + tid)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for tid in range(THREADS):
        count, digest = results[tid]
        print("pipe %d: %d items sha256 %s" % (tid, count, digest))
    for tid in range(THREADS):
        print("churn %d: %d" % (tid, results[THREADS + tid]))


if __name__ == "__main__":
    main()
