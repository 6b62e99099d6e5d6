"""Product modules import first-party code at their top: a function-local import hides a
circle instead of breaking it. The only places that must import late are an AppConfig's
ready() (it runs once every app is loaded), aspire_tiktok/celery.py (loaded with the project
package, before Django is set up) and management commands."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("aspire_tiktok", "integrations", "creators", "sparkads")
FIRST_PARTY = (*PRODUCT, "tiktok_sandbox")


def product_modules() -> list[Path]:
    return sorted(
        path
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    )


def late_imports_allowed(relative: Path, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if relative.as_posix() == "aspire_tiktok/celery.py":
        return True
    if relative.parts[-3:-1] == ("management", "commands"):
        return True
    return relative.name == "apps.py" and function.name == "ready"


def first_party(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in FIRST_PARTY
    return any(alias.name.split(".")[0] in FIRST_PARTY for alias in node.names)


def local_first_party_imports(relative: Path, source: str) -> list[str]:
    """file:line of each first-party import inside a function where none is allowed."""
    found = []
    for function in ast.walk(ast.parse(source, filename=str(relative))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or late_imports_allowed(relative, function):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom) and first_party(node):
                found.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_product_function_imports_first_party_code() -> None:
    hits = [
        hit for path in product_modules() for hit in local_first_party_imports(path.relative_to(ROOT), path.read_text())
    ]
    assert hits == []


def test_the_check_reports_a_local_first_party_import_with_its_place() -> None:
    source = "import json\n\n\ndef f():\n    from .tiktok import clock\n    import integrations.jobs\n    import json\n"

    assert local_first_party_imports(Path("integrations/polling.py"), source) == [
        "integrations/polling.py:5: from .tiktok import clock",
        "integrations/polling.py:6: import integrations.jobs",
    ]


def test_the_check_lets_an_app_config_ready_import_late_and_nothing_else_in_its_module() -> None:
    source = "class Config:\n    def ready(self):\n        from . import tasks\n\n    def other(self):\n        from . import tasks\n"

    assert local_first_party_imports(Path("sparkads/apps.py"), source) == ["sparkads/apps.py:6: from . import tasks"]
    assert len(local_first_party_imports(Path("sparkads/flows.py"), source)) == 2


def test_the_check_sees_every_product_package() -> None:
    scanned = {path.relative_to(ROOT).parts[0] for path in product_modules()}
    assert scanned == set(PRODUCT)
