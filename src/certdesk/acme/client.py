"""``ACMEClient``: one ACME directory, one account, DNS-01 orders from CSRs, revocation and ARI.

A thin, typed face over certbot's ``acme`` library (``ClientV2``) that knows nothing of storage,
DNS or UI. Services compose it with the DNS authenticators::

    client = ACMEClient.connect(directory_url, ca_bundle=pem_or_none)
    account = client.register(key, tos_agreed=True)      # or client.login(key, account_url)
    order = client.new_order(csr_pem)
    ...write order.authorizations[i].value at .fqdn, wait until visible...
    client.answer(order)
    issued = client.finalize(order, deadline=now + timedelta(minutes=10))

Polling is ours, not the library's (``poll_and_finalize`` sleeps a second and more between
polls): a short interval by default, longer only when the CA says so with ``Retry-After``, never
past the caller's deadline. Retries of single requests (badNonce, 5xx, Retry-After) live in
``RetryingNetwork``; every failure leaves as ``ACMEError`` with the CA's problem document.
One ``ACMEClient`` per thread: its nonces and HTTP session are not shared.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib.metadata import version

from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
from cryptography import x509
from email_validator import EmailNotValidError, validate_email

from certdesk.acme.account import AccountInfo, AccountKey
from certdesk.acme.certificate import IssuedCertificate, issued_certificate
from certdesk.acme.directories import check_directory_uri
from certdesk.acme.network import (
    ProblemResponse,
    RetryingNetwork,
    RetryPolicy,
    check_ca_bundle,
    retry_after_seconds,
)
from certdesk.acme.order import DNSChallengeTask, Order, order_from_resource
from certdesk.acme.polling import OrderPoller
from certdesk.acme.problems import mapped_errors
from certdesk.acme.renewal import RenewalInfo, certificate_id, renewal_info_from_json
from certdesk.clock import Clock, SystemClock
from certdesk.errors import ACMEError, CryptoError, FieldError, InvalidInput

DEFAULT_USER_AGENT = f"certdesk/{version('certdesk')} acme-python/{version('acme')}"
_REQUIRED_RESOURCES = ("newAccount", "newNonce", "newOrder", "revokeCert")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class ACMEClient:
    """A connection to one ACME directory; ``register`` or ``login`` before ordering."""

    def __init__(
        self,
        directory_url: str,
        client: acme_client.ClientV2,
        net: RetryingNetwork,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory_url = directory_url
        self._client = client
        self._net = net
        self._clock = clock
        self._sleep = sleep
        self._key: AccountKey | None = None
        self.account: AccountInfo | None = None

    @classmethod
    def connect(
        cls,
        directory_url: str,
        *,
        ca_bundle: str | None = None,
        timeout: int = 30,
        user_agent: str = DEFAULT_USER_AGENT,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> ACMEClient:
        """Fetch the directory at ``directory_url``.

        ``ca_bundle`` (PEM text) is trusted in addition to the public CAs (certifi's bundle, as
        ``requests`` trusts), for private ACME servers; TLS verification is never off. A bad
        URL or bundle is ``InvalidInput``; a directory that cannot be fetched or is not one is
        ``ACMEError`` saying why.
        """
        directory_url = directory_url.strip()
        errors = check_directory_uri(directory_url)
        if ca_bundle is not None:
            errors += check_ca_bundle(ca_bundle)
        if errors:
            raise InvalidInput(errors)
        net = RetryingNetwork(
            ca_bundle=ca_bundle,
            timeout=timeout,
            user_agent=user_agent,
            policy=retry or RetryPolicy(),
        )
        action = f"Fetching the ACME directory {directory_url}"
        with mapped_errors(action):
            directory = acme_client.ClientV2.get_directory(directory_url, net)
        missing = [name for name in _REQUIRED_RESOURCES if not _has(directory, name)]
        if missing:
            raise ACMEError(
                f"{action} failed: the answer is not an ACME directory (it lacks "
                f"{', '.join(missing)}). Check the URL; it usually ends in /directory."
            )
        return cls(directory_url, acme_client.ClientV2(directory, net), net, clock or SystemClock())

    # -- directory facts ------------------------------------------------------------------

    def terms_of_service(self) -> str | None:
        """The URL of the CA's terms of service, if its directory names one."""
        tos = self._client.directory.meta.terms_of_service
        return str(tos) if tos else None

    @property
    def external_account_required(self) -> bool:
        """Whether the CA registers only accounts bound to an external account (EAB)."""
        return bool(self._client.external_account_required())

    @property
    def has_renewal_info(self) -> bool:
        """Whether the CA offers ARI (RFC 9773)."""
        return _has(self._client.directory, "renewalInfo")

    @property
    def retries(self) -> int:
        """How many requests were sent again so far (badNonce, 5xx, Retry-After)."""
        return self._net.retries

    # -- accounts ---------------------------------------------------------------------------

    def register(
        self,
        key: AccountKey,
        *,
        tos_agreed: bool,
        contact_email: str | None = None,
        eab_kid: str | None = None,
        eab_hmac_key: str | None = None,
    ) -> AccountInfo:
        """Create the account of ``key`` (or find it, if the CA already knows the key).

        Every input problem is reported at once as ``InvalidInput``: terms not agreed (``tos``),
        a bad ``contact_email``, External Account Binding missing when the CA requires it or
        half given (``eab_kid``, ``eab_hmac_key``).
        """
        tos_url = self.terms_of_service()
        errors: list[FieldError] = []
        if tos_url and not tos_agreed:
            errors.append(
                FieldError(
                    "tos",
                    f"Agree to the terms of service of this ACME server ({tos_url}) "
                    "to register an account.",
                )
            )
        email = None
        if contact_email:
            try:
                email = validate_email(contact_email, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                errors.append(FieldError("contact_email", f"Not a valid e-mail address: {exc}"))
        errors += self._check_eab(eab_kid, eab_hmac_key)
        if errors:
            raise InvalidInput(errors)

        self._use_key(key)
        eab = None
        if eab_kid and eab_hmac_key:
            eab = messages.ExternalAccountBinding.from_data(
                account_public_key=key.jwk.public_key(),
                kid=eab_kid,
                hmac_key=eab_hmac_key,
                directory=self._client.directory,
            )
        registration = messages.NewRegistration.from_data(
            email=email,
            terms_of_service_agreed=bool(tos_agreed) if tos_url else None,
            external_account_binding=eab,
        )
        with mapped_errors(f"Registering an account at {self.directory_url}"):
            try:
                regr = self._client.new_account(registration)
                account_url = regr.uri
            except acme_errors.ConflictError as conflict:
                account_url = conflict.location
                self._net.account = messages.RegistrationResource(
                    uri=account_url, body=messages.Registration()
                )
        self._key = key
        self.account = AccountInfo(
            directory_url=self.directory_url,
            account_url=account_url,
            tos_url=tos_url if tos_agreed else None,
            contact=email,
            eab_kid=eab_kid if eab else None,
        )
        return self.account

    def _check_eab(self, eab_kid: str | None, eab_hmac_key: str | None) -> list[FieldError]:
        errors: list[FieldError] = []
        if self.external_account_required and not eab_kid and not eab_hmac_key:
            return [
                FieldError(
                    field,
                    "This ACME server requires External Account Binding: give the key ID and "
                    "the HMAC key from your account at the CA.",
                )
                for field in ("eab_kid", "eab_hmac_key")
            ]
        if eab_hmac_key and not eab_kid:
            errors.append(FieldError("eab_kid", "Give the EAB key ID that goes with the HMAC key."))
        if eab_kid and not eab_hmac_key:
            errors.append(FieldError("eab_hmac_key", "Give the EAB HMAC key for this key ID."))
        if eab_hmac_key and not _BASE64URL.match(eab_hmac_key.strip()):
            errors.append(
                FieldError(
                    "eab_hmac_key",
                    "The EAB HMAC key must be base64url text, exactly as the CA shows it.",
                )
            )
        return errors

    def login(self, key: AccountKey, account_url: str) -> AccountInfo:
        """Use an account registered earlier, checking that the CA still knows it.

        The result's ``tos_url`` and ``eab_kid`` are ``None``: the CA does not repeat them.
        """
        self._use_key(key)
        regr = messages.RegistrationResource(uri=account_url, body=messages.Registration())
        with mapped_errors(f"Looking up the ACME account {account_url}"):
            regr = self._client.query_registration(regr)
        self._key = key
        emails = regr.body.emails
        self.account = AccountInfo(
            directory_url=self.directory_url,
            account_url=regr.uri,
            tos_url=None,
            contact=emails[0] if emails else None,
            eab_kid=None,
        )
        return self.account

    @property
    def _new_nonce_url(self) -> str:
        return str(self._client.directory["newNonce"])

    def _use_key(self, key: AccountKey) -> None:
        self._net.key = key.jwk
        self._net.alg = key.algorithm
        self._net.account = None

    def _account_key(self) -> AccountKey:
        if self._key is None:
            raise ValueError("register() or login() must come before this call")
        return self._key

    # -- orders -----------------------------------------------------------------------------

    def new_order(self, csr_pem: bytes) -> Order:
        """Order a certificate for the names of ``csr_pem`` (CN and SANs)."""
        key = self._account_key()
        try:
            x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            raise CryptoError("The CSR for the order is not a PEM certificate request.") from None
        with mapped_errors("Placing a new order"):
            orderr = self._client.new_order(csr_pem)
        return order_from_resource(orderr, key.jwk)

    def load_order(self, order_url: str, csr_pem: bytes) -> Order:
        """An order placed earlier (by this account), e.g. to resume or clean up a job after a
        restart: its current tasks, for the authorizations that are still pending."""
        key = self._account_key()
        with mapped_errors(f"Loading order {order_url}"):
            response = self._net.post(order_url, None, new_nonce_url=self._new_nonce_url)
            body = messages.Order.from_json(response.json())
            authzrs = tuple(
                self._client.poll(
                    messages.AuthorizationResource(uri=url, body=messages.Authorization())
                )[0]
                for url in body.authorizations
            )
        orderr = messages.OrderResource(
            body=body, uri=order_url, authorizations=authzrs, csr_pem=csr_pem
        )
        return order_from_resource(orderr, key.jwk)

    def answer(self, order: Order, tasks: Sequence[DNSChallengeTask] | None = None) -> None:
        """Tell the CA the TXT records of ``tasks`` (default: all of the order's) are in place.

        A challenge already answered (seen as processing when the order was loaded) is skipped.
        """
        jwk = self._account_key().jwk
        for task in order.authorizations if tasks is None else tasks:
            challb = task._challenge
            if challb.status != messages.STATUS_PENDING:
                continue
            with mapped_errors(f"Answering the dns-01 challenge for {task.label}"):
                self._client.answer_challenge(challb, challb.chall.response(jwk))

    def finalize(
        self, order: Order, *, deadline: datetime, poll_interval: float = 0.2
    ) -> IssuedCertificate:
        """Wait for the authorizations, finalise with the order's CSR and download the chain."""
        self._account_key()
        if deadline.tzinfo is None:
            raise ValueError("deadline must be timezone-aware")
        poller = OrderPoller(self._client, self._net, self._clock, self._sleep, deadline)
        poller.wait_for_authorizations(order, poll_interval)
        body = poller.finalize(order, poll_interval)
        with mapped_errors(f"Downloading the certificate of order {order.url}"):
            response = poller.post_as_get(str(body.certificate))
        return issued_certificate(response.text, order.csr_pem, order.url)

    # -- certificates -----------------------------------------------------------------------

    def revoke(self, cert_pem: bytes, reason: int = 0) -> None:
        """Revoke ``cert_pem`` (the leaf first if a chain) with RFC 5280 ``reason``.

        A certificate the CA already revoked counts as revoked: no error.
        """
        self._account_key()
        cert = _load_certificate(cert_pem)
        with mapped_errors(f"Revoking certificate {format(cert.serial_number, 'x')}"):
            try:
                self._client.revoke(cert, reason)
            except ProblemResponse as exc:
                if exc.error.code != "alreadyRevoked":
                    raise

    def renewal_info(self, cert_pem: bytes) -> RenewalInfo | None:
        """The CA's ARI window for ``cert_pem``; ``None`` when the CA has no ARI or the
        certificate has expired (RFC 9773 forbids asking then)."""
        if not self.has_renewal_info:
            return None
        cert = _load_certificate(cert_pem)
        now = self._clock.now()
        if cert.not_valid_after_utc <= now:
            return None
        try:
            cert_id = certificate_id(cert)
        except ValueError as exc:
            raise ACMEError(f"No renewal information can be asked for: {exc}.") from None
        url = str(self._client.directory["renewalInfo"]).rstrip("/") + "/" + cert_id
        with mapped_errors(f"Fetching renewal information for {format(cert.serial_number, 'x')}"):
            response = self._net.get(url)
        return renewal_info_from_json(
            response.content, retry_after_seconds(response, now), self._clock.now()
        )


def _has(directory: messages.Directory, name: str) -> bool:
    try:
        directory[name]
    except KeyError:
        return False
    return True


def _load_certificate(cert_pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise CryptoError("The certificate is not a PEM certificate.") from None
