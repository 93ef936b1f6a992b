"""The probes of cfspec's conformance suite, as CPython-side callables.

A module of its own, imported by driver.py, so that every executor ships the
probe by reference (module and name) rather than by value: dask pickles
functions of __main__ with their globals, and mpi4py's spawned workers import
this module from the path the driver gives them.

A probe reaches the C++ side's Lab through an abstract Unix socket (named by
`sock`): "G lab gate" blocks until the gate opens, "R lab log value" appends.
"""
import os
import signal
import socket
import threading
import time

# The driver's pid, set by the driver; None in a process that imported this
# module afresh (a spawned worker).
DRIVER_PID = None


class ProbeError(Exception):
    """The error a failing probe raises."""


_tl = threading.local()
names = {}  # worker token -> thread name (the "worker" step)


def _lab(sock, line):
    conn = getattr(_tl, "lab", None)
    if conn is None or _tl.lab_pid != os.getpid():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0" + sock)
        conn = _tl.lab = (s, s.makefile("rb"))
        _tl.lab_pid = os.getpid()
    conn[0].sendall((line + "\n").encode())
    if conn[1].readline().strip() != b"ok":
        raise RuntimeError("lab channel closed")


def worker_token():
    if os.getpid() != DRIVER_PID:
        return os.getpid()
    return threading.get_ident() & ((1 << 62) - 1)


def run_probe(probe, lab, sock):
    """Runs a probe in whatever thread or process the executor chose."""
    for step in probe["steps"]:
        kind = step[0]
        if kind == "record":
            _lab(sock, f"R {lab} {step[1]} {step[2]}")
        elif kind == "gate":
            _lab(sock, f"G {lab} {step[1]}")
        elif kind == "sleep":
            time.sleep(step[1] / 1000.0)
        elif kind == "worker":
            token = worker_token()
            names[token] = threading.current_thread().name
            _lab(sock, f"R {lab} {step[1]} {token}")
        elif kind == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
    if probe["fails"]:
        raise ProbeError(probe["message"])
    return probe["value"]
