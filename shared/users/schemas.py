"""The users context's API models (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, JsonValue, field_validator

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


class Preferences(ApiModel):
    channels: Channels = Field(default_factory=Channels)
    # The schema states `_plain_ids`' limits so that schema-valid preferences are never refused.
    favorite_categories: list[str] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra={"items": {"type": "string", "minLength": 1, "maxLength": 64}},
    )
    marketing_opt_in: bool = False

    @field_validator("favorite_categories")
    @classmethod
    def _plain_ids(cls, value: list[str]) -> list[str]:
        if any(not item or len(item) > 64 for item in value):
            raise ValueError("category ids are 1 to 64 characters")
        return list(dict.fromkeys(value))  # keep order, drop repeats


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
