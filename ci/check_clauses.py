#!/usr/bin/env python3
"""Clause coverage checker.

Fails (exit 1) when
  - a clause in spec/SPEC.md has no test naming it,
  - a test names a clause SPEC.md does not have,
  - a conformance test or property does not start with CF_CLAUSES(...),
  - SPEC.md repeats a clause ID or has a clause without Rule/Rationale/Source.
"""
import argparse
import pathlib
import re
import sys
import tempfile

CLAUSE_HEADING = re.compile(r"^### ([A-Z]+(?:-[A-Z0-9]+)+) — ", re.M)
CITATION = re.compile(r"CF_CLAUSES\(([^)]*)\)")
CLAUSE_ID = re.compile(r'"([A-Z]+(?:-[A-Z0-9]+)+)"')
TEST_MACRO = re.compile(r"^\s*(TEST_F|TEST|TEST_P|RC_GTEST_FIXTURE_PROP|RC_GTEST_PROP)\(([^,]*),\s*(\w+)", re.M)
TEST_DIRS = ("property_tests/conformance", "property_tests/properties", "property_tests/reference",
             "property_tests/process", "stress", "impl/tests")


def spec_clauses(text):
    """ID -> body text, with structural errors."""
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
        clauses[cid] = body
    return clauses, errors


def strip_comments(code):
    code = re.sub(r"//[^\n]*", "", code)
    return re.sub(r"/\*.*?\*/", "", code, flags=re.S)


def test_citations(path, code):
    """(test name, [clause ids]) per test in a file; errors for tests without CF_CLAUSES."""
    errors, tests = [], []
    code = strip_comments(code)
    for m in TEST_MACRO.finditer(code):
        name = f"{m.group(2).strip()}.{m.group(3)}"
        brace = code.find("{", m.end())
        body_start = code[brace + 1:].lstrip()
        c = CITATION.match(body_start)
        if not c:
            if str(path).startswith("impl/tests"):
                continue  # unit tests of internals need not name a clause
            errors.append(f"{path}: {name} does not start with CF_CLAUSES(...)")
            continue
        ids = CLAUSE_ID.findall(c.group(1))
        if not ids:
            errors.append(f"{path}: {name} names no clause")
        tests.append((name, ids))
    return tests, errors


def check(root):
    root = pathlib.Path(root)
    spec_path = root / "spec" / "SPEC.md"
    clauses, errors = spec_clauses(spec_path.read_text(encoding="utf-8"))
    covered = {}
    ntests = 0
    for d in TEST_DIRS:
        for path in sorted((root / d).rglob("*.cpp")) if (root / d).exists() else []:
            tests, errs = test_citations(path.relative_to(root), path.read_text(encoding="utf-8"))
            errors += errs
            ntests += len(tests)
            for name, ids in tests:
                for cid in ids:
                    if cid not in clauses:
                        errors.append(f"{path.relative_to(root)}: {name} names unknown clause {cid}")
                    covered.setdefault(cid, []).append(name)
    for cid in clauses:
        if cid not in covered:
            errors.append(f"clause {cid} has no test")
    return clauses, covered, ntests, errors


def selftest():
    """The checker must be able to fail: feed it a tree with each kind of error."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "spec").mkdir()
        (root / "property_tests" / "conformance").mkdir(parents=True)
        (root / "spec" / "SPEC.md").write_text(
            "### A-B-1 — one\n**Rule.** r\n**Rationale.** r\n**Source.** s\n"
            "### A-B-2 — two\n**Rule.** r\n**Rationale.** r\n**Source.** s\n"
            "### A-B-3 — three\n**Rule.** r\n")
        (root / "property_tests" / "conformance" / "t.cpp").write_text(
            'TEST_F(Conformance, Good) {\n  CF_CLAUSES("A-B-1");\n}\n'
            'TEST_F(Conformance, Unknown) {\n  CF_CLAUSES("A-B-9");\n}\n'
            'TEST_F(Conformance, Untagged) {\n  int x = 0;\n}\n')
        _, _, _, errors = check(root)
        expected = ["lacks **Rationale.**", "names unknown clause A-B-9",
                    "Untagged does not start with CF_CLAUSES", "clause A-B-2 has no test"]
        missing = [e for e in expected if not any(e in err for err in errors)]
        if missing:
            print("check_clauses selftest: the checker missed:", missing)
            return 1
        print(f"check_clauses selftest: all {len(expected)} planted errors reported")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent)
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    clauses, covered, ntests, errors = check(args.root)
    for e in errors:
        print("check_clauses:", e)
    print(f"check_clauses: {len(clauses)} clauses, {ntests} tests, "
          f"{sum(1 for c in clauses if c in covered)} clauses covered, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
