"""Python's queue.Queue, the anchor of bench/queue: prints one JSON object.

  python3 anchor_queue.py one-thread N        put+get pairs per second in one thread
  python3 anchor_queue.py two-threads N MAX   items per second from a producer thread to the consumer (main) thread
"""
import json
import queue
import sys
import threading
import time


def one_thread(n):
    q = queue.Queue()
    item = object()
    started = time.perf_counter()
    for _ in range(n):
        q.put(item)
        q.get()
    return {"pairsPerSecond": n / (time.perf_counter() - started)}


def two_threads(n, maxsize):
    q = queue.Queue(maxsize)

    def producer():
        for i in range(n):
            q.put(i)

    thread = threading.Thread(target=producer)
    thread.start()
    q.get()
    started = time.perf_counter()  # from the first item to the last, as shoal is timed
    for _ in range(n - 1):
        q.get()
    elapsed = time.perf_counter() - started
    thread.join()
    return {"itemsPerSecond": (n - 1) / elapsed}


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "one-thread":
        print(json.dumps(one_thread(int(sys.argv[2]))))
    else:
        print(json.dumps(two_threads(int(sys.argv[2]), int(sys.argv[3]))))
