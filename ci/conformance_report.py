#!/usr/bin/env python3
"""Builds the clause table from the records the suite's tests write.

Each test writes <records>/<implementation>/<test>.json (property_tests/harness/
record.hpp): its status, a count of the checks of every clause it judged
(pass / fail / n/a with the reason), and its findings: failed checks, failed
preconditions (charged to the rule the step relied on), hangs and crashes
(charged to the clauses in progress). A record still "started" is a test that
died without a word.

A clause's status for an implementation:
  fail          some check of it failed (or a hang, a crash, or a failed scene
                step that relied on its rule): every fail lists those checks;
  deviation     a cpython-* fail of a clause whose SPEC.md entry records a
                "**Known CPython deviation.**" or "**Departs from CPython.**"
                whose scope, if any, includes that column's CPython version;
  pass          no failure, and at least one check of it ran and held with the
                clause's capabilities declared;
  inconclusive  no check of it ran, and a test that would have judged it could
                not (a failed precondition, a hang outside any check, a death);
  n/a           no check of it was a verdict here: the capabilities it needs are
                not declared (the reason names them), the clause's **Profile.**
                excludes the version the column is judged by, or only cf's own
                C++ API has tests of it.

Profiles. A CPython column is judged by its interpreter's version (the
record's "follows", else the "CPython X.Y" of its "about" line); every other
column by the spec's baseline (SPEC.md **Baseline.**). A clause whose
**Profile.** excludes that version is n/a there, whatever its checks said.

Evidence comes in kinds, all in the same table: example tests, RapidCheck
properties, stress scenarios (cf_stress_<column>: a forbidden outcome of an
outcome table is a failure of the clause its row names, with its count, seed
and replay line) and sanitizer reports (EXT-SAN-1, from a tsan or asan build's
records, which --records may add beside the default build's). Every failed
check says which kind it is; a stress record also brings its figures
(iterations per second and distinct outcomes, quiet and with noise), shown in
a section of their own, and a sanitizer build's records say which libraries
it could not instrument.

Findings are grouped by what was observed ("task-error expected, got
other-error"), so one root cause reads as one finding listing the clauses it
breaks. A baseline (--baseline) lists accepted findings per column: a column it
names fails the job only on failures it does not accept. --write-baseline
writes the current failures as one.

Exit status 1 when a reference-* implementation fails or is inconclusive on a
clause, a cpython-* one fails a clause outside EXT- that records no deviation,
a baselined column fails a clause its baseline does not accept, or there are
no records at all.
"""
import argparse
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import check_clauses  # noqa: E402  (the same parser the checker uses)

HEADING = re.compile(r"^### ([A-Z]+(?:-[A-Z0-9]+)+) — (.*)$", re.M)
RULE = re.compile(r"\*\*Rule\.\*\*\s*(.*)")
NEEDS = re.compile(r"\*\*Needs\.\*\*\s*(.*)")
DEVIATION = "**Known CPython deviation.**"
STATUSES = ("pass", "fail", "deviation", "inconclusive", "n/a")
CHARGING = ("check", "precondition", "hang", "crash", "stress", "sanitizer")
NATIVE_ONLY = "judged only by tests written against one of cf's own executors, not through an adapter"
NATIVE_DIRS = ("property_tests/reference", "property_tests/process", "property_tests/native")


def read_spec(path):
    text = pathlib.Path(path).read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    parsed, _ = check_clauses.spec_clauses(text)
    clauses = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        rule = RULE.search(text[m.end():end])
        needs = NEEDS.search(text[m.end():end])
        info = parsed.get(m.group(1), {})
        clauses[m.group(1)] = {"title": m.group(2).strip(), "rule": rule.group(1).strip() if rule else "",
                               "needs": [c.strip() for c in needs.group(1).split(",")] if needs else [],
                               "cpython_deviation": bool(info.get("excuses")),
                               "profile": info.get("profile", ""),
                               "excuses": info.get("excuses", [])}
    baseline = check_clauses.baseline_version(text)
    if baseline:
        clauses["__baseline__"] = baseline  # removed by callers that iterate clauses
    return clauses


ABOUT_VERSION = re.compile(r"\bCPython (\d+\.\d+)")


def column_versions(records, baseline):
    """implementation -> the CPython version it is judged by: a cpython-*
    column's own (its records' "follows", else its about line), every other
    column the baseline."""
    out = {}
    for r in records:
        impl = r["implementation"]
        if impl in out and out[impl] != baseline:
            continue
        version = None
        if impl.startswith("cpython-"):
            version = r.get("follows") or None
            if not version and (m := ABOUT_VERSION.search(r.get("about", ""))):
                version = m.group(1)
        out[impl] = version or baseline
    return out


def in_profile(profile, version):
    if not profile or not version:
        return True
    terms = check_clauses.parse_profile(profile)
    return terms is None or check_clauses.version_in(terms, version)


