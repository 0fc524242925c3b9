"""JWT validation (development key and JWKS), role checks and the ownership helper."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.http.auth import Principal, ensure_owner, mint_dev_token, require_roles, verify_token
from shared.http.pipeline import _principal
from shared.kernel import devkeys
from shared.kernel.errors import Forbidden, NotFound, ServiceUnavailable, Unauthorized
from tests.unit.edge_support import (
    ISSUER,
    fresh_settings,  # noqa: F401 - autouse fixture
    jwks_server,
    new_rsa_key,
    request,
    sign,
    use_env,
    use_production,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> devkeys.DevSigningKey:
    use_env(monkeypatch, tmp_path, AUTH_LEEWAY_SECONDS="5")
    return devkeys.dev_signing_key(tmp_path)


def refused(token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        verify_token(token)
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")
    return caught.value


def test_dev_token_round_trip(dev: devkeys.DevSigningKey) -> None:
    token, expires_in = mint_dev_token("u1", ["customer", "root", "admin"], email="u@x.io", name="U One")
    assert expires_in == 3600
    principal = verify_token(token)
    assert (principal.sub, principal.roles, principal.email, principal.name) == (
        "u1",
        ("customer", "admin"),
        "u@x.io",
        "U One",
    )
    assert jwt.get_unverified_header(token)["kid"] == dev.kid


def test_minting_signs_with_the_parsed_key_kept_per_process(
    dev: devkeys.DevSigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing with the PEM bytes made PyJWT parse them on every token (~50 ms of CPU each)."""
    keys: list[object] = []
    real = jwt.encode

    def recording(payload: dict[str, object], key: object, **kwargs: object) -> str:
        keys.append(key)
        return real(payload, key, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "encode", recording)
    tokens = [mint_dev_token(f"u{i}", ["customer"])[0] for i in range(3)]
    assert all(isinstance(k, rsa.RSAPrivateKey) for k in keys), keys
    assert keys[0] is keys[1] is keys[2]
    assert [verify_token(t).sub for t in tokens] == ["u0", "u1", "u2"]


def test_expired_token_is_refused(dev: devkeys.DevSigningKey) -> None:
    past = int(time.time()) - 60
    assert "expired" in (refused(sign(dev, exp=past, iat=past - 600)).detail or "")


def test_expiry_within_leeway_is_accepted(dev: devkeys.DevSigningKey) -> None:
    assert verify_token(sign(dev, exp=int(time.time()) - 2)).sub == "user-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "api://someone-else"}, "audience"),
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"sub": None}, "claim"),
        ({"exp": None}, "claim"),
    ],
)
def test_wrong_or_missing_claims_are_refused(dev: devkeys.DevSigningKey, claims: dict, reason: str) -> None:
    assert reason in (refused(sign(dev, **claims)).detail or "")


def test_bad_signature_is_refused(dev: devkeys.DevSigningKey) -> None:
    forged = sign(new_rsa_key(), kid=dev.kid)  # another key claiming to be the dev key
    assert "signature" in (refused(forged).detail or "")


def test_alg_none_is_refused(dev: devkeys.DevSigningKey) -> None:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "sub": "admin",
        "roles": ["admin"],
        "iss": ISSUER,
        "aud": "api://smartcommerce",
        "exp": now + 60,
    }
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT', 'kid': dev.kid})}.{part(claims)}."
    refused(unsigned)


def test_hs256_tokens_are_refused(dev: devkeys.DevSigningKey) -> None:
    # HMAC tokens would let anyone holding the secret (or, in the classic confusion attack, the
    # public key) mint tokens: only RS256 is accepted, whatever the key id says.
    now = int(time.time())
    claims = {"sub": "admin", "iss": ISSUER, "aud": "api://smartcommerce", "exp": now + 60}
    token = jwt.encode(claims, b"k" * 32, algorithm="HS256", headers={"kid": dev.kid})
    assert "algorithm" in (refused(token).detail or "")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt"])
def test_malformed_authorization_headers_are_401(dev: devkeys.DevSigningKey, header: str) -> None:
    from shared.http.auth import authenticate

    with pytest.raises(Unauthorized):
        authenticate(request("GET", "/api/x", headers={"authorization": header}))


def test_roles_claim_is_filtered_to_known_roles(dev: devkeys.DevSigningKey) -> None:
    assert verify_token(sign(dev, roles=["admin", "superuser"])).roles == ("admin",)
    assert verify_token(sign(dev, roles="support customer")).roles == ("customer", "support")
    assert verify_token(sign(dev, roles={"admin": True})).roles == ()


