"""Deploy targets stored with each certificate, and deploying a stored certificate to them.

``set_targets`` validates request data (every problem at once, at ``deploy.…`` paths) and keeps
the targets in the certificate's ``deploy`` column; ``deploy_certificate`` writes the stored
chain and key to the directory target and runs the command target (``deploy.py``), after the
issue or renewal job has written ``<data dir>/certificates/<name>.crt`` and ``.key``. The job
puts the returned ``DeployResult.as_dict()`` under ``deploy`` in its result, where the UI shows
it and the alerts find a failed deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from certdesk.errors import NotFound, StorageError
from certdesk.services.context import AppContext
from certdesk.services.deploy import DeployResult, DeployTargets, deploy, validate_targets
from certdesk.storage.models import CertificateRow, JobRow

CERTIFICATE_JOB_KINDS = ("acme.issue", "acme.renew")
REDACTED = "<redacted>"


def _row(session: Session, certificate_id: int) -> CertificateRow:
    row = session.get(CertificateRow, certificate_id)
    if row is None:
        raise NotFound("certificate", certificate_id)
    return row


def stored_targets(raw: Mapping[str, Any] | None, name: str) -> DeployTargets | None:
    """The targets kept in a ``deploy`` column value; None when there are none."""
    if not raw:
        return None
    try:
        return DeployTargets.model_validate(raw)
    except ValidationError:
        raise StorageError(
            f"The deploy targets stored for certificate '{name}' are not valid; set them again."
        ) from None


def set_targets(
    ctx: AppContext, certificate_id: int, data: Mapping[str, Any] | None
) -> DeployTargets | None:
    """Validate ``data`` (``InvalidInput`` with every problem) and store it; None or an empty
    mapping removes the targets."""
    targets = validate_targets(data) if data else None
    if targets is not None and targets.directory is None and targets.command is None:
        targets = None
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        row.deploy = targets.model_dump(mode="json") if targets is not None else None
        row.updated_at = ctx.clock.now()
    return targets


def get_targets(ctx: AppContext, certificate_id: int) -> DeployTargets | None:
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        return stored_targets(row.deploy, row.name)


def deploy_certificate(ctx: AppContext, certificate_id: int) -> DeployResult:
    """Deploy the stored certificate and key to its targets; each step's outcome is in the
    result (an empty result when it has none)."""
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        targets = stored_targets(row.deploy, row.name)
        if targets is None:
            return DeployResult()
        name, chain_pem = row.name, row.chain_pem.encode("ascii")
        key_pem = ctx.box.decrypt(row.private_key_enc)
    return deploy(name, chain_pem, key_pem, targets, ctx.settings.certificates_dir)


def shown_targets(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored targets as the API and UI show them: the command's environment values are
    replaced by ``<redacted>`` (they may hold credentials), the names stay."""
    if not raw:
        return None
    shown = {
        key: dict(value) if isinstance(value, Mapping) else value for key, value in raw.items()
    }
    command = shown.get("command")
    if isinstance(command, dict) and isinstance(command.get("env"), Mapping):
        command["env"] = {name: REDACTED for name in command["env"]}
    return shown


def last_deploy(ctx: AppContext, certificate_id: int) -> dict[str, Any] | None:
    """The deploy outcome (``DeployResult.as_dict()`` plus ``job_id`` and ``finished_at``) of the
    certificate's latest finished issue or renewal job that deployed; None when none did."""
    with ctx.db.session() as session:
        jobs = session.execute(
            select(JobRow.id, JobRow.result, JobRow.finished_at)
            .where(
                JobRow.certificate_id == certificate_id,
                JobRow.kind.in_(CERTIFICATE_JOB_KINDS),
                JobRow.state == "SUCCESS",
            )
            .order_by(JobRow.id.desc())
            .limit(1)
        ).first()
    if jobs is None:
        return None
    job_id, result, finished_at = jobs
    outcome = (result or {}).get("deploy")
    if not isinstance(outcome, dict) or not outcome.get("steps"):
        return None
    return {
        **outcome,
        "job_id": job_id,
        "finished_at": finished_at.isoformat() if finished_at else None,
    }
