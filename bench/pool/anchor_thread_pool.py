"""Python's multiprocessing.pool.ThreadPool on LoopPool's workloads; prints one JSON object.

  python3 anchor_thread_pool.py THREADS RUNS TASKS     best rates of apply_async and map, tasks/s
"""
import json
import sys
import time
from multiprocessing.pool import ThreadPool


def work(x):
    return x + 1


if __name__ == "__main__":
    threads, runs, tasks = (int(a) for a in sys.argv[1:4])
    with ThreadPool(threads) as pool:
        pool.map(work, range(1000))

        def apply_async():
            t = time.perf_counter()
            results = [pool.apply_async(work, (i,)) for i in range(tasks)]
            for r in results:
                r.get()
            return tasks / (time.perf_counter() - t)

        def map_():
            t = time.perf_counter()
            pool.map(work, range(tasks), chunksize=1)
            return tasks / (time.perf_counter() - t)

        print(json.dumps({
            "applyAsync": max(apply_async() for _ in range(runs)),
            "map": max(map_() for _ in range(runs)),
        }))
