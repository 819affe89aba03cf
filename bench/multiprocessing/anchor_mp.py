"""Python anchors of bench/multiprocessing: prints one JSON object with the measures.

Usage: python3 anchor_mp.py pipe ROUNDS MIB_MESSAGES | queue ITEMS | start RUNS | burst N | value WORKERS INCREMENTS | shareable_list OPS
"""
import json
import multiprocessing as mp
import sys
import time


def echo(conn):
    while True:
        try:
            value = conn.recv()
        except EOFError:
            return
        conn.send(value)


def sink(conn, count):
    total = 0
    for _ in range(count + 20):
        total += len(conn.recv_bytes())
    conn.send(total)


def produce(q, n):
    for i in range(n):
        q.put(i)


def consume(q, n, out):
    t0 = None
    for i in range(n):
        q.get()
        if t0 is None:
            t0 = time.perf_counter()
    out.put(time.perf_counter() - t0)


def first(q):
    q.put(1)


def increment(v, n, ready, go):
    ready.set()
    go.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def pipe(rounds, messages):
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe()
    p = ctx.Process(target=echo, args=(b,))
    p.start()
    for i in range(5000):  # the same warm-up as shoal's
        a.send(i)
        a.recv()
    time.sleep(0.3)
    t0 = time.perf_counter()
    for i in range(rounds):
        a.send(i)
        a.recv()
    round_trips = rounds / (time.perf_counter() - t0)
    a.close()
    p.join()
    r, w = ctx.Pipe()
    p = ctx.Process(target=sink, args=(r, messages))
    p.start()
    blob = b"x" * (1 << 20)
    for _ in range(20):
        w.send_bytes(blob)
    time.sleep(0.3)
    t0 = time.perf_counter()
    for _ in range(messages):
        w.send_bytes(blob)
    w.recv()
    bytes_per_s = messages * len(blob) / (time.perf_counter() - t0)
    p.join()
    return {"roundTrips": round_trips, "bytesPerSecond": bytes_per_s}


def queue(n):
    ctx = mp.get_context("spawn")
    q, out = ctx.Queue(), ctx.Queue()
    c = ctx.Process(target=consume, args=(q, n, out))
    p = ctx.Process(target=produce, args=(q, n))
    c.start()
    p.start()
    elapsed = out.get()
    p.join()
    c.join()
    return {"itemsPerSecond": n / elapsed}


def start(runs):
    ctx = mp.get_context("spawn")
    times = []
    for _ in range(runs):
        q = ctx.Queue()
        t0 = time.perf_counter()
        p = ctx.Process(target=first, args=(q,))
        p.start()
        q.get()
        times.append((time.perf_counter() - t0) * 1000)
        p.join()
        time.sleep(0.3)  # the same pause as shoal's bench between starts
    cold = times[0]
    times.sort()
    return {"medianMs": times[len(times) // 2], "firstMs": cold}


def burst(n):
    """n processes started at once by a fresh program, until each has sent its first message."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    t0 = time.perf_counter()
    ps = [ctx.Process(target=first, args=(q,)) for _ in range(n)]
    for p in ps:
        p.start()
    for _ in range(n):
        q.get()
    elapsed = (time.perf_counter() - t0) * 1000
    for p in ps:
        p.join()
    return {"ms": elapsed}


def value(workers, n):
    """`with v.get_lock(): v.value += 1`, n times in each of WORKERS processes (started before timing)."""
    ctx = mp.get_context("spawn")
    v = ctx.Value("i", 0)
    go = ctx.Event()
    readies = [ctx.Event() for _ in range(workers)]
    ps = [ctx.Process(target=increment, args=(v, n, r, go)) for r in readies]
    for p in ps:
        p.start()
    for r in readies:
        r.wait()
    t0 = time.perf_counter()
    go.set()
    for p in ps:
        p.join()
    elapsed = time.perf_counter() - t0
    assert v.value == workers * n
    return {"incrementsPerSecond": workers * n / elapsed}


def shareable_list(ops):
    """`sl[i] = sl[i] + 1` over a ShareableList of 8 numbers and 2 strings, ops times."""
    from multiprocessing import shared_memory
    sl = shared_memory.ShareableList([0.0] * 8 + ["ab", "cd"])
    t0 = time.perf_counter()
    for i in range(ops):
        j = i & 7
        sl[j] = sl[j] + 1
    elapsed = time.perf_counter() - t0
    sl.shm.close()
    sl.shm.unlink()
    return {"pairsPerSecond": ops / elapsed}


if __name__ == "__main__":
    kind = sys.argv[1]
    args = [int(a) for a in sys.argv[2:]]
    result = {"pipe": pipe, "queue": queue, "start": start, "burst": burst, "value": value, "shareable_list": shareable_list}[kind](*args)
    print(json.dumps(result))
