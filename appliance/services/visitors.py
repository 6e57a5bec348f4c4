"""Who a visitor is: anonymous (our signed token) or a verified customer (the bank's JWT).

Anonymous visitors get a random id inside a token signed with the instance's
secret key; the widget keeps the token, so a reload or another device presenting
it is the same visitor. A verified customer's id is derived from the keyed blind
index of the bank's customer id, so every device of that customer is the same
visitor, and the customer id itself is stored only encrypted.

Nothing is written at connect: the visitor row is created with their first
conversation, so idle widgets cost no database writes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import jwt
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer
from peewee import IntegrityError

from appliance import clock
from appliance import errors
from appliance.db import db
from appliance.models import Visitor
from appliance.runtime import current_runtime
from appliance.sealed import blind_index
from appliance.sealed import seal
from appliance.sealed import visitor_context

TOKEN_SALT = "enclave.visitor-token"  # noqa: S105 - a namespace for signatures, not a secret
MAX_NAME = 100


class InvalidToken(errors.AppError):
    code = "invalid_token"
    http_status = 401


class TokenExpired(errors.AppError):
    code = "token_expired"
    http_status = 401


class CustomerTokensDisabled(errors.AppError):
    code = "customer_tokens_disabled"
    http_status = 401


@dataclass(frozen=True)
class VisitorIdentity:
    id: str
    kind: str  # "anonymous" | "customer"
    name: str
    vip: int = 0
    customer_ref: str | None = None  # the bank's customer id; kept only encrypted

    def public(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "vip": self.vip}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.security.secret_key, salt=TOKEN_SALT)


def new_anonymous() -> tuple[VisitorIdentity, str]:
    visitor_id = secrets.token_hex(16)
    return _anonymous(visitor_id), _serializer().dumps({"vid": visitor_id})


def _anonymous(visitor_id: str) -> VisitorIdentity:
    return VisitorIdentity(id=visitor_id, kind="anonymous", name=f"Visitor {visitor_id[:6]}")


def identify_by_visitor_token(token: object) -> tuple[VisitorIdentity, str]:
    """The anonymous visitor a token names; raises InvalidToken or TokenExpired."""
    if not isinstance(token, str) or len(token) > 512:
        raise InvalidToken("The visitor token is malformed")
    max_age = current_runtime().settings.visitor.token_max_age_days * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenExpired("The visitor token has expired; connect without one") from None
    except BadSignature:
        raise InvalidToken("The visitor token is not valid") from None
    visitor_id = data.get("vid") if isinstance(data, dict) else None
    if not isinstance(visitor_id, str) or len(visitor_id) != 32:
        raise InvalidToken("The visitor token is not valid")
    return _anonymous(visitor_id), token


def identify_by_customer_token(token: object) -> VisitorIdentity:
    """The verified customer a bank-signed JWT (HS256) names; see docs/protocol.md."""
    secret = current_runtime().settings.visitor.customer_token_secret
    if not secret:
        raise CustomerTokensDisabled("This appliance does not accept customer tokens")
    if not isinstance(token, str) or len(token) > 4096:
        raise InvalidToken("The customer token is malformed")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired("The customer token has expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("The customer token is not valid") from None
    customer_id, name, vip = claims.get("sub"), claims.get("name"), claims.get("vip", 0)
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= 128:
        raise InvalidToken("The customer token's sub must be a customer id of 1-128 characters")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise InvalidToken(f"The customer token's name must be 1-{MAX_NAME} characters")
    if type(vip) is not int or not 0 <= vip <= 9:
        raise InvalidToken("The customer token's vip must be an integer 0-9")
    visitor_id = blind_index(customer_id, field="visitor.customer_ref")[:32]
    return VisitorIdentity(
        id=visitor_id, kind="customer", name=name, vip=vip, customer_ref=customer_id
    )


def ensure_visitor_row(identity: VisitorIdentity) -> None:
    """Create the visitor's row if it does not exist yet (inside the caller's mutation)."""
    if Visitor.get_or_none(Visitor.id == identity.id) is not None:
        return
    ref = identity.customer_ref
    try:
        with db.atomic():  # a savepoint: on PostgreSQL a failed insert poisons the transaction
            Visitor.insert(
                id=identity.id,
                kind=identity.kind,
                customer_bidx=None if ref is None else identity.id,
                customer_ref_enc=None
                if ref is None
                else seal(ref, context=visitor_context(identity.id, "customer_ref")),
                name_enc=seal(identity.name, context=visitor_context(identity.id, "name")),
                vip=identity.vip,
                created_ms=clock.now_ms(),
            ).execute()
    except IntegrityError:  # another process created it first: same visitor, fine
        pass