def excused(info, version):
    """The clause records a departure of CPython that covers `version`."""
    for e in info.get("excuses", []):
        if not e["scope"] or not version or in_profile(e["scope"], version):
            return True
    return False


def read_manifest(root):
    """test -> the clauses it judges (derived from its checks), and the tests
    that only cf's own API runs."""
    _, _, tests, _ = check_clauses.check(root)
    native = set()
    root = pathlib.Path(root)
    for d in NATIVE_DIRS:
        for path in (root / d).rglob("*.cpp") if (root / d).exists() else []:
            code = check_clauses.strip_comments(path.read_text(encoding="utf-8"))
            for m in check_clauses.TEST_MACRO.finditer(code):
                native.add(check_clauses.test_name(m.group(1), m.group(2), m.group(3)))
    return tests, native


def read_records(roots):
    """The records under each directory of `roots` (one, or a list: the default
    build's and a sanitizer build's, say), all judged together."""
    records = []
    paths = []
    for root in [roots] if isinstance(roots, (str, pathlib.Path)) else roots:
        paths += sorted(pathlib.Path(root).glob("*/*.json"))
    for path in paths:
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            rec = {"implementation": path.parent.name, "test": path.stem, "status": "inconclusive",
                   "inconclusive": f"unreadable record: {e}"}
        records.append(normalized(rec))
    return records


def normalized(rec):
    rec.setdefault("checks", [])
    rec.setdefault("findings", [])
    rec.setdefault("inconclusive", "")
    rec.setdefault("detail", "")
    if rec.get("status") == "started":
        rec["status"] = "inconclusive"
        rec["inconclusive"] = ("the test process died before it could say where "
                               "(killed at its ctest timeout?)")
    return rec


MISSING = re.compile(r"^missing capability (.+)$")


def na_reason(reasons):
    """One reason for an n/a clause: the union of the missing capabilities."""
    caps, other = set(), set()
    for reason in reasons:
        if m := MISSING.match(reason):
            caps.update(c.strip() for c in m.group(1).split(","))
        else:
            other.add(reason)
    parts = (["missing capability " + ", ".join(sorted(caps))] if caps else []) + sorted(other)
    return "; ".join(parts)


def evidence_of(rec, finding=None):
    """What kind of evidence a record (or one of its findings) is: example,
    property, stress or sanitizer, and the sanitizer build it came from."""
    if finding is not None and finding.get("kind") == "sanitizer":
        kind = "sanitizer"
    else:
        kind = rec.get("evidence") or ("property" if "_RapidCheck." in rec.get("test", "") else "example")
    san = (rec.get("sanitizer") or {}).get("kind")
    if san and kind != "sanitizer":
        kind += f" ({'tsan' if san == 'thread' else 'asan'} build)"
    elif san:
        kind += f" ({'tsan' if san == 'thread' else 'asan'})"
    return kind


def first_line(text, limit=200):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def build(spec, records, manifest, native):
    impls = sorted({r["implementation"] for r in records},
                   key=lambda n: (not n.startswith("reference-"), n))
    records = [normalized(r) for r in records]
    baseline = spec.get("__baseline__")
    spec = {k: v for k, v in spec.items() if k != "__baseline__"}
    versions = column_versions(records, baseline)
    results = []
    for impl in impls:
        mine = [r for r in records if r["implementation"] == impl]
        declared = next((set(r["caps"]) for r in mine if "caps" in r), None)
        for clause in spec:
            passes, fails, failed, judged_by, na, inconclusive = 0, 0, [], set(), set(), []
            for r in mine:
                for c in r["checks"]:
                    if c["clause"] != clause:
                        continue
                    passes += c.get("pass", 0)
                    if c.get("pass", 0) or c.get("fail", 0):
                        judged_by.add(r["test"])
                    if c.get("na", 0) and c.get("na_reason"):
                        na.add(c["na_reason"])
                for f in r["findings"]:
                    if f.get("clause") == clause and f.get("kind") in CHARGING:
                        fails += 1
                        failed.append({"clause": clause, "test": r["test"], "kind": f["kind"],
                                       "message": f.get("message", ""), "where": f.get("where", ""),
                                       "observation": f.get("observation", ""),
                                       "evidence": evidence_of(r, f), "replay": f.get("replay", "")})
                covers = clause in manifest.get(r["test"], []) or clause in r.get("judges", [])
                if covers and r["status"] == "n/a":
                    na.add(first_line(r["detail"]).removeprefix("n/a: "))
                if covers and r["status"] == "inconclusive" and r["inconclusive"]:
                    inconclusive.append({"test": r["test"], "reason": first_line(r["inconclusive"], 300)})
            result = {"implementation": impl, "clause": clause,
                      "checks": {"pass": passes, "fail": fails}, "tests": sorted(judged_by)}
            version = versions.get(impl)
            if not in_profile(spec[clause].get("profile"), version):
                # Another version's rule: not this column's to meet.
                result["status"] = "n/a"
                result["reason"] = (f"outside its profile ({spec[clause]['profile']}); "
                                    f"judged as CPython {version}")
                results.append(result)
                continue
            lacking = [c for c in spec[clause].get("needs", []) if declared is not None and c not in declared]
            if failed:
                status = "fail"
                if impl.startswith("cpython-") and excused(spec[clause], version):
                    status = "deviation"
                result["failed_checks"] = failed
            elif passes:
                status = "pass"
            elif inconclusive and not lacking:
                # A test that ended early could not judge it; without the
                # capabilities it needs no test could have: that is n/a.
                status = "inconclusive"
                result["reason"] = inconclusive[0]["reason"]
                result["inconclusive_tests"] = inconclusive
            else:
                status = "n/a"
                tests_of = [t for t, cs in manifest.items() if clause in cs]
                if lacking:
                    result["reason"] = "missing capability " + ", ".join(sorted(lacking))
                elif na:
                    result["reason"] = na_reason(na)
                elif tests_of and all(t in native for t in tests_of):
                    result["reason"] = NATIVE_ONLY
                else:
                    result["reason"] = "no test of it ran for this implementation"
            result["status"] = status
            results.append(result)
    return impls, results


