"""Users HTTP triggers, and the just-in-time profile hook on every authenticated request."""

from __future__ import annotations

import azure.functions as func

from shared.composition import get_account_erasers, get_document_store
from shared.http import Api, RequestContext, Response, on_authenticated
from shared.http.auth import Principal
from shared.settings import get_settings
from shared.users import erasure, service
from shared.users import roles as user_roles
from shared.users.schemas import (
    Address,
    AddressIn,
    Preferences,
    PreferencesPatch,
    PreferencesReplace,
    ProfilePatch,
    ProfilePublic,
    RolesUpdate,
)

bp = func.Blueprint()
api = Api(bp, tag="users")
STAFF = ("support", "admin")


@on_authenticated
def provision_profile(principal: Principal) -> None:
    """A user's profile exists from their first authenticated request to any route."""
    service.ensure_profile(principal, store=get_document_store())


@on_authenticated
def effective_roles(principal: Principal) -> Principal:
    """Roles set by an admin replace the token's (registered after the profile hook: it reads the
    profile). The one rule for every route: docs/security.md, shared.users.roles."""
    return user_roles.with_effective_roles(
        principal, store=get_document_store(), ttl=get_settings().auth_roles_cache_seconds
    )


def _me(ctx: RequestContext) -> str:
    return service.my_id(ctx.require_principal())


@api.route("me", methods=["GET"], auth="authenticated", response=ProfilePublic)
def users_get_me(ctx: RequestContext) -> Response:
    """The caller's profile, with its ETag."""
    profile, etag = service.get_profile_versioned(store=get_document_store(), user_id=_me(ctx))
    return Response(profile, headers={"ETag": etag})


@api.route("me", methods=["PATCH"], auth="authenticated", body=ProfilePatch, response=ProfilePublic)
def users_patch_me(ctx: RequestContext) -> Response:
    """Change displayName and/or phone; with `If-Match`, only if unchanged since read (else 412)."""
    profile, etag = service.update_profile_versioned(
        store=get_document_store(), user_id=_me(ctx), patch=ctx.body_as(ProfilePatch), if_match=ctx.if_match
    )
    return Response(profile, headers={"ETag": etag})


@api.route("me", methods=["DELETE"], auth="authenticated", status=204)
def users_delete_me(ctx: RequestContext) -> None:
    """Erase the caller's account data: profile, addresses, preferences, interaction history and
    experiment membership. Idempotent. Orders and payments are kept (financial records)."""
    erasure.delete_account(store=get_document_store(), user_id=_me(ctx), erasers=get_account_erasers())


@api.route(
    "me/addresses",
    methods=["POST"],
    auth="authenticated",
    body=AddressIn,
    response=Address,
    status=201,
    errors=(409,),  # the profile holds the most addresses it may
)
def users_add_address(ctx: RequestContext) -> Address:
    """Add an address (country: ISO 3166-1 alpha-2)."""
    return service.add_address(store=get_document_store(), user_id=_me(ctx), data=ctx.body_as(AddressIn))


@api.route(
    "me/addresses/{addressId}", methods=["PUT"], auth="authenticated", body=AddressIn, response=Address
)
def users_replace_address(ctx: RequestContext) -> Address:
    """Replace one of the caller's addresses (another user's: 404)."""
    return service.replace_address(
        store=get_document_store(),
        user_id=_me(ctx),
        address_id=ctx.route["addressId"],
        data=ctx.body_as(AddressIn),
    )


@api.route("me/addresses/{addressId}", methods=["DELETE"], auth="authenticated", status=204)
def users_delete_address(ctx: RequestContext) -> None:
    """Delete one of the caller's addresses (another user's: 404)."""
    service.delete_address(store=get_document_store(), user_id=_me(ctx), address_id=ctx.route["addressId"])


@api.route(
    "me/preferences", methods=["PUT"], auth="authenticated", body=PreferencesReplace, response=Preferences
)
def users_set_preferences(ctx: RequestContext) -> Preferences:
    """Replace all preferences: every field is required (422 if one is missing); PATCH merges."""
    return service.set_preferences(
        store=get_document_store(), user_id=_me(ctx), preferences=ctx.body_as(PreferencesReplace)
    )


@api.route(
    "me/preferences", methods=["PATCH"], auth="authenticated", body=PreferencesPatch, response=Preferences
)
def users_patch_preferences(ctx: RequestContext) -> Preferences:
    """Change only the preferences sent (channels one by one); favoriteCategories must exist."""
    return service.patch_preferences(
        store=get_document_store(), user_id=_me(ctx), patch=ctx.body_as(PreferencesPatch)
    )


@api.route("users/{userId}", methods=["GET"], auth=STAFF, response=ProfilePublic)
def users_get_user(ctx: RequestContext) -> ProfilePublic:
    """Any user's profile (support, admin)."""
    return service.get_profile(store=get_document_store(), user_id=ctx.route["userId"])


@api.route("users/{userId}/roles", methods=["PUT"], auth=("admin",), body=RolesUpdate, response=ProfilePublic)
def users_set_roles(ctx: RequestContext) -> ProfilePublic:
    """Set a user's roles (admin)."""
    return service.set_roles(
        store=get_document_store(), user_id=ctx.route["userId"], roles=ctx.body_as(RolesUpdate).roles
    )
