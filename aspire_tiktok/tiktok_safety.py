"""What makes a production deployment talk to the TikTok sandbox instead of TikTok.

Used twice: by settings.py, which refuses to start, and by the `check --deploy` system check
(integrations/checks.py), so a settings module layered on top cannot slip past either.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# The sandbox's app credentials (tiktok_sandbox/settings.py accepts exactly these by
# default). They are public: anything signed with them proves nothing.
SANDBOX_CREDENTIALS = {
    "TIKTOK_APP_ID": "sandbox-business-app",
    "TIKTOK_APP_SECRET": "sandbox-business-secret",
    "TIKTOK_CLIENT_KEY": "sandbox-client-key",
    "TIKTOK_CLIENT_SECRET": "sandbox-client-secret",
}
# The sandbox's second API for Business app (one without the legacy invite permission): as public.
SANDBOX_OTHER_APP = {"TIKTOK_APP_ID": "sandbox-tto-app", "TIKTOK_APP_SECRET": "sandbox-tto-secret"}
BASE_URL_SETTINGS = ("TIKTOK_AUTH_BASE_URL", "TIKTOK_BUSINESS_API_BASE_URL")


def _host(url: str) -> str:
    """The host as a resolver would read it: case-folded, without the root's trailing dot."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _is_this_machine(host: str) -> bool:
    """Loopback or "any address", however it is spelled: `localhost.`, `[::1]`, `::ffff:127.0.0.1`,
    and the legacy IPv4 forms a resolver still accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _points_at_sandbox(url: str, sandbox_url: str) -> bool:
    host = _host(url)
    return bool(sandbox_url and host == _host(sandbox_url)) or _is_this_machine(host)


def sandbox_leftovers(values: dict[str, str], sandbox_url: str) -> list[str]:
    """One sentence per TikTok setting that is unset, the sandbox's, or aims at the sandbox."""
    problems = []
    for name, sandbox_value in SANDBOX_CREDENTIALS.items():
        value = values.get(name) or ""
        if not value:
            problems.append(f"{name} is not set")
        elif value in (sandbox_value, SANDBOX_OTHER_APP.get(name)):
            problems.append(f"{name} is the TikTok sandbox's public value")
    for name in BASE_URL_SETTINGS:
        value = values.get(name) or ""
        if not value or _points_at_sandbox(value, sandbox_url):
            problems.append(f"{name} ({value or 'unset'}) points at the TikTok sandbox, not TikTok")
    return problems


def explain(problems: list[str]) -> str:
    return (
        "Production must talk to TikTok with its own app: "
        + "; ".join(problems)
        + ". Set them (see the configuration table in README.md), or TIKTOK_SANDBOX=true for a demo "
        "deployment that talks to the sandbox."
    )
