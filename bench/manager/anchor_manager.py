"""Python's Manager, the anchor of bench/manager: prints one JSON line of rates.

usage: python3 anchor_manager.py dict PAIRS WARMUP | queue ITEMS
"""
import json, sys, time
from multiprocessing import Manager, Process


def dict_child(d, n, out, warmup):
    for i in range(warmup):  # the same untimed pairs as shoal's
        d[i] = i
        d[i]
    t = time.perf_counter()
    for i in range(n):
        d[i] = i
        d[i]
    out.put(n / (time.perf_counter() - t))


def producer(q, n):
    for i in range(n):
        q.put(i)
    q.put(None)


def consumer(q, out):
    while q.get() is not None:
        pass
    out.put(time.perf_counter())


if __name__ == "__main__":
    what, n = sys.argv[1], int(sys.argv[2])
    with Manager() as m:
        out = m.Queue()
        if what == "dict":
            d = m.dict()  # keep a reference: a temporary proxy would free the dict before the child uses it
            p = Process(target=dict_child, args=(d, n, out, int(sys.argv[3])))
            p.start(); p.join()
            print(json.dumps({"rate": out.get(timeout=600)}))
        else:
            q = m.Queue()
            c = Process(target=consumer, args=(q, out)); c.start()
            t = time.perf_counter()
            p = Process(target=producer, args=(q, n)); p.start()
            p.join(); c.join()
            print(json.dumps({"rate": n / (out.get(timeout=600) - t)}))
