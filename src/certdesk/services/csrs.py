"""CSR use cases: create, import, list, show, rename, delete and download Certificate Signing
Requests. Each call is one transaction; the files services read are written before it commits."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from certdesk.crypto import csr as csr_mod
from certdesk.crypto import details as details_mod
from certdesk.crypto import keys as keys_mod
from certdesk.crypto import names, spec
from certdesk.errors import Conflict, FieldError, InvalidInput
from certdesk.services import audit, downloads
from certdesk.services.context import Actor, AppContext
from certdesk.services.paging import check_page
from certdesk.services.schemas import (
    CertExtensionsIn,
    CSRCreate,
    CSRDetails,
    CSRImport,
    CSRPage,
    CSRRename,
    CSRSummary,
    DownloadFile,
)
from certdesk.storage.common import name_exists
from certdesk.storage.csrs import CSRRecord, CSRRepository, NewCSR
from certdesk.storage.models import CertificateRow

MAX_PAGE = 500


def _extensions_spec(ext: CertExtensionsIn | None) -> spec.ExtensionsSpec | None:
    if ext is None:
        return None
    bc, aki, eku, ku = (
        ext.BasicConstraints,
        ext.AuthorityKeyIdentifier,
        ext.ExtendedKeyUsage,
        ext.KeyUsage,
    )
    return spec.ExtensionsSpec(
        basic_constraints=spec.BasicConstraintsSpec(**bc.model_dump()),
        authority_key_identifier=spec.AuthorityKeyIdentifierSpec(**aki.model_dump()),
        extended_key_usage=spec.ExtendedKeyUsageSpec(
            enabled=eku.enabled,
            usages=tuple(eku.usages),
            extension_critical=eku.extension_critical,
        ),
        key_usage=spec.KeyUsageSpec(**ku.model_dump()),
    )


def _check_certificate_name_free(session: Session, name: str) -> None:
    """Names are unique across CSRs and certificates, as they share the files directory (the
    CSR repository checks CSR names itself)."""
    if name_exists(session, CertificateRow.name, name):
        raise Conflict(f"A certificate named '{name}' already exists: choose another name.", "name")


def create(ctx: AppContext, data: CSRCreate, actor: Actor) -> CSRDetails:
    """Generate a key and a CSR from ``data``; every input error is reported at once."""
    errors = names.check_name(data.name)
    request = spec.CSRRequest(
        key_type=data.key_type,
        key_length=data.key_length,
        ec_curve=data.ec_curve,
        digest_algorithm=data.digest_algorithm,
        country=data.country,
        state=data.state,
        city=data.city,
        organization=data.organization,
        organizational_unit=data.organizational_unit,
        email=data.email,
        common=data.common,
        san=tuple(data.san),
        cert_extensions=_extensions_spec(data.cert_extensions),
        profile=data.profile,
    )
    try:
        csr_spec, warnings = spec.validate_csr_request(request)
    except InvalidInput as exc:
        raise InvalidInput([*errors, *exc.errors]) from None
    if errors:
        raise InvalidInput(errors)
    key = keys_mod.generate_private_key(csr_spec.key)
    csr = csr_mod.build_csr(csr_spec, key)
    details = _store(ctx, name=data.name, csr=csr, key=key, source="created", actor=actor)
    extra = [w for w in warnings if w not in details.warnings]
    return details.model_copy(update={"warnings": [*details.warnings, *extra]})


def _decode_text_or_der(value: str) -> bytes:
    """PEM text as is; otherwise base64 of DER (as JSON cannot carry raw bytes)."""
    if "-----BEGIN" in value:
        return value.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return value.encode("utf-8", "surrogatepass")


def import_csr(ctx: AppContext, data: CSRImport, actor: Actor) -> CSRDetails:
    """Import a CSR (PEM or base64 DER) and its private key (optionally encrypted)."""
    passphrase = data.passphrase.encode("utf-8", "surrogatepass") if data.passphrase else None
    return import_bytes(
        ctx,
        name=data.name,
        csr_data=_decode_text_or_der(data.CSR),
        key_data=_decode_text_or_der(data.privatekey),
        passphrase=passphrase,
        actor=actor,
    )


def import_bytes(
    ctx: AppContext,
    *,
    name: str,
    csr_data: bytes,
    key_data: bytes,
    passphrase: bytes | None,
    actor: Actor,
) -> CSRDetails:
    """Import from raw bytes (PEM or DER), as the CLI reads them from files."""
    errors: list[FieldError] = list(names.check_name(name))
    csr: x509.CertificateSigningRequest | None = None
    key: keys_mod.PrivateKey | None = None
    try:
        csr = csr_mod.load_csr(csr_data)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    try:
        key = keys_mod.load_private_key(key_data, passphrase)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if csr is not None and key is not None:
        try:
            csr_mod.check_key_matches(key, csr)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors or csr is None or key is None:
        raise InvalidInput(errors)
    return _store(ctx, name=name, csr=csr, key=key, source="imported", actor=actor)


def _store(
    ctx: AppContext,
    *,
    name: str,
    csr: x509.CertificateSigningRequest,
    key: keys_mod.PrivateKey,
    source: str,
    actor: Actor,
) -> CSRDetails:
    """Store the row, its audit event and its files in one transaction."""
    csr_pem = csr_mod.csr_pem(csr)
    key_pem = keys_mod.private_key_pem(key)
    info = details_mod.csr_details(csr)
    key_info = keys_mod.key_description(key)
    with ctx.db.session() as session:
        repo = CSRRepository(session, ctx.box, ctx.clock)
        _check_certificate_name_free(session, name)
        record = repo.add(
            NewCSR(
                name=name,
                csr_pem=csr_pem.decode("ascii"),
                private_key_pem=key_pem,
                key_type=key_info.key_type,
                key_length=key_info.key_length,
                ec_curve=key_info.ec_curve,
                digest_algorithm=info.digest_algorithm,
                common=info.common,
                sans=tuple(info.san),
                source=source,
            )
        )
        audit.record(
            ctx,
            actor,
            "csr.create" if source == "created" else "csr.import",
            object_kind="csr",
            object_id=record.id,
            object_name=name,
            session=session,
        )
        ctx.files.write(name, csr_pem=csr_pem, key_pem=key_pem)
    return _details(ctx, record, info)


def _details(
    ctx: AppContext, record: CSRRecord, info: details_mod.CSRDetails | None = None
) -> CSRDetails:
    if info is None:
        info = details_mod.csr_details(csr_mod.load_csr(record.csr_pem.encode("ascii")))
    paths = ctx.files.paths(record.name)
    return CSRDetails(
        id=record.id,
        name=record.name,
        create_type=(
            "CERTIFICATE_CREATE_CSR"
            if record.source == "created"
            else "CERTIFICATE_CREATE_IMPORTED_CSR"
        ),
        cert_type=info.cert_type,
        source=record.source,
        key_type=record.key_type,
        key_length=record.key_length,
        ec_curve=record.ec_curve,
        digest_algorithm=info.digest_algorithm,
        common=info.common,
        san=list(info.san),
        DN=info.DN,
        country=info.country,
        state=info.state,
        city=info.city,
        organization=info.organization,
        organizational_unit=info.organizational_unit,
        email=info.email,
        extensions=info.extensions_dict(),
        root_path=str(ctx.settings.certificates_dir),
        csr_path=str(paths.csr),
        privatekey_path=str(paths.key),
        fingerprint_sha256=info.fingerprint_sha256,
        created_at=record.created_at,
        updated_at=record.updated_at,
        warnings=list(info.warnings),
    )


def _summary(record: CSRRecord) -> CSRSummary:
    return CSRSummary(
        id=record.id,
        name=record.name,
        common=record.common,
        san=list(record.sans),
        key_type=record.key_type,
        key_length=record.key_length,
        ec_curve=record.ec_curve,
        source=record.source,
        created_at=record.created_at,
    )


def list_csrs(
    ctx: AppContext, limit: int = 50, offset: int = 0, search: str | None = None
) -> CSRPage:
    check_page(limit, offset, MAX_PAGE)
    with ctx.db.session() as session:
        rows, total = CSRRepository(session, ctx.box, ctx.clock).list(limit, offset, search or None)
    return CSRPage(items=[_summary(r) for r in rows], total=total)


def _record(ctx: AppContext, csr_id: int) -> CSRRecord:
    with ctx.db.session() as session:
        return CSRRepository(session, ctx.box, ctx.clock).get(csr_id)


def get(ctx: AppContext, csr_id: int) -> CSRDetails:
    return _details(ctx, _record(ctx, csr_id))


def get_by_name(ctx: AppContext, name: str) -> CSRDetails:
    with ctx.db.session() as session:
        record = CSRRepository(session, ctx.box, ctx.clock).get_by_name(name)
    return _details(ctx, record)


def id_for_name(ctx: AppContext, name: str) -> int:
    with ctx.db.session() as session:
        return CSRRepository(session, ctx.box, ctx.clock).get_by_name(name).id


def rename(ctx: AppContext, csr_id: int, data: CSRRename, actor: Actor) -> CSRDetails:
    errors = names.check_name(data.name)
    if errors:
        raise InvalidInput(errors)
    with ctx.db.session() as session:
        repo = CSRRepository(session, ctx.box, ctx.clock)
        old = repo.get(csr_id)
        if old.name == data.name:
            return _details(ctx, old)
        _check_certificate_name_free(session, data.name)
        record = repo.rename(csr_id, data.name)
        audit.record(
            ctx,
            actor,
            "csr.rename",
            object_kind="csr",
            object_id=csr_id,
            object_name=data.name,
            detail={"old_name": old.name},
            session=session,
        )
        ctx.files.rename(old.name, data.name)
    return _details(ctx, record)


def certificates_from(ctx: AppContext, csr_id: int) -> Sequence[str]:
    """Names of the certificates issued from this CSR."""
    with ctx.db.session() as session:
        return list(
            session.scalars(select(CertificateRow.name).where(CertificateRow.csr_id == csr_id))
        )


def delete(ctx: AppContext, csr_id: int, force: bool, actor: Actor) -> None:
    """Delete a CSR, its key and files. Certificates issued from it keep their own copy of the CSR
    and key; without ``force`` the deletion is refused while such certificates exist."""
    record = _record(ctx, csr_id)
    issued = certificates_from(ctx, csr_id)
    if issued and not force:
        raise Conflict(
            f"Certificates were issued from CSR '{record.name}': {', '.join(issued)}. "
            "They keep their own copy of the CSR and key; use Force to delete the CSR anyway."
        )
    with ctx.db.session() as session:
        CSRRepository(session, ctx.box, ctx.clock).delete(csr_id)
        audit.record(
            ctx,
            actor,
            "csr.delete",
            object_kind="csr",
            object_id=csr_id,
            object_name=record.name,
            detail={"force": force},
            session=session,
        )
        ctx.files.remove(record.name)


def csr_file(ctx: AppContext, csr_id: int) -> DownloadFile:
    record = _record(ctx, csr_id)
    return downloads.pem_file(record.name, "csr", "application/pkcs10", record.csr_pem)


def private_key_file(ctx: AppContext, csr_id: int, actor: Actor) -> DownloadFile:
    """The private key as unencrypted PKCS#8 PEM; every hand-out is in the audit log."""
    return downloads.private_key_file(ctx, actor, "csr", csr_id, CSRRepository)


def domains(ctx: AppContext, csr_id: int) -> list[str]:
    """The domain names that need a DNS authenticator to turn this CSR into a certificate."""
    record = _record(ctx, csr_id)
    info = details_mod.csr_details(csr_mod.load_csr(record.csr_pem.encode("ascii")))
    return list(details_mod.domain_labels(info))
