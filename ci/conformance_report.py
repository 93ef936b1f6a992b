#!/usr/bin/env python3
"""Builds the clause table from the per-test records the suite writes.

Each conformance/property test writes <records>/<implementation>/<test>.json
({"implementation", "test", "status", "clauses", "detail"}); status is
started / pass / fail / n/a. A record still "started" means the test's process
died (crash, or killed at its ctest timeout): a failure.

A clause's status for an implementation: fail if any of its tests failed,
else pass if any passed, else n/a (every test n/a, or none ran for it).
For an implementation whose name starts with "cpython-", a fail of a clause
whose SPEC.md entry has a "**Known CPython deviation.**" paragraph is reported
as "deviation": CPython departing from its own documentation, as recorded.
A failed check that names its clauses ("[ID ...] " at a line's start) is
charged to those clauses only. A cpython-* test that hung is charged to those
of its clauses whose recorded deviation is a hang, when it cites any.

Prints the table, what each implementation is (its "about" line), a summary
per implementation, why its n/a clauses are n/a, and every failure with the
clause's rule and what was observed; writes the JSON report
{"implementations": [...], "about": {...}, "summary": {...},
 "results": [{"implementation", "clause", "status", "tests"[, "reason"]}]}
and a Markdown copy. Exit status 1 when a reference-* implementation fails a
clause, when a cpython-* one fails a clause outside EXT- that records no
deviation, or when there are no records at all.
"""
import argparse
import json
import pathlib
import re
import sys

HEADING = re.compile(r"^### ([A-Z]+(?:-[A-Z0-9]+)+) — (.*)$", re.M)
RULE = re.compile(r"\*\*Rule\.\*\*\s*(.*)")
DEVIATION = "**Known CPython deviation.**"
STATUSES = ("pass", "fail", "deviation", "n/a")
HANGS = re.compile(r"\bhangs?\b")


def deviation_text(body):
    i = body.find(DEVIATION)
    return body[i:].split("\n\n", 1)[0] if i >= 0 else ""


def read_spec(path):
    text = pathlib.Path(path).read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    clauses = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        rule = RULE.search(text[m.end():end])
        clauses[m.group(1)] = {"title": m.group(2).strip(), "rule": rule.group(1).strip() if rule else "",
                               "cpython_deviation": DEVIATION in text[m.end():end],
                               "cpython_hangs": bool(HANGS.search(deviation_text(text[m.end():end])))}
    return clauses


