"""Music pre-flight: before a code is applied to an ad account or extended, ask TikTok whether
the post's music may run in ads where that ad account advertises, for the code's window or the
extended one (``identity/music/authorization/``).

TikTok's Spark Ads terms put the music on the advertiser ("By using Spark Ads, you confirm that
you have the rights to use the music ... for commercial purposes"), so a track TikTok reports
as not authorized stops the apply with the track named; music TikTok cannot identify (no song
id) goes ahead with a warning; full authorization passes. The answer is kept on the row with
the time TikTok's clock read when it was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from integrations.errors import FlowError
from integrations.models import AdAccount
from integrations.tiktok import clock
from integrations.tiktok.ads import MusicAuthorization
from integrations.tiktok.tokens import call_with_credential

from .models import AuditEvent, SparkAuthorization

WITHOUT_SONG_ID = "WITHOUT_SONG_ID"
AUTHORIZATION_MISSING = "AUTHORIZATION_MISSING"
WITH_FULL_AUTHORIZATION = "WITH_FULL_AUTHORIZATION"


@dataclass(frozen=True)
class Verdict:
    status: str
    note: str

    @property
    def blocks(self) -> bool:
        return self.status == AUTHORIZATION_MISSING


def _tracks(entry: MusicAuthorization, only_missing: bool) -> str:
    infos = entry.get("authorization_infos") or []
    named = [
        f"“{info.get('title') or 'an unnamed track'}” by {info.get('author') or 'an unknown artist'}"
        for info in infos
        if not only_missing or info.get("authorization_type") != "AUTHORIZED"
    ]
    return ", ".join(named) or "a track TikTok did not name"


def verdict(
    entries: Sequence[MusicAuthorization],
    video_id: str,
    name: str,
    handle: str,
    locations: list[str],
    end: datetime,
    refused: str = "Not applied",
) -> Verdict:
    """What TikTok's answer means for this row, in words a brand can act on; ``refused`` names
    what a missing authorization stops; ``name`` is the post in words (its caption)."""
    entry = next((e for e in entries if str(e.get("video_id") or video_id) == video_id), None) or {}
    status = str(entry.get("music_status") or "")
    where = ", ".join(locations)
    if status == AUTHORIZATION_MISSING:
        return Verdict(
            status,
            f"{refused}: the music in {name}, {_tracks(entry, only_missing=True)}, is not licensed "
            f"for ads in {where} until {end:%Y-%m-%d}. Ask @{handle} for a post with a Commercial Music "
            "Library sound or their own original sound, or get the track's commercial rights, then request "
            "a code for that post.",
        )
    if status == WITHOUT_SONG_ID:
        return Verdict(
            status,
            f"Music unchecked: TikTok cannot identify the music in {name} (no song id), so its "
            "rights for ads are not confirmed. By running it as a Spark Ad you confirm you have them; "
            f"check with @{handle} if the sound is not their own.",
        )
    if status == WITH_FULL_AUTHORIZATION:
        return Verdict(
            status, f"Music in {name} cleared for ads in {where} until {end:%Y-%m-%d}: {_tracks(entry, False)}."
        )
    # An answer without a status TikTok documents is not proof of rights: kept as sent, it
    # warns and does not block.
    return Verdict(
        status, f"Music unchecked: TikTok's answer for {name} has no known music status ({status or 'none'})."
    )


def locations(ad_account: AdAccount, credential_id: int) -> list[str]:
    """The ad account's country, read from advertiser/info once if discovery did not keep it."""
    if not ad_account.country:
        info = call_with_credential(credential_id, lambda c: c.advertiser_info([ad_account.advertiser_id]))
        country = str((info[0] if info else {}).get("country") or "")[:2]
        if country:
            AdAccount.objects.filter(pk=ad_account.pk).update(country=country)
            ad_account.country = country
    return [ad_account.country] if ad_account.country else []


def check(
    auth: SparkAuthorization,
    ad_account: AdAccount,
    credential_id: int,
    *,
    item_id: str,
    identity_id: str,
    start: datetime,
    end: datetime,
    refused: str = "Not applied",
) -> Verdict:
    """Ask TikTok about the post's music for this ad account and window; keep the answer."""
    where = locations(ad_account, credential_id)
    if not where:
        raise FlowError(f"TikTok gave no country for ad account {ad_account}, so its music rights cannot be checked.")
    answer = call_with_credential(
        credential_id,
        lambda c: c.identity_music_authorization(
            ad_account.advertiser_id,
            item_id,
            identity_id,
            "AUTH_CODE",
            locations=where,
            start_time=start,
            end_time=end,
        ),
    )
    found = verdict(answer.get("music_authorization") or [], item_id, auth.post_name, auth.handle, where, end, refused)
    auth.music_status, auth.music_note, auth.music_checked_at = found.status, found.note[:500], clock.now()
    SparkAuthorization.objects.filter(pk=auth.pk).update(
        music_status=auth.music_status, music_note=auth.music_note, music_checked_at=auth.music_checked_at
    )
    auth.audit(AuditEvent.Kind.MUSIC, found.note[:500], ad_account=ad_account)
    return found
