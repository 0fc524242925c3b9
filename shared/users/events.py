"""Events the users context publishes (CloudEvents `data` schemas)."""

from __future__ import annotations

from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event


@register_event("UserRegistered", producer="users", consumers=["notifications", "recommendations"])
class UserRegistered(ApiModel):
    """A profile was created from a token's claims on the user's first authenticated request."""

    user_id: str
    email: str | None
    display_name: str
    roles: list[str]


@register_event("UserProfileUpdated", producer="users", consumers=["notifications", "recommendations"])
class UserProfileUpdated(ApiModel):
    """The profile changed; `changed` names the fields (`displayName`, `addresses`, `roles`...)."""

    user_id: str
    changed: list[str]
