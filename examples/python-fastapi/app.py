"""The user-service signup endpoints as a FastAPI app that accepts only edgepass passports.

Run behind the gateway (the passport JWKS is on the gateway's admin listener):

    EDGEPASS_PASSPORT_JWKS_URL=http://127.0.0.1:9090/.well-known/passport-jwks.json \\
    EDGEPASS_PASSPORT_ISSUER=edgepass-gateway \\
    EDGEPASS_PASSPORT_AUDIENCE=user-service \\
    uvicorn app:app --host 127.0.0.1 --port 4002

- ``POST /signup``: any valid passport for this service (the gateway routes it with ``accept: [anonymous]``,
  so an anonymous passport is enough); validates ``{email, name}``; 202 ``{signupId, status: "pending"}``.
- ``POST /signups/{id}/activate`` and ``POST /signups/{id}/fail``: only a ``service`` passport (the signup
  worker's API key, via the gateway) carrying scope ``signup:manage``; pending -> active | failed, else 409.
- ``GET /health`` is public.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from typing import Dict, Optional

from fastapi import Body, Depends, FastAPI
from fastapi.responses import JSONResponse

from edgepass_passport import PROBLEM_TYPE_BASE, Identity, PassportVerifier, install_passport_errors, require_passport

EMAIL = re.compile(r"^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$")


def _problem(status: int, title: str, code: str, **extra) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        media_type="application/problem+json",
        headers={"cache-control": "no-store"},
        content={"type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"), "title": title, "status": status,
                 "code": code, **extra},
    )


def _view(record: dict) -> dict:
    view = {k: v for k, v in record.items() if k != "id"}
    return {"signupId": record["id"], **view}


def create_app(verifier: Optional[PassportVerifier] = None, audience: Optional[str] = None) -> FastAPI:
    """``verifier=None`` builds one from EDGEPASS_PASSPORT_JWKS_URL / EDGEPASS_PASSPORT_ISSUER on first use."""
    audience = audience or os.environ.get("EDGEPASS_PASSPORT_AUDIENCE", "user-service")
    app = FastAPI(title="user-service (FastAPI)")
    install_passport_errors(app)
    signups: Dict[str, dict] = {}
    lock = threading.Lock()
    any_passport = require_passport(audience, verifier=verifier)
    signup_worker = require_passport(audience, ["signup:manage"], kinds=["service"], verifier=verifier)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/signup", status_code=202)
    def signup(body: dict = Body(...), identity: Identity = Depends(any_passport)):
        email, name = body.get("email"), body.get("name")
        if not isinstance(email, str) or not EMAIL.match(email) or len(email) > 254:
            return _problem(400, "The request is invalid", "SIGNUP_INVALID_REQUEST")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
            return _problem(400, "The request is invalid", "SIGNUP_INVALID_REQUEST")
        signup_id = f"sgn_{secrets.token_urlsafe(16)}"
        with lock:
            signups[signup_id] = {"id": signup_id, "email": email, "name": name.strip(), "status": "pending",
                                  "requestedBy": identity.sub}
        return {"signupId": signup_id, "status": "pending"}

    def transition(signup_id: str, status: str, decided_by: str, reason: Optional[str] = None):
        with lock:
            record = signups.get(signup_id)
            if record is None:
                return _problem(404, "Not found", "SIGNUP_NOT_FOUND")
            if record["status"] != "pending":
                return _problem(409, "The signup is no longer pending", "SIGNUP_CONFLICT",
                                signupStatus=record["status"])
            record["status"] = status
            record["decidedBy"] = decided_by
            if reason is not None:
                record["failureReason"] = reason
            return _view(record)

    @app.post("/signups/{signup_id}/activate")
    def activate_user(signup_id: str, identity: Identity = Depends(signup_worker)):
        return transition(signup_id, "active", identity.sub)

    @app.post("/signups/{signup_id}/fail")
    def mark_signup_failed(signup_id: str, body: dict = Body(...), identity: Identity = Depends(signup_worker)):
        reason = body.get("reason")
        if not isinstance(reason, str) or not 0 < len(reason.strip()) <= 500:
            return _problem(400, "The request is invalid", "SIGNUP_INVALID_REQUEST")
        return transition(signup_id, "failed", identity.sub, reason.strip())

    @app.get("/signups/{signup_id}")
    def get_signup(signup_id: str, identity: Identity = Depends(signup_worker)):
        with lock:
            record = signups.get(signup_id)
            return _view(record) if record else _problem(404, "Not found", "SIGNUP_NOT_FOUND")

    return app


app = create_app()
