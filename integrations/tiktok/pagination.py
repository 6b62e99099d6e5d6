"""Walk TikTok's two pagination styles, one page at a time.

Both helpers yield each page's ``data`` dict, not single items, so a caller can upsert a
page and remember where it stands (a failure on page k resumes at k, not at 1).

- Page based (most API for Business list endpoints): request ``page``/``page_size``,
  response ``page_info{page, page_size, total_number, total_page}``.
- Cursor based (Login Kit video/list, identity/video/get, TikTok One video lists): request
  ``cursor``, response ``cursor`` + ``has_more`` (sometimes nested in ``page_info``).
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


def iter_cursor(fetch: Callable[[Any], Page], *, cursor: Any = None, max_pages: int | None = None) -> Iterator[Page]:
    """Call ``fetch(cursor)`` (None first) while ``has_more`` is true.

    Stops if TikTok hands back the same cursor, so a misbehaving endpoint cannot loop forever.
    """
    fetched = 0
    while True:
        data = fetch(cursor)
        yield data
        fetched += 1
        info = data["page_info"] if isinstance(data.get("page_info"), Mapping) else data
        has_more = bool(info.get("has_more", data.get("has_more")))
        next_cursor = info.get("cursor", data.get("cursor"))
        if not has_more or next_cursor in (None, "") or next_cursor == cursor:
            return
        if max_pages is not None and fetched >= max_pages:
            return
        cursor = next_cursor


def items(pages: Iterator[Page], key: str = "list") -> Iterator[Any]:
    """Flatten pages into their items (``list``, ``videos``, ``creators``, ...)."""
    for data in pages:
        yield from data.get(key) or []
