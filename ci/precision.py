#!/usr/bin/env python3
"""Precision self-check: the suite charges exactly the clauses a deviation breaks.

For every variant in property_tests/broken/precision.txt (an implementation
with one planted deviation, or a correct one written apart from the
reference), runs the whole suite against it: every conformance test and every
property, one process per test program that resumes after a test that dies
or hangs. Then builds the clause table (ci/conformance_report.py) and checks,
per variant, that the clauses that `fail` are exactly the expected ones:

  breaks       the clauses whose rules the deviation breaks (SPEC.md);
  unseen       of those, the ones no test of the suite charges yet (a gap the
               file names, with why), left out of the expected set;
  mistagged    clauses the suite charges today only through a check tagged
               with the wrong clause (named in the file): tolerated, charged
               or not (some depend on timing), until that check is fixed;
  inconclusive clauses the deviation leaves no test able to judge: the only
               ones outside the expected set that may be `inconclusive`.

Every clause of breaks but the unseen must fail; no clause but those and the
mistagged may fail; no clause but those and the inconclusive ones may be
inconclusive. A variant with neither unseen nor mistagged clauses is exact.

Prints, per variant: verdict, time, expected and charged clauses; and for a
variant that does not match, each unexpected or missing clause with what the
report says of it.

  ci/precision.py --build build/default                 every variant once
  ci/precision.py --build DIR --only a,b --repeat 20    some variants, 20 times

Exit status 1 when a variant does not match (in any round), 2 on bad input.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VARIANTS = ROOT / "property_tests/broken/precision.txt"
PROGRAMS = {"conformance": "property_tests/broken/cf_conformance_broken",
            "properties": "property_tests/broken/cf_properties_broken"}
CLAUSE = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)*-[0-9]+$")


FIELDS = ("breaks", "unseen", "mistagged", "inconclusive")


def read_variants(path):
    """name -> {field: set of clauses, "why": str}, in file order.

    Format: a variant's name at the start of a line, then indented
    `breaks:`, `unseen:`, `mistagged:`, `inconclusive:` and `why:` lines
    (`none` for no clause; a `why:` may go on over further indented lines)."""
    variants, current, errors = {}, None, []
    for number, line in enumerate(pathlib.Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = line.strip()
            if current in variants:
                errors.append(f"{path}:{number}: variant {current} listed twice")
            variants[current] = {"breaks": None, "unseen": set(), "mistagged": set(),
                                 "inconclusive": set(), "why": ""}
            continue
        if current is None:
            errors.append(f"{path}:{number}: an indented line before any variant")
            continue
        key, _, value = line.strip().partition(":")
        if key in FIELDS:
            clauses = set() if value.strip() == "none" else set(value.split())
            bad = [c for c in clauses if not CLAUSE.match(c)]
            if bad:
                errors.append(f"{path}:{number}: not clause IDs: {' '.join(bad)}")
            variants[current][key] = clauses
        elif key == "why":
            variants[current]["why"] = value.strip()
        else:
            variants[current]["why"] += " " + line.strip()
    for name, v in variants.items():
        if v["breaks"] is None:
            errors.append(f"{path}: variant {name} has no breaks: line")
            continue
        if not v["unseen"] <= v["breaks"]:
            errors.append(f"{path}: variant {name}: unseen clauses not in breaks: "
                          + " ".join(sorted(v["unseen"] - v["breaks"])))
        if v["mistagged"] & v["breaks"]:
            errors.append(f"{path}: variant {name}: mistagged clauses it breaks: "
                          + " ".join(sorted(v["mistagged"] & v["breaks"])))
        v["expected"] = v["breaks"] - v["unseen"]
    return variants, errors


def column_of(variant):
    return variant if variant.startswith("correct-") else "broken-" + variant


def list_tests(program):
    out = subprocess.run([program, "--gtest_list_tests"], capture_output=True, text=True, check=True,
                         env={**os.environ, "CF_BROKEN": "correct-minimal"}).stdout
    tests, suite = [], ""
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            suite = line.split("#")[0].strip()
        else:
            tests.append(suite + line.split("#")[0].strip())
    return tests


def run_resuming(program, tests, env, records, log):
    """Runs `tests` of `program` in one process; after a test that ends the
    process (a hang, a crash), runs the rest in a new one. Returns the number
    of processes it took."""
    processes = 0
    remaining = list(tests)
    while remaining:
        processes += 1
        with open(log, "a", encoding="utf-8") as out:
            status = subprocess.run([program, "--gtest_filter=" + ":".join(remaining)], env=env,
                                    stdout=out, stderr=subprocess.STDOUT).returncode
        left = [t for t in remaining if not (records / f"{t}.json").exists()]
        if len(left) == len(remaining):
            raise RuntimeError(f"{program} (exit status {status}) wrote no record for any of "
                               f"{len(remaining)} tests; see {log}")
        if status in (0, 1) and left:
            raise RuntimeError(f"{program} finished but wrote no record for {left[:3]}; see {log}")
        remaining = left
    return processes


def run_variant(build, name, records, cases, tests):
    column = column_of(name)
    start = time.monotonic()
    env = {**os.environ, "CF_BROKEN": name, "CF_REPORT_DIR": str(records),
           "RC_PARAMS": f"max_success={cases}"}
    env.pop("CF_NOISE", None)
    processes = 0
    for program in tests:
        processes += run_resuming(build / program, tests[program], env, records / column,
                                  records / f"{column}.log")
    return name, time.monotonic() - start, processes


def report(records, out):
    """The clause table's JSON for every column in `records`."""
    done = subprocess.run([sys.executable, str(ROOT / "ci/conformance_report.py"), "--spec",
                           str(ROOT / "spec/SPEC.md"), "--records", str(records), "--root", str(ROOT),
                           "--json", str(out)], capture_output=True, text=True)
    if not out.exists():
        raise RuntimeError("conformance_report.py wrote no report:\n" + done.stdout + done.stderr)
    return json.loads(out.read_text(encoding="utf-8"))