def summarize(impls, results):
    return {impl: {s: sum(1 for r in results if r["implementation"] == impl and r["status"] == s)
                   for s in STATUSES} for impl in impls}


def findings(impls, results):
    """Per implementation, failures grouped by what was observed."""
    out = {}
    for impl in impls:
        groups = {}
        for r in results:
            if r["implementation"] != impl or r["status"] not in ("fail", "deviation"):
                continue
            for f in r["failed_checks"]:
                key = f["observation"] or first_line(f["message"])
                g = groups.setdefault(key, {"observation": key, "clauses": set(), "deviation": set(),
                                            "checks": 0, "tests": set(), "example": f["message"],
                                            "evidence": set(), "replay": ""})
                (g["deviation"] if r["status"] == "deviation" else g["clauses"]).add(r["clause"])
                g["checks"] += 1
                g["tests"].add(f["test"])
                g["evidence"].add(f.get("evidence", "example"))
                g["replay"] = g["replay"] or f.get("replay", "")
        out[impl] = sorted(
            ({"observation": g["observation"], "clauses": sorted(g["clauses"]),
              "deviation_clauses": sorted(g["deviation"]), "checks": g["checks"],
              "tests": sorted(g["tests"]), "example": first_line(g["example"], 400),
              "evidence": sorted(g["evidence"]), "replay": g["replay"]}
             for g in groups.values()),
            key=lambda g: (-len(g["clauses"]) - len(g["deviation_clauses"]), g["observation"]))
    return out


def stress_runs(records):
    """Per implementation, the stress scenarios it ran: status, figures per
    noise setting, and what no clause was charged with."""
    out = {}
    for r in records:
        if r.get("evidence") != "stress":
            continue
        st = r.get("stress") or {}
        phases = {("noise" if p.get("noise") else "quiet"): p for p in st.get("phases", [])}
        forbidden = sum(f.get("clause", "") != "" for f in r["findings"] if f.get("kind") == "stress")
        uncharged = [first_line(f.get("message", ""), 300) for f in r["findings"] if not f.get("clause")]
        if r["status"] == "inconclusive" and r.get("inconclusive"):
            uncharged.append(first_line(r["inconclusive"], 300))
        out.setdefault(r["implementation"], []).append({
            "scenario": r["test"].removeprefix("Stress."), "status": r["status"],
            "build": (r.get("sanitizer") or {}).get("kind", ""),
            "clauses": r.get("judges", []), "source": st.get("source", ""),
            "reason": first_line(r.get("detail", "")).removeprefix("n/a: ") if r["status"] == "n/a" else "",
            "quiet": {k: phases["quiet"].get(k) for k in ("iterations", "seconds", "rate", "distinct")}
            if "quiet" in phases else None,
            "noise": {k: phases["noise"].get(k) for k in ("iterations", "seconds", "rate", "distinct")}
            if "noise" in phases else None,
            "shim": st.get("shim", ""), "forbidden_findings": forbidden, "uncharged": uncharged})
    for runs in out.values():
        runs.sort(key=lambda x: (x["scenario"], x["build"]))
    return out


def sanitizer_notes(records):
    """Per implementation, what each sanitizer build could instrument."""
    out = {}
    for r in records:
        san = r.get("sanitizer") or {}
        if san.get("note"):
            out.setdefault(r["implementation"], set()).add(san["note"])
    return {k: sorted(v) for k, v in out.items()}


def phase_text(p):
    if not p:
        return "-"
    return f"{p['rate']:.0f}/s, {p['distinct']} outcomes" if p.get("rate") is not None else "-"


def abouts(records):
    out = {}
    for r in records:
        if r.get("about"):
            out.setdefault(r["implementation"], r["about"])
    return out


