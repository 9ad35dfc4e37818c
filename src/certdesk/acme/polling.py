"""Polling an order to its end: the order until its authorizations are done (one request per
poll, whatever the number of names), then finalisation until the certificate is issued. The
library's ``poll_and_finalize`` sleeps a fixed second (and more) between polls; here the interval
is short by default, longer only when the CA asks with ``Retry-After``, and never runs past the
caller's deadline. A failed authorization becomes an ``ACMEError`` naming each failed identifier
with the CA's detail, the problem document kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import requests
from acme import client as acme_client
from acme import messages

from certdesk.acme.network import ProblemResponse, RetryingNetwork, retry_after_seconds
from certdesk.acme.order import Order, label_of
from certdesk.acme.problems import (
    describe_problem,
    failed_authorizations_problem,
    mapped_errors,
    problem_from_error,
)
from certdesk.clock import Clock
from certdesk.errors import ACMEError, ACMEProblem

#: Order states in which every authorization is valid.
_PAST_AUTHORIZATION = (messages.STATUS_READY, messages.STATUS_PROCESSING, messages.STATUS_VALID)


class OrderPoller:
    """Polls one order for one ``ACMEClient`` call, against one deadline."""

    def __init__(
        self,
        client: acme_client.ClientV2,
        net: RetryingNetwork,
        clock: Clock,
        sleep: Callable[[float], None],
        deadline: datetime,
    ) -> None:
        self._client = client
        self._net = net
        self._clock = clock
        self._sleep = sleep
        self._deadline = deadline

    def wait_for_authorizations(self, order: Order, poll_interval: float) -> None:
        """Poll the order (one request, however many names) until it is no longer pending;
        when it turns invalid or the deadline passes, read each authorization to name every
        failed identifier with the CA's problem (kept) or the ones still pending."""
        action = f"Checking order {order.url}"
        while True:
            with mapped_errors(action):
                response = self.post_as_get(order.url)
                body = messages.Order.from_json(response.json())
            if body.status in _PAST_AUTHORIZATION:
                return
            if body.status == messages.STATUS_INVALID:
                break
            pause = max(poll_interval, retry_after_seconds(response, self._clock.now()) or 0.0)
            if not self._pause(pause):
                break
        self._explain_authorizations(order, body)

    def _explain_authorizations(self, order: Order, body: messages.Order) -> None:
        """The ``ACMEError`` for an order that failed or did not finish validating in time."""
        done: list[messages.AuthorizationResource] = []
        pending: list[messages.AuthorizationResource] = []
        for authzr in order._resource.authorizations:
            with mapped_errors(f"Checking the authorization of {label_of(authzr.body)}"):
                authzr, _ = self._client.poll(authzr)
            (pending if authzr.body.status == messages.STATUS_PENDING else done).append(authzr)
        failures = [
            (label_of(a.body), _challenge_problem(a.body))
            for a in done
            if a.body.status != messages.STATUS_VALID
        ]
        if failures:
            problem = failed_authorizations_problem(failures)
            details = "; ".join(
                describe_problem(sub) for sub in (problem.subproblems or (problem,))
            )
            raise ACMEError(f"The CA refused the authorization of {details}", problem)
        if body.status == messages.STATUS_INVALID:
            if body.error is not None:
                problem = problem_from_error(body.error)
                raise ACMEError(
                    f"The CA marked order {order.url} invalid: {describe_problem(problem)}",
                    problem,
                )
            raise ACMEError(f"The CA marked order {order.url} invalid.")
        names = ", ".join(label_of(a.body) for a in pending) or "the order's names"
        raise ACMEError(
            f"The CA did not finish validating {names} before the deadline; "
            "check that the TXT records are visible and try again."
        )

    def finalize(self, order: Order, poll_interval: float) -> messages.Order:
        """Send the CSR and poll the order until the CA has issued (or refused) it."""
        action = f"Finalising order {order.url}"
        started = self._begin_finalization(order, action)
        if started is not None and started.status == messages.STATUS_VALID and started.certificate:
            return started
        while True:
            with mapped_errors(action):
                response = self.post_as_get(order.url)
                body = messages.Order.from_json(response.json())
            pause = poll_interval
            if body.status == messages.STATUS_VALID and body.certificate:
                return body
            if body.status == messages.STATUS_INVALID:
                if body.error is not None:
                    problem = problem_from_error(body.error)
                    raise ACMEError(f"{action} failed: {describe_problem(problem)}", problem)
                raise ACMEError(f"{action} failed: the CA marked the order invalid.")
            if body.status == messages.STATUS_READY:
                self._begin_finalization(order, action)
            else:
                pause = max(pause, retry_after_seconds(response, self._clock.now()) or 0.0)
            if not self._pause(pause):
                raise ACMEError(
                    f"{action} failed: the CA did not issue the certificate before the deadline "
                    f"(the order is {body.status.name})."
                )

    def _begin_finalization(self, order: Order, action: str) -> messages.Order | None:
        """Send the CSR; the order as the CA answered (None when it was not ready yet)."""
        with mapped_errors(action):
            try:
                return self._client.begin_finalization(order._resource).body
            except ProblemResponse as exc:
                if exc.error.code != "orderNotReady":
                    raise
        return None

    def post_as_get(self, url: str) -> requests.Response:
        return self._net.post(url, None, new_nonce_url=self._client.directory["newNonce"])

    def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` but not past ``deadline``; False when the deadline has passed."""
        remaining = (self._deadline - self._clock.now()).total_seconds()
        if remaining <= 0:
            return False
        self._sleep(min(seconds, remaining))
        return True


def _challenge_problem(authz: messages.Authorization) -> ACMEProblem | None:
    for challb in authz.challenges:
        if challb.error is not None:
            return problem_from_error(challb.error)
    return None
