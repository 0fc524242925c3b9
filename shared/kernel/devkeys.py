"""Development keys kept in `<SC_DATA_DIR>/keys/`: created once, reused across restarts.

Several processes (devhost workers, test runners) may start at the same moment, so a key file is
written to a private temporary file and then hard-linked into place: the link either succeeds or
fails with `FileExistsError`, never leaves a half-written file, and every process ends up reading
the same key. Files are 0600 and the folder 0700.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNING_KEY_FILE = "dev_jwt_signing_key.pem"

_lock = threading.Lock()
_signing_keys: dict[Path, DevSigningKey] = {}


@dataclass(frozen=True)
class DevSigningKey:
    private_pem: bytes
    public_key: rsa.RSAPublicKey
    kid: str

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The parsed key, kept: parsing the PEM costs ~60 ms of CPU, once per minted token before."""
        key = serialization.load_pem_private_key(self.private_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{SIGNING_KEY_FILE} is not an RSA private key")
        return key


def load_or_create_secret(data_dir: Path, name: str, create: Callable[[], bytes]) -> bytes:
    """The bytes of `<data_dir>/keys/<name>`, created with `create()` if the file does not exist."""
    keys_dir = data_dir / "keys"
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = keys_dir / name
    if not path.exists():
        tmp = keys_dir / f".{name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(create())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process won the race: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _new_rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: a stable `kid` derived from the key itself."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def public_jwk(key: DevSigningKey) -> dict[str, str]:
    numbers = key.public_key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": key.kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


def dev_signing_key(data_dir: Path) -> DevSigningKey:
    """The development token signing key of this data dir (loaded once per process)."""
    cached = _signing_keys.get(data_dir)  # hot path (every request): no filesystem call
    if cached is not None:
        return cached
    resolved = data_dir.resolve()
    with _lock:
        cached = _signing_keys.get(resolved)
        if cached is not None:
            _signing_keys[data_dir] = cached
            return cached
        pem = load_or_create_secret(resolved, SIGNING_KEY_FILE, _new_rsa_pem)
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError(f"{SIGNING_KEY_FILE} is not an RSA private key")
        public = private.public_key()
        key = DevSigningKey(private_pem=pem, public_key=public, kid=jwk_thumbprint(public))
        _signing_keys[resolved] = _signing_keys[data_dir] = key
        return key