def read_records(root):
    records = []
    for path in sorted(pathlib.Path(root).glob("*/*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            rec = {"implementation": path.parent.name, "test": path.stem, "status": "fail",
                   "clauses": [], "detail": f"unreadable record: {e}"}
        if rec.get("status") == "started":
            rec["status"] = "fail"
            rec["detail"] = ("the test process died before the test finished "
                             "(crash, or killed at its ctest timeout)")
        records.append(rec)
    return records


MISSING = re.compile(r"missing capability (.+)$")


NATIVE_ONLY = "checked only through cf's own C++ API, which only the reference implementations have"


def na_reason(recs):
    """Why a clause is n/a for an implementation: the capabilities its tests
    declared missing, or that every test of the clause drives cf's own C++ API
    (the EXT- tests in property_tests/reference, the process tests)."""
    missing = set()
    for r in recs:
        m = MISSING.search((r.get("detail") or "").strip().splitlines()[0] if r.get("detail") else "")
        if m:
            missing.update(c.strip() for c in m.group(1).split(","))
        elif r.get("detail"):
            missing.add(first_line(r["detail"]))
    if missing:
        return "missing capability " + ", ".join(sorted(missing))
    return NATIVE_ONLY


def abouts(records):
    out = {}
    for r in records:
        if r.get("about"):
            out.setdefault(r["implementation"], r["about"])
    return out


# A property that checks many clauses names the ones a failed check is about
# at the start of a line of its message: "[MAP-ABANDON-1 EXEC-CANCEL-1] ...".
BLAME = re.compile(r"^\s*\[((?:[A-Z]+(?:-[A-Z0-9]+)+)(?: [A-Z]+(?:-[A-Z0-9]+)+)*)\] ", re.M)


def charged(record, spec):
    """The clauses a record speaks for. A failure that names the clauses of
    its failed check speaks only for those (the rest were not judged); a
    CPython hang speaks for the cited clauses whose recorded deviation hangs."""
    clauses = record.get("clauses", [])
    if record.get("status") == "fail":
        detail = record.get("detail") or ""
        blamed = {c for m in BLAME.finditer(detail) for c in m.group(1).split()}
        if not blamed and detail.startswith("hang:") and record.get("implementation", "").startswith("cpython-"):
            blamed = {c for c in clauses if spec.get(c, {}).get("cpython_hangs")}
        blamed &= set(clauses)
        if blamed:
            return [c for c in clauses if c in blamed]
    return clauses


def build(spec, records):
    impls = sorted({r["implementation"] for r in records},
                   key=lambda n: (not n.startswith("reference-"), n))
    by = {}  # (impl, clause) -> list of records
    for r in records:
        for c in charged(r, spec):
            by.setdefault((r["implementation"], c), []).append(r)
    results = []
    for impl in impls:
        for clause in spec:
            recs = by.get((impl, clause), [])
            statuses = {r["status"] for r in recs}
            status = "fail" if "fail" in statuses else "pass" if "pass" in statuses else "n/a"
            if status == "fail" and impl.startswith("cpython-") and spec[clause]["cpython_deviation"]:
                status = "deviation"
            result = {
                "implementation": impl, "clause": clause, "status": status,
                "tests": [{"test": r["test"], "status": r["status"], "detail": r.get("detail", ""),
                           **({"observed": observed(r.get("detail", ""), clause)} if r["status"] == "fail" else {})}
                          for r in recs]}
            if status == "n/a":
                result["reason"] = na_reason(recs)
            results.append(result)
    return impls, results


def summarize(impls, results):
    out = {}
    for impl in impls:
        mine = [r for r in results if r["implementation"] == impl]
        out[impl] = {s: sum(1 for r in mine if r["status"] == s) for s in STATUSES}
    return out


def first_line(text, limit=160):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


ASSERTION_AT = re.compile(r"^(\S+\.(?:cpp|hpp|h)):(\d+):$")
GTEST_AT = re.compile(r"^(\S+\.(?:cpp|hpp|h)):(\d+): (.*)$")
RAPIDCHECK_NOISE = re.compile(r"^(/\S*rapidcheck/gtest\.h:\d+: Failed?|Failed|Falsifiable after .*|no exceptions thrown)$")


def _where(path, line):
    return f"{path.split('property_tests/')[-1]}:{line}"


def _rapidcheck_assertion(lines):
    """RapidCheck's failed assertion: "file:line:", the expression, and what
    it expanded to; empty when there is none."""
    for i, line in enumerate(lines):
        if m := ASSERTION_AT.match(line):
            rest = [x for x in lines[i + 1:] if x]
            out = f"{_where(m.group(1), m.group(2))}: " + (rest[0] if rest else "")
            if "Expands to:" in rest and rest.index("Expands to:") + 1 < len(rest):
                out += " — expands to " + rest[rest.index("Expands to:") + 1]
            return out
    return ""


def _gtest_failure(lines):
    """gtest's first failure: "file:line: message" and the lines that follow
    it up to the next failure or trace; empty when there is none."""
    for i, line in enumerate(lines):
        if m := GTEST_AT.match(line):
            said = [] if m.group(3) == "Failed" else [m.group(3)]
            for more in lines[i + 1:]:
                if GTEST_AT.match(more) or more == "Google Test trace:":
                    break
                if more:
                    said.append(more)
            return f"{_where(m.group(1), m.group(2))}: " + " ".join(said)
    return ""


def observed(detail, clause, limit=300):
    """What a failed test observed, for one clause: the failed checks that
    name the clause; else the checks noted during the run when the replay
    passed; else the failed RapidCheck assertion or gtest failure; else the
    detail's first line that is not RapidCheck's preamble."""
    lines = [line.strip() for line in (detail or "").splitlines()]
    named = [line for line in lines
             if (m := BLAME.match(line)) and clause in m.group(1).split()]
    noted = "checks that failed during the run:"
    if named:
        out = "; ".join(dict.fromkeys(named))
    elif noted in lines:
        out = "; ".join(line for line in lines[lines.index(noted) + 1:] if line) + " (the replay passed)"
    else:
        out = (_rapidcheck_assertion(lines) or _gtest_failure(lines) or
               next((line for line in lines if line and not RAPIDCHECK_NOISE.match(line)), ""))
    return out if len(out) <= limit else out[:limit - 1] + "…"


def render_text(spec, impls, results, summary, about):
    status = {(r["implementation"], r["clause"]): r["status"] for r in results}
    width = max(len(c) for c in spec)
    cols = [max(len(i), 9) for i in impls]
    lines = ["clause".ljust(width) + "  " + "  ".join(i.ljust(w) for i, w in zip(impls, cols))]
    lines.append("-" * len(lines[0]))
    for clause in spec:
        lines.append(clause.ljust(width) + "  " +
                     "  ".join(status[(i, clause)].ljust(w) for i, w in zip(impls, cols)))
    lines.append("")
    for impl in impls:
        if impl in about:
            lines.append(f"{impl}: {about[impl]}")
    lines.append("")
    for impl in impls:
        s = summary[impl]
        lines.append(f"{impl}: {s['pass']} passed, {s['fail']} failed, "
                     f"{s['deviation']} known deviations, {s['n/a']} n/a (of {len(spec)} clauses)")
    for impl in impls:
        caps, native = set(), 0
        for r in results:
            if r["implementation"] == impl and r["status"] == "n/a":
                if r["reason"] == NATIVE_ONLY:
                    native += 1
                else:
                    caps.update(c.strip() for c in r["reason"].removeprefix("missing capability ").split(","))
        parts = []
        if caps:
            parts.append("missing capabilities: " + ", ".join(sorted(caps)))
        if native:
            parts.append(f"{native} clauses {NATIVE_ONLY}")
        if parts:
            lines.append(f"  {impl} n/a: " + "; ".join(parts))
    failures = [r for r in results if r["status"] == "fail"]
    if failures:
        lines += ["", "Failures:"]
        for r in failures:
            lines.append(f"- {r['implementation']} {r['clause']}: {spec[r['clause']]['rule']}")
            for t in r["tests"]:
                if t["status"] == "fail":
                    lines.append(f"    {t['test']}: {observed(t['detail'], r['clause'])}")
    return "\n".join(lines)


def render_markdown(spec, impls, results, summary, about):
    status = {(r["implementation"], r["clause"]): r["status"] for r in results}
    md = ["# cfspec conformance report", "",
          "| implementation | what was run | passed | failed | known deviation | n/a |",
          "|---|---|---|---|---|---|"]
    for impl in impls:
        s = summary[impl]
        md.append(f"| {impl} | {about.get(impl, '')} | {s['pass']} | {s['fail']} | "
                  f"{s['deviation']} | {s['n/a']} |")
    md += ["", "| clause | " + " | ".join(impls) + " |", "|---|" + "---|" * len(impls)]
    for clause in spec:
        md.append(f"| {clause} | " + " | ".join(status[(i, clause)] for i in impls) + " |")
    failures = [r for r in results if r["status"] == "fail"]
    if failures:
        md += ["", "## Failures", ""]
        for r in failures:
            md.append(f"- **{r['implementation']} {r['clause']}** — {spec[r['clause']]['rule']}")
            for t in r["tests"]:
                if t["status"] == "fail":
                    md.append(f"  - `{t['test']}`: {observed(t['detail'], r['clause'])}")
    deviations = [r for r in results if r["status"] == "deviation"]
    if deviations:
        md += ["", "## Known CPython deviations (SPEC.md records them; not failures)", ""]
        for r in deviations:
            md.append(f"- **{r['implementation']} {r['clause']}** — {spec[r['clause']]['rule']}")
            for t in r["tests"]:
                if t["status"] == "fail":
                    md.append(f"  - `{t['test']}`: {observed(t['detail'], r['clause'])}")
    na = [r for r in results if r["status"] == "n/a"]
    if na:
        md += ["", "## Not applicable", ""]
        for r in na:
            md.append(f"- {r['implementation']} {r['clause']}: {r['reason']}")
    return "\n".join(md) + "\n"


def verdict(impls, results, summary):
    """What fails the job: reference implementations failing any clause, and
    CPython failing a clause outside EXT- with no recorded deviation (the
    spec describes CPython: then the spec or the suite is wrong)."""
    bad = [i for i in impls if i.startswith("reference-") and summary[i]["fail"]]
    oracle = sorted({f"{r['implementation']} {r['clause']}" for r in results
                     if r["implementation"].startswith("cpython-") and r["status"] == "fail"
                     and not r["clause"].startswith("EXT-")})
    return bad, oracle


def selftest():
    """The report must be able to fail, and must say what was observed."""
    import tempfile
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    tagged = ("/usr/include/rapidcheck/gtest.h:29: Failed\nFalsifiable after 1 tests\n\nint:\n1\n\n"
              "/x/property_tests/properties/a.cpp:97:\nRC_FAIL(cf_rc_fail_message__)\n\n"
              "[SHUT-WAIT-1] f0 is not done after shutdown(wait=true)\n"
              "[EXEC-SUBMIT-1 EXEC-SUBMIT-2] f1 holds none, not its task's outcome value(1)\n")
    untagged = ("/usr/include/rapidcheck/gtest.h:29: Failed\nFalsifiable after 1 tests\n\nint:\n1\n\n"
                "/x/property_tests/properties/a.cpp:260:\nRC_ASSERT(wrong.load() == 0)\n\n"
                "Expands to:\n1 == 0\n")
    replayed = ("/usr/include/rapidcheck/gtest.h:29: Failed\nFalsifiable after 42 tests\n\n"
                "no exceptions thrown\n\nchecks that failed during the run:\n"
                "[SHUT-CANCEL-1] f3 is still pending after shutdown(cancel_futures=true) returned\n")
    expect("observed, tagged", observed(tagged, "SHUT-WAIT-1"),
           "[SHUT-WAIT-1] f0 is not done after shutdown(wait=true)")
    expect("observed, tagged other clause", observed(tagged, "EXEC-SUBMIT-2"),
           "[EXEC-SUBMIT-1 EXEC-SUBMIT-2] f1 holds none, not its task's outcome value(1)")
    expect("observed, assertion", observed(untagged, "FUT-RESULT-1"),
           "properties/a.cpp:260: RC_ASSERT(wrong.load() == 0) — expands to 1 == 0")
    expect("observed, replay passed", observed(replayed, "SHUT-CANCEL-1"),
           "[SHUT-CANCEL-1] f3 is still pending after shutdown(cancel_futures=true) returned")
    expect("observed, hang", observed("hang: no answer within 60 s\nmore", "X-Y-1"),
           "hang: no answer within 60 s")
    expect("observed, example test", observed(
        "/x/property_tests/conformance/e.cpp:128: Failed\nsubmit after shutdown returned a future\n"
        "/x/property_tests/conformance/e.cpp:134: Failed\nsecond\n", "X-Y-1"),
        "conformance/e.cpp:128: submit after shutdown returned a future")
    expect("observed, example test value", observed(
        "/x/property_tests/conformance/f.cpp:374: Value of: matches(a, b)\n  Actual: false (got x)\n"
        "Expected: true\nGoogle Test trace:\n/x/f.cpp:1: t\n", "X-Y-1"),
        "conformance/f.cpp:374: Value of: matches(a, b) Actual: false (got x) Expected: true")

    with tempfile.TemporaryDirectory() as tmp:
        spec_path = pathlib.Path(tmp) / "SPEC.md"
        spec_path.write_text(
            "### SHUT-WAIT-1 — waits\n**Rule.** r1\n**Known CPython deviation.** returns early.\n\n"
            "### EXEC-SUBMIT-1 — value\n**Rule.** r2\n\n"
            "### EXEC-SUBMIT-2 — error\n**Rule.** r3\n\n"
            "### EXT-ABANDON-1 — cf's own\n**Rule.** r4\n\n"
            "### WAIT-CANCEL-1 — wakes\n**Rule.** r5\n**Known CPython deviation.** it hangs.\n",
            encoding="utf-8")
        spec = read_spec(spec_path)
    expect("spec: deviation read", [c for c in spec if spec[c]["cpython_deviation"]],
           ["SHUT-WAIT-1", "WAIT-CANCEL-1"])
    expect("spec: hang read", [c for c in spec if spec[c]["cpython_hangs"]], ["WAIT-CANCEL-1"])

    def rec(impl, test, status, clauses, detail=""):
        return {"implementation": impl, "test": test, "status": status, "clauses": clauses, "detail": detail}

    acc = ["SHUT-WAIT-1", "EXEC-SUBMIT-1", "EXEC-SUBMIT-2"]
    expect("charged: tagged", charged(rec("cpython-process", "P.acc", "fail", acc, tagged), spec), acc)
    expect("charged: one tag", charged(rec("cpython-process", "P.acc", "fail", acc,
                                           "[SHUT-WAIT-1] late"), spec), ["SHUT-WAIT-1"])
    expect("charged: untagged", charged(rec("x", "P.acc", "fail", acc, untagged), spec), acc)
    expect("charged: cpython hang", charged(rec("cpython-thread", "C.w", "fail",
                                                ["EXEC-SUBMIT-1", "WAIT-CANCEL-1"], "hang: 60 s"), spec),
           ["WAIT-CANCEL-1"])

    def judge(records):
        impls, results = build(spec, records)
        status = {(r["implementation"], r["clause"]): r["status"] for r in results}
        return status, verdict(impls, results, summarize(impls, results))

    status, (bad, oracle) = judge([
        rec("cpython-process", "P.acc", "fail", acc, "[SHUT-WAIT-1] late"),
        rec("cpython-process", "C.abandon", "fail", ["EXT-ABANDON-1"], "x"),
        rec("cpython-process", "C.ok", "pass", ["EXEC-SUBMIT-1"]),
        rec("reference-thread", "C.ok", "pass", acc)])
    expect("deviation shown", status[("cpython-process", "SHUT-WAIT-1")], "deviation")
    expect("untouched clause of a tagged failure", status[("cpython-process", "EXEC-SUBMIT-1")], "pass")
    expect("EXT- failure", status[("cpython-process", "EXT-ABANDON-1")], "fail")
    expect("n/a when nothing ran", status[("cpython-process", "WAIT-CANCEL-1")], "n/a")
    expect("deviations and EXT- do not fail the job", (bad, oracle), ([], []))
    status, (bad, oracle) = judge([
        rec("cpython-thread", "P.acc", "fail", acc, "[EXEC-SUBMIT-2] f1 holds none"),
        rec("reference-process", "C.x", "fail", ["EXT-ABANDON-1"], "x")])
    expect("CPython failing a clause without deviation fails the job", oracle,
           ["cpython-thread EXEC-SUBMIT-2"])
    expect("a reference failing any clause fails the job", bad, ["reference-process"])

    for p in problems:
        print("conformance_report selftest:", p)
    if not problems:
        print("conformance_report selftest: every check held")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec")
    ap.add_argument("--records")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    ap.add_argument("--selftest", action="store_true", help="check the report's own rules and exit")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    missing = [f"--{n}" for n in ("spec", "records", "json", "markdown") if getattr(args, n) is None]
    if missing:
        ap.error("the following arguments are required: " + ", ".join(missing))
    spec = read_spec(args.spec)
    records = read_records(args.records)
    if not records:
        print(f"conformance_report: no test records in {args.records}: nothing ran", file=sys.stderr)
        return 1
    impls, results = build(spec, records)
    summary = summarize(impls, results)
    about = abouts(records)
    print(render_text(spec, impls, results, summary, about))
    pathlib.Path(args.json).write_text(json.dumps(
        {"implementations": impls, "about": about, "summary": summary, "results": results},
        indent=1) + "\n")
    pathlib.Path(args.markdown).write_text(render_markdown(spec, impls, results, summary, about))
    print(f"\nreport: {args.json}\n        {args.markdown}")
    bad, oracle = verdict(impls, results, summary)
    if bad:
        print(f"conformance: reference implementation(s) failing: {', '.join(bad)}", file=sys.stderr)
    if oracle:
        print("conformance: CPython fails clauses with no recorded deviation (fix the spec, "
              "the suite, or record the deviation): " + ", ".join(oracle), file=sys.stderr)
    return 1 if bad or oracle else 0


if __name__ == "__main__":
    sys.exit(main())