def judge(variants, table):
    """Per variant: (charged fails, problems)."""
    by_column = {}
    for r in table["results"]:
        by_column.setdefault(r["implementation"], {})[r["clause"]] = r
    verdicts = {}
    for name, v in variants.items():
        results = by_column.get(column_of(name), {})
        if not results:
            verdicts[name] = (set(), [f"no records for column {column_of(name)}"])
            continue
        charged = {c for c, r in results.items() if r["status"] == "fail"}
        inconclusive = {c for c, r in results.items() if r["status"] == "inconclusive"}
        problems = []
        for c in sorted(charged - v["expected"] - v["mistagged"]):
            f = results[c]["failed_checks"][0]
            more = len(results[c]["failed_checks"]) - 1
            problems.append(f"unexpected fail {c}: {f['test']}: {f['message'][:300]}"
                            + (f" (+{more} more)" if more else ""))
        for c in sorted(v["expected"] - charged):
            r = results.get(c)
            status = r["status"] if r else "not in the report"
            reason = f" ({r.get('reason')})" if r and r.get("reason") else ""
            problems.append(f"missing fail {c}: it is {status}{reason}")
        for c in sorted(inconclusive - v["breaks"] - v["mistagged"] - v["inconclusive"]):
            problems.append(f"unexpected inconclusive {c}: {results[c].get('reason', '')[:300]}")
        verdicts[name] = (charged, problems)
    return verdicts


