#!/usr/bin/env python3
"""CPython's ThreadPoolExecutor and ProcessPoolExecutor in the shapes cf_bench
measures (see shapes.hpp and reference_process.cpp; the sizes are the same):

  throughput  submit BATCH trivial calls, then collect every result
  latency     one call at a time, submit -> result
  map_chunked map over MAP_INPUTS inputs with chunksize CHUNK (process pool)

Every pool has WORKERS workers. Each shape runs REPETITIONS times; the JSON on
stdout gives the median seconds per iteration of each row, named like cf_bench's
rows ("throughput/cpython-process").
"""
import concurrent.futures as cf
import json
import multiprocessing
import platform
import statistics
import sys
import time

WORKERS = 2
THREAD_BATCH = 10_000
PROCESS_BATCH = 2_000
MAP_INPUTS = 10_000
CHUNK = 100
LATENCY_CALLS = 2_000
REPETITIONS = 3


def identity(x):
    return x


def warm_up(pool):
    for f in [pool.submit(identity, i) for i in range(2 * WORKERS)]:
        f.result()


def throughput(pool, batch):
    start = time.perf_counter()
    futures = [pool.submit(identity, i) for i in range(batch)]
    total = sum(f.result() for f in futures)
    assert total == batch * (batch - 1) // 2
    return time.perf_counter() - start


def latency(pool, calls):
    start = time.perf_counter()
    for i in range(calls):
        pool.submit(identity, i).result()
    return (time.perf_counter() - start) / calls


def map_chunked(pool):
    start = time.perf_counter()
    total = sum(pool.map(identity, range(MAP_INPUTS), chunksize=CHUNK))
    assert total == MAP_INPUTS * (MAP_INPUTS - 1) // 2
    return time.perf_counter() - start


def median_of(measure):
    return statistics.median(measure() for _ in range(REPETITIONS))


def main():
    rows = {}
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        warm_up(pool)
        rows["throughput/cpython-thread"] = median_of(lambda: throughput(pool, THREAD_BATCH))
        rows["latency/cpython-thread"] = median_of(lambda: latency(pool, LATENCY_CALLS))
    # spawn, as cf's process pool does: workers never fork a threaded parent.
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=WORKERS, mp_context=context) as pool:
        warm_up(pool)
        rows["throughput/cpython-process"] = median_of(lambda: throughput(pool, PROCESS_BATCH))
        rows["latency/cpython-process"] = median_of(lambda: latency(pool, LATENCY_CALLS))
        rows["map_chunked/cpython-process"] = median_of(lambda: map_chunked(pool))
    json.dump({
        "python": platform.python_version(),
        "workers": WORKERS,
        "repetitions": REPETITIONS,
        "sizes": {"thread_batch": THREAD_BATCH, "process_batch": PROCESS_BATCH,
                  "map_inputs": MAP_INPUTS, "chunk": CHUNK},
        "seconds_per_iteration": rows,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
