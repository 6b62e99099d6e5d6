"""docs/benchmarks.md is shared by the benchmarks: each rewrites only its own section.

The insights benchmark owns the head of the file (title, machine, its two sections); later
benchmarks own a block that starts with a `<!-- section:NAME -->` marker, so rerunning one
benchmark never deletes another's numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_MARKER = re.compile(r"(?m)^<!-- section:(\w+) -->\n")


def section(key: str, path: Path = PATH) -> str:
    """The current text of section `key` (empty when the file has none)."""
    parts = _MARKER.split(path.read_text() if path.exists() else "")
    return dict(zip(parts[1::2], parts[2::2], strict=True)).get(key, "")


def write_section(key: str, text: str, path: Path = PATH) -> Path:
    """Replace section `key` ("head" is the unmarked top of the file), keeping the others."""
    existing = path.read_text() if path.exists() else ""
    parts = _MARKER.split(existing)
    head, sections = parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))
    text = text if text.endswith("\n") else text + "\n"
    if key == "head":
        head = text
    else:
        sections[key] = text
    if sections and not head.endswith("\n\n"):
        head = head.rstrip("\n") + "\n\n"
    path.write_text(head + "".join(f"<!-- section:{k} -->\n{body}" for k, body in sections.items()))
    return path
