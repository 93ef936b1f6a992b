#!/usr/bin/env python3
"""Clause checker: every verdict names its clause, every clause is judged.

Fails (exit 1) when
  - a clause in spec/SPEC.md has no test judging it (a check naming it),
  - a check names a clause SPEC.md does not have,
  - a conformance test or property judges no clause (no tagged check),
  - a stress scenario's outcome table names a clause SPEC.md does not have,
  - a test file or the harness holds an untagged verdict (EXPECT_*, ASSERT_*,
    RC_ASSERT, RC_FAIL, ADD_FAILURE, FAIL(), ...): every verdict is a
    CF_CHECK-family check naming its clause (property_tests/harness/check.hpp),
  - SPEC.md repeats a clause ID, has a clause without Rule/Rationale/Source,
    or a **Needs.** line naming a capability the adapter contract lacks.

A test's clauses are derived from its checks: the clause IDs written in its
body and in the helpers of the same file (or of the harness) it calls,
except a CF_PRECONDITION's, which names the rule a scene step relies on, not
a clause the test judges.

  --emit-needs FILE   writes the clause -> capabilities table the harness
                      compiles in (one {"ID", "cap, cap"} row per clause)
  --emit-profiles FILE  writes the clause -> CPython versions table (one
                      {"ID", ">=3.16"} row per profiled clause, and the
                      baseline as {"", "3.15"})
  --manifest FILE     writes {"tests": {test: [clauses]}} for the report
  --selftest          plants each kind of error and expects it reported
"""
import argparse
import json
import pathlib
import re
import sys
import tempfile

CLAUSE_HEADING = re.compile(r"^### ([A-Z]+(?:-[A-Z0-9]+)+) — ", re.M)
NEEDS = re.compile(r"^\*\*Needs\.\*\*\s*(.*)$", re.M)
PROFILE = re.compile(r"^\*\*Profile\.\*\*\s*(.*)$", re.M)
# "**Known CPython deviation.**" or "**Departs from CPython.**", optionally
# scoped: "**Known CPython deviation (CPython >=3.14).**".
EXCUSE = re.compile(r"^\*\*(Known CPython deviation|Departs from CPython)(?: \(([^)]*)\))?\.\*\*\s*(.*)$", re.M)
BASELINE = re.compile(r"\*\*Baseline\.\*\* The clauses follow the \*documented\* behaviour of CPython (\d+\.\d+)")
VERSION_TERM = re.compile(r"^(>=|<=|==)?\s*(\d+)\.(\d+)$")


def parse_profile(text):
    """"CPython >=3.8, <=3.12" -> [(">=", (3, 8)), ("<=", (3, 12))]; None if malformed."""
    text = text.strip()
    if not text.startswith("CPython "):
        return None
    terms = []
    for part in text[len("CPython "):].split(","):
        m = VERSION_TERM.match(part.strip())
        if not m:
            return None
        terms.append((m.group(1) or "==", (int(m.group(2)), int(m.group(3)))))
    return terms or None


def version_in(terms, version):
    """True when `version` ("3.12" or (3, 12)) satisfies every term."""
    if isinstance(version, str):
        major, minor = version.split(".")[:2]
        version = (int(major), int(minor))
    for op, v in terms:
        if (op == ">=" and version < v) or (op == "<=" and version > v) or (op == "==" and version != v):
            return False
    return True


def baseline_version(text):
    m = BASELINE.search(text)
    return m.group(1) if m else None
CLAUSE_LITERAL = re.compile(r'"([A-Z]+(?:-[A-Z0-9]+)*-[0-9]+)"')
TEST_MACRO = re.compile(r"^\s*(TEST_F|TEST|TEST_P|RC_GTEST_FIXTURE_PROP|RC_GTEST_PROP)\(\s*(\w+)\s*,\s*(\w+)", re.M)
PRECONDITION = re.compile(r'CF_PRECONDITION\(\s*"[A-Z0-9-]+"')
UNTAGGED = re.compile(
    r"\b(EXPECT_(?!NO_FATAL_FAILURE)[A-Z_]+|ASSERT_(?!NO_FATAL_FAILURE)[A-Z_]+|RC_ASSERT[A-Z_]*|RC_FAIL|"
    r"CF_RC_FAIL|ADD_FAILURE|ADD_FAILURE_AT|GTEST_FAIL|FAIL|CF_EXPECT_[A-Z_]+|CF_CLAUSES)\s*\(")
