"""``certdesk cert set``, ``cert deploy`` and ``cert show`` on a stored certificate (the row
inserted directly; no CA needed): settings and targets are stored and shown, bad targets exit 2
with every error at ``deploy.*``, ``--now`` runs the command, ``--clear`` removes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.cli.main import main
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from certdesk.storage.models import CertificateRow
from tests.integration.renewal.helpers import DAY, add


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("CERTDESK_DATABASE_URL", "CERTDESK_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    ctx = AppContext.open(Settings(data_dir=data))
    try:
        add(ctx, "web", expires_in=40 * DAY)
    finally:
        ctx.close()
    yield data


def run(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(data_dir: Path) -> CertificateRow:
    ctx = AppContext.open(Settings(data_dir=data_dir))
    try:
        with ctx.db.session() as session:
            row = session.query(CertificateRow).filter_by(name="web").one()
            session.expunge(row)
            return row
    finally:
        ctx.close()


def test_set_deploy_show_and_clear(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(data_dir, capsys, "cert", "set", "web", "--new-key-on-renewal")
    assert code == 0, err
    assert "new key on renewal yes" in out
    assert stored(data_dir).new_key_on_renewal is True

    hook = tmp_path / "hook.sh"
    seen = tmp_path / "seen.txt"
    hook.write_text('#!/bin/sh\necho "$CERTDESK_CERT_NAME $GREETING" > "$OUT"\n')
    hook.chmod(0o755)
    code, out, err = run(
        data_dir,
        capsys,
        "cert",
        "deploy",
        "web",
        "--dir",
        str(tmp_path / "out"),
        "--key-mode",
        "0600",
        "--command",
        str(hook),
        "--env",
        "GREETING=hello",
        "--env",
        f"OUT={seen}",
    )
    assert code == 0, err
    assert f"directory {tmp_path / 'out'}" in out and f"command {hook}" in out
    targets = stored(data_dir).deploy
    assert targets is not None
    assert targets["directory"]["key_mode"] == "0600"
    assert targets["command"]["env"] == {"GREETING": "hello", "OUT": str(seen)}

    code, out, err = run(data_dir, capsys, "cert", "show", "web")
    assert code == 0, err
    assert "New key on renewal  yes" in out
    assert f"command {hook}" in out
    assert "hello" not in out  # environment values are not shown
    assert "Failed renewals" in out

    code, out, err = run(data_dir, capsys, "cert", "show", "web", "--json")
    shown = json.loads(out)
    assert shown["deploy"]["command"]["env"] == {"GREETING": "<redacted>", "OUT": "<redacted>"}

    code, out, err = run(data_dir, capsys, "cert", "deploy", "web", "--clear")
    assert code == 0, err
    assert "none" in out
    assert stored(data_dir).deploy is None


def test_deploy_now_runs_the_command(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = tmp_path / "hook.sh"
    seen = tmp_path / "seen.txt"
    hook.write_text('#!/bin/sh\necho "$CERTDESK_CERT_NAME" > "$1"\n')
    hook.chmod(0o755)
    spec = tmp_path / "targets.json"
    spec.write_text(json.dumps({"command": {"argv": [str(hook), str(seen)]}}))
    code, out, err = run(data_dir, capsys, "cert", "deploy", "web", "--deploy-json", str(spec))
    assert code == 0, err
    code, out, err = run(data_dir, capsys, "cert", "deploy", "web", "--now")
    assert code == 0, err + out
    assert out.startswith("Deploy ok")
    assert seen.read_text() == "web\n"


def test_bad_targets_exit_2_with_every_error(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        data_dir,
        capsys,
        "cert",
        "deploy",
        "web",
        "--dir",
        "relative",
        "--key-mode",
        "0777",
        "--command",
        str(tmp_path / "missing"),
    )
    assert code == 2
    for field in ("deploy.directory.path", "deploy.directory.key_mode", "deploy.command.argv.0"):
        assert field in err
    assert stored(data_dir).deploy is None
