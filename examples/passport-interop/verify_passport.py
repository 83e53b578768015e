"""Verify one edgepass passport with PyJWT: the interop check of @edgepass/passport.

Reads a JSON request on stdin:
    {"token": "...", "jwk": {...public JWK or oct JWK...}, "issuer": "...", "audience": "...",
     "algorithms": ["EdDSA"]}
and writes one JSON line on stdout: {"ok": true, "header": {...}, "claims": {...}} (exit 0) or
{"ok": false, "error": "<PyJWT exception class or WrongType>"} (exit 1). The token is never printed.

Needs PyJWT >= 2.6 and cryptography (Debian: python3-jwt).
"""

import json
import sys

import jwt
from jwt.algorithms import HMACAlgorithm, OKPAlgorithm

PASSPORT_TYP = "passport+jwt"
REQUIRED = ["iss", "aud", "sub", "iat", "exp"]


def verification_key(jwk, algorithms):
    text = json.dumps(jwk)
    if algorithms == ["EdDSA"]:
        return OKPAlgorithm.from_jwk(text)
    if algorithms == ["HS256"]:
        return HMACAlgorithm.from_jwk(text)
    raise ValueError("algorithms must be [EdDSA] or [HS256]")


def main():
    request = json.load(sys.stdin)
    token = request["token"]
    algorithms = request["algorithms"]
    try:
        header = jwt.get_unverified_header(token)
        typ = str(header.get("typ", "")).lower()
        if typ not in (PASSPORT_TYP, "application/" + PASSPORT_TYP):
            raise jwt.InvalidTokenError("WrongType")
        claims = jwt.decode(
            token,
            verification_key(request["jwk"], algorithms),
            algorithms=algorithms,
            audience=request["audience"],
            issuer=request["issuer"],
            leeway=5,
            options={"require": REQUIRED},
        )
    except jwt.InvalidTokenError as err:
        name = str(err) if str(err) == "WrongType" else type(err).__name__
        print(json.dumps({"ok": False, "error": name}))
        return 1
    print(json.dumps({"ok": True, "header": header, "claims": claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
