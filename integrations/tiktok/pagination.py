"""Walk TikTok's page-based lists, one page at a time.

`iter_pages` yields each page's ``data`` dict, not single items, so a caller can upsert a
page and remember where it stands (a failure on page k resumes at k, not at 1). Most API
for Business list endpoints are page based: request ``page``/``page_size``, response
``page_info{page, page_size, total_number, total_page}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

Page = Mapping[str, Any]


def iter_pages(fetch: Callable[[int], Page], *, start_page: int = 1, max_pages: int | None = None) -> Iterator[Page]:
    """Call ``fetch(page)`` for page 1, 2, ... until ``page_info.total_page`` is reached.

    Example: ``for data in iter_pages(lambda p: client.bc_get(page=p, page_size=50)): ...``
    """
    page, fetched = start_page, 0
    while True:
        data = fetch(page)
        yield data
        fetched += 1
        info = data.get("page_info") or {}
        total_page = int(info.get("total_page") or 0)
        if page >= total_page or (max_pages is not None and fetched >= max_pages):
            return
        page += 1


def items(pages: Iterator[Page], key: str = "list") -> Iterator[Any]:
    """Flatten pages into their items (``list``, ``videos``, ``creators``, ...)."""
    for data in pages:
        yield from data.get(key) or []
