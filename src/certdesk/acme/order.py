"""An ACME order as services see it: its identifiers and the DNS-01 work it still needs.

``Order`` is built from the library's ``OrderResource`` by ``order_from_resource``: for every
authorization that is not yet valid, one ``DNSChallengeTask`` saying which TXT record to write
(``fqdn`` and ``value``). A wildcard ``*.example.com`` and its base ``example.com`` give two tasks
with the same ``fqdn`` and different values: both records must exist at once. An authorization
the CA offers no dns-01 challenge for is an ``ACMEError`` naming the domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import josepy as jose
from acme import challenges, messages

from certdesk.errors import ACMEError


@dataclass(frozen=True)
class DNSChallengeTask:
    """One TXT record to publish before answering one dns-01 challenge."""

    #: The domain without ``*.`` (as the CA names the authorization).
    domain: str
    #: True for the authorization of ``*.<domain>``.
    wildcard: bool
    #: The record name, absolute: ``_acme-challenge.<domain>.``
    fqdn: str
    #: The TXT value: the base64url SHA-256 digest of the key authorization.
    value: str
    authorization_url: str
    challenge_url: str
    _challenge: messages.ChallengeBody = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """The identifier as the CSR names it (``*.example.com`` for a wildcard)."""
        return f"*.{self.domain}" if self.wildcard else self.domain


@dataclass(frozen=True)
class Order:
    """A placed order: ``authorizations`` holds a task for each authorization still pending."""

    url: str
    identifiers: tuple[str, ...]
    authorizations: tuple[DNSChallengeTask, ...]
    #: Identifiers whose authorization the CA already holds as valid (no record needed).
    already_valid: tuple[str, ...]
    expires: datetime | None
    _resource: messages.OrderResource = field(repr=False, compare=False)

    @property
    def csr_pem(self) -> bytes:
        return bytes(self._resource.csr_pem)


def label_of(authz: messages.Authorization) -> str:
    """The identifier of an authorization as the CSR names it (``*.`` for a wildcard)."""
    value = str(authz.identifier.value)
    return f"*.{value}" if authz.wildcard else value


def task_for(authzr: messages.AuthorizationResource, key: jose.JWK) -> DNSChallengeTask:
    """The DNS-01 task of one pending authorization; ``ACMEError`` when it offers no dns-01."""
    authz = authzr.body
    for challb in authz.challenges:
        if isinstance(challb.chall, challenges.DNS01):
            domain = str(authz.identifier.value)
            return DNSChallengeTask(
                domain=domain,
                wildcard=bool(authz.wildcard),
                fqdn=challb.chall.validation_domain_name(domain).rstrip(".") + ".",
                value=challb.chall.validation(key),
                authorization_url=authzr.uri,
                challenge_url=challb.uri,
                _challenge=challb,
            )
    offered = ", ".join(sorted(_challenge_type(c) for c in authz.challenges)) or "none"
    raise ACMEError(
        f"The CA offers no dns-01 challenge for {label_of(authz)} (it offers: {offered}); "
        "certdesk validates domains through DNS only. Remove the name from the CSR or use "
        "another CA."
    )


def _challenge_type(challb: messages.ChallengeBody) -> str:
    # Types the library does not know (tls-alpn-01 in some versions) keep their JSON only.
    return str(challb.chall.to_partial_json().get("type", "unknown"))


def order_from_resource(orderr: messages.OrderResource, key: jose.JWK) -> Order:
    """Our ``Order`` for a library order resource, with tasks for the pending authorizations."""
    tasks: list[DNSChallengeTask] = []
    already_valid: list[str] = []
    for authzr in orderr.authorizations:
        status = authzr.body.status
        if status == messages.STATUS_VALID:
            already_valid.append(label_of(authzr.body))
        elif status == messages.STATUS_PENDING:
            tasks.append(task_for(authzr, key))
        else:
            raise ACMEError(
                f"The CA's authorization for {label_of(authzr.body)} is {status.name}; "
                "place a new order."
            )
    return Order(
        url=orderr.uri,
        identifiers=tuple(str(i.value) for i in orderr.body.identifiers),
        authorizations=tuple(tasks),
        already_valid=tuple(already_valid),
        expires=orderr.body.expires,
        _resource=orderr,
    )
