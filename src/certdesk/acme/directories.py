"""Known ACME directories and the rules a directory URI must follow before certdesk contacts it.

The two presets are the ones the "Create ACME Certificate" screen offers, labelled exactly as the
product document writes them. Any other https directory (ZeroSSL, Google Trust Services, step-ca,
Pebble, ...) is accepted as a custom URI; ``check_directory_uri`` refuses what can never work or
would leak a secret: another scheme than https, a missing host, credentials in the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from certdesk.errors import FieldError

LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"

LETS_ENCRYPT_STAGING_LABEL = "Lets Encrypt Staging Directory"
LETS_ENCRYPT_PRODUCTION_LABEL = "Let's Encrypt Production Directory"

#: The field name of a directory URI in requests (as TrueNAS names it).
DIRECTORY_FIELD = "acme_directory_uri"


@dataclass(frozen=True)
class DirectoryPreset:
    """One entry of the ACME Server Directory URI select."""

    label: str
    url: str


PRESETS: tuple[DirectoryPreset, ...] = (
    DirectoryPreset(LETS_ENCRYPT_STAGING_LABEL, LETS_ENCRYPT_STAGING),
    DirectoryPreset(LETS_ENCRYPT_PRODUCTION_LABEL, LETS_ENCRYPT_PRODUCTION),
)


def check_directory_uri(uri: str, field: str = DIRECTORY_FIELD) -> list[FieldError]:
    """Every reason ``uri`` cannot be used as an ACME directory (an empty list when it can).

    The URI is never echoed back in a message, since a refused URI may hold a password.
    """
    text = uri.strip()
    if not text:
        return [FieldError(field, "Give the URL of the ACME server's directory (https://...).")]
    if any(ch.isspace() for ch in text):
        return [FieldError(field, "The directory URL must not contain spaces.")]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return [FieldError(field, "The directory URL is not a valid URL; check the host and port.")]
    errors: list[FieldError] = []
    if parts.scheme.lower() != "https":
        errors.append(
            FieldError(field, "The directory URL must start with https:// (ACME requires TLS).")
        )
    if parts.username is not None or parts.password is not None:
        errors.append(
            FieldError(
                field,
                "Remove the user name and password from the directory URL; ACME servers "
                "authenticate accounts with keys (use External Account Binding if the CA asks).",
            )
        )
    if not parts.hostname:
        errors.append(FieldError(field, "The directory URL has no host name."))
    if port == 0:
        errors.append(FieldError(field, "The directory URL has port 0; give a real port."))
    if parts.fragment:
        errors.append(FieldError(field, "Remove the #fragment from the directory URL."))
    return errors
