"""Tests of edgepass_passport.py and app.py against passports minted by @edgepass/passport.

Driven by python.test.ts, which starts a JWKS server on 127.0.0.1, mints the passports (and has a real gateway
forward two), writes them to the JSON file named by EDGEPASS_PASSPORT_FIXTURES, then runs
``/usr/bin/python3 -m unittest -v test_passport``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import unittest
import urllib.request

try:
    import cryptography  # noqa: F401 - PyJWT needs it for EdDSA
    import fastapi  # noqa: F401
    import httpx  # noqa: F401 - fastapi.testclient is built on it
    import jwt  # noqa: F401
except ImportError as missing:  # fail loudly: a skipped security test is worse than none
    sys.exit(f"test_passport: missing python module {missing.name!r}; install python3-jwt python3-fastapi "
             "python3-httpx python3-cryptography")

from fastapi.testclient import TestClient

from app import create_app
from edgepass_passport import PassportError, PassportVerifier

_path = os.environ.get("EDGEPASS_PASSPORT_FIXTURES")
if not _path:
    sys.exit("test_passport: EDGEPASS_PASSPORT_FIXTURES is not set; run it through python.test.ts (npm test)")
with open(_path, encoding="utf-8") as f:
    FIX = json.load(f)
T = FIX["tokens"]
NOW = FIX["now"]


def verifier(url: str = FIX["jwksUrl"], **options) -> PassportVerifier:
    return PassportVerifier(url, FIX["issuer"], now=lambda: NOW, **options)


def fetches(path: str) -> int:
    with urllib.request.urlopen(FIX["statsUrl"], timeout=5) as response:
        return json.load(response).get(path, 0)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


class VerifierTests(unittest.TestCase):
    def assertRefused(self, token, code, v=None, audience=FIX["audience"]):
        with self.assertRaises(PassportError) as caught:
            (v or verifier()).verify(token, audience)
        self.assertEqual(caught.exception.code, code)
        if token:
            self.assertNotIn(token, str(caught.exception))
            self.assertNotIn(token, caught.exception.reason)
        return caught.exception

    def test_valid_passport_gives_a_typed_identity(self):
        identity = verifier().verify(T["user"], FIX["audience"])
        self.assertEqual(identity.sub, "user-1")
        self.assertEqual(identity.kind, "user")
        self.assertEqual(identity.via, "access_token")
        self.assertEqual(identity.plan, "premium")
        self.assertEqual(identity.roles, ("admin",))
        self.assertTrue(identity.has_scope("profile:read"))
        self.assertFalse(identity.has_scope("signup:manage"))
        self.assertTrue(identity.has_role("admin"))
        self.assertEqual(identity.issuer, FIX["issuer"])
        self.assertEqual(identity.audience, FIX["audience"])
        self.assertEqual(identity.issued_at, NOW)
        self.assertGreater(identity.expires_at, NOW)

    def test_missing_passport(self):
        self.assertRefused(None, "PASSPORT_MISSING")
        self.assertRefused("", "PASSPORT_MISSING")

    def test_expired_passport(self):
        self.assertRefused(T["expired"], "PASSPORT_EXPIRED")

    def test_passport_issued_in_the_future(self):
        self.assertRefused(T["future"], "PASSPORT_NOT_YET_VALID")

    def test_passport_for_another_service(self):
        self.assertRefused(T["wrongAudience"], "PASSPORT_WRONG_AUDIENCE")
        self.assertRefused(T["user"], "PASSPORT_WRONG_AUDIENCE", audience="vocabulary-service")

    def test_passport_from_another_issuer(self):
        self.assertRefused(T["wrongIssuer"], "PASSPORT_WRONG_ISSUER")

    def test_tampered_payload(self):
        self.assertRefused(T["tampered"], "PASSPORT_BAD_SIGNATURE")

    def test_alg_none(self):
        self.assertRefused(T["algNone"], "PASSPORT_ALG_NOT_ALLOWED")

    def test_hs256_keyed_with_the_public_key(self):
        self.assertRefused(T["hs256PublicKey"], "PASSPORT_ALG_NOT_ALLOWED")

    def test_wrong_typ(self):
        self.assertRefused(T["wrongTyp"], "PASSPORT_WRONG_TYPE")

    def test_claims_outside_the_contract(self):
        self.assertRefused(T["badKind"], "PASSPORT_INVALID_CLAIMS")
        self.assertRefused(T["rolesNotStrings"], "PASSPORT_INVALID_CLAIMS")

    def test_malformed_and_oversized(self):
        self.assertRefused("not-a-jws", "PASSPORT_MALFORMED")
        self.assertRefused("a.b.c.d", "PASSPORT_MALFORMED")
        self.assertRefused("!!!.e30.sig", "PASSPORT_MALFORMED")
        self.assertRefused("a" * 9000, "PASSPORT_TOO_LARGE")

    def test_unknown_kid_refetches_once_per_cooldown_then_is_refused(self):
        clock = [0.0]
        v = verifier(FIX["cooldownJwksUrl"], refetch_cooldown=30, monotonic=lambda: clock[0])
        v.verify(T["user"], FIX["audience"])
        self.assertEqual(fetches("/cooldown.json"), 1)
        self.assertRefused(T["unknownKid"], "PASSPORT_UNKNOWN_KID", v)
        self.assertEqual(fetches("/cooldown.json"), 1, "no refetch within the cooldown of the last fetch")
        clock[0] = 31.0
        self.assertRefused(T["unknownKid"], "PASSPORT_UNKNOWN_KID", v)
        self.assertEqual(fetches("/cooldown.json"), 2, "one refetch once the cooldown has passed")
        self.assertRefused(T["unknownKid"], "PASSPORT_UNKNOWN_KID", v)
        self.assertEqual(fetches("/cooldown.json"), 2, "and none for the next unknown kid")
        self.assertEqual(v.verify(T["user"], FIX["audience"]).sub, "user-1")

    def test_rotated_in_key_is_picked_up_by_the_refetch(self):
        clock = [0.0]
        v = verifier(FIX["rotatingJwksUrl"], refetch_cooldown=30, monotonic=lambda: clock[0])
        v.verify(T["user"], FIX["audience"])  # first fetch: the old key only
        clock[0] = 30.0
        identity = v.verify(T["rotated"], FIX["audience"])  # unknown kid -> refetch: old + new key
        self.assertEqual(identity.sub, "user-2")
        self.assertEqual(fetches("/rotating.json"), 2)

    def test_cached_keys_keep_working_while_the_jwks_is_down(self):
        v = verifier(FIX["flakyJwksUrl"], jwks_lifespan=0.0)  # every verify wants a fresh copy
        v.verify(T["user"], FIX["audience"])
        self.assertEqual(v.verify(T["user"], FIX["audience"]).sub, "user-1")
        self.assertEqual(fetches("/flaky.json"), 2, "the second fetch failed (HTTP 500), the cached keys served")

    def test_keys_never_fetched(self):
        err = self.assertRefused(T["user"], "PASSPORT_KEYS_UNAVAILABLE", verifier(closed_port_url(), jwks_timeout=2))
        self.assertEqual(err.status, 503)

    def test_the_verifier_refuses_symmetric_algorithms(self):
        with self.assertRaises(TypeError):
            PassportVerifier(FIX["jwksUrl"], FIX["issuer"], algorithms=["HS256"])
        with self.assertRaises(TypeError):
            PassportVerifier(FIX["jwksUrl"], FIX["issuer"], clock_tolerance=600)


class AppTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = TestClient(create_app(verifier(), audience=FIX["audience"]))

    def post(self, path, token=None, body=None):
        headers = {"x-passport": token} if token else {}
        return self.client.post(path, headers=headers, json=body if body is not None else {})

    def assertProblem(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["content-type"], "application/problem+json")
        body = response.json()
        self.assertEqual(body["status"], status)
        self.assertEqual(body["code"], code)
        self.assertEqual(body["type"], "https://edgepass.dev/errors/" + code.lower().replace("_", "-"))
        self.assertEqual(response.headers.get("cache-control"), "no-store")
        return body

    def test_health_is_public(self):
        response = self.client.get("/health")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})

    def test_signup_accepts_an_anonymous_passport(self):
        response = self.post("/signup", T["anonymous"], {"email": "ada@example.com", "name": "Ada"})
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["status"], "pending")
        self.assertTrue(response.json()["signupId"].startswith("sgn_"))

    def test_signup_without_a_passport_is_401_with_a_challenge(self):
        response = self.post("/signup", None, {"email": "ada@example.com", "name": "Ada"})
        self.assertProblem(response, 401, "PASSPORT_MISSING")
        self.assertEqual(response.headers["www-authenticate"], 'Passport error="invalid_passport"')

    def test_refusals_do_not_say_why(self):
        for name in ("expired", "wrongAudience", "wrongIssuer", "tampered", "algNone", "hs256PublicKey"):
            response = self.post("/signup", T[name], {"email": "ada@example.com", "name": "Ada"})
            body = self.assertProblem(response, 401, "PASSPORT_INVALID")
            self.assertEqual(body["title"], "The passport was refused", name)
            self.assertEqual(body["detail"], "This endpoint requires a valid passport.", name)
            self.assertNotIn(T[name], response.text)

    def test_two_passport_headers_are_refused(self):
        response = self.client.post(
            "/signup",
            headers=[("x-passport", T["anonymous"]), ("x-passport", T["service"])],
            json={"email": "ada@example.com", "name": "Ada"},
        )
        self.assertProblem(response, 401, "PASSPORT_INVALID")

    def test_signup_validates_the_body(self):
        response = self.post("/signup", T["anonymous"], {"email": "not-an-email", "name": "Ada"})
        self.assertProblem(response, 400, "SIGNUP_INVALID_REQUEST")

    def test_activate_user_needs_a_service_passport_with_signup_manage(self):
        signup_id = self.post("/signup", T["anonymous"], {"email": "bob@example.com", "name": "Bob"}).json()["signupId"]
        self.assertProblem(self.post(f"/signups/{signup_id}/activate"), 401, "PASSPORT_MISSING")
        self.assertProblem(self.post(f"/signups/{signup_id}/activate", T["anonymous"]), 403, "FORBIDDEN_KIND")
        self.assertProblem(self.post(f"/signups/{signup_id}/activate", T["user"]), 403, "FORBIDDEN_KIND")
        self.assertProblem(self.post(f"/signups/{signup_id}/activate", T["serviceNoScope"]), 403, "FORBIDDEN_SCOPE")
        self.assertProblem(self.post(f"/signups/{signup_id}/activate", T["serviceOtherAudience"]), 401,
                           "PASSPORT_INVALID")
        response = self.post(f"/signups/{signup_id}/activate", T["service"])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "active")
        conflict = self.assertProblem(self.post(f"/signups/{signup_id}/activate", T["service"]), 409, "SIGNUP_CONFLICT")
        self.assertEqual(conflict["signupStatus"], "active")
        self.assertProblem(self.post(f"/signups/{signup_id}/fail", T["service"], {"reason": "late"}), 409,
                           "SIGNUP_CONFLICT")

    def test_mark_signup_failed(self):
        signup_id = self.post("/signup", T["anonymous"], {"email": "eve@example.com", "name": "Eve"}).json()["signupId"]
        self.assertProblem(self.post(f"/signups/{signup_id}/fail", T["anonymous"], {"reason": "x"}), 403,
                           "FORBIDDEN_KIND")
        response = self.post(f"/signups/{signup_id}/fail", T["service"], {"reason": "mailbox does not exist"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "failed")
        self.assertEqual(response.json()["failureReason"], "mailbox does not exist")
        self.assertEqual(response.json()["decidedBy"], "svc:signup-worker")
        self.assertEqual(response.json()["signupId"], signup_id)
        read = self.client.get(f"/signups/{signup_id}", headers={"x-passport": T["service"]})
        self.assertEqual(read.json()["status"], "failed")
        self.assertProblem(self.post("/signups/sgn_missing/activate", T["service"]), 404, "SIGNUP_NOT_FOUND")


class RealGatewayTests(unittest.TestCase):
    """Passports a running gateway forwarded (python.test.ts), against its admin listener's passport JWKS."""

    def test_the_fastapi_dependency_accepts_a_real_gateways_passports(self):
        g = FIX["gateway"]
        v = PassportVerifier(g["jwksUrl"], g["issuer"], now=lambda: NOW)
        anonymous = v.verify(g["anonymous"], FIX["audience"])
        self.assertEqual((anonymous.kind, anonymous.via, anonymous.issuer), ("anonymous", "anonymous", g["issuer"]))
        service = v.verify(g["service"], FIX["audience"])
        self.assertEqual((service.kind, service.via, service.sub), ("service", "api_key", g["serviceSub"]))
        self.assertTrue(service.has_scope("signup:manage"))
        self.assertEqual(service.issued_at, NOW)

        client = TestClient(create_app(v, audience=FIX["audience"]))
        created = client.post("/signup", headers={"x-passport": g["anonymous"]},
                              json={"email": "ada@example.com", "name": "Ada"})
        self.assertEqual(created.status_code, 202, created.text)
        signup_id = created.json()["signupId"]
        refused = client.post(f"/signups/{signup_id}/activate", headers={"x-passport": g["anonymous"]})
        self.assertEqual(refused.status_code, 403, refused.text)
        self.assertEqual(refused.json()["code"], "FORBIDDEN_KIND")
        activated = client.post(f"/signups/{signup_id}/activate", headers={"x-passport": g["service"]})
        self.assertEqual(activated.status_code, 200, activated.text)
        self.assertEqual(activated.json()["status"], "active")
        self.assertEqual(activated.json()["decidedBy"], g["serviceSub"])
        self.assertEqual(activated.json()["requestedBy"], anonymous.sub)
        # a verifier for another gateway id refuses them
        with self.assertRaises(PassportError) as caught:
            PassportVerifier(g["jwksUrl"], "another-gateway", now=lambda: NOW).verify(g["service"], FIX["audience"])
        self.assertEqual(caught.exception.code, "PASSPORT_WRONG_ISSUER")


if __name__ == "__main__":
    unittest.main()