def render_text(spec, impls, results, summary, about, groups, stress=None, sanitizers=None):
    spec = {k: v for k, v in spec.items() if k != "__baseline__"}
    status = {(r["implementation"], r["clause"]): r["status"] for r in results}
    width = max(len(c) for c in spec)
    cols = [max(len(i), 12) for i in impls]
    lines = ["clause".ljust(width) + "  " + "  ".join(i.ljust(w) for i, w in zip(impls, cols))]
    lines.append("-" * len(lines[0]))
    for clause in spec:
        lines.append(clause.ljust(width) + "  " +
                     "  ".join(status[(i, clause)].ljust(w) for i, w in zip(impls, cols)))
    lines.append("")
    for impl in impls:
        if impl in about:
            lines.append(f"{impl}: {about[impl]}")
    lines.append("(a CPython column is judged by its interpreter's version, every other column by the "
                 "spec's baseline; a clause outside a column's profile is n/a there)")
    lines.append("")
    for impl in impls:
        s = summary[impl]
        lines.append(f"{impl}: {s['pass']} passed, {s['fail']} failed, {s['deviation']} known deviations, "
                     f"{s['inconclusive']} inconclusive, {s['n/a']} n/a (of {len(spec)} clauses)")
    for impl in impls:
        reasons = {}
        for r in results:
            if r["implementation"] == impl and r["status"] == "n/a":
                reasons.setdefault(r["reason"], []).append(r["clause"])
        for reason, clauses in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {impl} n/a ({len(clauses)}): {reason}")
    for impl in impls:
        if groups.get(impl):
            lines += ["", f"Findings for {impl} (one line per observation, with the clauses it breaks):"]
            for g in groups[impl]:
                names = g["clauses"] + [f"{c} (recorded deviation)" for c in g["deviation_clauses"]]
                lines.append(f"- {g['observation']}: {', '.join(names)} "
                             f"[{g['checks']} checks, {len(g['tests'])} tests; {', '.join(g['evidence'])}]")
                lines.append(f"    e.g. {g['example']}")
                if g.get("replay"):
                    lines.append(f"    replay: {g['replay']}")
    inc = [r for r in results if r["status"] == "inconclusive"]
    if inc:
        lines += ["", "Inconclusive (a test that would judge the clause could not):"]
        for r in inc:
            lines.append(f"- {r['implementation']} {r['clause']}: {r['reason']}")
    for impl in impls:
        runs = (stress or {}).get(impl)
        if not runs:
            continue
        lines += ["", f"Stress scenarios for {impl} (iterations per second and distinct outcomes, quiet | with noise):"]
        for x in runs:
            build = f" [{x['build']} build]" if x["build"] else ""
            if x["status"] == "n/a":
                lines.append(f"- {x['scenario']}{build}: n/a ({x['reason']})")
                continue
            lines.append(f"- {x['scenario']}{build}: {x['status']}; {phase_text(x['quiet'])} | "
                         f"{phase_text(x['noise'])}")
            for u in x["uncharged"]:
                lines.append(f"    charged to no clause: {u}")
    for impl in impls:
        for note in (sanitizers or {}).get(impl, []):
            lines.append(f"{impl}: {note}")
    return "\n".join(lines)