CHECK_CALL = re.compile(r"\bCF_(CHECK|ASSERT)(_[A-Z]+)?\s*\(")
CALL = re.compile(r"\b([A-Za-z_]\w*)\s*[(<{]")
CAP_NAME = re.compile(r'case Cap::k\w+:\s*return "([a-z-]+)";')

TEST_DIRS = ("property_tests/conformance", "property_tests/properties", "property_tests/reference",
             "property_tests/process", "property_tests/sanitizer", "property_tests/corpus",
             "property_tests/native")
# Tests outside the harness (a binary that must lack the worker entry) whose
# checks still name their clause.
TEST_FILES = ("impl/tests/process_entry_test.cpp",)
# Stress scenarios: their outcome tables name clauses, which must exist.
STRESS_DIRS = ("stress/scenarios", "stress/native")
# Scanned for untagged verdicts and as a source of helpers, but holding no tests.
SHARED_DIRS = ("property_tests/harness",)
ADAPTER_SOURCE = "property_tests/harness/adapter.cpp"


def spec_clauses(text, cap_names=None):
    """ID -> {"body", "needs"}, with structural errors."""
    errors, clauses = [], {}
    heads = list(CLAUSE_HEADING.finditer(text))
    for i, m in enumerate(heads):
        cid = m.group(1)
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[m.end():end]
        if cid in clauses:
            errors.append(f"SPEC.md: clause {cid} appears twice")
        for field in ("**Rule.**", "**Rationale.**", "**Source.**"):
            if field not in body:
                errors.append(f"SPEC.md: clause {cid} lacks {field}")
        needs = []
        if n := NEEDS.search(body):
            needs = [c.strip() for c in n.group(1).split(",") if c.strip()]
            for c in needs:
                if cap_names is not None and c not in cap_names:
                    errors.append(f"SPEC.md: clause {cid} needs unknown capability '{c}'")
        profile = ""
        if pm := PROFILE.search(body):
            profile = pm.group(1).strip()
            if parse_profile(profile) is None:
                errors.append(f"SPEC.md: clause {cid} has a malformed profile '{profile}' "
                              "(write e.g. 'CPython >=3.16' or 'CPython >=3.8, <=3.12')")
        excuses = []
        for em in EXCUSE.finditer(body):
            scope = (em.group(2) or "").strip()
            if scope and parse_profile(scope) is None:
                errors.append(f"SPEC.md: clause {cid} scopes its {em.group(1)} with a malformed "
                              f"profile '{scope}'")
            excuses.append({"kind": em.group(1), "scope": scope, "text": em.group(3).strip()})
        clauses[cid] = {"body": body, "needs": needs, "profile": profile, "excuses": excuses}
    return clauses, errors


