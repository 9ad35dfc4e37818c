"""Pydantic models that only the API needs: login, tokens and health.

The CSR, choices and audit models come from ``certdesk.services.schemas``. Input models forbid
unknown fields and bound every string; output models never carry key material — the one plain
secret ever sent, a new API token, is in ``TokenCreated`` and shown only once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, StringConstraints

from certdesk.services.auth import MAX_PASSWORD, MAX_TOKEN_NAME, TokenInfo

#: The largest id or offset a route accepts: what an INTEGER column holds on every engine
#: (a larger number would overflow in the database driver instead of being refused).
MAX_DB_INT = 2**31 - 1

#: The ``offset`` query parameter of paged lists.
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="Rows to skip")]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


class LoginOut(BaseModel):
    """The open session; send ``csrf_token`` as ``X-CSRF-Token`` on unsafe requests."""

    username: str
    csrf_token: str
    expires_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_NAME)]


class TokenOut(BaseModel):
    """An API token as listed: its first characters, never the token."""

    id: int
    name: str
    username: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: TokenInfo) -> TokenOut:
        return cls.model_validate(info, from_attributes=True)


class TokenCreated(TokenOut):
    """A new API token: ``token`` is shown this once and cannot be retrieved again."""

    token: str


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
