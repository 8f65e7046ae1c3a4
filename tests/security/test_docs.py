"""docs/security.md lists every test of this suite, and nothing that no longer exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(tests/security/test_\w+\.py)::(test_\w+)` \|", re.MULTILINE)


def suite() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((ROOT / "tests" / "security").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                found.add((str(path.relative_to(ROOT)), node.name))
    return found


def test_docs_security_lists_every_test_of_the_suite() -> None:
    listed = set(ROW.findall((ROOT / "docs" / "security.md").read_text(encoding="utf-8")))
    assert sorted(suite() - listed) == [], "add these rows to the table in docs/security.md"
    assert sorted(listed - suite()) == [], "these rows in docs/security.md name tests that do not exist"


def xfail_marked() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((ROOT / "tests" / "security").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                "xfail" in ast.unparse(decorator) for decorator in node.decorator_list
            ):
                found.add((str(path.relative_to(ROOT)), node.name))
    return found


def test_the_table_says_xfail_exactly_for_the_tests_pinning_an_open_bug() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    said_xfail = {
        (match[1], match[2])
        for match in re.finditer(
            r"^\| `(tests/security/test_\w+\.py)::(test_\w+)` \|.*\| ([^|]*) \|$", text, re.M
        )
        if "xfail" in match[3]
    }
    assert said_xfail == xfail_marked()
