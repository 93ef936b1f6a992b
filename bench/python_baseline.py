#!/usr/bin/env python3
"""CPython's ThreadPoolExecutor and ProcessPoolExecutor in the shapes cf_bench
measures (see shapes.hpp and reference_process.cpp; the sizes are the same):

  throughput  submit BATCH trivial calls, then collect every result
  latency     one call at a time, submit -> result
  map_chunked map over MAP_INPUTS inputs with chunksize CHUNK (process pool)

Every pool has WORKERS workers. Each shape runs REPETITIONS times; the JSON on
stdout gives the median seconds per iteration of each row, named like cf_bench's
rows ("throughput/cpython-process"), and for each latency row the median over
the repetitions of the 50th, 99th and 99.9th percentile round trip.

Like cf_bench (bench/ledger.hpp), every call counts its run in a ledger (a
shared-memory array for the process pool) and every result is compared with
its input: a run that lost or duplicated work exits with an error instead of
printing figures.
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
LATENCY_CALLS = 5_000
REPETITIONS = 3


# The ledger: one run count per slot (call index modulo SLOTS). In the process
# pool's workers it is the shared array handed to attach_ledger.
SLOTS = MAP_INPUTS
ledger = None


def attach_ledger(shared):
    global ledger
    ledger = shared


def identity(x):
    ledger[x % SLOTS] += 1
    return x


class LostWork(Exception):
    pass


def settle(calls):
    """Checks that calls 0..calls-1 each ran exactly once, and resets."""
    for s in range(SLOTS):
        want = calls // SLOTS + (1 if s < calls % SLOTS else 0)
        if ledger[s] != want:
            raise LostWork(f"lost or duplicated work: slot {s} ran {ledger[s]} times, expected {want}")
        ledger[s] = 0


def check(got, want):
    if got != want:
        raise LostWork(f"wrong result: got {got}, expected {want}")


def warm_up(pool):
    for f in [pool.submit(identity, i) for i in range(2 * WORKERS)]:
        f.result()
    settle(2 * WORKERS)


def throughput(pool, batch):
    start = time.perf_counter()
    futures = [pool.submit(identity, i) for i in range(batch)]
    results = [f.result() for f in futures]
    elapsed = time.perf_counter() - start
    for i, r in enumerate(results):
        check(r, i)
    settle(batch)
    return elapsed


def latency(pool, calls):
    """Mean seconds per round trip, and the sorted round trips."""
    trips = []
    clock = time.perf_counter
    start = clock()
    for i in range(calls):
        t = clock()
        r = pool.submit(identity, i).result()
        trips.append(clock() - t)
        check(r, i)
    mean = (clock() - start) / calls
    settle(calls)
    return mean, sorted(trips)


def percentile(trips, q):
    return trips[int(q * (len(trips) - 1))]


def map_chunked(pool):
    start = time.perf_counter()
    results = list(pool.map(identity, range(MAP_INPUTS), chunksize=CHUNK))
    elapsed = time.perf_counter() - start
    for i, r in enumerate(results):
        check(r, i)
    settle(MAP_INPUTS)
    return elapsed


def median_of(measure):
    return statistics.median(measure() for _ in range(REPETITIONS))


def latency_rows(pool, name, rows, percentiles):
    runs = [latency(pool, LATENCY_CALLS) for _ in range(REPETITIONS)]
    rows[name] = statistics.median(mean for mean, _ in runs)
    percentiles[name] = {
        key: statistics.median(percentile(trips, q) for _, trips in runs) * 1e6
        for key, q in (("p50_us", 0.50), ("p99_us", 0.99), ("p999_us", 0.999))
    }


def main():
    rows, percentiles = {}, {}
    attach_ledger([0] * SLOTS)
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        warm_up(pool)
        rows["throughput/cpython-thread"] = median_of(lambda: throughput(pool, THREAD_BATCH))
        latency_rows(pool, "latency/cpython-thread", rows, percentiles)
    # spawn, as cf's process pool does: workers never fork a threaded parent.
    context = multiprocessing.get_context("spawn")
    attach_ledger(context.RawArray("l", SLOTS))
    with cf.ProcessPoolExecutor(max_workers=WORKERS, mp_context=context,
                                initializer=attach_ledger, initargs=(ledger,)) as pool:
        warm_up(pool)
        rows["throughput/cpython-process"] = median_of(lambda: throughput(pool, PROCESS_BATCH))
        latency_rows(pool, "latency/cpython-process", rows, percentiles)
        rows["map_chunked/cpython-process"] = median_of(lambda: map_chunked(pool))
    json.dump({
        "python": platform.python_version(),
        "workers": WORKERS,
        "repetitions": REPETITIONS,
        "sizes": {"thread_batch": THREAD_BATCH, "process_batch": PROCESS_BATCH,
                  "map_inputs": MAP_INPUTS, "chunk": CHUNK},
        "seconds_per_iteration": rows,
        "round_trip_percentiles": percentiles,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
