"""DNS authenticator use cases on SQLite and PostgreSQL: create with every error at once, secrets
never shown and kept when an update omits them, the fixed type, unique names, deletion refused
while a certificate uses one, the audit log without secrets, the Test action against the real
BIND9, and ``load_authenticator`` for the issuance job."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from certdesk.dns.base import DEFAULT_PROPAGATION_TIMEOUT, TXTRecord
from certdesk.dns.registry import get_type
from certdesk.dns.rfc2136 import RFC2136Authenticator
from certdesk.errors import Conflict, DNSError, InvalidInput, NotFound
from certdesk.services import authenticators as svc
from certdesk.services.authenticator_schemas import (
    AuthenticatorCreate,
    AuthenticatorTestIn,
    AuthenticatorUpdate,
)
from certdesk.services.choices import choices
from certdesk.services.context import Actor, AppContext
from certdesk.storage.models import AuditEventRow, CertificateRow, DNSAuthenticatorRow
from tests.fixtures.bind import BindServer

SECRET = "c3VwZXItc2VjcmV0LXRzaWcta2V5LXZhbHVlLTEyMzQ="


def _rfc2136(name: str = "bind", **attributes: object) -> AuthenticatorCreate:
    values: dict[str, object] = {
        "server": "127.0.0.1",
        "port": 5353,
        "key_name": "certdesk-key",
        "key_secret": SECRET,
    }
    values.update(attributes)
    return AuthenticatorCreate(name=name, type="rfc2136", attributes=values)


def _for_bind(bind: BindServer, name: str = "bind", **attributes: object) -> AuthenticatorCreate:
    values: dict[str, object] = {
        "server": bind.host,
        "port": bind.port,
        "key_name": bind.tsig_name,
        "key_secret": bind.tsig_secret,
    }
    values.update(attributes)
    return _rfc2136(name, **values)


def _errors(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def _add_certificate(ctx: AppContext, name: str, mapping: dict[str, int]) -> None:
    now = datetime.now(UTC)
    with ctx.db.session() as session:
        session.add(
            CertificateRow(
                name=name,
                chain_pem="-",
                private_key_enc=ctx.box.encrypt(b"-"),
                csr_pem="-",
                acme_directory="https://acme.invalid/directory",
                domains_authenticators=mapping,
                not_before=now,
                not_after=now + timedelta(days=90),
                serial="01",
                issuer="CN=test",
                created_at=now,
                updated_at=now,
            )
        )


def test_create_shows_everything_but_the_secret(ctx: AppContext, actor: Actor) -> None:
    created = svc.create(ctx, _rfc2136(), actor)

    assert created.name == "bind"
    assert created.type == "rfc2136"
    assert created.attributes == {
        "server": "127.0.0.1",
        "port": 5353,
        "key_name": "certdesk-key.",
        "key_algorithm": "hmac-sha256",
        "zone": None,
    }
    assert created.secrets_set == ["key_secret"]
    assert SECRET not in created.model_dump_json()
    assert svc.get(ctx, created.id) == created
    assert svc.list_authenticators(ctx) == [created]
    assert svc.id_for_name(ctx, "bind") == created.id


def test_every_error_is_reported_at_once(ctx: AppContext, actor: Actor) -> None:
    with pytest.raises(InvalidInput) as exc:
        svc.create(
            ctx,
            AuthenticatorCreate(
                name="", type="rfc2136", attributes={"port": "x", "key_algorithm": "md4"}
            ),
            actor,
        )
    errors = _errors(exc)
    assert set(errors) == {
        "name",
        "attributes.server",
        "attributes.port",
        "attributes.key_name",
        "attributes.key_secret",
        "attributes.key_algorithm",
    }
    assert errors["attributes.port"] == "Must be a whole number."

    with pytest.raises(InvalidInput) as exc:
        svc.create(ctx, AuthenticatorCreate(name="x" * 65, type="cloudflair"), actor)
    errors = _errors(exc)
    assert errors["name"] == "Name can be at most 64 characters long."
    assert "cloudflare" in errors["type"]
    assert svc.list_authenticators(ctx) == []


def test_truenas_rules_of_cloudflare_hold(ctx: AppContext, actor: Actor) -> None:
    with pytest.raises(InvalidInput) as exc:
        svc.create(ctx, AuthenticatorCreate(name="cf", type="cloudflare"), actor)
    assert _errors(exc) == {
        "attributes.api_token": "Attribute must be specified when Global API Key is not specified."
    }
    created = svc.create(
        ctx, AuthenticatorCreate(name="cf", type="cloudflare", attributes={"api_token": "t"}), actor
    )
    assert created.secrets_set == ["api_token"]
    assert created.attributes == {"cloudflare_email": None}


def test_names_are_unique(ctx: AppContext, actor: Actor) -> None:
    svc.create(ctx, _rfc2136("one"), actor)
    two = svc.create(ctx, _rfc2136("two"), actor)
    with pytest.raises(Conflict) as exc:
        svc.create(ctx, _rfc2136("one"), actor)
    assert exc.value.field == "name"
    assert "'one' already exists" in exc.value.message
    with pytest.raises(Conflict):
        svc.update(ctx, two.id, AuthenticatorUpdate(name="one"), actor)
    assert svc.update(ctx, two.id, AuthenticatorUpdate(name="three"), actor).name == "three"


def test_update_merges_attributes_and_keeps_omitted_secrets(ctx: AppContext, actor: Actor) -> None:
    created = svc.create(ctx, _rfc2136(zone="certdesk.test"), actor)

    updated = svc.update(
        ctx, created.id, AuthenticatorUpdate(attributes={"port": 53, "zone": None}), actor
    )
    assert updated.attributes["port"] == 53
    assert updated.attributes["zone"] is None
    assert updated.attributes["server"] == "127.0.0.1"
    assert updated.secrets_set == ["key_secret"]
    loaded = svc.load_authenticator(ctx, created.id)
    assert isinstance(loaded, RFC2136Authenticator)
    assert loaded.attrs.key_secret.get_secret_value() == SECRET

    new_secret = "bmV3LXNlY3JldA=="
    svc.update(ctx, created.id, AuthenticatorUpdate(attributes={"key_secret": new_secret}), actor)
    reloaded = svc.load_authenticator(ctx, created.id)
    assert isinstance(reloaded, RFC2136Authenticator)
    assert reloaded.attrs.key_secret.get_secret_value() == new_secret
    assert reloaded.attrs.port == 53


def test_update_errors_and_the_fixed_type(ctx: AppContext, actor: Actor) -> None:
    created = svc.create(ctx, _rfc2136(), actor)
    with pytest.raises(InvalidInput) as exc:
        svc.update(
            ctx,
            created.id,
            AuthenticatorUpdate(type="shell", name="", attributes={"key_secret": None}),
            actor,
        )
    errors = _errors(exc)
    assert set(errors) == {"type", "name", "attributes.key_secret"}
    assert errors["type"] == (
        "Authenticator type cannot be changed: create a new authenticator instead."
    )
    # Nothing changed, and naming the current type is fine.
    assert svc.get(ctx, created.id) == created
    same = svc.update(ctx, created.id, AuthenticatorUpdate(type="rfc2136"), actor)
    assert same.attributes == created.attributes
    with pytest.raises(NotFound):
        svc.update(ctx, created.id + 100, AuthenticatorUpdate(name="x"), actor)


def test_cloudflare_switches_from_token_to_global_key(ctx: AppContext, actor: Actor) -> None:
    created = svc.create(
        ctx, AuthenticatorCreate(name="cf", type="cloudflare", attributes={"api_token": "t"}), actor
    )
    with pytest.raises(InvalidInput) as exc:
        svc.update(ctx, created.id, AuthenticatorUpdate(attributes={"api_key": "k"}), actor)
    assert "attributes.api_key" in _errors(exc)
    switched = svc.update(
        ctx,
        created.id,
        AuthenticatorUpdate(
            attributes={"api_token": None, "api_key": "k", "cloudflare_email": "a@example.com"}
        ),
        actor,
    )
    assert switched.secrets_set == ["api_key"]
    assert switched.attributes == {"cloudflare_email": "a@example.com"}


def test_delete_is_refused_while_a_certificate_uses_it(ctx: AppContext, actor: Actor) -> None:
    used = svc.create(ctx, _rfc2136("used"), actor)
    free = svc.create(ctx, _rfc2136("free"), actor)
    _add_certificate(ctx, "web", {"example.com": used.id, "www.example.com": free.id})
    _add_certificate(ctx, "api", {"api.example.com": used.id})

    assert svc.certificates_using(ctx, used.id) == ["api", "web"]
    with pytest.raises(Conflict) as exc:
        svc.delete(ctx, used.id, False, actor)
    assert "api, web" in exc.value.message and "Force" in exc.value.message
    assert svc.get(ctx, used.id).name == "used"

    svc.delete(ctx, used.id, True, actor)
    with pytest.raises(NotFound):
        svc.get(ctx, used.id)
    with ctx.db.session() as session:
        maps = dict(
            session.execute(
                select(CertificateRow.name, CertificateRow.domains_authenticators)
            ).all()
        )
    # A later authenticator that gets the same id must never be used for these domains.
    assert maps == {"web": {"www.example.com": free.id}, "api": {}}
    assert svc.certificates_using(ctx, free.id) == ["web"]
    with pytest.raises(NotFound):
        svc.load_authenticator(ctx, used.id)
    with pytest.raises(NotFound):
        svc.delete(ctx, used.id, True, actor)
    assert [a.name for a in svc.list_authenticators(ctx)] == ["free"]


def test_audit_events_name_attributes_but_hold_no_secret(ctx: AppContext, actor: Actor) -> None:
    created = svc.create(ctx, _rfc2136(), actor)
    svc.update(ctx, created.id, AuthenticatorUpdate(name="renamed", attributes={"port": 53}), actor)
    svc.update(ctx, created.id, AuthenticatorUpdate(attributes={"key_secret": "b3RoZXI="}), actor)
    svc.delete(ctx, created.id, False, actor)
    with ctx.db.session() as session:
        events = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()
        rows = [(e.action, e.object_name, e.actor, e.detail) for e in events]
    assert [r[0] for r in rows] == [
        "authenticator.create",
        "authenticator.update",
        "authenticator.update",
        "authenticator.delete",
    ]
    assert rows[0][3] == {
        "type": "rfc2136",
        "attributes": ["key_name", "key_secret", "port", "server"],
    }
    assert rows[1][1] == "renamed" and rows[1][3] == {"attributes": ["port"], "old_name": "bind"}
    assert rows[3][3] == {"type": "rfc2136", "force": False, "certificates": []}
    assert all(r[2] == "tester" for r in rows)
    assert SECRET not in repr(rows) and "b3RoZXI=" not in repr(rows)


def test_secrets_are_encrypted_at_rest(ctx: AppContext, actor: Actor) -> None:
    svc.create(ctx, _rfc2136(), actor)
    with ctx.db.session() as session:
        text = repr(session.execute(select(DNSAuthenticatorRow.__table__)).all())
    assert SECRET not in text and "certdesk-key" not in text
    if ctx.db.is_sqlite:
        ctx.db.dispose()
        database = Path(str(make_url(ctx.db.url).database))
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        assert database in files
        for path in files:
            assert SECRET.encode() not in path.read_bytes(), path


def test_the_test_action_writes_waits_and_removes(
    ctx: AppContext, actor: Actor, bind_server: BindServer
) -> None:
    created = svc.create(ctx, _for_bind(bind_server), actor)

    result = svc.test(ctx, created.id, AuthenticatorTestIn(domain="svc-test.certdesk.test"), actor)

    assert result.ok, result.error
    assert result.error is None
    assert [(n.address, n.seen) for n in result.nameservers] == [(bind_server.address, True)]
    assert 0 < result.seconds < 3
    assert bind_server.query_txt("_acme-challenge.svc-test.certdesk.test.") == []
    with ctx.db.session() as session:
        actions = session.scalars(select(AuditEventRow.action)).all()
    assert "authenticator.test" in actions


def test_the_test_action_reports_a_refused_key(
    ctx: AppContext, actor: Actor, bind_server: BindServer
) -> None:
    wrong = _for_bind(bind_server, key_secret="d3Jvbmctc2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTAxMg==")
    created = svc.create(ctx, wrong, actor)

    result = svc.test(ctx, created.id, AuthenticatorTestIn(domain="refused.certdesk.test"), actor)

    assert not result.ok
    assert result.error is not None and "TSIG" in result.error
    assert result.nameservers == []
    with pytest.raises(InvalidInput) as exc:
        svc.test(ctx, created.id, AuthenticatorTestIn(domain="not a domain"), actor)
    assert set(_errors(exc)) == {"domain"}


def test_load_authenticator_writes_records_and_names_unusable_settings(
    ctx: AppContext, actor: Actor, bind_server: BindServer, tmp_path: Path
) -> None:
    created = svc.create(ctx, _for_bind(bind_server), actor)
    auth = svc.load_authenticator(ctx, created.id)
    record = TXTRecord.for_domain("load.certdesk.test", "loaded-value")
    auth.perform(record)
    assert bind_server.query_txt(record.fqdn) == ["loaded-value"]
    auth.cleanup(record)

    script = tmp_path / "hook.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    shell = svc.create(
        ctx,
        AuthenticatorCreate(
            name="hook", type="shell", attributes={"script": str(script), "user": user}
        ),
        actor,
    )
    script.unlink()
    with pytest.raises(DNSError) as exc:
        svc.load_authenticator(ctx, shell.id)
    assert "'hook' cannot be used" in exc.value.message
    assert "attributes.script" in exc.value.message


def test_timeouts_follow_the_type_and_the_setting(ctx: AppContext) -> None:
    scale = ctx.settings.propagation_timeout / DEFAULT_PROPAGATION_TIMEOUT
    assert svc.propagation_timeout(ctx.settings, get_type("rfc2136")) == 120.0 * scale
    assert svc.propagation_timeout(ctx.settings, get_type("shell")) == 300.0 * scale
    checker = svc.propagation_checker(ctx)
    assert checker.interval == ctx.settings.propagation_interval


def test_schemas_and_choices_list_every_type() -> None:
    types = [s.type for s in svc.schemas()]
    assert types == sorted(types)
    assert {"rfc2136", "shell", "acme-dns", "cloudflare", "route53", "powerdns"} <= set(types)
    rfc2136 = next(s for s in svc.schemas() if s.type == "rfc2136")
    assert rfc2136.schema_["properties"]["key_secret"]["writeOnly"] is True
    assert [c.value for c in choices().authenticator_types] == types
