#!/usr/bin/env python3
"""Runs the stress harness against a failing twin, to compare with the explorer.

    explore/stress_twin.py done-signal-sleeper-store [--duration 60] [--seed 1]

Copies the working tree to build/stress-twin/src, plants the twin's
bug there (explore/twins/<name>.twin, the same replace blocks the explorer's
twin build applies), builds cf_stress from the copy and runs it on the thread
backend for --duration seconds. Prints cf_stress's verdict and exits with its
code: 0 means stress did not find the bug in that time.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def plant(twin_text, tree):
    m = re.search(r"^file: (.*)$", twin_text, re.M)
    if not m:
        sys.exit("stress_twin: this twin plants its bug with defines, not a file; "
                 "configure cf_stress with them instead")
    path = tree / m.group(1)
    code = path.read_text()
    blocks = re.findall(r"--- replace\n(.*?)--- with\n(.*?)--- end", twin_text, re.S)
    for i, (before, after) in enumerate(blocks, 1):
        if code.count(before) != 1:
            sys.exit(f"stress_twin: block {i} is not found exactly once in {m.group(1)}")
        code = code.replace(before, after)
    path.write_text(code)
    return m.group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("twin")
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", action="append", default=[])
    ap.add_argument("--work-dir", default=str(ROOT / "build" / "stress-twin"))
    args = ap.parse_args()
    twin_file = ROOT / "explore" / "twins" / f"{args.twin}.twin"
    if not twin_file.exists():
        sys.exit(f"stress_twin: no twin {twin_file}")
    # One copy for every twin, files copied with their times, so a second
    # twin rebuilds only what it and the previous one planted in.
    work = pathlib.Path(args.work_dir).resolve()
    tree = work / "src"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns("build", ".git"), dirs_exist_ok=True)
    last = work / "planted.txt"
    if last.exists():
        (tree / last.read_text().strip()).touch()
    planted = plant(twin_file.read_text(), tree)
    last.write_text(planted)
    print(f"stress_twin: planted {args.twin} in {planted}", flush=True)
    build = work / "build"
    subprocess.run(["cmake", "-S", tree, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DCF_BUILD_TESTS=OFF", "-DCF_BUILD_EXAMPLES=OFF", "-DCF_PEER_ADAPTERS=OFF",
                    "-DCF_CPYTHON_ADAPTERS=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "--target", "cf_stress", "-j2"], check=True,
                   stdout=subprocess.DEVNULL)
    cmd = [str(build / "stress" / "cf_stress"), "--backend", "thread", "--duration", str(args.duration),
           "--seed", str(args.seed)]
    for s in args.scenario:
        cmd += ["--scenario", s]
    print("stress_twin:", " ".join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    print(f"stress_twin: cf_stress exited {rc}: "
          + ("the bug was NOT found" if rc == 0 else "the bug was found (or the run failed)"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
