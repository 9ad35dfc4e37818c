"""Renewal settings over the REST API on a live server: ``PATCH /certificates/{id}`` takes New
Key on Renewal and the deploy targets (every bad field at once, at ``deploy.*`` paths; the
command's environment values are never shown back), and the details carry the renewal plan, the
failures and the last deploy's outcome."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from certdesk.storage.models import CertificateRow, JobRow
from tests.fixtures.live_server import LiveServer
from tests.integration.api.helpers import assert_problem, fields
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import DAY, add


def test_bad_targets_are_refused_with_every_field(live_server: LiveServer, tmp_path: Path) -> None:
    cert_id = add(live_server.ctx, "site", expires_in=30 * DAY)
    with live_server.client() as client:
        response = client.patch(
            f"/certificates/{cert_id}",
            json={
                "renew_days": 99,
                "deploy": {
                    "directory": {"path": "relative/dir", "owner": "no-such-user-here"},
                    "command": {"argv": [str(tmp_path / "missing.sh")]},
                    "ftp": {},
                },
            },
        )
        problem = assert_problem(response, 422)
        assert {
            "renew_days",
            "deploy.directory.path",
            "deploy.command.argv.0",
            "deploy.ftp",
        } <= fields(problem)
        assert client.get(f"/certificates/{cert_id}").json()["deploy"] is None


def test_targets_and_new_key_are_stored_and_shown(live_server: LiveServer, tmp_path: Path) -> None:
    ctx = live_server.ctx
    cert_id = add(ctx, "shop", expires_in=30 * DAY, renew_at=NOW + 20 * DAY)
    hook = tmp_path / "reload.sh"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    with ctx.db.session() as session:
        row = session.get(CertificateRow, cert_id)
        assert row is not None
        row.renew_reason, row.last_error, row.failure_count = "ARI window", "DNS timeout", 2
        session.add(
            JobRow(
                kind="acme.renew",
                state="SUCCESS",
                arguments={},
                result={
                    "deploy": {
                        "ok": False,
                        "steps": [{"name": "command", "ok": False, "error": "exit status 3"}],
                    }
                },
                created_at=NOW,
                finished_at=NOW + timedelta(seconds=5),
                certificate_id=cert_id,
            )
        )
    with live_server.client() as client:
        response = client.patch(
            f"/certificates/{cert_id}",
            json={
                "new_key_on_renewal": True,
                "deploy": {
                    "directory": {"path": str(tmp_path / "out"), "key_mode": "0600"},
                    "command": {"argv": [str(hook)], "env": {"API_TOKEN": "s3cret-value"}},
                },
            },
        )
        assert response.status_code == 200, response.text
        assert "s3cret-value" not in response.text
        details = client.get(f"/certificates/{cert_id}").json()
        assert "s3cret-value" not in client.get(f"/certificates/{cert_id}").text
    assert details["new_key_on_renewal"] is True
    assert details["deploy"]["directory"]["path"] == str(tmp_path / "out")
    assert details["deploy"]["command"]["env"] == {"API_TOKEN": "<redacted>"}
    assert details["renew_reason"] == "ARI window"
    assert details["last_error"] == "DNS timeout"
    assert details["failure_count"] == 2
    assert details["renew_at"] is not None
    assert details["last_deploy"]["ok"] is False
    assert details["last_deploy"]["steps"][0]["error"] == "exit status 3"
    # The job that deploys gets the real environment.
    with ctx.db.session() as session:
        stored = session.get(CertificateRow, cert_id)
        assert stored is not None and stored.deploy is not None
        assert stored.deploy["command"]["env"] == {"API_TOKEN": "s3cret-value"}
        assert stored.new_key_on_renewal is True

    with live_server.client() as client:
        cleared = client.patch(f"/certificates/{cert_id}", json={"deploy": None})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["deploy"] is None
        assert cleared.json()["new_key_on_renewal"] is True
