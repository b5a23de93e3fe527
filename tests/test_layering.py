"""Imports point downward only: bot -> handlers -> datastore; datastore never speaks Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "datastore": {"telegram", "handlers", "bot", "matplotlib"},  # drawing is presentation
    "handlers": {"bot"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    bad = {str(f.relative_to(ROOT)): _imports(f) & FORBIDDEN[package] for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def _full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_what_the_user_sees_never_handles_an_update() -> None:
    """handlers/present is pure: figures in, text and files out. It never imports Telegram,
    and of handlers only its own modules (never a callback module above it)."""
    files = sorted((ROOT / "handlers" / "present").glob("*.py"))
    assert len(files) > 5
    for f in files:
        names = _full_imports(f)
        assert not {n for n in names if n.split(".")[0] == "telegram"}, f
        above = {n for n in names if n.startswith("handlers")
                 and not n.startswith("handlers.present")}
        assert above == set(), f


def test_no_sql_in_handlers() -> None:
    for f in (ROOT / "handlers").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "SELECT " not in text and "sqlite" not in text, f
