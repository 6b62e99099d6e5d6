from __future__ import annotations

import re
from typing import Any

from django import forms

from integrations.models import Campaign, TikTokAccount

# A TikTok post link ends in /video/<19-digit id>; a bare id is accepted too.
VIDEO_ID_RE = re.compile(r"(?:/video/)?(\d{10,32})/?(?:\?.*)?$")


class InviteLinkForm(forms.Form):
    """Join a campaign with the invite link the brand sent."""

    invite_link = forms.URLField(max_length=1000, label="Campaign invite link")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        link = (data.get("invite_link") or "").rstrip("/")
        campaign = Campaign.objects.filter(invite_link__in=[link, link + "/"]).first() if link else None
        if link and campaign is None:
            raise forms.ValidationError("No campaign on this platform uses that invite link. Check it with the brand.")
        account = TikTokAccount.objects.filter(owner=self.user).select_related("credential").first()
        if account is None:
            raise forms.ValidationError("Authorize TikTok first, then join the campaign.")
        data["campaign"], data["account"] = campaign, account
        return data


class VideoLinkForm(forms.Form):
    video = forms.CharField(max_length=300, label="Video id or link")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        match = VIDEO_ID_RE.search((data.get("video") or "").strip())
        if not match:
            raise forms.ValidationError("Enter the video's id or its TikTok link.")
        data["video_id"] = match.group(1)
        return data
