"""`post_name`: a post TikTok listed (a caption and an id) named as everywhere else, for lists
that hold TikTok's answer rather than a CampaignPost (a builtin: no `{% load %}` to forget)."""

from __future__ import annotations

from django import template

from integrations import words

register = template.Library()


@register.filter
def post_name(caption: object, video_id: object) -> str:
    """{{ p.text|post_name:p.item_id }}"""
    return words.post_name(str(caption or ""), str(video_id or ""))
