#!/usr/bin/env python3
"""Drives CPython's own concurrent.futures for cfspec's conformance suite.

Started by the cpython-* adapters (property_tests/cpython/client.cpp), one
process per test program, as:  python3 driver.py LAB_SOCKET

Protocol: one JSON object per line.
  C++ -> driver (stdin)
    {"t": token, "op": ..., ...}   a request from the C++ thread `token`; the
                                   driver runs it on that thread's proxy thread
                                   (one per C++ thread, so "the calling thread"
                                   of a cancel or add_done_callback is stable)
    {"ack": k, ...}                the answer to event k (below)
  driver -> C++ (stdout)
    {"r": token, "v": value} | {"r": token, "err": outcome}   a reply
    {"ev": k, "to": token|0, "kind": "cb"|"probe", ...}         an event: a done
        callback to run, or map_endless asking for probe i. `to` is the C++
        thread whose proxy raised it (that thread runs it: it is blocked in its
        own request), 0 for any other thread. The raising thread blocks until
        the ack, so a callback's effects are visible before cancel() returns.
Outcomes: {"k": "value", "v": n} | {"k": "none"} | {"k": kind, "m": message}
with kind task / cancelled / timeout / broken / invalid / shutdown / invarg /
other.

Probes (cf_probes.py) run here, in threads or in worker processes. Their gates
and logs live in the C++ side's Lab, reached through LAB_SOCKET.
"""
import concurrent.futures as cf
import faulthandler
import functools
import itertools
import json
import multiprocessing
import logging
import os
import queue
import signal
import sys
import threading

import cf_probes
from cf_probes import ProbeError, run_probe

cf_probes.DRIVER_PID = os.getpid()
LAB_SOCKET = sys.argv[1] if len(sys.argv) > 1 else ""
PROBES_DIR = os.path.dirname(os.path.abspath(cf_probes.__file__))

_tl = threading.local()  # the proxy a driver thread serves


# ---------------------------------------------------------------- channel

_out = None
_out_lock = threading.Lock()


def send(msg):
    line = json.dumps(msg) + "\n"
    with _out_lock:
        _out.write(line)
        _out.flush()


_proxies = {}  # C++ thread token -> Proxy (guarded by _acks_lock)
_acks = {}  # event k -> how to hand its ack to the waiting thread
_acks_lock = threading.Lock()
_event_ids = itertools.count(1)


def call_cpp(kind, payload):
    """Raises an event on the C++ side and waits for its ack."""
    k = next(_event_ids)
    proxy = getattr(_tl, "proxy", None)
    msg = dict(payload, ev=k, kind=kind, to=proxy.token if proxy else 0)
    if proxy is not None:
        with _acks_lock:
            _acks[k] = proxy.queue.put
        send(msg)
        return proxy.serve(until=k)
    # A pool thread: while it waits, it serves the requests the C++ callback
    # makes (tagged with its token, "via"), so a nested call runs on this
    # thread, as it would in a Python callback.
    temp = Proxy(thread_token(), start=False)
    msg["via"] = temp.token
    with _acks_lock:
        _acks[k] = temp.queue.put
        _proxies[temp.token] = temp
    send(msg)
    _tl.proxy = temp
    try:
        return temp.serve(until=k)
    finally:
        _tl.proxy = None
        with _acks_lock:
            _proxies.pop(temp.token, None)


def thread_token():
    proxy = getattr(_tl, "proxy", None)
    return proxy.token if proxy else threading.get_ident() & ((1 << 62) - 1)


class Proxy:
    """Runs the requests of one C++ thread, in order, on one Python thread."""

    def __init__(self, token, start=True):
        self.token = token
        self.queue = queue.SimpleQueue()
        if start:
            threading.Thread(target=self._main, name=f"cfspec-proxy-{token}", daemon=True).start()

    def _main(self):
        _tl.proxy = self
        self.serve()

    def serve(self, until=None):
        while True:
            msg = self.queue.get()
            if "ack" in msg:
                if msg["ack"] == until:
                    return msg
                continue
            reply = handle(msg)
            try:
                send(reply)
            except (TypeError, ValueError) as e:  # a driver bug: reported, never fatal
                send({"r": msg["t"], "err": {"k": "other", "m": f"driver: {e}"}})


# ---------------------------------------------------------------- outcomes

def outcome_of(e, context=""):
    if isinstance(e, ProbeError):
        return {"k": "task", "m": str(e)}
    if isinstance(e, cf.CancelledError):
        return {"k": "cancelled", "m": str(e)}
    if isinstance(e, cf.TimeoutError):
        return {"k": "timeout", "m": str(e)}
    if isinstance(e, cf.BrokenExecutor):
        return {"k": "broken", "m": str(e)}
    if isinstance(e, cf.InvalidStateError):
        return {"k": "invalid", "m": str(e)}
    if isinstance(e, RuntimeError) and context == "submit" and "shutdown" in str(e):
        return {"k": "shutdown", "m": str(e)}
    if isinstance(e, RuntimeError) and context == "srnc":
        # set_running_or_notify_cancel raises RuntimeError, not InvalidStateError
        return {"k": "invalid", "m": str(e)}
    if isinstance(e, ValueError):
        return {"k": "invarg", "m": str(e)}
    return {"k": "other", "m": f"{type(e).__name__}: {e}"}


