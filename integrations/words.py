"""How things are named in words people read: on pages, in mail and in the audit trail."""

from __future__ import annotations

# A post's caption in a sentence: enough to recognise it, short of a line.
POST_NAME_CHARS = 50


def clipped(text: str, limit: int) -> str:
    """The text, or as many whole words of it as fit in `limit` characters followed by “…”."""
    text = " ".join(text.split())  # a caption's line breaks would break a subject or a sentence
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]  # the last word did not fit whole
    return head.rstrip(" ,.;:") + "…"


def post_name(caption: str, video_id: str) -> str:
    """A TikTok post as people know it: its caption in quotes, cut at a whole word; its id
    only while no caption is known (a worker fills captions; a page never asks TikTok)."""
    caption = caption.strip()
    return f"“{clipped(caption, POST_NAME_CHARS)}”" if caption else f"video {video_id}"