def test_require_roles() -> None:
    principal = Principal(sub="u", roles=("support",))
    assert require_roles(principal, "admin", "support") is principal
    with pytest.raises(Forbidden):
        require_roles(principal, "admin")
    with pytest.raises(Unauthorized):
        require_roles(None, "admin")


def test_ensure_owner_hides_other_peoples_resources() -> None:
    owner, other = Principal(sub="u1", roles=("customer",)), Principal(sub="u2", roles=("customer",))
    assert ensure_owner(owner, "u1") is owner
    assert ensure_owner(Principal(sub="s", roles=("support",)), "u1").sub == "s"
    with pytest.raises(NotFound):
        ensure_owner(other, "u1")
    with pytest.raises(NotFound):
        ensure_owner(Principal(sub="s", roles=("support",)), "u1", staff_roles=("admin",))
    with pytest.raises(Unauthorized):
        ensure_owner(None, "u1")


def test_dev_key_survives_restarts_with_private_permissions(
    dev: devkeys.DevSigningKey, tmp_path: Path
) -> None:
    token, _ = mint_dev_token("u1", ["customer"])
    devkeys._signing_keys.clear()  # what a restart does
    assert devkeys.dev_signing_key(tmp_path).kid == dev.kid
    assert verify_token(token).sub == "u1"
    key_file = tmp_path / "keys" / devkeys.SIGNING_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700


def test_racing_processes_agree_on_one_key(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from shared.kernel.devkeys import dev_signing_key; "
        "print(dev_signing_key(Path(sys.argv[1])).kid)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    kids = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(kids) == 1 and kids != {""}
    assert [p.name for p in (tmp_path / "keys").iterdir()] == [devkeys.SIGNING_KEY_FILE]


def test_production_validates_against_the_jwks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    idp = new_rsa_key()
    issuer = "https://login.example.com/tenant/v2.0"
    with jwks_server(idp) as uri:
        use_production(monkeypatch, tmp_path, AUTH_JWKS_URI=uri)
        principal = verify_token(sign(idp, iss=issuer, roles=["admin"]))
        assert (principal.sub, principal.roles) == ("user-1", ("admin",))
        assert "issuer" in (refused(sign(idp, iss=ISSUER)).detail or "")
        # A development-style token (unknown key) is refused, and no dev key is created.
        refused(sign(new_rsa_key(), iss=issuer))
        assert not (tmp_path / "keys").exists()
        with pytest.raises(NotFound):
            mint_dev_token("u1", ["admin"])


def test_unreachable_jwks_is_503_not_401(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    idp = new_rsa_key()
    with jwks_server(idp) as uri:
        pass  # stopped: the port is closed now
    use_production(monkeypatch, tmp_path, AUTH_JWKS_URI=uri)
    with pytest.raises(ServiceUnavailable):
        verify_token(sign(idp, iss="https://login.example.com/tenant/v2.0"))


def test_principal_for_routes(dev: devkeys.DevSigningKey) -> None:
    from shared.http.registry import RouteInfo

    def route(auth: object) -> RouteInfo:
        return RouteInfo("x", ("GET",), auth, None, None, None, 200, "", "t", "x", False, print, print)  # type: ignore[arg-type]

    admin = mint_dev_token("a", ["admin"])[0]
    assert _principal(route(("admin",)), request("GET", "/api/x", token=admin)) is not None
    with pytest.raises(Forbidden):
        _principal(route(("support",)), request("GET", "/api/x", token=admin))
    with pytest.raises(Unauthorized):
        _principal(route("authenticated"), request("GET", "/api/x"))
    assert _principal(route(None), request("GET", "/api/x")) is None


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Verified tokens are remembered (docs/performance.md), but a hit checks the expiry again."""
    use_env(monkeypatch, tmp_path, AUTH_LEEWAY_SECONDS="0")
    key = devkeys.dev_signing_key(tmp_path)
    # 3 s of validity: the first verification (key load, RSA) took over 1 s on a loaded machine.
    exp = int(time.time()) + 3
    token = sign(key, exp=exp)
    assert verify_token(token).sub == "user-1"
    assert verify_token(token).sub == "user-1"  # remembered
    time.sleep(max(0.0, exp - time.time()) + 1.1)
    assert "expired" in (refused(token).detail or "")


def test_a_remembered_token_is_checked_again_under_other_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_env(monkeypatch, tmp_path)
    key = devkeys.dev_signing_key(tmp_path)
    token = sign(key)
    assert verify_token(token).sub == "user-1"
    use_env(monkeypatch, tmp_path, AUTH_AUDIENCE="another-api")  # new settings: new audience
    assert "audience" in (refused(token).detail or "")
