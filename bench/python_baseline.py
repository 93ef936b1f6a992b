#!/usr/bin/env python3
"""CPython's ThreadPoolExecutor and ProcessPoolExecutor in the shapes cf_bench
measures (see shapes.hpp and reference_process.cpp; the sizes are the same):

  throughput  submit BATCH trivial calls, then collect every result
  latency     one call at a time, submit -> result
  map_chunked map over MAP_INPUTS inputs with chunksize CHUNK (process pool)

With --mpi4py it measures mpi4py.futures' MPIPoolExecutor instead (rows
"...-/mpi4py-futures"), its ledger a named shared-memory block the worker
ranks attach to; bench/compare runs that apart, with Open MPI's settings.

Every pool has WORKERS workers. Each shape runs REPETITIONS times; the JSON on
stdout gives the median seconds per iteration of each row, named like cf_bench's
rows ("throughput/cpython-process"), and for each latency row the median over
the repetitions of the 50th, 99th and 99.9th percentile round trip.

Like cf_bench (bench/ledger.hpp), every call counts its run in a ledger (a
shared-memory array for the process pool) and every result is compared with
its input: a run that lost or duplicated work exits with an error instead of
printing figures.
"""
import atexit
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


_ledger_block = None


def attach_named_ledger(name):
    """An MPI rank's ledger: the parent's shared-memory block, by name."""
    global _ledger_block
    from multiprocessing import resource_tracker, shared_memory
    _ledger_block = shared_memory.SharedMemory(name=name)
    # The parent owns the block; a rank must not unlink it when it exits.
    resource_tracker.unregister(_ledger_block._name, "shared_memory")
    attach_ledger(_ledger_block.buf.cast("q"))
    atexit.register(_detach_named_ledger)


def _detach_named_ledger():
    view = ledger
    attach_ledger(None)
    view.release()
    _ledger_block.close()


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


def mpi4py_rows():
    """mpi4py.futures' MPIPoolExecutor in the process pool's shapes."""
    from multiprocessing import shared_memory
    from mpi4py.futures import MPIPoolExecutor
    rows, percentiles = {}, {}
    block = shared_memory.SharedMemory(create=True, size=SLOTS * 8)
    view = block.buf.cast("q")
    try:
        attach_ledger(view)
        for s in range(SLOTS):
            ledger[s] = 0
        with MPIPoolExecutor(max_workers=WORKERS, initializer=attach_named_ledger,
                             initargs=(block.name,)) as pool:
            warm_up(pool)
            rows["throughput/mpi4py-futures"] = median_of(lambda: throughput(pool, PROCESS_BATCH))
            latency_rows(pool, "latency/mpi4py-futures", rows, percentiles)
            rows["map_chunked/mpi4py-futures"] = median_of(lambda: map_chunked(pool))
    finally:
        attach_ledger(None)
        view.release()
        block.close()
        block.unlink()
    return rows, percentiles


def main():
    if sys.argv[1:] == ["--mpi4py"]:
        rows, percentiles = mpi4py_rows()
        json.dump({"seconds_per_iteration": rows, "round_trip_percentiles": percentiles},
                  sys.stdout, indent=2)
        print()
        return
    if sys.argv[1:]:
        sys.exit(f"python_baseline.py: unknown arguments {sys.argv[1:]} (only --mpi4py)")
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
