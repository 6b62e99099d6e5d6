"""The two pagination helpers."""

from __future__ import annotations

from integrations.tiktok import items, iter_cursor, iter_pages


def test_iter_pages_stops_at_total_page():
    seen = []

    def fetch(page):
        seen.append(page)
        return {"list": [page], "page_info": {"page": page, "page_size": 1, "total_number": 3, "total_page": 3}}

    assert list(items(iter_pages(fetch))) == [1, 2, 3]
    assert seen == [1, 2, 3]


def test_iter_pages_handles_an_empty_result_and_resumes_from_a_page():
    assert list(iter_pages(lambda p: {"list": [], "page_info": {"total_page": 0}})) == [
        {"list": [], "page_info": {"total_page": 0}}
    ]
    pages = iter_pages(lambda p: {"list": [p], "page_info": {"total_page": 5}}, start_page=4)
    assert list(items(pages)) == [4, 5]


def test_iter_cursor_follows_has_more_and_reads_a_nested_page_info():
    responses_ = {
        None: {"posts": [1], "page_info": {"cursor": 10, "has_more": True}},
        10: {"posts": [2], "page_info": {"cursor": 20, "has_more": False}},
    }

    assert list(items(iter_cursor(responses_.__getitem__), key="posts")) == [1, 2]


def test_iter_cursor_stops_when_the_cursor_does_not_advance():
    calls = []

    def fetch(cursor):
        calls.append(cursor)
        return {"videos": [], "cursor": 5, "has_more": True}

    list(iter_cursor(fetch))

    assert calls == [None, 5]
