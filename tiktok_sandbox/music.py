"""The music in a post and where it may be used in ads (``identity/music/authorization/``).

Every post has one track. Unless the control API set one, it is a Commercial Music Library
track chosen from the video id, cleared for ads everywhere, so a post's answer never changes
between runs. The control API sets a post's music to an original sound TikTok cannot name
(WITHOUT_SONG_ID) or to a track licensed in some locations only, optionally until a date: an
ad flight outside those locations, or ending after that date, lacks authorization.

Shapes: bububa/tiktok-business ``model/identity/music_authorization.go`` and
``enum/music_authorization_status.go``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tiktok_sandbox.models import Video

WITHOUT_SONG_ID = "WITHOUT_SONG_ID"
AUTHORIZATION_MISSING = "AUTHORIZATION_MISSING"
WITH_FULL_AUTHORIZATION = "WITH_FULL_AUTHORIZATION"
LIBRARY_LABEL = "Commercial Music Library"


@dataclass(frozen=True)
class Track:
    music_id: str
    title: str
    author: str
    labels: tuple[str, ...] = ()
    # None: licensed in every location; otherwise the country codes it is licensed in.
    licensed_in: tuple[str, ...] | None = None
    licensed_until: date | None = None

    def authorized(self, locations: list[str], end: datetime) -> bool:
        where = self.licensed_in is None or all(loc in self.licensed_in for loc in locations)
        when = self.licensed_until is None or end.date() <= self.licensed_until
        return where and when


LIBRARY = (
    Track("7101000000000000001", "Morning Run", "Studio Lumen", (LIBRARY_LABEL,)),
    Track("7101000000000000002", "City Lights", "Nova Keys", (LIBRARY_LABEL,)),
    Track("7101000000000000003", "Weekend Drive", "The Paper Kites Trio", (LIBRARY_LABEL,)),
)


def track(video: Video) -> Track | None:
    """The post's track; None for an original sound with no song id."""
    music = video.music or {}
    if not music:
        return LIBRARY[int(video.video_id) % len(LIBRARY)]
    if not music.get("song_id", True):
        return None
    until = music.get("licensed_until")
    licensed_in = music.get("licensed_in")
    return Track(
        music_id=str(music.get("music_id") or f"7102{video.video_id[-15:]}"),
        title=music.get("title") or "Untitled",
        author=music.get("author") or "Unknown artist",
        labels=tuple(music.get("labels") or ()),
        licensed_in=tuple(licensed_in) if licensed_in is not None else None,
        licensed_until=date.fromisoformat(until) if until else None,
    )


def set_music(video: Video, music: dict) -> Video:
    """What the control API sets: ``{"song_id": false}``, a track (title, author, labels,
    licensed_in, licensed_until) or ``{}`` for the library track again."""
    allowed = {"song_id", "music_id", "title", "author", "labels", "licensed_in", "licensed_until"}
    if unknown := set(music) - allowed:
        raise ValueError(f"unknown music field {sorted(unknown)[0]!r}")
    video.music = music
    track(video)  # a bad date or list fails here, not on the next API call
    video.save(update_fields=["music"])
    return video


def authorization(video: Video, locations: list[str], end: datetime) -> dict:
    """One ``music_authorization`` entry for a flight in ``locations`` ending at ``end``."""
    found = track(video)
    if found is None:
        return {"video_id": video.video_id, "music_status": WITHOUT_SONG_ID, "authorization_infos": []}
    authorized = found.authorized(locations, end)
    return {
        "video_id": video.video_id,
        "music_status": WITH_FULL_AUTHORIZATION if authorized else AUTHORIZATION_MISSING,
        "authorization_infos": [
            {
                "music_id": found.music_id,
                "author": found.author,
                "title": found.title,
                "labels": list(found.labels),
                "authorization_type": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
            }
        ],
    }
