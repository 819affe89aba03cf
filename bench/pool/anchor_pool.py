"""Python's multiprocessing.Pool on the pool benchmarks' workloads; prints one JSON object.

Same method as the shoal side: a warm pool of N processes, best of RUNS runs per measure.
"""
import json
import multiprocessing as mp
import sys
import time


def square(x):
    return x * x


def best(runs, fn):
    return max(fn() for _ in range(runs))


if __name__ == "__main__":
    processes, runs, tasks, items, imap_items = (int(a) for a in sys.argv[1:6])
    with mp.Pool(processes) as pool:
        pool.map(square, range(1000))

        def apply_async():
            t = time.perf_counter()
            results = [pool.apply_async(square, (i,)) for i in range(tasks)]
            for r in results:
                r.get()
            return tasks / (time.perf_counter() - t)

        data = list(range(items))

        def map_():
            t = time.perf_counter()
            pool.map(square, data)
            return items / (time.perf_counter() - t)

        def imap_unordered():
            t = time.perf_counter()
            n = 0
            for _ in pool.imap_unordered(square, range(imap_items), chunksize=1):
                n += 1
            return n / (time.perf_counter() - t)

        print(json.dumps({
            "apply_async": best(runs, apply_async),
            "map": best(runs, map_),
            "imap_unordered": best(runs, imap_unordered),
        }))