def render_markdown(spec, impls, results, summary, about, groups, stress=None, sanitizers=None):
    spec = {k: v for k, v in spec.items() if k != "__baseline__"}
    status = {(r["implementation"], r["clause"]): r["status"] for r in results}
    md = ["# cfspec conformance report", "",
          "| implementation | what was run | pass | fail | known deviation | inconclusive | n/a |",
          "|---|---|---|---|---|---|---|"]
    for impl in impls:
        s = summary[impl]
        md.append(f"| {impl} | {about.get(impl, '')} | {s['pass']} | {s['fail']} | {s['deviation']} | "
                  f"{s['inconclusive']} | {s['n/a']} |")
    md += ["", "| clause | " + " | ".join(impls) + " |", "|---|" + "---|" * len(impls)]
    for clause in spec:
        md.append(f"| {clause} | " + " | ".join(status[(i, clause)] for i in impls) + " |")
    for impl in impls:
        if groups.get(impl):
            md += ["", f"## Findings: {impl}", ""]
            for g in groups[impl]:
                names = g["clauses"] + [f"{c} (recorded deviation)" for c in g["deviation_clauses"]]
                md.append(f"- **{g['observation']}** — {', '.join(names)} "
                          f"({g['checks']} checks in {len(g['tests'])} tests; evidence: "
                          f"{', '.join(g['evidence'])}); e.g. `{g['example']}`")
                if g.get("replay"):
                    md.append(f"  - replay: `{g['replay']}`")
    failures = [r for r in results if r["status"] in ("fail", "deviation")]
    if failures:
        md += ["", "## Failed checks by clause", ""]
        for r in failures:
            tag = " (recorded CPython deviation)" if r["status"] == "deviation" else ""
            md.append(f"- **{r['implementation']} {r['clause']}**{tag} — {spec[r['clause']]['rule']}")
            for f in r["failed_checks"][:8]:
                md.append(f"  - `{f['test']}` ({f.get('evidence', f['kind'])}): {first_line(f['message'], 400)}")
    inc = [r for r in results if r["status"] == "inconclusive"]
    if inc:
        md += ["", "## Inconclusive", ""]
        for r in inc:
            md.append(f"- {r['implementation']} {r['clause']}: {r['reason']}")
    for impl in impls:
        runs = (stress or {}).get(impl)
        if not runs:
            continue
        md += ["", f"## Stress: {impl}", "",
               "| scenario | status | quiet: it/s, outcomes | with noise: it/s, outcomes | clauses |",
               "|---|---|---|---|---|"]
        for x in runs:
            build = f" ({x['build']} build)" if x["build"] else ""
            status = f"n/a ({x['reason']})" if x["status"] == "n/a" else x["status"]
            md.append(f"| {x['scenario']}{build} | {status} | {phase_text(x['quiet'])} | "
                      f"{phase_text(x['noise'])} | {', '.join(x['clauses'])} |")
        extra = [(x["scenario"], u) for x in runs for u in x["uncharged"]]
        if extra:
            md += ["", "Charged to no clause:", ""] + [f"- {sc}: {u}" for sc, u in extra]
    notes = [(impl, n) for impl in impls for n in (sanitizers or {}).get(impl, [])]
    if notes:
        md += ["", "## Sanitizer builds", ""] + [f"- {impl}: {n}" for impl, n in notes]
    na = [r for r in results if r["status"] == "n/a"]
    if na:
        md += ["", "## Not applicable", ""]
        for r in na:
            md.append(f"- {r['implementation']} {r['clause']}: {r['reason']}")
    return "\n".join(md) + "\n"


def verdict(impls, results, baseline=None, stress=None):
    """What fails the job: a reference implementation failing or inconclusive
    on any clause; CPython failing a clause outside EXT- with no recorded
    deviation (the spec describes CPython: then the spec or the suite is
    wrong); a baselined column failing a clause its baseline does not accept."""
    bad = sorted({f"{r['implementation']} {r['clause']} ({r['status']})" for r in results
                  if r["implementation"].startswith("reference-") and r["status"] in ("fail", "inconclusive")})
    # A reference's stress run that no clause could be charged with (an
    # outcome the table does not name, a leak) is the suite's or cf's bug too.
    bad += sorted(f"{impl} Stress.{x['scenario']} ({x['uncharged'][0]})" for impl, runs in (stress or {}).items()
                  if impl.startswith("reference-") for x in runs if x["uncharged"])
    oracle = sorted({f"{r['implementation']} {r['clause']}" for r in results
                     if r["implementation"].startswith("cpython-") and r["status"] == "fail"
                     and not r["clause"].startswith("EXT-")})
    new = []
    for col, accepted in (baseline or {}).items():
        new += [f"{col} {r['clause']}" for r in results
                if r["implementation"] == col and r["status"] == "fail" and r["clause"] not in accepted]
    return bad, oracle, sorted(new)


def read_baseline(path):
    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return {col: set(clauses) for col, clauses in data.get("accepted", {}).items()}


