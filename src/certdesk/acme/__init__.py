"""ACME (RFC 8555) through certbot's ``acme`` library: accounts, orders, challenges, revocation.

The layer knows nothing of storage, DNS or UI; services compose it with the DNS authenticators.

    ACMEClient           client.py      one directory, one account: register/login, orders, ARI
    ├── RetryingNetwork  network.py     TLS trust for private CAs, badNonce/5xx/Retry-After
    ├── OrderPoller      polling.py     authorizations and finalisation, short polls, deadline
    └── mapped_errors    problems.py    every library error → ACMEError with its ACMEProblem
    AccountKey, AccountInfo             account.py
    Order, DNSChallengeTask             order.py
    IssuedCertificate                   certificate.py
    RenewalInfo                         renewal.py
    presets, check_directory_uri        directories.py
"""

from certdesk.acme.account import AccountInfo, AccountKey
from certdesk.acme.certificate import IssuedCertificate
from certdesk.acme.client import ACMEClient
from certdesk.acme.directories import (
    LETS_ENCRYPT_PRODUCTION,
    LETS_ENCRYPT_STAGING,
    PRESETS,
    check_directory_uri,
)
from certdesk.acme.network import RetryPolicy, check_ca_bundle
from certdesk.acme.order import DNSChallengeTask, Order
from certdesk.acme.renewal import RenewalInfo

__all__ = [
    "LETS_ENCRYPT_PRODUCTION",
    "LETS_ENCRYPT_STAGING",
    "PRESETS",
    "ACMEClient",
    "AccountInfo",
    "AccountKey",
    "DNSChallengeTask",
    "IssuedCertificate",
    "Order",
    "RenewalInfo",
    "RetryPolicy",
    "check_ca_bundle",
    "check_directory_uri",
]
