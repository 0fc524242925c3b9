"""Users HTTP triggers, and the just-in-time profile hook on every authenticated request."""

from __future__ import annotations

import azure.functions as func

from shared.composition import get_account_erasers, get_document_store
from shared.http import Api, RequestContext, on_authenticated
from shared.http.auth import Principal
from shared.users import erasure, service
from shared.users.schemas import Address, AddressIn, Preferences, ProfilePatch, ProfilePublic, RolesUpdate

bp = func.Blueprint()
api = Api(bp, tag="users")
STAFF = ("support", "admin")


@on_authenticated
def provision_profile(principal: Principal) -> None:
    """A user's profile exists from their first authenticated request to any route."""
    service.ensure_profile(principal, store=get_document_store())


def _me(ctx: RequestContext) -> str:
    return service.my_id(ctx.require_principal())


@api.route("me", methods=["GET"], auth="authenticated", response=ProfilePublic)
def users_get_me(ctx: RequestContext) -> ProfilePublic:
    """The caller's profile."""
    return service.get_profile(store=get_document_store(), user_id=_me(ctx))


@api.route("me", methods=["PATCH"], auth="authenticated", body=ProfilePatch, response=ProfilePublic)
def users_patch_me(ctx: RequestContext) -> ProfilePublic:
    """Change displayName and/or phone."""
    return service.update_profile(
        store=get_document_store(), user_id=_me(ctx), patch=ctx.body_as(ProfilePatch)
    )


@api.route("me", methods=["DELETE"], auth="authenticated", status=204)
def users_delete_me(ctx: RequestContext) -> None:
    """Erase the caller's account data: profile, addresses, preferences, interaction history and
    experiment membership. Idempotent. Orders and payments are kept (financial records)."""
    erasure.delete_account(store=get_document_store(), user_id=_me(ctx), erasers=get_account_erasers())


@api.route(
    "me/addresses", methods=["POST"], auth="authenticated", body=AddressIn, response=Address, status=201
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


@api.route("me/preferences", methods=["PUT"], auth="authenticated", body=Preferences, response=Preferences)
def users_set_preferences(ctx: RequestContext) -> Preferences:
    """Notification channels, favorite categories, marketing opt-in."""
    return service.set_preferences(
        store=get_document_store(), user_id=_me(ctx), preferences=ctx.body_as(Preferences)
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