def capture(fn, context=""):
    try:
        v = fn()
        return {"k": "none"} if v is None else {"k": "value", "v": v}
    except Exception as e:  # the outcome is the point
        return outcome_of(e, context)


class Raise(Exception):
    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


def raising(fn, context=""):
    try:
        return fn()
    except Raise:
        raise
    except Exception as e:
        raise Raise(outcome_of(e, context))


def timeout_of(msg):
    t = msg.get("timeout")
    return None if t is None else float(t)


# ---------------------------------------------------------------- state

_ids = itertools.count(1)
_futures = {}
_executors = {}  # id -> (executor, kind, lab)
_runs = {}
_logged = []
_logged_lock = threading.Lock()


class _Capture(logging.Handler):
    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += ": " + repr(record.exc_info[1])
        with _logged_lock:
            _logged.append(text)


logging.getLogger("concurrent.futures").addHandler(_Capture())


def new_id(table, obj):
    i = next(_ids)
    table[i] = obj
    return i


def hello(msg):
    kind = msg.get("kind", "thread")
    python = f"CPython {'.'.join(map(str, sys.version_info[:3]))} ({sys.executable})"
    if kind == "dask":
        import distributed
        about = (f"dask.distributed {distributed.__version__} Client(LocalCluster)"
                 f".get_executor(), on {python}")
    elif kind == "mpi4py":
        import mpi4py
        from mpi4py import MPI
        library = MPI.Get_library_version().split(",")[0].strip()
        about = f"mpi4py {mpi4py.__version__} MPIPoolExecutor under mpiexec ({library}), on {python}"
    else:
        cls = {"thread": "ThreadPoolExecutor", "process": "ProcessPoolExecutor"}[kind]
        about = f"{python} concurrent.futures.{cls}"
    return {"version": list(sys.version_info[:3]), "pid": os.getpid(), "about": about}


_clusters = {}  # dask: worker count -> (client, cluster), kept until the driver exits


def dask_executor(max_workers):
    """A dask.distributed executor on a local cluster of one single-threaded
    worker per requested worker, in this process (worker processes would cost
    seconds per test). A cluster is started once per worker count and shared
    by every executor of that size the test makes: each executor is a fresh
    Client.get_executor(), whose shutdown waits for or cancels only its own
    futures."""
    from distributed import Client, LocalCluster
    workers = max_workers if max_workers is not None else os.cpu_count()
    if workers not in _clusters:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        _clusters[workers] = (Client(cluster, set_as_default=False), cluster)
    return _clusters[workers][0].get_executor()


def make_executor(msg):
    kind = msg["kind"]
    lab = msg["lab"]
    kwargs = {"max_workers": msg.get("max_workers")}
    if msg.get("initializer") is not None:
        kwargs["initializer"] = run_probe
        kwargs["initargs"] = (msg["initializer"], lab, LAB_SOCKET)
    if kind == "thread":
        kwargs["thread_name_prefix"] = msg.get("prefix", "")
        ex = raising(lambda: cf.ThreadPoolExecutor(**kwargs))
    elif kind == "process":
        ex = raising(lambda: cf.ProcessPoolExecutor(**kwargs))
    elif kind == "dask":
        ex = raising(lambda: dask_executor(kwargs["max_workers"]))
    else:
        from mpi4py.futures import MPIPoolExecutor
        ex = raising(lambda: MPIPoolExecutor(path=[PROBES_DIR], **kwargs))
    return new_id(_executors, (ex, kind, lab))


def endless_probes(run):
    for i in itertools.count():
        yield call_cpp("probe", {"run": run, "i": i})["probe"]


def start_map(msg, probes):
    ex, _, lab = _executors[msg["e"]]
    kwargs = {"timeout": timeout_of(msg)}
    if msg.get("buffersize") is not None:
        kwargs["buffersize"] = msg["buffersize"]
    it = raising(lambda: ex.map(functools.partial(run_probe, lab=lab, sock=LAB_SOCKET), probes, **kwargs),
                 "submit")
    return new_id(_runs, it)


def map_next(msg):
    try:
        return {"k": "value", "v": next(_runs[msg["run"]])}
    except StopIteration:
        return None
    except Exception as e:
        return outcome_of(e)


def asc_next(msg):
    gen, fids = _runs[msg["run"]]
    try:
        f = next(gen)
    except StopIteration:
        return None
    by_future = {id(_futures[fid]): fid for fid in fids}
    return by_future[id(f)]


def add_callback(msg):
    cb = msg["cb"]

    def callback(f):
        event = {"thread": thread_token(), "done": f.done(), "cancelled": f.cancelled(),
                 "result": capture(lambda: f.result(timeout=0))}
        ack = call_cpp("cb", {"cb": cb, "event": event})
        if ack.get("raised") is not None:
            raise RuntimeError(ack["raised"])

    _futures[msg["f"]].add_done_callback(callback)


