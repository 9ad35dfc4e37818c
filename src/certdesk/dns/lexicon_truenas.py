"""cloudflare, route53, digitalocean and ovh with TrueNAS's attribute names and rules.

TrueNAS users move their authenticator settings over unchanged, so these four types keep
TrueNAS's attributes (truenas-spec §7.8) — ``cloudflare_email``/``api_key``/``api_token`` with
the token-or-global-key rule and its messages, ``digitalocean_token``, ``access_key_id``/
``secret_access_key``, and OVH's ``application_key``/``application_secret``/``consumer_key``/
``endpoint`` — and map them onto lexicon's options; the writing is lexicon's.
"""

from __future__ import annotations

import builtins
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr

from certdesk.dns.base import AttributesModel, secret
from certdesk.dns.lexicon_providers import LexiconAuthenticator
from certdesk.errors import FieldError


class CloudflareAttributes(AttributesModel):
    cloudflare_email: str | None = Field(
        None, description="Cloudflare Email (only with a Global API Key)."
    )
    api_key: SecretStr | None = Field(
        None, description="Global API Key (with the Cloudflare email); prefer an API token."
    )
    api_token: SecretStr | None = Field(
        None, description="API token with Zone:Read and DNS:Edit permissions."
    )


class CloudflareAuthenticator(LexiconAuthenticator):
    """Cloudflare through lexicon, with TrueNAS's attributes."""

    type: ClassVar[str] = "cloudflare"
    title: ClassVar[str] = "Cloudflare"
    provider: ClassVar[str] = "cloudflare"
    Attributes: ClassVar[builtins.type[BaseModel]] = CloudflareAttributes

    @classmethod
    def check_attributes(cls, attributes: BaseModel) -> list[FieldError]:
        attrs: CloudflareAttributes = attributes  # type: ignore[assignment]
        email, key, token = attrs.cloudflare_email, secret(attrs.api_key), secret(attrs.api_token)
        errors: list[FieldError] = []
        if token:
            for name, value in (("cloudflare_email", email), ("api_key", key)):
                if value:
                    errors.append(
                        FieldError(name, 'Should not be specified when using "api_token".')
                    )
        elif email and not key:
            errors.append(
                FieldError("api_key", "Attribute is required when using a Global API Key.")
            )
        elif key and not email:
            errors.append(
                FieldError(
                    "cloudflare_email",
                    "Attribute is required when using a Global API Key (should be associated "
                    "with Cloudflare account).",
                )
            )
        elif not key and not email:
            errors.append(
                FieldError(
                    "api_token", "Attribute must be specified when Global API Key is not specified."
                )
            )
        return errors

    def lexicon_options(self) -> dict[str, Any]:
        attrs: CloudflareAttributes = self.attributes  # type: ignore[assignment]
        if attrs.api_token is not None:
            return {"auth_token": secret(attrs.api_token)}
        return {"auth_username": attrs.cloudflare_email, "auth_token": secret(attrs.api_key)}


class DigitalOceanAttributes(AttributesModel):
    digitalocean_token: SecretStr = Field(description="DigitalOcean personal access token.")


class DigitalOceanAuthenticator(LexiconAuthenticator):
    """DigitalOcean through lexicon, with TrueNAS's attributes."""

    type: ClassVar[str] = "digitalocean"
    title: ClassVar[str] = "DigitalOcean"
    provider: ClassVar[str] = "digitalocean"
    Attributes: ClassVar[builtins.type[BaseModel]] = DigitalOceanAttributes

    def lexicon_options(self) -> dict[str, Any]:
        attrs: DigitalOceanAttributes = self.attributes  # type: ignore[assignment]
        return {"auth_token": secret(attrs.digitalocean_token)}


class Route53Attributes(AttributesModel):
    access_key_id: str = Field(description="AWS access key ID.")
    secret_access_key: SecretStr = Field(description="AWS secret access key.")


class Route53Authenticator(LexiconAuthenticator):
    """AWS Route 53 through lexicon (needs boto3), with TrueNAS's attributes."""

    type: ClassVar[str] = "route53"
    title: ClassVar[str] = "Amazon Route 53"
    provider: ClassVar[str] = "route53"
    Attributes: ClassVar[builtins.type[BaseModel]] = Route53Attributes

    def lexicon_options(self) -> dict[str, Any]:
        attrs: Route53Attributes = self.attributes  # type: ignore[assignment]
        return {
            "auth_access_key": attrs.access_key_id,
            "auth_access_secret": secret(attrs.secret_access_key),
        }


#: The OVH API endpoints lexicon knows (TrueNAS 25.04 offered exactly lexicon's list); a unit
#: test keeps this in step with lexicon's ``--auth-entrypoint`` choices.
OVHEndpoint = Literal[
    "ovh-eu", "ovh-ca", "soyoustart-eu", "soyoustart-ca", "kimsufi-eu", "kimsufi-ca"
]


class OVHAttributes(AttributesModel):
    application_key: SecretStr = Field(description="OVH application key.")
    application_secret: SecretStr = Field(description="OVH application secret.")
    consumer_key: SecretStr = Field(description="OVH consumer key with rights on /domain/*.")
    endpoint: OVHEndpoint = Field(description="OVH API endpoint.")


class OVHAuthenticator(LexiconAuthenticator):
    """OVH through lexicon, with TrueNAS's attributes."""

    type: ClassVar[str] = "ovh"
    title: ClassVar[str] = "OVH"
    provider: ClassVar[str] = "ovh"
    Attributes: ClassVar[builtins.type[BaseModel]] = OVHAttributes

    def lexicon_options(self) -> dict[str, Any]:
        attrs: OVHAttributes = self.attributes  # type: ignore[assignment]
        return {
            "auth_entrypoint": attrs.endpoint,
            "auth_application_key": secret(attrs.application_key),
            "auth_application_secret": secret(attrs.application_secret),
            "auth_consumer_key": secret(attrs.consumer_key),
        }


TRUENAS_TYPES: dict[str, builtins.type[LexiconAuthenticator]] = {
    cls.provider: cls
    for cls in (
        CloudflareAuthenticator,
        DigitalOceanAuthenticator,
        OVHAuthenticator,
        Route53Authenticator,
    )
}
