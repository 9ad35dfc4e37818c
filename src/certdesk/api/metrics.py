"""``GET /api/v1/metrics``: Prometheus text format through ``prometheus-client``, token required;
the format follows the scraper's Accept header (classic text 0.0.4 by default, OpenMetrics).

Each app gets its own ``CollectorRegistry`` (never the process-wide default, so two apps in one
process, as in the tests, do not mix) holding one collector that reads a fresh snapshot from the
tables on every scrape:

- ``certdesk_certificate_not_after_timestamp_seconds{name}``
- ``certdesk_certificate_renew_at_timestamp_seconds{name}`` (when a renewal is planned)
- ``certdesk_renewal_consecutive_failures{name}`` (failed renewal attempts since the last
  success; a gauge, since it drops back to 0 on success)
- ``certdesk_job_duration_seconds{kind,state}`` (histogram of finished jobs)
- ``certdesk_jobs{state}`` (jobs per state)
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from certdesk.api.deps import Authenticated, Ctx
from certdesk.api.problems import PROBLEM_RESPONSES
from certdesk.services.context import AppContext
from certdesk.services.metrics import DURATION_BUCKETS, collect_metrics

router = APIRouter(responses=PROBLEM_RESPONSES)


class CertdeskCollector(Collector):
    """Turns a ``MetricsSnapshot`` into metric families at scrape time."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        snapshot = collect_metrics(self.ctx)
        not_after = GaugeMetricFamily(
            "certdesk_certificate_not_after_timestamp_seconds",
            "When the certificate expires (Unix time).",
            labels=["name"],
        )
        renew_at = GaugeMetricFamily(
            "certdesk_certificate_renew_at_timestamp_seconds",
            "When the next renewal of the certificate is planned (Unix time).",
            labels=["name"],
        )
        # A gauge, not a counter: it falls back to 0 after a success, so it must not carry the
        # ``_total`` suffix that makes Prometheus tools treat it as monotonic (rate(), increase()).
        failures = GaugeMetricFamily(
            "certdesk_renewal_consecutive_failures",
            "Failed renewal attempts of the certificate since its last successful renewal.",
            labels=["name"],
        )
        for cert in snapshot.certificates:
            not_after.add_metric([cert.name], cert.not_after.timestamp())
            if cert.renew_at is not None:
                renew_at.add_metric([cert.name], cert.renew_at.timestamp())
            failures.add_metric([cert.name], cert.failure_count)
        yield not_after
        yield renew_at
        yield failures
        durations = HistogramMetricFamily(
            "certdesk_job_duration_seconds",
            "How long finished jobs ran, by kind and final state.",
            labels=["kind", "state"],
        )
        for jobs in snapshot.job_durations:
            buckets = [
                (floatToGoString(bound), count)
                for bound, count in zip(DURATION_BUCKETS, jobs.buckets, strict=True)
            ]
            buckets.append(("+Inf", jobs.count))
            durations.add_metric([jobs.kind, jobs.state], buckets, jobs.total_seconds)
        yield durations
        states = GaugeMetricFamily("certdesk_jobs", "Jobs by state.", labels=["state"])
        for state, count in snapshot.jobs_by_state.items():
            states.add_metric([state], count)
        yield states


def _registry(request: Request, ctx: AppContext) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(CertdeskCollector(ctx))
        request.app.state.metrics_registry = registry
    return registry


@router.get(
    "/metrics",
    tags=["metrics"],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_PLAIN_0_0_4: {}}, "description": "Prometheus metrics"}
    },
)
def metrics(request: Request, principal: Authenticated, ctx: Ctx) -> Response:
    """Certificate expiry, planned renewals, renewal failures and job durations, in the
    Prometheus text format (or OpenMetrics, when the scraper's Accept header asks for it)."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(_registry(request, ctx)), headers={"Content-Type": content_type})
