"""The users context's API models (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, JsonValue, field_validator

from shared.kernel.schema import ApiModel
from shared.users.countries import COUNTRY_CODES, is_country_code

Role = Literal["customer", "support", "admin"]


class AddressIn(ApiModel):
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(None, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    # The enum documents the assigned codes the validator accepts (lower case is accepted too).
    country: str = Field(
        min_length=2,
        max_length=2,
        description="ISO 3166-1 alpha-2 code, e.g. DE",
        json_schema_extra={"enum": list[JsonValue](sorted(COUNTRY_CODES))},
    )
    is_default: bool = False

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        code = value.upper()
        if not is_country_code(code):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return code


class Address(AddressIn):
    id: str


class Channels(ApiModel):
    email: bool = True
    sms: bool = True
    push: bool = True


_CATEGORY_IDS = Field(
    max_length=50, json_schema_extra={"items": {"type": "string", "minLength": 1, "maxLength": 64}}
)


def _plain_ids(value: list[str]) -> list[str]:
    """1 to 64 characters each (the schema states it, so schema-valid ids are never refused);
    repeats dropped, order kept."""
    if any(not item or len(item) > 64 for item in value):
        raise ValueError("category ids are 1 to 64 characters")
    return list(dict.fromkeys(value))


class Preferences(ApiModel):
    """The stored preferences, as `GET /me` and both preference routes return them."""

    channels: Channels = Field(default_factory=Channels)
    # The schema states `_plain_ids`' limits so that schema-valid preferences are never refused.
    favorite_categories: list[str] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra={"items": {"type": "string", "minLength": 1, "maxLength": 64}},
    )
    marketing_opt_in: bool = False

    _ids = field_validator("favorite_categories")(_plain_ids)


class ChannelsReplace(ApiModel):
    email: bool
    sms: bool
    push: bool


class PreferencesReplace(ApiModel):
    """`PUT /me/preferences`: the whole document. A missing field is a 422, never a reset to
    its default (send every channel; `PATCH` changes only what it names)."""

    channels: ChannelsReplace
    favorite_categories: list[str] = _CATEGORY_IDS
    marketing_opt_in: bool

    _ids = field_validator("favorite_categories")(_plain_ids)


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("must not be null; leave the field out to keep its value")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    """A patch field is optional but never null (the validators refuse null): document it so."""
    for prop in schema.get("properties", {}).values():
        options = prop.pop("anyOf", None)
        prop.pop("default", None)
        if options is not None:
            own = dict(prop)  # the field's own keywords (items, maxItems) win over the option's
            prop.update(next(o for o in options if o.get("type") != "null"))
            prop.update(own)


class ChannelsPatch(ApiModel):
    model_config = ConfigDict(json_schema_extra=_without_null)

    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None

    _set = field_validator("email", "sms", "push")(_not_null)


class PreferencesPatch(ApiModel):
    """`PATCH /me/preferences`: only the fields sent change, channels one by one;
    `favoriteCategories`, when sent, replaces the list."""

    model_config = ConfigDict(json_schema_extra=_without_null)

    channels: ChannelsPatch | None = None
    favorite_categories: list[str] | None = Field(
        None, max_length=50, json_schema_extra={"items": {"type": "string", "minLength": 1, "maxLength": 64}}
    )
    marketing_opt_in: bool | None = None

    _set = field_validator("channels", "favorite_categories", "marketing_opt_in")(_not_null)

    @field_validator("favorite_categories")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _plain_ids(value)


class ProfilePublic(ApiModel):
    id: str
    email: str | None
    display_name: str
    phone: str | None = None
    roles: list[Role]
    addresses: list[Address]
    preferences: Preferences
    created_at: datetime
    updated_at: datetime


class ProfilePatch(ApiModel):
    """Only the fields sent are changed; `phone: null` removes the phone number."""

    display_name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 ()-]{4,19}$")

    @field_validator("display_name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None


class RolesUpdate(ApiModel):
    roles: list[Role] = Field(max_length=3)
