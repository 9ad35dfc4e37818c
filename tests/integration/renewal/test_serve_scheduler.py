"""The renewal scheduler inside the served app: with ``scheduler=True`` a due certificate gets
its ``acme.renew`` job without anyone sweeping by hand; ``CERTDESK_SCHEDULER`` switches it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from certdesk.errors import InvalidInput
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from certdesk.storage.models import JobRow
from tests.fixtures._process import wait_until
from tests.fixtures.live_server import live_settings, run_live_server
from tests.integration.renewal.helpers import DAY, add


def renew_job_certificates(ctx: AppContext) -> set[int | None]:
    with ctx.db.session() as session:
        return set(
            session.scalars(select(JobRow.certificate_id).where(JobRow.kind == "acme.renew"))
        )


def test_the_served_app_sweeps_for_renewals(db_url: str, tmp_path: Path) -> None:
    settings = live_settings(db_url, tmp_path / "data", scheduler=True)
    # The rows exist before the server starts, so its first sweep (at start-up) finds them.
    before = AppContext.open(settings)
    try:
        due = add(before, "due", expires_in=-DAY)
        later = add(before, "later", expires_in=3650 * DAY)
    finally:
        before.close()
    with run_live_server(settings) as server:
        wait_until(lambda: due in renew_job_certificates(server.ctx), what="a renewal job")
        assert later not in renew_job_certificates(server.ctx)


def test_the_scheduler_is_switched_by_the_environment() -> None:
    assert Settings.from_env({}).scheduler is True
    assert Settings.from_env({"CERTDESK_SCHEDULER": "0"}).scheduler is False
    assert Settings.from_env({"CERTDESK_SCHEDULER": "off"}).scheduler is False
    assert Settings.from_env({"CERTDESK_SCHEDULER": "true"}).scheduler is True
    with pytest.raises(InvalidInput) as caught:
        Settings.from_env({"CERTDESK_SCHEDULER": "maybe"})
    assert caught.value.errors[0].field == "CERTDESK_SCHEDULER"


def test_test_servers_have_no_scheduler_unless_asked(tmp_path: Path) -> None:
    assert live_settings("sqlite://", tmp_path).scheduler is False
