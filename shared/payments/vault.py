"""The card vault: card numbers encrypted with AES-256-GCM, addressed by an opaque token.

Only the ciphertext, the brand, the last four digits and the expiry are stored; the CVC is checked
and dropped (card rules forbid keeping it). The associated data binds a ciphertext to its token and
owner, so a ciphertext copied into another token's document does not decrypt. The key comes from
`CARD_VAULT_KEY` (a Key Vault reference in Azure) or, in development only, from a key created once
in `<SC_DATA_DIR>/keys/` so tokens survive devhost restarts.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.devkeys import load_or_create_secret
from shared.errors import NotFound
from shared.payments.cards import CardDetails, brand_of, validate_card
from shared.ports.documents import Container, DocumentNotFound, DocumentStore
from shared.settings import Settings

CONTAINER = "card_tokens"
DEV_KEY_FILE = "card_vault.key"
_NONCE_BYTES = 12


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

    @classmethod
    def from_store(cls, store: DocumentStore, settings: Settings) -> CardVault:
        return cls(store.container(CONTAINER, "/id"), load_vault_key(settings))

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
        return {k: doc[k] for k in ("token", "brand", "last4", "expMonth", "expYear")}

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