def one_round(args, variants, tests, records):
    if records.exists():
        shutil.rmtree(records)
    records.mkdir(parents=True)
    times = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = [pool.submit(run_variant, args.build, name, records, args.cases, tests)
                for name in variants]
        for run in concurrent.futures.as_completed(runs):
            name, seconds, processes = run.result()
            times[name] = (seconds, processes)
    return times, judge(variants, report(records, records / "report.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, type=pathlib.Path, help="the build directory")
    ap.add_argument("--variants", type=pathlib.Path, default=VARIANTS)
    ap.add_argument("--only", help="comma-separated variants (default: every one)")
    ap.add_argument("--jobs", type=int, default=4, help="variants run at once (default 4)")
    ap.add_argument("--cases", type=int, default=25, help="RapidCheck cases per property (default 25)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds (default 1)")
    ap.add_argument("--records", type=pathlib.Path, help="where records go (default: a temporary directory)")
    ap.add_argument("--programs", default="conformance,properties",
                    help="which test programs to run (default: both; anything less is no verdict, "
                         "only a way to look at one part)")
    args = ap.parse_args()
    args.build = args.build.resolve()

    variants, errors = read_variants(args.variants)
    if args.only:
        wanted = [v.strip() for v in args.only.split(",") if v.strip()]
        errors += [f"--only: no variant {w} in {args.variants}" for w in wanted if w not in variants]
        variants = {n: v for n, v in variants.items() if n in wanted}
    for e in errors:
        print("precision:", e, file=sys.stderr)
    if errors:
        return 2
    programs = [PROGRAMS[p.strip()] for p in args.programs.split(",")]
    for program in programs:
        if not (args.build / program).exists():
            print(f"precision: {args.build / program} is not built", file=sys.stderr)
            return 2
    tests = {p: list_tests(args.build / p) for p in programs}
    records = args.records or pathlib.Path(tempfile.mkdtemp(prefix="cf-precision-"))

    held = {name: 0 for name in variants}
    start = time.monotonic()
    for round_ in range(1, args.repeat + 1):
        round_start = time.monotonic()
        times, verdicts = one_round(args, variants, tests, records)
        width = max(len(n) for n in variants)
        print(f"{'variant'.ljust(width)}  verdict  time    expected -> charged")
        for name, v in variants.items():
            charged, problems = verdicts[name]
            held[name] += not problems
            seconds, processes = times[name]
            exact = v["expected"] == v["breaks"] and not v["mistagged"]
            verdict = "WRONG" if problems else "exact" if exact else "ok*"
            expected = " ".join(sorted(v["expected"])) or "none"
            got = " ".join(sorted(charged)) or "none"
            notes = []
            if v["unseen"]:
                notes.append("unseen: " + " ".join(sorted(v["unseen"])))
            if v["mistagged"]:
                notes.append("mistagged: " + " ".join(
                    c + ("" if c in charged else " (not charged)") for c in sorted(v["mistagged"])))
            if processes > len(tests):
                notes.append(f"{processes - len(tests)} restarts")
            print(f"{name.ljust(width)}  {verdict:<7}  {seconds:4.0f} s  {expected} -> {got}"
                  + (f"  ({'; '.join(notes)})" if notes else ""))
            for p in problems:
                print(f"{''.ljust(width)}    {p}")
        print(f"=== round {round_}: {sum(not verdicts[n][1] for n in variants)} of {len(variants)} "
              f"variants charged their expected clauses ({sum(variants[n]['expected'] == variants[n]['breaks'] and not variants[n]['mistagged'] for n in variants)} "
              f"of them exactly the clauses they break), in {time.monotonic() - round_start:.0f} s "
              f"(records: {records}) ===")
        sys.stdout.flush()
    if args.repeat > 1:
        print(f"=== {args.repeat} rounds in {time.monotonic() - start:.0f} s ===")
        for name in variants:
            print(f"{name}: {held[name]}/{args.repeat}")
    if not args.records and all(held[n] == args.repeat for n in variants):
        shutil.rmtree(records, ignore_errors=True)
    return 0 if all(held[n] == args.repeat for n in variants) else 1


if __name__ == "__main__":
    sys.exit(main())
