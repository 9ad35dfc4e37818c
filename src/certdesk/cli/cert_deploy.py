"""``certdesk cert set`` and ``certdesk cert deploy``: a certificate's renewal settings (Renew
Certificate Days, New Key on Renewal) and its deploy targets, through the same service call as
``PATCH /api/v1/certificates/{id}``; ``deploy --now`` deploys the stored certificate at once and
prints each step's outcome. Targets come from options (``--dir``, ``--owner``, ``--group``,
``--cert-mode``, ``--key-mode``, ``--command`` once per argument, ``--env NAME=VALUE``,
``--timeout``) or whole from ``--deploy-json FILE`` (``-``: standard input); ``--clear``
removes them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from certdesk.cli.common import open_context
from certdesk.errors import FieldError, InvalidInput
from certdesk.services import certificates, deployment
from certdesk.services.certificate_schemas import CertificateUpdate
from certdesk.services.context import AppContext, cli_actor

IdLookup = Callable[[AppContext, str], int]


def describe_targets(targets: Mapping[str, Any] | None) -> list[str]:
    """One line per target, for ``cert show``."""
    if not targets:
        return []
    lines = []
    directory = targets.get("directory")
    if isinstance(directory, Mapping):
        owner = ":".join(str(v) for v in (directory.get("owner"), directory.get("group")) if v)
        lines.append(f"directory {directory.get('path')}" + (f" ({owner})" if owner else ""))
    command = targets.get("command")
    if isinstance(command, Mapping):
        lines.append("command " + " ".join(str(a) for a in command.get("argv") or []))
    return lines


def describe_outcome(outcome: Mapping[str, Any] | None) -> str | None:
    """``ok``/``failed`` with each step, for ``cert show`` and ``deploy --now``."""
    if not outcome:
        return None
    steps = []
    for step in outcome.get("steps") or []:
        text = f"{step.get('name')} {'ok' if step.get('ok') else 'failed'}"
        if step.get("error"):
            text += f": {step['error']}"
        steps.append(text)
    when = f" at {outcome['finished_at']}" if outcome.get("finished_at") else ""
    return f"{'ok' if outcome.get('ok') else 'FAILED'}{when} ({'; '.join(steps)})"


def _from_json(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput.single("--deploy-json", f"cannot be read: {exc.strerror}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.single(
            "--deploy-json", f"is not JSON (line {exc.lineno}): {exc.msg}."
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput.single("--deploy-json", "must hold a JSON object.")
    return data


def _env(pairs: list[str]) -> dict[str, str]:
    env, errors = {}, []
    for index, pair in enumerate(pairs):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            errors.append(FieldError(f"--env.{index}", "must be NAME=VALUE."))
        env[name] = value
    if errors:
        raise InvalidInput(errors)
    return env


def register(app: typer.Typer, lookup: IdLookup) -> None:
    """Add ``set`` and ``deploy`` to the ``cert`` command group."""

    @app.command("set")
    def set_(
        ctx: typer.Context,
        name: str,
        renew_days: Annotated[
            int | None, typer.Option("--renew-days", help="Renew Certificate Days (1-30).")
        ] = None,
        new_key: Annotated[
            bool | None,
            typer.Option(
                "--new-key-on-renewal/--same-key-on-renewal",
                help="Renew with a newly generated key and CSR, or with the stored ones.",
            ),
        ] = None,
    ) -> None:
        """Change Renew Certificate Days and New Key on Renewal."""
        data = CertificateUpdate(renew_days=renew_days, new_key_on_renewal=new_key)
        with open_context(ctx) as app_ctx:
            details = certificates.update(app_ctx, lookup(app_ctx, name), data, cli_actor())
        renew_at = details.renew_at.isoformat(timespec="seconds") if details.renew_at else "--"
        typer.echo(
            f"Certificate {details.name}: renew days {details.renew_days}, new key on renewal "
            f"{'yes' if details.new_key_on_renewal else 'no'}, renew at {renew_at}."
        )

    @app.command("deploy")
    def deploy(
        ctx: typer.Context,
        name: str,
        directory: Annotated[
            str | None, typer.Option("--dir", help="Absolute directory for the files.")
        ] = None,
        owner: Annotated[str | None, typer.Option(help="Owner of the written files.")] = None,
        group: Annotated[str | None, typer.Option(help="Group of the written files.")] = None,
        cert_mode: Annotated[
            str | None, typer.Option("--cert-mode", help="Mode of the certificate file.")
        ] = None,
        key_mode: Annotated[
            str | None, typer.Option("--key-mode", help="Mode of the key file (0400 or 0600).")
        ] = None,
        command: Annotated[
            list[str] | None,
            typer.Option("--command", help="The command to run after writing; once per argument."),
        ] = None,
        env: Annotated[
            list[str] | None, typer.Option("--env", help="NAME=VALUE for the command.")
        ] = None,
        timeout: Annotated[float | None, typer.Option(help="Seconds the command may take.")] = None,
        deploy_json: Annotated[
            str | None,
            typer.Option("--deploy-json", help="All targets as JSON from a file ('-': stdin)."),
        ] = None,
        clear: Annotated[bool, typer.Option("--clear", help="Remove the targets.")] = False,
        now: Annotated[bool, typer.Option("--now", help="Deploy the stored certificate now.")] = (
            False
        ),
    ) -> None:
        """Set where the certificate goes after issue and renewal (the options replace all
        targets), and deploy it with --now."""
        targets: dict[str, Any] | None = None
        given = any(v is not None for v in (directory, owner, group, cert_mode, key_mode))
        if deploy_json is not None:
            targets = _from_json(deploy_json)
        elif given or command or env or timeout is not None:
            targets = {}
            if given:
                parts = {"path": directory, "owner": owner, "group": group}
                parts |= {"cert_mode": cert_mode, "key_mode": key_mode}
                targets["directory"] = {k: v for k, v in parts.items() if v is not None}
            if command or env or timeout is not None:
                run: dict[str, Any] = {"argv": list(command or [])}
                if env:
                    run["env"] = _env(env)
                if timeout is not None:
                    run["timeout"] = timeout
                targets["command"] = run
        with open_context(ctx) as app_ctx:
            certificate_id = lookup(app_ctx, name)
            if targets is not None or clear:
                data = CertificateUpdate.model_validate({"deploy": None if clear else targets})
                details = certificates.update(app_ctx, certificate_id, data, cli_actor())
                lines = describe_targets(details.deploy)
                typer.echo(
                    f"Deploy targets of {details.name}: "
                    + ("; ".join(lines) if lines else "none")
                    + "."
                )
            elif not now:
                raise InvalidInput.single(
                    "--dir", "give --dir, --command, --deploy-json, --clear or --now."
                )
            if now:
                outcome = deployment.deploy_certificate(app_ctx, certificate_id)
                if not outcome.steps:
                    typer.echo("No deploy targets: nothing to do.")
                    return
                typer.echo(f"Deploy {describe_outcome(outcome.as_dict())}.")
                if not outcome.ok:
                    raise typer.Exit(1)
