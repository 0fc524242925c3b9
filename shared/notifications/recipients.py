"""Who gets a notification and on which channels: the user's profile and preferences.

Profiles belong to the users context (shared.users.directory, API.md "Users"); this
module only reads the few fields notifications need. A user without a profile yet (it is created
just in time on the first authenticated request) still gets email at the address the triggering
message carries, with the default preferences: every channel on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.notifications.model import CHANNELS
from shared.ports.documents import DocumentStore
from shared.users.directory import find_profile, profiles_with_role


@dataclass(frozen=True)
class Recipient:
    user_id: str
    name: str
    email: str | None
    phone: str | None
    locale: str | None
    channels: tuple[str, ...]  # the channels the preferences allow, in CHANNELS order

    def address(self, channel: str) -> str:
        if channel == "email":
            return self.email or ""
        if channel == "sms":
            return self.phone or ""
        return self.user_id  # push providers address devices by user id


def _allowed(preferences: Any) -> tuple[str, ...]:
    channels = preferences.get("channels") if isinstance(preferences, dict) else None
    if not isinstance(channels, dict):
        return CHANNELS
    return tuple(c for c in CHANNELS if channels.get(c, True) is not False)


def recipient_from_profile(profile: dict[str, Any], *, fallback_email: str | None = None) -> Recipient:
    return Recipient(
        user_id=str(profile["id"]),
        name=str(profile.get("displayName") or profile.get("name") or ""),
        email=profile.get("email") or fallback_email,
        phone=profile.get("phone"),
        locale=profile.get("locale"),
        channels=_allowed(profile.get("preferences")),
    )


def find_recipient(
    store: DocumentStore, user_id: str, *, fallback_email: str | None = None, fallback_name: str = ""
) -> Recipient:
    profile = find_profile(store, user_id)
    if profile is None:
        return Recipient(user_id, fallback_name, fallback_email, None, None, CHANNELS)
    return recipient_from_profile(profile, fallback_email=fallback_email)


def admins(store: DocumentStore, *, limit: int = 50) -> list[Recipient]:
    """Users holding the admin role (operational alerts such as StockLow go to them)."""
    return [recipient_from_profile(doc) for doc in profiles_with_role(store, "admin", limit=limit)]