def strip_comments(code):
    """Comments out, string literals kept, line count kept."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            out.append(code[i:j + 1])
            i = j + 1
        elif code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * code.count("\n", i, j))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def block_after(code, start):
    """The text of the {...} block that opens at or after `start`."""
    brace = code.find("{", start)
    if brace < 0:
        return ""
    depth = 0
    for j in range(brace, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return code[brace:j + 1]
    return code[brace:]


def definitions(code):
    """name -> body of functions, classes and structs defined in `code`."""
    defs = {}
    for m in re.finditer(r"\b(?:class|struct)\s+(\w+)[^;{]*\{", code):
        defs.setdefault(m.group(1), block_after(code, m.start()))
    params = r"\((?:[^;{}()]|\{\}|\([^()]*\))*\)"  # may hold `= {}` and calls
    for m in re.finditer(r"\b(\w+)\s*" + params +
                         r"\s*(?:const\s*)?(?:noexcept\s*)?(?:override\s*)?(?:->\s*[^{;]+)?\{", code):
        name = m.group(1)
        if name in ("if", "for", "while", "switch", "catch", "return") or name.isupper():
            continue
        defs.setdefault(name, block_after(code, m.end() - 1))
    return defs


CHECK_LITERAL = re.compile(r'\bCF_(?:CHECK|ASSERT|STEP)\w*\(\s*"([A-Z]+(?:-[A-Z0-9]+)*-[0-9]+)"')


def judged_in(text, shared=False):
    """Clause IDs a piece of code judges: its literals, less preconditions';
    in the harness's shared code, only the clauses its own checks name (its
    other literals are plumbing: the rule a guard step relies on, say)."""
    if shared:
        return set(CHECK_LITERAL.findall(text))
    return set(CLAUSE_LITERAL.findall(PRECONDITION.sub("CF_PRECONDITION(", text)))


def clauses_of(body, defs, shared_names, seen=None, depth=0, shared=False):
    seen = set() if seen is None else seen
    found = judged_in(body, shared)
    checks = bool(CHECK_CALL.search(body))
    if depth > 6:
        return found, checks
    for name in set(CALL.findall(body)):
        if name in defs and name not in seen:
            seen.add(name)
            more, more_checks = clauses_of(defs[name], defs, shared_names, seen, depth + 1,
                                           shared=name in shared_names)
            found |= more
            checks = checks or more_checks
    return found, checks


def test_name(macro, suite, name):
    if macro in ("RC_GTEST_FIXTURE_PROP",):
        return f"{suite}_RapidCheck.{name}"
    return f"{suite}.{name}"


def check(root):
    root = pathlib.Path(root)
    adapter = root / ADAPTER_SOURCE
    cap_names = set(CAP_NAME.findall(adapter.read_text(encoding="utf-8"))) if adapter.exists() else None
    clauses, errors = spec_clauses((root / "spec" / "SPEC.md").read_text(encoding="utf-8"), cap_names)
    shared_defs = {}
    files = []
    for d in SHARED_DIRS + TEST_DIRS + TEST_FILES:
        where = root / d
        paths = [where] if where.is_file() else sorted(where.rglob("*.[ch]pp")) if where.exists() else []
        for path in paths:
            code = strip_comments(path.read_text(encoding="utf-8"))
            rel = path.relative_to(root)
            for m in UNTAGGED.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                errors.append(f"{rel}:{line}: untagged verdict {m.group(1)}(...): use a CF_CHECK-family "
                              "check naming its clause, or CF_PRECONDITION for a scene step")
            for cid in CLAUSE_LITERAL.findall(code):
                if cid not in clauses:
                    line = code.count("\n", 0, code.find(f'"{cid}"')) + 1
                    errors.append(f"{rel}:{line}: names unknown clause {cid}")
            if d in SHARED_DIRS or (d == "property_tests/properties" and path.suffix == ".hpp"):
                shared_defs.update(definitions(code))
            if d in TEST_DIRS or d in TEST_FILES:
                files.append((rel, code))
    for d in STRESS_DIRS:
        for path in sorted((root / d).rglob("*.cpp")) if (root / d).exists() else []:
            code = strip_comments(path.read_text(encoding="utf-8"))
            rel = path.relative_to(root)
            for cid in CLAUSE_LITERAL.findall(code):
                if cid not in clauses:
                    line = code.count("\n", 0, code.find(f'"{cid}"')) + 1
                    errors.append(f"{rel}:{line}: names unknown clause {cid}")
    tests = {}
    for rel, code in files:
        local = definitions(code)
        defs = dict(shared_defs)
        defs.update(local)
        shared_names = set(shared_defs) - set(local)
        for m in TEST_MACRO.finditer(code):
            name = test_name(m.group(1), m.group(2), m.group(3))
            body = block_after(code, m.end())
            found, checks = clauses_of(body, defs, shared_names)
            if not found or not checks:
                errors.append(f"{rel}: {name} judges no clause (no CF_CHECK-family check naming one)")
            tests[name] = sorted(found)
    covered = {}
    for name, ids in tests.items():
        for cid in ids:
            covered.setdefault(cid, []).append(name)
    for cid in clauses:
        if cid not in covered:
            errors.append(f"clause {cid} has no test")
    return clauses, covered, tests, errors


def emit_needs(clauses, path):
    lines = ["// Generated from spec/SPEC.md by ci/check_clauses.py --emit-needs. Do not edit."]
    for cid, c in clauses.items():
        lines.append(f'{{"{cid}", "{", ".join(c["needs"])}"}},')
    text = "\n".join(lines) + "\n"
    path = pathlib.Path(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def emit_profiles(clauses, baseline, path):
    lines = ["// Generated from spec/SPEC.md by ci/check_clauses.py --emit-profiles. Do not edit.",
             f'{{"", "{baseline}"}},']
    for cid, c in clauses.items():
        if c.get("profile"):
            lines.append(f'{{"{cid}", "{c["profile"][len("CPython "):]}"}},')
    text = "\n".join(lines) + "\n"
    path = pathlib.Path(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def selftest():
    """The checker must be able to fail: feed it a tree with each kind of error."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "spec").mkdir()
        (root / "property_tests" / "conformance").mkdir(parents=True)
        (root / "property_tests" / "harness").mkdir(parents=True)
        (root / ADAPTER_SOURCE).write_text('case Cap::kWait: return "wait";\n')
        (root / "spec" / "SPEC.md").write_text(
            "### A-B-1 — one\n**Rule.** r\n**Needs.** wait\n**Rationale.** r\n**Source.** s\n"
            "### A-B-2 — two\n**Rule.** r\n**Rationale.** r\n**Source.** s\n"
            "### A-B-3 — three\n**Rule.** r\n**Needs.** teleport\n"
            "### A-B-4 — four\n**Rule.** r\n**Rationale.** r\n**Source.** s\n"
            "### A-B-5 — five\n**Rule.** r\n**Profile.** Python 3\n**Rationale.** r\n**Source.** s\n")
        (root / "property_tests" / "conformance" / "t.cpp").write_text(
            'void helper(Future& f) { CF_CHECK("A-B-4", f.done()); }\n'
            'TEST_F(Conformance, Good) {\n  CF_CHECK("A-B-1", true);\n}\n'
            'TEST_F(Conformance, ViaHelper) {\n  helper(*f);\n}\n'
            'TEST_F(Conformance, Unknown) {\n  CF_CHECK("A-B-9", true);\n}\n'
            'TEST_F(Conformance, Untagged) {\n  EXPECT_TRUE(x);\n}\n'
            'TEST_F(Conformance, OnlyAScene) {\n  CF_PRECONDITION("A-B-2", x);\n}\n')
        _, covered, tests, errors = check(root)
        expected = ["lacks **Rationale.**", "names unknown clause A-B-9",
                    "untagged verdict EXPECT_TRUE", "Untagged judges no clause",
                    "OnlyAScene judges no clause", "clause A-B-2 has no test",
                    "needs unknown capability 'teleport'", "A-B-5 has a malformed profile"]
        missing = [e for e in expected if not any(e in err for err in errors)]
        wrong = [e for e in errors if "Good" in e or "ViaHelper" in e]
        terms = parse_profile("CPython >=3.8, <=3.12")
        if not (version_in(terms, "3.12") and version_in(terms, (3, 8)) and not version_in(terms, "3.13")
                and not version_in(parse_profile("CPython >=3.16"), "3.15")):
            wrong.append(f"profile ranges misread: {terms}")
        if tests.get("Conformance.ViaHelper") != ["A-B-4"]:
            wrong.append(f"ViaHelper judges {tests.get('Conformance.ViaHelper')}, expected ['A-B-4']")
        if missing or wrong:
            print("check_clauses selftest: the checker missed:", missing, "or wrongly said:", wrong)
            return 1
        print(f"check_clauses selftest: all {len(expected)} planted errors reported, helpers followed")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent)
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--emit-needs", metavar="FILE")
    ap.add_argument("--emit-profiles", metavar="FILE")
    ap.add_argument("--manifest", metavar="FILE")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if args.emit_needs or args.emit_profiles:
        text = (pathlib.Path(args.root) / "spec" / "SPEC.md").read_text(encoding="utf-8")
        clauses, errors = spec_clauses(text)
        baseline = baseline_version(text)
        if args.emit_profiles and not baseline:
            errors.append("SPEC.md: no **Baseline.** paragraph naming the CPython version")
        for e in errors:
            print("check_clauses:", e, file=sys.stderr)
        if args.emit_needs:
            emit_needs(clauses, args.emit_needs)
        if args.emit_profiles and baseline:
            emit_profiles(clauses, baseline, args.emit_profiles)
        return 1 if errors else 0
    clauses, covered, tests, errors = check(args.root)
    if args.manifest:
        pathlib.Path(args.manifest).write_text(json.dumps({"tests": tests}, indent=1, sort_keys=True),
                                               encoding="utf-8")
    for e in errors:
        print("check_clauses:", e)
    print(f"check_clauses: {len(clauses)} clauses, {len(tests)} tests, "
          f"{sum(1 for c in clauses if c in covered)} clauses covered, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
