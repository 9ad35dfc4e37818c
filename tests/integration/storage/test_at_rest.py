"""Encryption at rest: after CSRs with real RSA and EC private keys are stored, neither the
SQLite database file nor its WAL holds the key in any form (PEM header, PEM body, PKCS#8 or
traditional DER, or a raw private number); on PostgreSQL no column of the row holds it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from certdesk.settings import Settings
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.models import CSRRow
from certdesk.storage.secrets import SecretBox, load_secret_box, rotate_secrets
from tests.integration.storage.helpers import KeyAndCSR, make_key_and_csr, new_csr


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def secret_fragments(material: KeyAndCSR) -> dict[str, bytes]:
    """Every form in which the key could leak, each long enough to be unmistakable."""
    key = material.key
    fragments = {
        "PEM header": b"PRIVATE KEY",
        "PKCS#8 DER": key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "traditional DER": key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    }
    body = b"".join(material.key_pem.splitlines()[1:-1])
    for index in range(0, len(body) - 48, 48):  # every slice of the PEM body
        fragments[f"PEM body at {index}"] = body[index : index + 48]
    fragments["PEM body (base64 of DER)"] = base64.b64encode(fragments["PKCS#8 DER"])[:64]
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        for name in ("d", "p", "q", "dmp1", "dmq1", "iqmp"):
            fragments[f"RSA {name}"] = _int_bytes(getattr(numbers, name))
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        fragments["EC private value"] = key.private_numbers().private_value.to_bytes(32, "big")
    return fragments


@pytest.fixture
def stored(database: Database, box: SecretBox) -> list[KeyAndCSR]:
    materials = [
        make_key_and_csr("rsa.example.com", ("rsa.example.com",), key_type="RSA"),
        make_key_and_csr("ec.example.com", ("ec.example.com",), key_type="EC"),
    ]
    with database.session() as session:
        repo = CSRRepository(session, box)
        for index, material in enumerate(materials):
            repo.add(new_csr(f"csr{index}", material=material))
    return materials


def test_sqlite_files_hold_no_key_material(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    db = Database(settings)
    try:
        db.upgrade()
        box = load_secret_box(settings)
        materials = [
            make_key_and_csr("rsa.example.com", ("rsa.example.com",), key_type="RSA"),
            make_key_and_csr("ec.example.com", ("ec.example.com",), key_type="EC"),
        ]
        with db.session() as session:
            repo = CSRRepository(session, box)
            for index, material in enumerate(materials):
                repo.add(new_csr(f"csr{index}", material=material))
        db_file = tmp_path / "data" / "certdesk.db"
        wal = db_file.with_name("certdesk.db-wal")
        assert wal.exists() and wal.stat().st_size > 0  # the rows are in the WAL right now
        images = {path.name: path.read_bytes() for path in db_file.parent.glob("certdesk.db*")}
        with db.engine.connect() as connection:  # and once more after a checkpoint
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        images["certdesk.db after checkpoint"] = db_file.read_bytes()
        # The CSRs themselves are there (the search is not looking at an empty file).
        assert (
            materials[0].csr_pem.splitlines()[1].encode() in images["certdesk.db after checkpoint"]
        )
        with db.session() as session:
            repo = CSRRepository(session, box)
            assert [repo.private_key_pem(r.id) for r in repo.list(10, 0)[0]] == [
                m.key_pem for m in materials
            ]
    finally:
        db.dispose()
    for material in materials:
        for what, fragment in secret_fragments(material).items():
            for image_name, image in images.items():
                assert fragment not in image, f"{what} found in {image_name}"


def test_no_column_holds_key_material(database: Database, stored: list[KeyAndCSR]) -> None:
    with database.engine.connect() as connection:
        rows = connection.execute(select(CSRRow.__table__)).all()
    dump = "\n".join(str(value) for row in rows for value in row).encode()
    for material in stored:
        for what, fragment in secret_fragments(material).items():
            assert fragment not in dump, f"{what} found in a column"


def test_replaced_and_deleted_tokens_leave_the_sqlite_files(tmp_path: Path) -> None:
    """After a rotation no old-key token is left anywhere in the files (secure delete and a
    checkpoint), nor is the token of a deleted CSR."""
    settings = Settings(data_dir=tmp_path / "data")
    db = Database(settings)
    try:
        db.upgrade()
        box = load_secret_box(settings)
        with db.session() as session:
            repo = CSRRepository(session, box)
            ids = [repo.add(new_csr(f"csr{i}")).id for i in range(20)]
        with db.engine.connect() as connection:
            old_tokens = [t for (t,) in connection.execute(select(CSRRow.private_key_enc))]
        with db.session() as session:
            CSRRepository(session, box).delete(ids[0])
        db.checkpoint()
        assert len(old_tokens) == 20
        rotate_secrets(db, settings)
        with db.engine.connect() as connection:
            new_tokens = [t for (t,) in connection.execute(select(CSRRow.private_key_enc))]
        assert len(new_tokens) == 19
        assert set(new_tokens).isdisjoint(old_tokens)
        images = {p.name: p.read_bytes() for p in settings.data_dir.glob("certdesk.db*")}
    finally:
        db.dispose()
    assert any(new_tokens[0].encode() in image for image in images.values())
    for token in old_tokens:
        for name, image in images.items():
            assert token.encode() not in image, f"an old token is still in {name}"
