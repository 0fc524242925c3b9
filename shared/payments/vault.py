"""The card vault: card numbers encrypted with AES-256-GCM, addressed by an opaque token.

Only the ciphertext, the brand, the last four digits, the expiry and a card fingerprint are stored;
the CVC is checked and dropped (card rules forbid keeping it). The fingerprint is an HMAC-SHA256 of
the number under a key derived (HKDF) from the vault key, so the same card gets the same fingerprint
on every token (the fraud check counts distinct cards with it) and it cannot be reversed without
the key. Tokens stored before fingerprints existed have none: their card is "unknown", never
decrypted to fill it in. Rotating the vault key changes every new fingerprint (a card then looks
new once). The associated data binds a ciphertext to its token and
owner, so a ciphertext copied into another token's document does not decrypt. The key comes from
`CARD_VAULT_KEY` (a Key Vault reference in Azure) or, in development only, from a key created once
in `<SC_DATA_DIR>/keys/` so tokens survive devhost restarts.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.kernel.devkeys import load_or_create_secret
from shared.kernel.errors import NotFound
from shared.payments.cards import CardDetails, brand_of, card_fingerprint, validate_card
from shared.ports.documents import Container, DocumentNotFound, DocumentStore, Filter, Query
from shared.settings import Settings

CONTAINER = "card_tokens"
DEV_KEY_FILE = "card_vault.key"
PUBLIC_FIELDS = ("token", "brand", "last4", "expMonth", "expYear")
# A customer keeps a handful of cards; the list is read whole (no paging) and capped.
MAX_LISTED_TOKENS = 100
_NONCE_BYTES = 12
# HKDF "info": a separate key per purpose, so the fingerprint key is never the encryption key.
_FINGERPRINT_INFO = b"smartcommerce/card-vault/fingerprint/v1"


def fingerprint_key(vault_key: bytes) -> bytes:
    """The HMAC key for card fingerprints, derived from (and never equal to) the vault key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FINGERPRINT_INFO).derive(vault_key)


def load_vault_key(settings: Settings) -> bytes:
    """The 256-bit key: from settings, else (development only) the data dir's key file."""
    if settings.card_vault_key:
        try:
            key = base64.b64decode(settings.card_vault_key, validate=True)
        except binascii.Error as exc:
            raise ValueError("CARD_VAULT_KEY is not base64") from exc
        if len(key) != 32:
            raise ValueError("CARD_VAULT_KEY must decode to 32 bytes (AES-256)")
        return key
    if not settings.is_development:
        raise ValueError("CARD_VAULT_KEY is required outside development")
    return load_or_create_secret(
        settings.data_path, DEV_KEY_FILE, lambda: AESGCM.generate_key(bit_length=256)
    )


class CardVault:
    def __init__(self, container: Container, key: bytes) -> None:
        self._container = container
        self._aead = AESGCM(key)
        self._fingerprint_key = fingerprint_key(key)

    @classmethod
    def from_store(cls, store: DocumentStore, settings: Settings) -> CardVault:
        return cls(store.container(CONTAINER, "/id", indexes=("ownerId",)), load_vault_key(settings))

    @staticmethod
    def _aad(token: str, owner_id: str) -> bytes:
        return f"{token}|{owner_id}".encode()

    def tokenize(
        self, *, owner_id: str, number: str, exp_month: int, exp_year: int, cvc: str, holder_name: str
    ) -> dict[str, Any]:
        """Validate and store a card; the public view `{token, brand, last4, expMonth, expYear}`."""
        clean = validate_card(number, exp_month, exp_year, cvc, datetime.now(UTC).date())
        token = "tok_" + secrets.token_urlsafe(18)
        nonce = os.urandom(_NONCE_BYTES)
        secret = json.dumps({"number": clean, "holderName": holder_name}).encode()
        sealed = self._aead.encrypt(nonce, secret, self._aad(token, owner_id))
        public = {
            "token": token,
            "brand": brand_of(clean),
            "last4": clean[-4:],
            "expMonth": exp_month,
            "expYear": exp_year,
        }
        self._container.create(
            {
                "id": token,
                "ownerId": owner_id,
                **public,
                "sealed": base64.b64encode(nonce + sealed).decode(),
                "fingerprint": card_fingerprint(clean, self._fingerprint_key),
                "createdAt": datetime.now(UTC).isoformat(),
            }
        )
        return public

    def _document(self, token: str, owner_id: str) -> dict[str, Any]:
        try:
            doc = self._container.read(token, token)
        except DocumentNotFound:
            raise NotFound("unknown payment token", code="unknown_payment_token") from None
        if doc.get("ownerId") != owner_id:  # another customer's token: as if it did not exist
            raise NotFound("unknown payment token", code="unknown_payment_token")
        return doc

    def describe(self, token: str, owner_id: str) -> dict[str, Any]:
        """Brand, last4 and expiry of the owner's token (no decryption)."""
        doc = self._document(token, owner_id)
        return {k: doc[k] for k in PUBLIC_FIELDS}

    def list_tokens(self, owner_id: str) -> list[dict[str, Any]]:
        """The owner's saved cards, newest first: only the public view (never the sealed number
        or the fingerprint)."""
        query = Query(where=(Filter("ownerId", "=", owner_id),))
        page = self._container.query(query, max_items=MAX_LISTED_TOKENS)
        docs = sorted(page.items, key=lambda d: (str(d.get("createdAt", "")), str(d["id"])), reverse=True)
        return [{k: doc[k] for k in PUBLIC_FIELDS} for doc in docs]

    def delete_token(self, token: str, owner_id: str) -> None:
        """Forget the owner's card: the document (ciphertext included) is deleted, not flagged.
        Another customer's token is a 404, as if it did not exist. An order placed with it before
        keeps its own copy of what it needs (last4, fingerprint); one not yet authorized fails
        with `payment_error`."""
        self._document(token, owner_id)
        # Deleted concurrently: the outcome the caller asked for.
        with contextlib.suppress(DocumentNotFound):
            self._container.delete(token, token)

    def fingerprint(self, token: str, owner_id: str) -> str | None:
        """The card fingerprint of the owner's token (NotFound like `describe`); None for a token
        stored before fingerprints existed (the card is then unknown, not new)."""
        value = self._document(token, owner_id).get("fingerprint")
        return str(value) if value else None

    def reveal(self, token: str, owner_id: str) -> CardDetails:
        """The card, decrypted in memory for one provider call."""
        doc = self._document(token, owner_id)
        raw = base64.b64decode(doc["sealed"])
        plain = json.loads(
            self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(token, owner_id))
        )
        return CardDetails(
            number=plain["number"],
            exp_month=int(doc["expMonth"]),
            exp_year=int(doc["expYear"]),
            holder_name=plain.get("holderName", ""),
        )
