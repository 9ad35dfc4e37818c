"""``GET /api/v1/metrics`` on a live server over SQLite and PostgreSQL: rows inserted directly
come out in the Prometheus text format (parsed back with prometheus-client's own parser), a
token is required, and two apps in one process keep their numbers apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from certdesk.api.router import API_PREFIX
from certdesk.services.context import AppContext
from certdesk.storage.models import CertificateRow, JobRow
from tests.fixtures.live_server import LiveServer, live_settings, run_live_server

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with run_live_server(live_settings(db_url, tmp_path / "data")) as live:
        yield live


def add_certificate(
    ctx: AppContext,
    name: str,
    not_after: datetime,
    renew_at: datetime | None,
    failures: int,
    *,
    revoked: bool = False,
) -> int:
    with ctx.db.session() as session:
        row = CertificateRow(
            name=name,
            chain_pem="-",
            private_key_enc="-",
            csr_pem="-",
            acme_directory="https://acme.test/dir",
            domains_authenticators={},
            not_before=not_after - timedelta(days=90),
            not_after=not_after,
            serial="01",
            issuer="CN=Test",
            renew_at=renew_at,
            failure_count=failures,
            revoked_at=T0 if revoked else None,
            created_at=T0,
            updated_at=T0,
        )
        session.add(row)
        session.flush()
        return row.id


def add_job(ctx: AppContext, kind: str, state: str, seconds: float | None) -> None:
    with ctx.db.session() as session:
        session.add(
            JobRow(
                kind=kind,
                state=state,
                arguments={},
                created_at=T0,
                started_at=T0 if seconds is not None or state == "RUNNING" else None,
                finished_at=T0 + timedelta(seconds=seconds) if seconds is not None else None,
            )
        )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_from_the_tables(server: LiveServer) -> None:
    ctx = server.ctx
    web_expiry, api_expiry = T0 + timedelta(days=60), T0 + timedelta(days=5)
    add_certificate(ctx, "web", web_expiry, T0 + timedelta(days=30), 0)
    add_certificate(ctx, "api", api_expiry, None, 3)
    add_certificate(ctx, "old", T0, None, 0, revoked=True)
    for kind, state, seconds in [
        ("acme_issue", "SUCCESS", 0.3),
        ("acme_issue", "SUCCESS", 2.0),
        ("acme_issue", "FAILED", 45.0),
        ("acme_renew", "SUCCESS", 0.05),
        # RUNNING, not WAITING: the live server's job runner would claim a waiting job. A running
        # one without a heartbeat is never taken for abandoned.
        ("acme_renew", "RUNNING", None),
        ("acme_issue", "RUNNING", None),
    ]:
        add_job(ctx, kind, state, seconds)

    with server.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)

    def value(metric: str, /, **labels: str) -> float:
        return found[(metric, tuple(sorted(labels.items())))]

    assert (
        value("certdesk_certificate_not_after_timestamp_seconds", name="web")
        == web_expiry.timestamp()
    )
    assert (
        value("certdesk_certificate_not_after_timestamp_seconds", name="api")
        == api_expiry.timestamp()
    )
    assert (
        value("certdesk_certificate_renew_at_timestamp_seconds", name="web")
        == (T0 + timedelta(days=30)).timestamp()
    )
    assert ("certdesk_certificate_renew_at_timestamp_seconds", (("name", "api"),)) not in found
    assert value("certdesk_renewal_consecutive_failures", name="api") == 3
    assert value("certdesk_renewal_consecutive_failures", name="web") == 0
    # It drops back to 0 after a success: a gauge, never a counter (no ``_total`` name).
    types = {family.name: family.type for family in text_string_to_metric_families(response.text)}
    assert types["certdesk_renewal_consecutive_failures"] == "gauge"
    assert "certdesk_renewal_failures" not in response.text
    assert not any(("name", "old") in labels for _, labels in found)  # revoked: left out

    issue_ok = {"kind": "acme_issue", "state": "SUCCESS"}
    assert value("certdesk_job_duration_seconds_count", **issue_ok) == 2
    assert value("certdesk_job_duration_seconds_sum", **issue_ok) == pytest.approx(2.3)
    assert value("certdesk_job_duration_seconds_bucket", **issue_ok, le="0.25") == 0
    assert value("certdesk_job_duration_seconds_bucket", **issue_ok, le="0.5") == 1
    assert value("certdesk_job_duration_seconds_bucket", **issue_ok, le="2.5") == 2
    assert value("certdesk_job_duration_seconds_bucket", **issue_ok, le="+Inf") == 2
    failed = {"kind": "acme_issue", "state": "FAILED"}
    assert value("certdesk_job_duration_seconds_bucket", **failed, le="30.0") == 0
    assert value("certdesk_job_duration_seconds_bucket", **failed, le="60.0") == 1
    assert value("certdesk_job_duration_seconds_count", kind="acme_renew", state="SUCCESS") == 1
    assert value("certdesk_jobs", state="WAITING") == 0
    assert value("certdesk_jobs", state="RUNNING") == 2
    assert value("certdesk_jobs", state="SUCCESS") == 3
    assert value("certdesk_jobs", state="ABORTED") == 0
    # The process-wide default registry's metrics (python_info, process_*) are not ours to show.
    assert "python_info" not in response.text

    # A new scrape sees new rows: nothing is cached between scrapes.
    add_certificate(ctx, "new", web_expiry, None, 1)
    with server.client() as client:
        again = samples(client.get("/metrics").text)
    assert again[("certdesk_renewal_consecutive_failures", (("name", "new"),))] == 1


def test_openmetrics_when_asked_for(server: LiveServer) -> None:
    add_certificate(server.ctx, "web", T0, None, 2)
    with server.client() as client:
        response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert 'certdesk_renewal_consecutive_failures{name="web"} 2.0' in response.text
    assert "# TYPE certdesk_renewal_consecutive_failures gauge\n" in response.text


def test_metrics_need_a_token(server: LiveServer) -> None:
    response = httpx.get(server.api + "/metrics")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    with server.client(token="cdt_wrong") as client:
        assert client.get("/metrics").status_code == 401


def test_metrics_are_listed_in_openapi(server: LiveServer) -> None:
    with server.client() as client:
        spec = client.get("/openapi.json").json()
    assert "get" in spec["paths"][f"{API_PREFIX}/metrics"]


def test_two_apps_keep_their_own_numbers(tmp_path: Path) -> None:
    with (
        run_live_server(live_settings(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")) as a,
        run_live_server(live_settings(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b")) as b,
    ):
        add_certificate(a.ctx, "only-in-a", T0, None, 0)
        with a.client() as client_a, b.client() as client_b:
            text_a, text_b = client_a.get("/metrics").text, client_b.get("/metrics").text
    assert 'name="only-in-a"' in text_a
    assert 'name="only-in-a"' not in text_b
