"""The two pagination helpers."""

from __future__ import annotations

from integrations.tiktok import items, iter_pages


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
