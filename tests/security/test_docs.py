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
