"""Verify edgepass passports in a FastAPI service.

The gateway verifies every external credential and forwards a short-lived signed passport in the
``x-passport`` header. A service behind it trusts nothing else: this module checks that passport
against the gateway's passport JWKS (``GET /.well-known/passport-jwks.json`` on its admin listener)
and hands the route a typed :class:`Identity`.

    from fastapi import Depends, FastAPI
    from edgepass_passport import Identity, PassportVerifier, install_passport_errors, require_passport

    verifier = PassportVerifier(jwks_url="http://gateway:9090/.well-known/passport-jwks.json",
                                issuer="edgepass-gateway")
    app = FastAPI()
    install_passport_errors(app)

    @app.get("/reports")
    def reports(identity: Identity = Depends(require_passport("report-service", ["reports:read"],
                                                              verifier=verifier))):
        ...

Checks, in order: presence, size, compact-JWS shape, ``alg`` from the verifier's allow-list
(EdDSA; never taken from the token), ``typ`` = ``passport+jwt``, ``kid`` known to the JWKS (one
refetch on an unknown kid, at most once per cooldown), signature, ``iss``, ``aud``, ``exp``/``nbf``/
``iat`` with a bounded clock tolerance, and the claim shapes of the passport contract. Failures
raise :class:`PassportError` with the same stable codes as ``@edgepass/passport``; the exception
handler answers RFC 9457 ``application/problem+json`` with generic text and logs the reason.
Tokens are never logged.

Dependencies: PyJWT (>= 2.6) with ``cryptography`` for EdDSA, FastAPI.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Sequence, Tuple

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jwt import PyJWKClient, PyJWKClientError
from jwt.api_jwk import PyJWK, PyJWKSet

__all__ = [
    "ALLOWED_ALGORITHMS",
    "Identity",
    "PASSPORT_HEADER",
    "PASSPORT_TYP",
    "PassportError",
    "PassportVerifier",
    "configure",
    "install_passport_errors",
    "require_passport",
]

PASSPORT_HEADER = "x-passport"
PASSPORT_TYP = "passport+jwt"
#: Asymmetric algorithms only: a JWKS never carries an HMAC secret, so HS256 here would be a key-confusion hole.
ALLOWED_ALGORITHMS: Tuple[str, ...] = ("EdDSA",)
MAX_PASSPORT_BYTES = 8 * 1024
DEFAULT_CLOCK_TOLERANCE_SECONDS = 5
MAX_CLOCK_TOLERANCE_SECONDS = 60
KINDS = frozenset({"user", "service", "anonymous"})
VIAS = frozenset({"access_token", "api_key", "session", "anonymous"})
# RFC 6749 §3.3 scope tokens separated by single spaces; may be empty
SCOPE = re.compile(r"^(?:[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*)?\Z")

log = logging.getLogger("edgepass.passport")

# code -> (HTTP status, generic title); the same registry as @edgepass/passport's src/errors.ts.
ERRORS: Dict[str, Tuple[int, str]] = {
    "PASSPORT_MISSING": (401, "No passport was presented"),
    "PASSPORT_INVALID": (401, "The passport was refused"),
    "PASSPORT_MALFORMED": (401, "The passport is not a well-formed compact JWS"),
    "PASSPORT_TOO_LARGE": (401, "The passport exceeds the size limit"),
    "PASSPORT_ALG_NOT_ALLOWED": (401, "The passport algorithm is not allowed"),
    "PASSPORT_BAD_SIGNATURE": (401, "The passport signature does not verify"),
    "PASSPORT_UNKNOWN_KID": (401, "The passport key id is unknown"),
    "PASSPORT_WRONG_TYPE": (401, "The token is not a passport"),
    "PASSPORT_EXPIRED": (401, "The passport has expired"),
    "PASSPORT_NOT_YET_VALID": (401, "The passport is not valid yet"),
    "PASSPORT_WRONG_ISSUER": (401, "The passport issuer is not trusted"),
    "PASSPORT_WRONG_AUDIENCE": (401, "The passport is for another service"),
    "PASSPORT_INVALID_CLAIMS": (401, "The passport claims are invalid"),
    "PASSPORT_KEYS_UNAVAILABLE": (503, "The passport verification keys are unavailable"),
    "FORBIDDEN_SCOPE": (403, "A required scope is missing"),
    "FORBIDDEN_ROLE": (403, "A required role is missing"),
    "FORBIDDEN_KIND": (403, "This kind of principal may not call this endpoint"),
}


class PassportError(Exception):
    """A refused passport (401), a failed guard (403) or unavailable keys (503). ``reason`` is for logs only."""

    def __init__(self, code: str, reason: str = "", claim: Optional[str] = None) -> None:
        status, title = ERRORS[code]
        super().__init__(title)
        self.code = code
        self.status = status
        self.title = title
        self.reason = reason or title
        self.claim = claim


@dataclass(frozen=True)
class Identity:
    """Who called, as the gateway established it."""

    sub: str
    kind: str
    via: str
    roles: Tuple[str, ...]
    scopes: FrozenSet[str]
    scope: str
    src: str
    issuer: str
    audience: str
    issued_at: int
    expires_at: int
    plan: Optional[str] = None
    tenant: Optional[str] = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles


class _KeysUnavailable(PyJWKClientError):
    """The JWKS could not be fetched and no earlier copy is cached."""


class _JwksClient(PyJWKClient):
    """PyJWKClient with a fetch timeout, a refetch cooldown and stale keys served while the JWKS is unreachable.

    PyJWT's own client refetches on every unknown ``kid`` and forgets its cache when a fetch fails; here an
    unknown ``kid`` triggers a refetch only when the last fetch is at least ``refetch_cooldown`` seconds old
    (jose's ``cooldownDuration``), and the last good key set keeps verifying while the JWKS is unreachable.
    """

    def __init__(self, uri: str, *, lifespan: float, timeout: float, refetch_cooldown: float,
                 clock: Callable[[], float]) -> None:
        super().__init__(uri, cache_keys=False, cache_jwk_set=False)
        self._lifespan = lifespan
        self._timeout = timeout
        self._cooldown = refetch_cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._data: Optional[Mapping[str, Any]] = None
        self._fetched_at = float("-inf")

    def fetch_data(self) -> Any:
        try:
            with urllib.request.urlopen(self.uri, timeout=self._timeout) as response:
                data = json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise PyJWKClientError(f"passport JWKS fetch failed: {type(err).__name__}") from err
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise PyJWKClientError("passport JWKS is not a JWK Set")
        return data

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        with self._lock:
            age = self._clock() - self._fetched_at
            fresh = self._data is not None and age < self._lifespan
            may_refetch = self._data is None or age >= self._cooldown
            if not fresh or (refresh and may_refetch):
                try:
                    self._data = self.fetch_data()
                    self._fetched_at = self._clock()
                except PyJWKClientError as err:
                    if self._data is None:
                        raise _KeysUnavailable(str(err)) from err
                    log.warning("passport JWKS refresh failed, serving cached keys", extra={"reason": str(err)})
            data = self._data
        return PyJWKSet.from_dict(dict(data))


class PassportVerifier:
    """Verifies passports issued by one gateway (``issuer``) against its passport JWKS."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        *,
        algorithms: Sequence[str] = ALLOWED_ALGORITHMS,
        clock_tolerance: int = DEFAULT_CLOCK_TOLERANCE_SECONDS,
        max_token_bytes: int = MAX_PASSPORT_BYTES,
        jwks_lifespan: float = 300.0,
        jwks_timeout: float = 5.0,
        refetch_cooldown: float = 30.0,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not jwks_url or not issuer:
            raise TypeError("PassportVerifier needs jwks_url and issuer")
        bad = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
        if not algorithms or bad:
            raise TypeError(f"algorithms must be a non-empty subset of {ALLOWED_ALGORITHMS}, got {list(algorithms)}")
        if not 0 <= clock_tolerance <= MAX_CLOCK_TOLERANCE_SECONDS:
            raise TypeError(f"clock_tolerance must be 0..{MAX_CLOCK_TOLERANCE_SECONDS} seconds")
        self.issuer = issuer
        self.algorithms = tuple(algorithms)
        self.clock_tolerance = clock_tolerance
        self.max_token_bytes = max_token_bytes
        self._now = now
        self._jwks = _JwksClient(jwks_url, lifespan=jwks_lifespan, timeout=jwks_timeout,
                                 refetch_cooldown=refetch_cooldown, clock=monotonic)

    def verify(self, token: Optional[str], audience: str) -> Identity:
        if not token:
            raise PassportError("PASSPORT_MISSING")
        if len(token.encode("utf-8")) > self.max_token_bytes:
            raise PassportError("PASSPORT_TOO_LARGE")
        if token.count(".") != 2:
            raise PassportError("PASSPORT_MALFORMED", "not three segments")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as err:
            raise PassportError("PASSPORT_MALFORMED", f"header: {err}") from err
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise PassportError("PASSPORT_ALG_NOT_ALLOWED", f"alg {alg!r} is not in {self.algorithms}", "alg")
        if _media_type(header.get("typ")) != PASSPORT_TYP:
            raise PassportError("PASSPORT_WRONG_TYPE", "typ is not passport+jwt", "typ")
        key = self._signing_key(header.get("kid"), alg)
        try:
            payload = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=self.issuer,
                # times are checked below against the injectable clock
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                         "require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as err:
            raise _map_pyjwt_error(err) from err
        self._check_times(payload)
        return _identity_from_claims(payload, audience)

    def _signing_key(self, kid: Any, alg: str) -> PyJWK:
        if not isinstance(kid, str) or not kid:
            raise PassportError("PASSPORT_UNKNOWN_KID", "no kid in the header", "kid")
        try:
            key = self._jwks.get_signing_key(kid)
        except _KeysUnavailable as err:
            raise PassportError("PASSPORT_KEYS_UNAVAILABLE", str(err)) from err
        except PyJWKClientError as err:
            raise PassportError("PASSPORT_UNKNOWN_KID", "kid not in the passport JWKS", "kid") from err
        jwk_alg = key._jwk_data.get("alg")  # noqa: SLF001 - PyJWK keeps the JWK's own parameters here
        if jwk_alg is not None and jwk_alg != alg:
            raise PassportError("PASSPORT_ALG_NOT_ALLOWED", f"key {kid} is for {jwk_alg}", "alg")
        return key

    def _check_times(self, payload: Mapping[str, Any]) -> None:
        now = self._now()
        for claim in ("exp", "iat", "nbf"):
            value = payload.get(claim)
            if claim in payload and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise PassportError("PASSPORT_INVALID_CLAIMS", f"{claim} is not a number", claim)
        if payload["exp"] <= now - self.clock_tolerance:
            raise PassportError("PASSPORT_EXPIRED", claim="exp")
        if payload["iat"] > now + self.clock_tolerance:
            raise PassportError("PASSPORT_NOT_YET_VALID", "iat in the future", "iat")
        if "nbf" in payload and payload["nbf"] > now + self.clock_tolerance:
            raise PassportError("PASSPORT_NOT_YET_VALID", "nbf in the future", "nbf")


def _media_type(typ: Any) -> Optional[str]:
    # RFC 7515 §4.1.9: compared case-insensitively, "application/" may be omitted
    if not isinstance(typ, str):
        return None
    typ = typ.lower()
    return typ[len("application/"):] if typ.startswith("application/") else typ


def _map_pyjwt_error(err: jwt.InvalidTokenError) -> PassportError:
    if isinstance(err, jwt.InvalidSignatureError):
        return PassportError("PASSPORT_BAD_SIGNATURE")
    if isinstance(err, jwt.InvalidAudienceError):
        return PassportError("PASSPORT_WRONG_AUDIENCE", claim="aud")
    if isinstance(err, jwt.InvalidIssuerError):
        return PassportError("PASSPORT_WRONG_ISSUER", claim="iss")
    if isinstance(err, jwt.InvalidAlgorithmError):
        return PassportError("PASSPORT_ALG_NOT_ALLOWED", claim="alg")
    if isinstance(err, jwt.MissingRequiredClaimError):
        return PassportError("PASSPORT_INVALID_CLAIMS", f"missing {err.claim}", err.claim)
    if isinstance(err, jwt.InvalidKeyError):
        return PassportError("PASSPORT_BAD_SIGNATURE", "key does not fit the algorithm")
    if isinstance(err, jwt.DecodeError):
        return PassportError("PASSPORT_MALFORMED", str(err))
    return PassportError("PASSPORT_INVALID_CLAIMS", type(err).__name__)


def _identity_from_claims(claims: Mapping[str, Any], audience: str) -> Identity:
    def text(name: str, optional: bool = False) -> Optional[str]:
        value = claims.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or (not optional and value == ""):
            raise PassportError("PASSPORT_INVALID_CLAIMS", f"{name} is not a non-empty string", name)
        return value

    if not isinstance(claims.get("aud"), str):
        raise PassportError("PASSPORT_INVALID_CLAIMS", "aud is not a string", "aud")
    kind = text("kind")
    if kind not in KINDS:
        raise PassportError("PASSPORT_INVALID_CLAIMS", "kind outside the enum", "kind")
    via = text("via")
    if via not in VIAS:
        raise PassportError("PASSPORT_INVALID_CLAIMS", "via outside the enum", "via")
    if (kind == "anonymous") != (via == "anonymous"):
        raise PassportError("PASSPORT_INVALID_CLAIMS", "kind is anonymous exactly when via is", "kind")
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise PassportError("PASSPORT_INVALID_CLAIMS", "roles is not a list of non-empty strings", "roles")
    scope = claims.get("scope")
    if not isinstance(scope, str) or not SCOPE.match(scope):
        raise PassportError("PASSPORT_INVALID_CLAIMS", "scope is not space-separated scope tokens", "scope")
    if claims["exp"] <= claims["iat"] or claims["iat"] < 0:
        raise PassportError("PASSPORT_INVALID_CLAIMS", "exp must follow iat", "exp")
    return Identity(
        sub=str(text("sub")),
        kind=str(kind),
        via=str(via),
        roles=tuple(roles),
        scopes=frozenset(scope.split(" ")) if scope else frozenset(),
        scope=scope,
        src=str(text("src")),
        issuer=str(claims["iss"]),
        audience=audience,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
        plan=text("plan", optional=True),
        tenant=text("tenant", optional=True),
    )


_default_lock = threading.Lock()
_default_verifier: Optional[PassportVerifier] = None


def configure(verifier: Optional[PassportVerifier] = None, **options: Any) -> PassportVerifier:
    """Sets the verifier that ``require_passport`` uses when none is passed to it.

    Without arguments it is built from the environment: ``EDGEPASS_PASSPORT_JWKS_URL`` and
    ``EDGEPASS_PASSPORT_ISSUER`` (both required).
    """
    global _default_verifier
    if verifier is None:
        jwks_url = options.pop("jwks_url", None) or os.environ.get("EDGEPASS_PASSPORT_JWKS_URL")
        issuer = options.pop("issuer", None) or os.environ.get("EDGEPASS_PASSPORT_ISSUER")
        if not jwks_url or not issuer:
            raise RuntimeError("set EDGEPASS_PASSPORT_JWKS_URL and EDGEPASS_PASSPORT_ISSUER (or call configure())")
        verifier = PassportVerifier(jwks_url, issuer, **options)
    with _default_lock:
        _default_verifier = verifier
    return verifier


def _configured_verifier() -> PassportVerifier:
    with _default_lock:
        current = _default_verifier
    return current if current is not None else configure()


def require_passport(
    audience: str,
    scopes: Iterable[str] = (),
    *,
    kinds: Optional[Iterable[str]] = None,
    verifier: Optional[PassportVerifier] = None,
) -> Callable[[Request], Identity]:
    """A FastAPI dependency: a valid passport for ``audience`` carrying every scope in ``scopes``.

    ``kinds`` optionally restricts the principal kind (e.g. ``["service"]`` for a worker-only endpoint).
    The dependency is a plain ``def``: FastAPI runs it in its thread pool, so a JWKS fetch never blocks the
    event loop. The identity is also stored in ``request.state.identity``.
    """
    if not audience:
        raise TypeError("require_passport needs the service's audience")
    required = frozenset(scopes)
    allowed_kinds = None if kinds is None else frozenset(kinds)

    def passport_dependency(request: Request) -> Identity:
        presented = request.headers.getlist(PASSPORT_HEADER)
        if len(presented) > 1:
            raise PassportError("PASSPORT_MALFORMED", "more than one x-passport header")
        identity = (verifier or _configured_verifier()).verify(presented[0] if presented else None, audience)
        if allowed_kinds is not None and identity.kind not in allowed_kinds:
            raise PassportError("FORBIDDEN_KIND", f"kind {identity.kind} not in {sorted(allowed_kinds)}", "kind")
        missing = sorted(required - identity.scopes)
        if missing:
            raise PassportError("FORBIDDEN_SCOPE", f"missing scopes {missing}", "scope")
        request.state.identity = identity
        return identity

    return passport_dependency


PROBLEM_TYPE_BASE = "https://edgepass.dev/errors/"
_DETAIL = {
    401: "This endpoint requires a valid passport.",
    403: "The passport does not grant access to this endpoint.",
    503: "Passports cannot be verified at the moment. Try again later.",
}


def problem_response(err: PassportError) -> JSONResponse:
    """The same RFC 9457 answer as @edgepass/passport's adapters: clients learn "missing" or "refused" (a generic
    PASSPORT_INVALID for every other 401), a failed guard or unavailable keys; the precise code goes to the log."""
    code = "PASSPORT_INVALID" if err.status == 401 and err.code != "PASSPORT_MISSING" else err.code
    headers = {"cache-control": "no-store"}
    if err.status == 401:
        headers["www-authenticate"] = 'Passport error="invalid_passport"'
    elif code == "FORBIDDEN_SCOPE":
        headers["www-authenticate"] = 'Passport error="insufficient_scope"'
    return JSONResponse(
        status_code=err.status,
        media_type="application/problem+json",
        headers=headers,
        content={
            "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
            "title": ERRORS[code][1],
            "status": err.status,
            "detail": _DETAIL[err.status],
            "code": code,
        },
    )


def install_passport_errors(app: FastAPI) -> None:
    """Answers PassportError with problem+json and logs the reason (never the passport)."""

    async def handle(request: Request, err: Exception) -> JSONResponse:
        if not isinstance(err, PassportError):  # pragma: no cover - registered for PassportError only
            raise err
        log.info(
            "passport refused",
            extra={"code": err.code, "reason": err.reason, "claim": err.claim, "path": request.url.path},
        )
        return problem_response(err)

    app.add_exception_handler(PassportError, handle)
