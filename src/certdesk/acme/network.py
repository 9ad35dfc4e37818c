"""HTTP for ACME: TLS trust for private CAs, and the retry policy the ``acme`` library lacks.

``RetryingNetwork`` is the library's ``ClientNetwork`` (which signs requests and keeps nonces)
with two additions. Trust: TLS verification is always on; a CA bundle (PEM text) is *added* to
the system's trust for private ACME servers such as Pebble or step-ca. Retries: a request that
fails with ``badNonce`` is sent again at once with a fresh nonce (several times: a CA may reject
many nonces in a row); a 5xx answer, a connection error or a timeout is retried with exponential
backoff; a 429/503 with ``Retry-After`` waits as asked when that fits the policy. Every request
has an overall deadline. A problem that is not retried, or is still there after the last
attempt, leaves as ``ProblemResponse`` with the HTTP status and ``Retry-After`` kept.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar

import requests
import requests.certs
from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
from cryptography import x509
from requests.adapters import HTTPAdapter

from certdesk.errors import FieldError

T = TypeVar("T")

#: Statuses retried even without Retry-After (server trouble, usually brief).
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one ACME request is tried before its failure is reported."""

    #: Attempts in all for one request; badNonce answers are retried at once up to this.
    attempts: int = 12
    #: Attempts of those that may end in a 5xx, a connection error or a timeout.
    transient_attempts: int = 4
    #: First backoff after a 5xx or a connection error; doubled each time up to ``max_delay``.
    base_delay: float = 0.25
    max_delay: float = 4.0
    #: The longest ``Retry-After`` honoured by waiting; a longer one fails at once with it.
    max_retry_after: float = 30.0
    #: Overall seconds one request may take with all its retries.
    total_seconds: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` after a transient failure."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class ProblemResponse(Exception):
    """The CA answered with a problem document that was not retried away."""

    def __init__(self, error: messages.Error, status: int | None, retry_after: float | None):
        super().__init__(str(error))
        self.error = error
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(response: requests.Response | None, now: datetime) -> float | None:
    """The ``Retry-After`` of ``response`` in seconds from ``now`` (``None`` when absent/bad)."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def check_ca_bundle(ca_bundle: str, field: str = "ca_bundle") -> list[FieldError]:
    """Why ``ca_bundle`` cannot be used as extra TLS trust (empty when it can)."""
    try:
        certificates = x509.load_pem_x509_certificates(ca_bundle.encode())
    except ValueError:
        certificates = []
    if not certificates:
        return [
            FieldError(
                field,
                "The CA bundle must be one or more PEM certificates "
                "(-----BEGIN CERTIFICATE----- ...).",
            )
        ]
    return []


@lru_cache(maxsize=32)
def ssl_context_for(ca_bundle: str | None) -> ssl.SSLContext:
    """A verifying TLS context trusting the CAs ``requests`` trusts (certifi's bundle) plus
    those of ``ca_bundle``. Loading a bundle takes ~0.1 s, so contexts are made once per bundle
    and shared (an SSLContext is safe to use from several threads once set up)."""
    context = ssl.create_default_context(cafile=requests.certs.where())
    if ca_bundle:
        context.load_verify_locations(cadata=ca_bundle)
    return context


class _TrustAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections use our TLS context and only it: requests would load
    its CA file into the context again for every new connection."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["ssl_context"] = self._context
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        conn.ca_certs = None
        conn.ca_cert_dir = None


class RetryingNetwork(acme_client.ClientNetwork):
    """``ClientNetwork`` with added trust and the retry policy above (one per thread)."""

    def __init__(
        self,
        *,
        ca_bundle: str | None,
        timeout: int,
        user_agent: str,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(verify_ssl=True, user_agent=user_agent, timeout=timeout)
        self.policy = policy
        self.retries = 0
        self._sleep = sleep
        self._last_response: requests.Response | None = None
        self.session.mount("https://", _TrustAdapter(ssl_context_for(ca_bundle)))
        self.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_response = response
        # Error answers carry a fresh nonce too (RFC 8555 §6.5); the library drops it and asks
        # newNonce again. Keeping it saves a round trip per badNonce.
        if not response.ok and self.REPLAY_NONCE_HEADER in response.headers:
            with contextlib.suppress(acme_errors.BadNonce):
                self._add_nonce(response)

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        # The library's own post() retries a badNonce once; ours counts every attempt itself.
        return self._with_retries(lambda: self._post_once(*args, **kwargs))

    def get(
        self, url: str, content_type: str = acme_client.ClientNetwork.JSON_CONTENT_TYPE, **kw: Any
    ) -> requests.Response:
        return self._with_retries(
            lambda: super(RetryingNetwork, self).get(url, content_type=content_type, **kw)
        )

    def _with_retries(self, call: Callable[[], T]) -> T:
        policy = self.policy
        deadline = time.monotonic() + policy.total_seconds
        attempt = transient = 0
        while True:
            attempt += 1
            self._last_response = None
            try:
                return call()
            except messages.Error as exc:
                response = self._last_response
                status = response.status_code if response is not None else None
                retry_after = retry_after_seconds(response, datetime.now(UTC))
                failure: Exception = ProblemResponse(exc, status, retry_after)
                if exc.code == "badNonce":
                    delay = 0.0
                elif status in _TRANSIENT_STATUSES or (status == 429 and retry_after is not None):
                    transient += 1
                    delay = retry_after if retry_after is not None else policy.backoff(transient)
                else:
                    raise failure from exc
            except acme_errors.ClientError as exc:
                # A non-JSON error body (a proxy's 502 page) or a missing nonce.
                response = self._last_response
                status = response.status_code if response is not None else None
                retry_after = retry_after_seconds(response, datetime.now(UTC))
                if status not in _TRANSIENT_STATUSES and status != 429:
                    raise
                failure = exc
                transient += 1
                delay = retry_after if retry_after is not None else policy.backoff(transient)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if isinstance(exc, requests.exceptions.SSLError):
                    raise
                failure = exc
                transient += 1
                delay = policy.backoff(transient)
            if (
                attempt >= policy.attempts
                or transient >= policy.transient_attempts
                or delay > policy.max_retry_after
                or time.monotonic() + delay > deadline
            ):
                raise failure
            self.retries += 1
            if delay > 0:
                self._sleep(delay)