def exception_of(msg):
    try:
        e = _futures[msg["f"]].exception(timeout=timeout_of(msg))
    except Exception as raised:
        return outcome_of(raised)
    return {"k": "none"} if e is None else outcome_of(e)


def wait(msg):
    fs = [_futures[fid] for fid in msg["fs"]]
    when = {"first_completed": cf.FIRST_COMPLETED, "first_exception": cf.FIRST_EXCEPTION,
            "all_completed": cf.ALL_COMPLETED}[msg["when"]]
    done, not_done = raising(lambda: cf.wait(fs, timeout=timeout_of(msg), return_when=when))
    fid_of = {id(_futures[fid]): fid for fid in reversed(msg["fs"])}
    return {"done": [fid_of[id(f)] for f in done], "not_done": [fid_of[id(f)] for f in not_done]}


def thread_count(e):
    ex, kind, _ = _executors[e]
    # CPython has no public count; these are the pools' own bookkeeping.
    return len(ex._threads) if kind == "thread" else len(ex._processes or {})


def shutdown(msg):
    # cancel_futures only when asked: dask's executor has no such parameter.
    kwargs = {"cancel_futures": True} if msg["cancel_futures"] else {}
    _executors[msg["e"]][0].shutdown(wait=msg["wait"], **kwargs)


def take_logged():
    with _logged_lock:
        out = list(_logged)
        _logged.clear()
    return out


OPS = {
    "hello": hello,
    "executor": make_executor,
    "submit": lambda m: new_id(_futures, raising(lambda: _executors[m["e"]][0].submit(
        run_probe, m["probe"], _executors[m["e"]][2], LAB_SOCKET), "submit")),
    "future": lambda m: new_id(_futures, cf.Future()),
    "cancel": lambda m: _futures[m["f"]].cancel(),
    "cancelled": lambda m: _futures[m["f"]].cancelled(),
    "running": lambda m: _futures[m["f"]].running(),
    "done": lambda m: _futures[m["f"]].done(),
    "result": lambda m: capture(lambda: _futures[m["f"]].result(timeout=timeout_of(m))),
    "exception": lambda m: exception_of(m),
    "add_callback": add_callback,
    "srnc": lambda m: capture(lambda: int(_futures[m["f"]].set_running_or_notify_cancel()),
                              "srnc"),
    "set_result": lambda m: capture(lambda: _futures[m["f"]].set_result(m["v"])),
    "set_exception": lambda m: capture(
        lambda: _futures[m["f"]].set_exception(ProbeError(m["m"]))),
    "wait": wait,
    "as_completed": lambda m: new_id(_runs, (cf.as_completed(
        [_futures[fid] for fid in m["fs"]], timeout=timeout_of(m)), m["fs"])),
    "as_completed_next": lambda m: raising(lambda: asc_next(m)),
    "map": lambda m: start_map(m, m["probes"]),
    "map_endless": lambda m: start_map(m, endless_probes(m["run"])),
    "map_next": map_next,
    "map_close": lambda m: _runs[m["run"]].close(),
    # The C++ handle is gone: drop the iterator, as Python code dropping it
    # would (the generator is finalized, which closes it).
    "drop": lambda m: _runs.pop(m["run"], None) and None,
    "shutdown": shutdown,
    "thread_count": lambda m: thread_count(m["e"]),
    "max_workers": lambda m: _executors[m["e"]][0]._max_workers,
    "thread_name": lambda m: cf_probes.names.get(m["token"], ""),
    "take_logged": lambda m: take_logged(),
}


def handle(msg):
    try:
        return {"r": msg["t"], "v": OPS[msg["op"]](msg)}
    except Raise as r:
        return {"r": msg["t"], "err": r.outcome}
    except Exception as e:  # a driver bug: reported, never fatal
        return {"r": msg["t"], "err": {"k": "other", "m": f"driver: {type(e).__name__}: {e}"}}


def main():
    global _out
    # SIGUSR1 prints every thread's Python stack to stderr (the suite's
    # watchdog sends it before it reports a hang).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # The protocol gets private copies of stdin/stdout; fd 0 and 1 become
    # /dev/null and stderr, so nothing a task prints can corrupt it.
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    _out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    for line in proto_in:
        msg = json.loads(line)
        if "ack" in msg:
            with _acks_lock:
                deliver = _acks.pop(msg["ack"], None)
            if deliver:
                deliver(msg)
            continue
        token = msg["t"]
        with _acks_lock:
            proxy = _proxies.get(token)
            if proxy is None:
                proxy = _proxies[token] = Proxy(token)
        proxy.queue.put(msg)
    # The C++ side is gone: stop every worker process, including those of
    # executors already shut down (CPython forgets their processes), so no
    # worker outlives the test or holds its output open; then leave without
    # waiting for threads blocked at gates.
    for p in multiprocessing.active_children():
        try:
            p.kill()
        except Exception:
            pass
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
