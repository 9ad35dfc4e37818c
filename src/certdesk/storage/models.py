"""The whole data model as SQLAlchemy 2 declarative rows (``Mapped[...]``), one class per table.

Rows are storage's own vocabulary: repositories turn them into frozen records before they leave
this package. Secret columns (``*_enc``) hold Fernet tokens made by ``storage.secrets.SecretBox``,
never plain key material. Every timestamp goes through ``UTCDateTime``, which stores UTC and hands
back timezone-aware datetimes on every engine (SQLite has no time zones of its own). Constraint
names follow one naming convention so that Alembic migrations can refer to them on SQLite and
PostgreSQL alike; the migration in ``migrations/versions`` must match these classes exactly (a test
compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JOB_STATES = ("WAITING", "RUNNING", "SUCCESS", "FAILED", "ABORTED")
CSR_SOURCES = ("created", "imported")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    A naive datetime is refused on the way in: it would be ambiguous, and every clock in certdesk
    is aware. SQLite stores the naive UTC wall time; PostgreSQL a ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes cannot be stored; use an aware (UTC) datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class CSRRow(Base):
    """A Certificate Signing Request and its (encrypted) private key."""

    __tablename__ = "csr"
    __table_args__ = (
        CheckConstraint(_in("source", CSR_SOURCES), name="source"),
        # SQLite stores the PEMs inline, so a search would read every page of the table; this
        # narrow covering index lets it scan only ids and search text. PostgreSQL moves the PEMs
        # out of line (TOAST) already, and limits index entries to ~2.7 kB, so it has none.
        Index("ix_csr_id_search_text", "id", "search_text").ddl_if(dialect="sqlite"),
        # PostgreSQL: a trigram index serves ``LIKE '%term%'`` (terms of 3+ characters). Made by
        # migration 0004 only where the extension pg_trgm could be created.
        Index(
            "ix_csr_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    csr_pem: Mapped[str] = mapped_column(Text)
    private_key_enc: Mapped[str] = mapped_column(Text)
    key_type: Mapped[str] = mapped_column(String(16))
    key_length: Mapped[int | None] = mapped_column(Integer)
    ec_curve: Mapped[str | None] = mapped_column(String(32))
    digest_algorithm: Mapped[str | None] = mapped_column(String(16))
    common: Mapped[str | None] = mapped_column(String(255))
    san_text: Mapped[str] = mapped_column(Text, default="")
    #: name, common name and SANs, lower-cased, one per line: what the CSR list searches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ACMEAccountRow(Base):
    """An ACME account, one per directory URL, with its (encrypted) account key."""

    __tablename__ = "acme_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_url: Mapped[str] = mapped_column(String(512), unique=True)
    account_url: Mapped[str] = mapped_column(String(512))
    account_key_enc: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(512))
    eab_kid: Mapped[str | None] = mapped_column(String(255))
    tos_url: Mapped[str | None] = mapped_column(String(512))
    #: PEM certificates trusted for this directory's HTTPS besides the public CAs (private ACME
    #: servers such as Pebble or step-ca); migration 0002.
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class CertificateRow(Base):
    """An ACME certificate: chain, key, where it came from and when it renews."""

    __tablename__ = "certificate"
    __table_args__ = (Index(None, "renew_at"), Index(None, "not_after"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    chain_pem: Mapped[str] = mapped_column(Text)
    private_key_enc: Mapped[str] = mapped_column(Text)
    csr_pem: Mapped[str] = mapped_column(Text)
    csr_id: Mapped[int | None] = mapped_column(ForeignKey("csr.id", ondelete="SET NULL"))
    acme_directory: Mapped[str] = mapped_column(String(512))
    order_url: Mapped[str | None] = mapped_column(String(512))
    acme_account_id: Mapped[int | None] = mapped_column(ForeignKey("acme_account.id"))
    #: domain → DNS authenticator id
    domains_authenticators: Mapped[dict[str, int]] = mapped_column(JSON)
    renew_days: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    serial: Mapped[str] = mapped_column(String(128))
    issuer: Mapped[str] = mapped_column(Text)
    ari_window_start: Mapped[datetime | None]
    ari_window_end: Mapped[datetime | None]
    ari_chosen_at: Mapped[datetime | None]
    renew_at: Mapped[datetime | None]
    renew_reason: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    revoked_at: Mapped[datetime | None]
    new_key_on_renewal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deploy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DNSAuthenticatorRow(Base):
    """A configured DNS-01 authenticator; its attributes are one encrypted JSON document."""

    __tablename__ = "dns_authenticator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    attributes_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class JobRow(Base):
    """A persisted unit of long work (issuance, renewal) with progress, claimed by one worker."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        Index(None, "state", "created_at"),
        Index(None, "certificate_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="WAITING", server_default="WAITING")
    progress_percent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    progress_description: Mapped[str] = mapped_column(String(512), default="")
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="SET NULL")
    )
    #: The DNS records the job wrote (or is about to write) and has not removed yet, so that a
    #: job interrupted by a crash can be cleaned up on the next start; migration 0002.
    dns_records: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: Secret arguments (an EAB HMAC key) sealed by the SecretBox while the job waits or runs;
    #: cleared when it finishes, so ``rotate_secrets`` need not walk it; migration 0002.
    secrets_enc: Mapped[str | None] = mapped_column(Text)


class UserRow(Base):
    """Someone who can log in; only an argon2 hash of the password is kept."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class APITokenRow(Base):
    """An API token; only the SHA-256 of the token is kept, plus a prefix to recognise it by."""

    __tablename__ = "api_token"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A web UI login session; only the SHA-256 of the cookie value is kept."""

    __tablename__ = "web_session"
    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEventRow(Base):
    """Who did what to which object, and when (logins, private key views, deletes)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index(None, "at"), Index(None, "object_kind", "object_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    object_kind: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_name: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client: Mapped[str | None] = mapped_column(String(255))


class AlertSentRow(Base):
    """An alert that was notified (kind and certificate name) and when; the scheduler claims a
    row before sending, so instances sharing the database send each alert once. Migration 0003.
    """

    __tablename__ = "alert_sent"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    certificate: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime]


class ARIPollRow(Base):
    """When to ask the CA for a certificate's renewal information next; the serial it was asked
    about, so that a renewed certificate is asked about at once. Migration 0003."""

    __tablename__ = "ari_poll"

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    serial: Mapped[str] = mapped_column(String(128))
    next_poll_at: Mapped[datetime]


def include_object_for(
    dialect_name: str,
) -> Callable[[object, str | None, str, bool, object], bool]:
    """An Alembic ``include_object`` hook for ``dialect_name``: an index limited to other dialects
    (``ddl_if``) is not expected in this database, so its absence is no difference."""

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        if type_ == "index" and isinstance(obj, Index) and obj._ddl_if is not None:
            wanted = obj._ddl_if.dialect
            if isinstance(wanted, str):
                return wanted == dialect_name
            if wanted is not None:
                return dialect_name in wanted
        return True

    return include_object


#: Every encrypted column, as (row class, attribute name); ``rotate_secrets`` walks this list
#: (NULLs skipped). A new encrypted column must be added here.
ENCRYPTED_COLUMNS: tuple[tuple[type[Base], str], ...] = (
    (CSRRow, "private_key_enc"),
    (CertificateRow, "private_key_enc"),
    (ACMEAccountRow, "account_key_enc"),
    (DNSAuthenticatorRow, "attributes_enc"),
    (JobRow, "secrets_enc"),
)
