"""Key rotation (``certdesk secrets rotate``) on SQLite and PostgreSQL: every encrypted column is
re-encrypted under a new first key in the key file; old tokens then open only with the new file's
keys; keys from the environment are never changed; a wrong key refuses before anything changes."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from certdesk.errors import StorageError
from certdesk.settings import Settings
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.models import (
    ENCRYPTED_COLUMNS,
    ACMEAccountRow,
    CertificateRow,
    DNSAuthenticatorRow,
    JobRow,
)
from certdesk.storage.secrets import (
    KEY_FILE_NAME,
    SecretBox,
    generate_key,
    load_secret_box,
    read_key_file,
    rotate_secrets,
)
from tests.integration.storage.helpers import new_csr

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fill(database: Database, box: SecretBox) -> dict[str, bytes]:
    """One or more rows in every table with an encrypted column; returns name → plaintext."""
    plain = {
        "csr-a": b"key of csr-a",  # what new_csr() stores as the key
        "csr-b": b"key of csr-b",
        "cert": b"certificate key",
        "acme_account": b"account key",
        "auth": b'{"key_secret":"tsig"}',
        "job": b"EAB HMAC key",
    }
    with database.session() as session:
        repo = CSRRepository(session, box)
        repo.add(new_csr("csr-a"))
        repo.add(new_csr("csr-b"))
        session.flush()
        account = ACMEAccountRow(
            directory_url="https://ca.test/dir",
            account_url="https://ca.test/acct/1",
            account_key_enc=box.encrypt(plain["acme_account"]),
            created_at=NOW,
        )
        session.add(account)
        session.flush()
        session.add(
            CertificateRow(
                name="cert",
                chain_pem="chain",
                private_key_enc=box.encrypt(plain["cert"]),
                csr_pem="csr",
                acme_directory="https://ca.test/dir",
                acme_account_id=account.id,
                domains_authenticators={"example.com": 1},
                not_before=NOW,
                not_after=NOW,
                serial="01",
                issuer="CN=test",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            JobRow(
                kind="issue", arguments={}, created_at=NOW, secrets_enc=box.encrypt(plain["job"])
            )
        )
        session.add(JobRow(kind="renew", arguments={}, created_at=NOW))  # no secrets: skipped
        session.add(
            DNSAuthenticatorRow(
                name="auth",
                type="rfc2136",
                attributes_enc=box.encrypt(plain["auth"]),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return plain


def tokens(database: Database) -> dict[str, str]:
    found: dict[str, str] = {}
    with database.session() as session:
        for row_class, attribute in ENCRYPTED_COLUMNS:
            for row in session.scalars(select(row_class)):
                token = getattr(row, attribute)
                if token is not None:
                    found[getattr(row, "name", None) or row_class.__tablename__] = token
    return found


def opens_all(keys: tuple[str, ...], found: dict[str, str], plain: dict[str, bytes]) -> bool:
    box = SecretBox(keys, source="test")
    try:
        return all(box.decrypt(found[name]) == plain[name] for name in plain)
    except StorageError:
        return False


def test_rotate_with_the_key_file(database: Database, settings: Settings, box: SecretBox) -> None:
    plain = fill(database, box)
    before = tokens(database)
    path = settings.data_dir / KEY_FILE_NAME
    old_keys = read_key_file(path)

    report = rotate_secrets(database, settings)

    assert report.new_key_created
    assert str(path) in report.key_source
    assert report.key_count == 2
    assert report.counts == {
        "csr.private_key_enc": 2,
        "certificate.private_key_enc": 1,
        "acme_account.account_key_enc": 1,
        "dns_authenticator.attributes_enc": 1,
        "job.secrets_enc": 1,
    }
    assert report.total == 6
    assert str(report).startswith(
        f"6 secrets re-encrypted under a new key, put first in the key file {path}"
    )
    new_keys = read_key_file(path)
    assert len(new_keys) == 2 and new_keys[1:] == old_keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    after = tokens(database)
    assert all(after[name] != before[name] for name in plain)
    # Every new token is under the new first key; the old key alone opens none of them.
    for name in plain:
        assert Fernet(new_keys[0]).decrypt(after[name].encode()) == plain[name]
        with pytest.raises(InvalidToken):
            Fernet(old_keys[0]).decrypt(after[name].encode())
    assert not opens_all(old_keys, after, plain)
    # The new file's keys open everything, old tokens (e.g. from a backup) included.
    assert opens_all(new_keys, after, plain)
    assert opens_all(new_keys, before, plain)
    fresh = load_secret_box(settings)
    with database.session() as session:
        assert CSRRepository(session, fresh).private_key_pem(1) == plain["csr-a"]
    # The box loaded before the rotation picks the new key file up by itself.
    assert box.decrypt(after["auth"]) == plain["auth"]


def test_rotate_refuses_a_single_key_from_the_environment(
    database: Database, settings: Settings
) -> None:
    env_settings = replace(settings, secret_keys=(generate_key(),))
    fill(database, load_secret_box(env_settings))
    before = tokens(database)
    with pytest.raises(StorageError) as caught:
        rotate_secrets(database, env_settings)
    message = caught.value.message
    assert "CERTDESK_SECRET_KEYS" in message
    assert "put it first" in message
    assert env_settings.secret_keys[0] not in message
    assert tokens(database) == before
    assert not (settings.data_dir / KEY_FILE_NAME).exists()


def test_rotate_under_the_first_environment_key(database: Database, settings: Settings) -> None:
    old = generate_key()
    plain = fill(database, load_secret_box(replace(settings, secret_keys=(old,))))
    new = generate_key()
    env_settings = replace(settings, secret_keys=(new, old))
    report = rotate_secrets(database, env_settings)
    assert not report.new_key_created
    assert "CERTDESK_SECRET_KEYS" in report.key_source
    assert report.total == 6
    after = tokens(database)
    assert opens_all((new,), after, plain)
    assert not opens_all((old,), after, plain)
    assert not (settings.data_dir / KEY_FILE_NAME).exists()


def test_rotate_with_a_wrong_key_changes_nothing(database: Database, settings: Settings) -> None:
    fill(database, SecretBox((generate_key(),), source="another installation"))
    before = tokens(database)
    load_secret_box(settings)  # a key file, but not the one these rows were sealed with
    path = settings.data_dir / KEY_FILE_NAME
    file_before = path.read_bytes()
    with pytest.raises(StorageError, match="wrong or missing"):
        rotate_secrets(database, settings)
    assert path.read_bytes() == file_before
    assert tokens(database) == before
