"""A ledger row's status changes only through SparkAuthorization's transition methods: no module
outside sparkads/models.py assigns it or writes it in an UPDATE. (Creating a row with its first
status, and filtering by status, are not transitions.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sparkads", "integrations", "creators", "aspire_tiktok")
MODELS = ROOT / "sparkads" / "models.py"


def _status_aliases(tree: ast.Module) -> set[str]:
    """Names bound to SparkAuthorization.Status in a module (`Status = SparkAuthorization.Status`)."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and ast.unparse(node.value) == "SparkAuthorization.Status"
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _is_ledger_status(value: ast.expr, aliases: set[str]) -> bool:
    text = ast.unparse(value)
    return (
        text.startswith("SparkAuthorization.Status.")
        or (text.split(".")[0] in aliases and "." in text)
        or "lifecycle_status(" in text
    )


def _writes(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text())
    aliases = _status_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            for keyword in node.keywords:
                if keyword.arg == "status" and _is_ledger_status(keyword.value, aliases):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)[:80]}")
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(e, ast.Attribute) and e.attr == "status" for e in elements) and (
                    _is_ledger_status(node.value, aliases)
                    or any(_is_ledger_status(v, aliases) for v in getattr(node.value, "elts", []))
                ):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)[:80]}")
    return found


def test_no_module_outside_the_model_writes_a_ledger_rows_status():
    files = [
        path for app in APPS for path in (ROOT / app).rglob("*.py") if path != MODELS and "migrations" not in path.parts
    ]
    assert len(files) > 50
    assert [write for path in files for write in _writes(path)] == []


def test_the_check_finds_a_status_written_outside_the_model(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Status = SparkAuthorization.Status\n"
        "SparkAuthorization.objects.filter(pk=1).update(status=Status.REVOKED)\n"
        "auth.status = auth.lifecycle_status()\n"
        "auth.status, auth.ended_at = Status.EXPIRED, now\n"
        "SparkAuthorization.objects.filter(status=Status.ACTIVE)\n"
    )
    found = sorted(line.split(" ")[0] for line in _writes(sample, tmp_path))
    assert found == ["sample.py:2", "sample.py:3", "sample.py:4"]
