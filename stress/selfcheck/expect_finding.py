#!/usr/bin/env python3
"""Runs a suite program against a planted bug and checks what its records say.

  expect_finding.py --program EXE [--env VAR=VALUE ...] (--clause ID --kind KIND [--where REGEX]
                    | --clean) -- ARGS...

Runs EXE ARGS with CF_REPORT_DIR set to a fresh directory, then reads every
record it wrote. With --clause, passes only if the program failed (non-zero
exit) and the records charge a failure to that clause and to no other, by a
finding of that kind (stress, sanitizer, ...) that carries a replay line
(and, with --where, whose location matches REGEX). With --clean, passes only
if the program exited 0 and no record charges any clause. Prints the
findings either way.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--program", required=True)
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--clause")
    ap.add_argument("--kind")
    ap.add_argument("--where")
    ap.add_argument("--clean", action="store_true")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    opt = ap.parse_args()
    if bool(opt.clause) == opt.clean:
        ap.error("give --clause (with --kind) or --clean")
    args = opt.args[1:] if opt.args[:1] == ["--"] else opt.args
    with tempfile.TemporaryDirectory(prefix="cf-selfcheck-") as records:
        env = dict(os.environ, CF_REPORT_DIR=records)
        for pair in opt.env:
            name, _, value = pair.partition("=")
            env[name] = value
        print("running:", " ".join(opt.env), opt.program, " ".join(args), flush=True)
        rc = subprocess.run([opt.program] + args, env=env).returncode
        charged = []
        for path in sorted(pathlib.Path(records).glob("*/*.json")):
            rec = json.loads(path.read_text(encoding="utf-8"))
            for f in rec.get("findings", []):
                print(f"finding in {rec['test']}: [{f.get('kind')}] {f.get('message', '')}")
                if f.get("replay"):
                    print(f"  replay: {f['replay']}")
                if f.get("clause"):
                    charged.append(f)
    print(f"exit status {rc}")
    problems = []
    if opt.clean:
        if rc != 0:
            problems.append(f"exited {rc}, expected 0")
        if charged:
            problems.append("charged " + ", ".join(sorted({f['clause'] for f in charged})))
    else:
        if rc == 0:
            problems.append("exited 0: the planted bug was not found")
        clauses = sorted({f["clause"] for f in charged})
        if clauses != [opt.clause]:
            problems.append(f"charged {clauses or 'nothing'}, expected [{opt.clause}] only")
        mine = [f for f in charged if f["clause"] == opt.clause]
        if opt.kind and not any(f.get("kind") == opt.kind for f in mine):
            problems.append(f"no finding of kind {opt.kind} for {opt.clause}")
        if not any(f.get("replay") for f in mine):
            problems.append("the finding carries no replay line")
        if opt.where and not any(re.search(opt.where, f.get("where", "") + " " + f.get("message", ""))
                                 for f in mine):
            problems.append(f"no finding at {opt.where}")
    for p in problems:
        print("SELF-CHECK FAILED:", p)
    if not problems:
        print("SELF-CHECK PASSED:", "clean" if opt.clean else f"{opt.clause} ({opt.kind}) only")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