def write_baseline(path, impls, results):
    accepted = {impl: {r["clause"]: sorted({f["observation"] for f in r["failed_checks"]})
                       for r in results if r["implementation"] == impl and r["status"] == "fail"}
                for impl in impls}
    pathlib.Path(path).write_text(json.dumps(
        {"about": "accepted findings per column: clause -> what was observed. A column listed here "
                  "fails the job only on failures of other clauses.",
         "accepted": accepted}, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def selftest():
    """The report must be able to fail, charge precisely, and group."""
    import tempfile
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    with tempfile.TemporaryDirectory() as tmp:
        spec_path = pathlib.Path(tmp) / "SPEC.md"
        spec_path.write_text(
            "### SHUT-WAIT-1 — waits\n**Rule.** r1\n**Known CPython deviation.** returns early.\n\n"
            "### EXEC-SUBMIT-1 — value\n**Rule.** r2\n\n"
            "### EXEC-SUBMIT-2 — error\n**Rule.** r3\n\n"
            "### EXT-ABANDON-1 — cf's own\n**Rule.** r4\n\n"
            "### FUT-RESULT-3 — cancelled\n**Rule.** r5\n**Needs.** cancel\n\n"
            "### WAIT-ALL-1 — wait\n**Rule.** r6\n\n"
            "### EXEC-QUEUE-1 — queue\n**Rule.** r7\n\n"
            "### EXEC-CANCEL-1 — cancel\n**Rule.** r8\n\n"
            "### EXT-SAN-1 — no race\n**Rule.** r9\n\n"
            "### MAP-EXC-3 — new\n**Rule.** r10\n**Profile.** CPython >=3.16\n\n"
            "### MAP-BUF-4 — bound\n**Rule.** r11\n**Known CPython deviation (CPython >=3.14).** x\n\n"
            "**Baseline.** The clauses follow the *documented* behaviour of CPython 3.15\n",
            encoding="utf-8")
        spec = read_spec(spec_path)
    manifest = {"T.acc": ["SHUT-WAIT-1", "EXEC-SUBMIT-1", "EXEC-SUBMIT-2"],
                "T.cancel": ["FUT-RESULT-3", "EXEC-SUBMIT-2"], "T.wait": ["WAIT-ALL-1"],
                "T.abandon": ["EXT-ABANDON-1"], "T.native": ["EXEC-QUEUE-1"]}
    native = {"T.native"}

    manifest.update({"T.map3": ["MAP-EXC-3"], "T.buf4": ["MAP-BUF-4"]})

    def rec(impl, test, status, checks=(), findings=(), inconclusive="", detail="", about="", follows=""):
        return {"implementation": impl, "test": test, "status": status, "about": about, "follows": follows,
                "checks": [{"clause": c, "pass": p, "fail": f, "na": n, "na_reason": why}
                           for c, p, f, n, why in checks],
                "findings": [{"clause": c, "kind": k, "message": m, "where": "", "observation": o}
                             for c, k, m, o in findings],
                "inconclusive": inconclusive, "detail": detail}

    def judge(records, baseline=None):
        records = [normalized(r) for r in records]
        impls, results = build(spec, records, manifest, native)
        status = {(r["implementation"], r["clause"]): r["status"] for r in results}
        return status, results, verdict(impls, results, baseline, stress_runs(records)), findings(impls, results)

    def stress_rec(impl, scenario, checks, findings, status, uncharged=""):
        r = rec(impl, "Stress." + scenario, status, checks, inconclusive=uncharged)
        r.update({"evidence": "stress", "judges": [c for c, *_ in checks],
                  "stress": {"phases": [{"noise": False, "iterations": 500, "seconds": 1, "rate": 500,
                                         "distinct": 2},
                                        {"noise": True, "iterations": 300, "seconds": 1, "rate": 300,
                                         "distinct": 3}]},
                  "findings": findings})
        return r

    stress_found = {"clause": "EXEC-CANCEL-1", "kind": "stress", "where": "stress/scenarios/x.cpp",
                    "message": "[EXEC-CANCEL-1] forbidden outcome 'cancelled but ran' x3",
                    "observation": "stress future.cancel_vs_start: cancelled but ran",
                    "replay": "cf_stress_peer3 --scenario future.cancel_vs_start --seed 1 --noise on"}
    san_found = {"clause": "EXT-SAN-1", "kind": "sanitizer", "where": "racy.cpp:3",
                 "message": "[EXT-SAN-1] ThreadSanitizer: data race in done() racy.cpp:3",
                 "observation": "ThreadSanitizer: data race at racy.cpp:3", "replay": "prog --gtest_filter=T.wait"}
    san_rec = rec("peer3", "T.wait", "fail", [("WAIT-ALL-1", 1, 0, 0, ""), ("EXT-SAN-1", 0, 1, 0, "")])
    san_rec.update({"findings": [san_found], "sanitizer": {"kind": "thread", "note": "not instrumented: libx.so"}})
    s_status, s_results, (s_bad, _, _), s_groups = judge([
        stress_rec("peer3", "future.cancel_vs_start", [("EXEC-CANCEL-1", 797, 3, 0, ""),
                                                         ("EXEC-SUBMIT-1", 800, 0, 0, "")],
                   [stress_found], "fail"),
        san_rec,
        stress_rec("reference-thread", "map.abandoned", [("EXEC-SUBMIT-1", 10, 0, 0, "")],
                   [{"clause": "", "kind": "stress", "message": "leaked 2 file descriptors", "where": "",
                     "observation": "stress: leaked"}], "inconclusive", "leaked 2 file descriptors"),
    ])
    expect("a forbidden stress outcome fails its row's clause", s_status[("peer3", "EXEC-CANCEL-1")], "fail")
    expect("a stress run's other clauses pass", s_status[("peer3", "EXEC-SUBMIT-1")], "pass")
    expect("a stress finding says its evidence and replay",
           [(g["evidence"], bool(g["replay"])) for g in s_groups["peer3"]
            if g["observation"].startswith("stress")], [(["stress"], True)])
    expect("a sanitizer report fails EXT-SAN-1 only",
           (s_status[("peer3", "EXT-SAN-1")], s_status[("peer3", "WAIT-ALL-1")]), ("fail", "pass"))
    expect("a sanitizer finding says its build", [g["evidence"] for g in s_groups["peer3"]
                                                  if g["observation"].startswith("Thread")], [["sanitizer (tsan)"]])
    expect("a reference stress run charged to no clause fails the job",
           [b for b in s_bad if "Stress." in b], ["reference-thread Stress.map.abandoned (leaked 2 file descriptors)"])

    err = "task-error expected, got other-error"
    status, results, (bad, oracle, new), groups = judge([
        # a failed check is charged to its clause only
        rec("peer", "T.acc", "fail", [("SHUT-WAIT-1", 3, 0, 0, ""), ("EXEC-SUBMIT-2", 0, 1, 0, "")],
            [("EXEC-SUBMIT-2", "check", "[EXEC-SUBMIT-2] f1 raised other", err)]),
        rec("peer", "T.cancel", "pass", [("FUT-RESULT-3", 1, 0, 0, ""), ("EXEC-SUBMIT-2", 0, 1, 0, "")],
            [("EXEC-SUBMIT-2", "check", "[EXEC-SUBMIT-2] f2 raised other", err)]),
        # a clause whose check had no capability is n/a, never pass
        rec("peer", "T.wait", "pass", [("WAIT-ALL-1", 0, 0, 2, "missing capability wait")]),
        # a precondition charges the rule it relied on; the test's clause is inconclusive
        rec("peer2", "T.cancel", "inconclusive", [],
            [("EXEC-QUEUE-1", "precondition", "[EXEC-QUEUE-1] precondition failed: submit raised", "x")],
            inconclusive="[EXEC-QUEUE-1] precondition failed: submit raised"),
        # a hang in progress is charged to its clause, keeps the passes before it
        rec("peer2", "T.acc", "fail", [("EXEC-SUBMIT-1", 4, 0, 0, "")],
            [("SHUT-WAIT-1", "hang", "[SHUT-WAIT-1] hang: 60 s", "hang in shutdown")]),
        rec("peer2", "T.wait", "started"),
        # an ended test cannot make a clause whose capability is missing inconclusive
        dict(rec("peer4", "T.cancel", "inconclusive", [], [], inconclusive="precondition failed"),
             caps=["wait"]),
        rec("cpython-thread", "T.acc", "fail", [("EXEC-SUBMIT-1", 1, 0, 0, "")],
            [("SHUT-WAIT-1", "check", "[SHUT-WAIT-1] late", "late")]),
        rec("cpython-thread", "T.abandon", "fail", [], [("EXT-ABANDON-1", "check", "[EXT-ABANDON-1] x", "x")]),
        rec("cpython-thread", "T.wait", "fail", [], [("WAIT-ALL-1", "check", "[WAIT-ALL-1] early", "early")]),
        rec("reference-thread", "T.acc", "pass", [("SHUT-WAIT-1", 1, 0, 0, ""), ("EXEC-SUBMIT-1", 1, 0, 0, ""),
                                                  ("EXEC-SUBMIT-2", 1, 0, 0, "")]),
        rec("reference-thread", "T.cancel", "inconclusive", [], [], inconclusive="precondition failed"),
        # profiles: a 3.16 rule is n/a for the baseline and for 3.11, judged on 3.16
        rec("reference-thread", "T.map3", "fail", [], [("MAP-EXC-3", "check", "[MAP-EXC-3] ended", "ended")]),
        rec("cpython-thread", "T.map3", "fail", [], [("MAP-EXC-3", "check", "[MAP-EXC-3] ended", "ended")],
            about="CPython 3.11.2 (/usr/bin/python3) concurrent.futures.ThreadPoolExecutor"),
        rec("cpython-thread-3.16", "T.map3", "pass", [("MAP-EXC-3", 2, 0, 0, "")], follows="3.16"),
        # a scoped deviation excuses only the versions it names
        rec("cpython-thread", "T.buf4", "fail", [], [("MAP-BUF-4", "check", "[MAP-BUF-4] b+1", "b+1")],
            about="CPython 3.11.2 (/usr/bin/python3) concurrent.futures.ThreadPoolExecutor"),
        rec("cpython-thread-3.16", "T.buf4", "fail", [], [("MAP-BUF-4", "check", "[MAP-BUF-4] b+1", "b+1")],
            follows="3.16"),
    ], baseline={"peer": {"EXEC-SUBMIT-2"}, "peer2": set()})
    expect("fail charged to its own clause", status[("peer", "EXEC-SUBMIT-2")], "fail")
    expect("other clauses of a failing test keep their passes", status[("peer", "SHUT-WAIT-1")], "pass")
    expect("a pass needs a passed check", status[("peer", "FUT-RESULT-3")], "pass")
    expect("no capability: n/a", status[("peer", "WAIT-ALL-1")], "n/a")
    expect("n/a names the capability",
           next(r["reason"] for r in results if (r["implementation"], r["clause"]) == ("peer", "WAIT-ALL-1")),
           "missing capability wait")
    expect("a precondition charges the rule relied on", status[("peer2", "EXEC-QUEUE-1")], "fail")
    expect("the clause under test is inconclusive", status[("peer2", "FUT-RESULT-3")], "inconclusive")
    expect("a hang is charged to the clause in progress", status[("peer2", "SHUT-WAIT-1")], "fail")
    expect("a hang keeps earlier passes", status[("peer2", "EXEC-SUBMIT-1")], "pass")
    expect("a dead test's clauses are inconclusive", status[("peer2", "WAIT-ALL-1")], "inconclusive")
    expect("an ended test's clause without its capability is n/a",
           (status[("peer4", "FUT-RESULT-3")], status[("peer4", "EXEC-SUBMIT-2")]), ("n/a", "inconclusive"))
    expect("native-only clause", next(r["reason"] for r in results
                                      if (r["implementation"], r["clause"]) == ("peer", "EXEC-QUEUE-1")),
           NATIVE_ONLY)
    expect("cpython deviation", status[("cpython-thread", "SHUT-WAIT-1")], "deviation")
    expect("outside the baseline's profile: n/a", status[("reference-thread", "MAP-EXC-3")], "n/a")
    expect("outside the interpreter's profile (from about): n/a", status[("cpython-thread", "MAP-EXC-3")], "n/a")
    expect("inside the interpreter's profile: judged", status[("cpython-thread-3.16", "MAP-EXC-3")], "pass")
    expect("a scoped deviation outside its scope is a fail", status[("cpython-thread", "MAP-BUF-4")], "fail")
    expect("a scoped deviation inside its scope", status[("cpython-thread-3.16", "MAP-BUF-4")], "deviation")
    expect("one root cause, one finding", [(g["observation"], g["clauses"], g["checks"])
                                           for g in groups["peer"]], [(err, ["EXEC-SUBMIT-2"], 2)])
    expect("every fail lists its failed checks", all(r.get("failed_checks") for r in results
                                                     if r["status"] == "fail"), True)
    expect("a reference inconclusive fails the job", bad, ["reference-thread FUT-RESULT-3 (inconclusive)"])
    expect("CPython outside EXT- without deviation fails the job", oracle,
           ["cpython-thread MAP-BUF-4", "cpython-thread WAIT-ALL-1"])
    expect("baseline: accepted failures pass, new ones fail", new,
           ["peer2 EXEC-QUEUE-1", "peer2 SHUT-WAIT-1"])
    for p in problems:
        print("conformance_report selftest:", p)
    if not problems:
        print("conformance_report selftest: every rule held")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec")
    ap.add_argument("--records", action="append",
                    help="a directory of records (repeat to judge several builds' records together)")
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent),
                    help="the source tree whose tests wrote the records (for each test's clauses)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    ap.add_argument("--only", help="comma-separated columns to report (default: every column with records)")
    ap.add_argument("--baseline", help="accepted findings per column (see --write-baseline)")
    ap.add_argument("--write-baseline", metavar="FILE", help="write the current failures as a baseline")
    ap.add_argument("--selftest", action="store_true", help="check the report's own rules and exit")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if not args.spec or not args.records:
        ap.error("--spec and --records are required")
    spec = read_spec(args.spec)
    records = read_records(args.records)
    if args.only:
        wanted = {c.strip() for c in args.only.split(",") if c.strip()}
        records = [r for r in records if r["implementation"] in wanted]
    if not records:
        print(f"conformance_report: no test records in {args.records}: nothing ran", file=sys.stderr)
        return 1
    manifest, native = read_manifest(args.root)
    impls, results = build(spec, records, manifest, native)
    summary = summarize(impls, results)
    about = abouts(records)
    groups = findings(impls, results)
    stress = stress_runs(records)
    sanitizers = sanitizer_notes(records)
    print(render_text(spec, impls, results, summary, about, groups, stress, sanitizers))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"implementations": impls, "about": about, "summary": summary, "findings": groups,
             "stress": stress, "sanitizer": sanitizers, "results": results}, indent=1) + "\n")
    if args.markdown:
        pathlib.Path(args.markdown).write_text(
            render_markdown(spec, impls, results, summary, about, groups, stress, sanitizers))
    if args.json or args.markdown:
        print("\nreport: " + "\n        ".join(p for p in (args.json, args.markdown) if p))
    if args.write_baseline:
        write_baseline(args.write_baseline, impls, results)
        print(f"baseline written: {args.write_baseline}")
    bad, oracle, new = verdict(impls, results, read_baseline(args.baseline) if args.baseline else None, stress)
    if bad:
        print("conformance: reference implementation(s) failing or inconclusive: " + ", ".join(bad),
              file=sys.stderr)
    if oracle:
        print("conformance: CPython fails clauses with no recorded deviation (fix the spec, "
              "the suite, or record the deviation): " + ", ".join(oracle), file=sys.stderr)
    if new:
        print("conformance: failures the baseline does not accept: " + ", ".join(new), file=sys.stderr)
    return 1 if bad or oracle or new else 0


if __name__ == "__main__":
    sys.exit(main())
