#!/usr/bin/env python3
"""Prints the figures tables of explore/README.md from a build.

    explore/figures.py build/default [--seeds 10]

Runs cf_explore on every protocol (exhaustive DFS at its bound) and every
twin binary under DFS and under PCT and random walk with --seeds seeds
each, then prints two Markdown tables. Times are wall clock and this
process's CPU time: on a shared machine the CPU time is the steadier one.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile


def run(cmd):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        proc = subprocess.run(cmd + ["--json", out.name], capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
        return proc.returncode, json.load(open(out.name))


def protocols(explore_bin):
    text = subprocess.run([explore_bin, "--list"], capture_output=True, text=True, check=True).stdout
    names, rows = [], {}
    for line in text.splitlines():
        if not line.startswith(" "):
            names.append(line.strip())
            rows[names[-1]] = {}
        elif line.strip().startswith("clauses:"):
            rows[names[-1]]["clauses"] = line.split(":", 1)[1].strip()
        elif line.strip().startswith("actors:"):
            parts = line.strip().replace(",", "").split()
            rows[names[-1]]["actors"] = parts[1]
            rows[names[-1]]["bound"] = " ".join(parts[3:])
    return names, rows


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    bindir = pathlib.Path(args.build) / "explore"
    explore_bin = str(bindir / "cf_explore")

    names, rows = protocols(explore_bin)
    print("| protocol | clauses | actors | bound | executions to exhaustion | longest (steps) | wall s | cpu s |")
    print("|---|---|---|---|---|---|---|---|")
    total_wall = total_cpu = 0.0
    for name in names:
        rc, data = run([explore_bin, "--protocol", name])
        r = data["runs"][0]
        status = "" if r["exhausted"] and not r["failed"] else " (NOT EXHAUSTED)" if not r["failed"] else " (FAILED)"
        total_wall += r["seconds"]
        total_cpu += r["cpu_seconds"]
        row = rows[name]
        print(f"| `{name}` | {row['clauses']} | {row['actors']} | {row['bound']} | "
              f"{r['executions']}{status} | {r['longest']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} |")
    print(f"| total | | | | | | {total_wall:.1f} | {total_cpu:.1f} |")
    print()

    print(f"| twin | protocol | DFS: executions to find | PCT (d=3): found by, median executions | "
          f"random: found by, median executions | every replay reproduces |")
    print("|---|---|---|---|---|---|")
    for twin in sorted(bindir.glob("cf_explore_twin_*")):
        rc, data = run([str(twin), "--expect-failure", "--seeds", str(args.seeds)])
        by = {"dfs": [], "pct": [], "random": []}
        replayed = True
        protocol = ""
        for r in data["runs"]:
            protocol = r["protocol"]
            by[r["strategy"]].append(r)
            replayed = replayed and (r["replayed"] or not r["failed"])
        dfs = by["dfs"][0]
        cell = lambda runs: (f"{sum(r['failed'] for r in runs)}/{len(runs)}, "
                             f"{median([r['executions'] for r in runs if r['failed']])}")
        dfs_cell = f"{dfs['executions']}" if dfs["failed"] else f"not found ({dfs['executions']})"
        print(f"| `{data['twin']}` | `{protocol}` | {dfs_cell} | {cell(by['pct'])} | "
              f"{cell(by['random'])} | {'yes' if replayed else 'NO'} |")


if __name__ == "__main__":
    main()
