"""The renewal state in the web UI over plain HTTP: the alerts banner above the Certificates card
(expired, renewal failed, deploy failed; nothing when all is well), the planned renewal on the
card, and the failures, New Key on Renewal, deploy targets and last deploy on the details page."""

from __future__ import annotations

import re
from datetime import timedelta

from certdesk.storage.models import CertificateRow, JobRow
from tests.fixtures.live_server import LiveServer
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import DAY, add
from tests.integration.web.test_pages import log_in, web_client

FAR = 36500 * DAY  # never near expiry, whatever the real clock says


def banner(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-alert-kind="([a-z_]+)" data-certificate-name="([^"]+)"', html)


def test_banner_and_details(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    healthy = add(ctx, "healthy", expires_in=FAR, renew_at=NOW + FAR - 10 * DAY)
    with web_client(live_server) as client:
        log_in(client, live_server)
        page = client.get("/certificates")
        assert page.status_code == 200
        assert banner(page.text) == []
        assert "alerts-banner" not in page.text
        assert "Renews " in page.text

        add(ctx, "gone", expires_in=-400 * DAY)
        failing = add(ctx, "failing", expires_in=FAR)
        deployed = add(ctx, "deployed", expires_in=FAR)
        with ctx.db.session() as session:
            row = session.get(CertificateRow, failing)
            assert row is not None
            row.failure_count, row.last_error = 3, "DNS authenticator refused the update"
            row.new_key_on_renewal = True
            row.deploy = {"command": {"argv": ["/usr/bin/true"], "env": {"TOKEN": "t0ps3cret"}}}
            session.add(
                JobRow(
                    kind="acme.renew",
                    state="SUCCESS",
                    arguments={},
                    result={
                        "deploy": {
                            "ok": False,
                            "steps": [{"name": "command", "ok": False, "error": "exit status 1"}],
                        }
                    },
                    created_at=NOW,
                    finished_at=NOW + timedelta(seconds=3),
                    certificate_id=deployed,
                )
            )
        page = client.get("/certificates")
        found = set(banner(page.text))
        assert found == {
            ("expired", "gone"),
            ("renewal_failed", "failing"),
            ("deploy_failed", "deployed"),
        }
        assert 'role="alert"' in page.text

        details = client.get(f"/certificates/{failing}").text
        assert "DNS authenticator refused the update" in details
        assert re.search(r"<dt>Failed Renewals</dt><dd>3</dd>", details)
        assert re.search(r"<dt>New Key on Renewal</dt><dd>Yes</dd>", details)
        assert "/usr/bin/true" in details and "t0ps3cret" not in details

        details = client.get(f"/certificates/{deployed}").text
        assert "Failed" in details and "exit status 1" in details
        assert client.get(f"/certificates/{healthy}").status_code == 200
