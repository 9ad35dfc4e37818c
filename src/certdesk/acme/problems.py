"""Turning everything the ``acme`` library and ``requests`` raise into ``ACMEError``.

Each public call of ``ACMEClient`` runs inside ``mapped_errors(action)``: whatever goes wrong
leaves it as one ``ACMEError`` whose message starts with what certdesk was doing ("Placing the
order failed: ...") and, when the CA sent one, carries its problem document whole
(``ACMEProblem``: type, detail, status, identifier, subproblems). ``InvalidInput`` and our own
``ACMEError`` pass through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

import josepy as jose
import requests
from acme import errors as acme_errors
from acme import messages

from certdesk.acme.network import ProblemResponse
from certdesk.errors import ACMEError, ACMEProblem, CertdeskError

ERROR_PREFIX = messages.ERROR_PREFIX
COMPOUND = ERROR_PREFIX + "compound"


def problem_from_error(error: messages.Error, status: int | None = None) -> ACMEProblem:
    """Our copy of a library problem document (the HTTP status added when known)."""
    identifier = error.identifier.value if error.identifier is not None else None
    return ACMEProblem(
        type=str(error.typ),
        detail=error.detail or error.title or error.description or "",
        status=status,
        identifier=identifier,
        subproblems=tuple(problem_from_error(sub) for sub in error.subproblems or ()),
    )


def describe_problem(problem: ACMEProblem) -> str:
    """One line for people: ``detail (type)``, subproblems appended with their identifiers."""
    short_type = problem.type.removeprefix(ERROR_PREFIX)
    text = f"{problem.detail} ({short_type})" if problem.detail else short_type
    if problem.identifier and not problem.subproblems:
        text = f"{problem.identifier}: {text}"
    for sub in problem.subproblems:
        text += f"; {describe_problem(sub)}"
    return text


def failed_authorizations_problem(
    failures: Sequence[tuple[str, ACMEProblem | None]],
) -> ACMEProblem:
    """One problem for failed authorizations: the challenge's own one when a single identifier
    failed, otherwise a compound problem with one subproblem per identifier."""
    subproblems = tuple(
        ACMEProblem(
            type=problem.type if problem else ERROR_PREFIX + "unauthorized",
            detail=problem.detail if problem else "the CA marked the authorization invalid",
            status=problem.status if problem else None,
            identifier=identifier,
            subproblems=problem.subproblems if problem else (),
        )
        for identifier, problem in failures
    )
    if len(subproblems) == 1:
        return subproblems[0]
    names = ", ".join(identifier for identifier, _ in failures)
    return ACMEProblem(
        type=COMPOUND,
        detail=f"The CA could not validate {names}.",
        subproblems=subproblems,
    )


def _host(url: str | None) -> str:
    return urlsplit(url).netloc if url else "the ACME server"


def error_for(action: str, exc: BaseException, status: int | None = None) -> ACMEError:
    """The ``ACMEError`` for ``exc`` raised while doing ``action`` (a sentence fragment)."""
    if isinstance(exc, ProblemResponse):
        problem = problem_from_error(exc.error, exc.status)
        message = f"{action} failed: {describe_problem(problem)}"
        if exc.retry_after is not None:
            message += f" The CA asks to retry after {exc.retry_after:.0f} s."
        return ACMEError(message, problem)
    if isinstance(exc, messages.Error):
        problem = problem_from_error(exc, status)
        return ACMEError(f"{action} failed: {describe_problem(problem)}", problem)
    if isinstance(exc, acme_errors.ValidationError):
        failures = []
        for authzr in exc.failed_authzrs:
            errs = [c.error for c in authzr.body.challenges if c.error is not None]
            failures.append(
                (authzr.body.identifier.value, problem_from_error(errs[0]) if errs else None)
            )
        problem = failed_authorizations_problem(failures)
        return ACMEError(f"{action} failed: {describe_problem(problem)}", problem)
    if isinstance(exc, requests.exceptions.SSLError):
        return ACMEError(
            f"{action} failed: the TLS certificate of {_host(_request_url(exc))} could not be "
            "verified. For a private ACME server, give the CA bundle that signed its "
            "certificate."
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return ACMEError(f"{action} failed: {_host(_request_url(exc))} did not answer in time.")
    if isinstance(exc, requests.exceptions.RequestException):
        return ACMEError(
            f"{action} failed: could not connect to {_host(_request_url(exc))} "
            f"({type(exc).__name__}). Check the URL and that the server is reachable."
        )
    if isinstance(exc, acme_errors.ClientError) and exc.args:
        response = exc.args[0]
        if isinstance(response, tuple) and response:
            response = response[0]
        if isinstance(response, requests.Response):
            return ACMEError(
                f"{action} failed: {_host(response.url)} answered HTTP {response.status_code} "
                f"{response.reason} without an ACME problem document.",
                ACMEProblem(
                    type="about:blank", detail=response.reason or "", status=response.status_code
                ),
            )
    if isinstance(exc, acme_errors.ClientError) and exc.args and isinstance(exc.args[0], str):
        return ACMEError(f"{action} failed: {exc.args[0]}.")
    if isinstance(exc, acme_errors.BadNonce | acme_errors.MissingNonce):
        return ACMEError(
            f"{action} failed: the ACME server sent no usable replay nonce; try again later."
        )
    if isinstance(exc, jose.DeserializationError | ValueError | KeyError | TypeError):
        return ACMEError(
            f"{action} failed: the ACME server sent a response certdesk cannot read "
            f"({type(exc).__name__}: {exc})."
        )
    if isinstance(exc, AttributeError):
        return ACMEError(
            f"{action} failed: the ACME server sent a response of an unexpected shape."
        )
    return ACMEError(f"{action} failed: {type(exc).__name__}: {exc}")


def _request_url(exc: requests.exceptions.RequestException) -> str | None:
    request = exc.request
    return str(request.url) if request is not None and request.url else None


@contextmanager
def mapped_errors(action: str, status: int | None = None) -> Iterator[None]:
    """Run the block; anything but a ``CertdeskError`` leaves as ``ACMEError`` for ``action``."""
    try:
        yield
    except CertdeskError:
        raise
    except (
        ProblemResponse,
        acme_errors.Error,
        requests.exceptions.RequestException,
        jose.Error,
    ) as exc:
        raise error_for(action, exc, status) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # The library parsing a server answer of the wrong shape (a list for a directory, ...).
        raise error_for(action, exc, status) from exc
