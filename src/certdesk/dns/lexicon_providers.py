"""Every DNS provider of dns-lexicon as an authenticator type, described by lexicon itself.

At import, each provider module lexicon ships is asked for its command-line options
(``Provider.configure_parser``, the description lexicon's own CLI is built from); each option
becomes a pydantic field (help text as description, choices as an enum, secrets recognised by
name and typed ``SecretStr``) of a model made with ``pydantic.create_model``, so a new lexicon
release brings new providers with no code here. Records are written and removed through
lexicon's ``Client`` with a ``ConfigResolver``. cloudflare, route53, digitalocean and ovh keep
TrueNAS's attribute names and rules (they live in ``lexicon_truenas``) and map them onto
lexicon's options. Providers whose extra Python packages are missing are listed, and their
validation names the package to install.
"""

from __future__ import annotations

import argparse
import builtins
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import Distribution, PackageNotFoundError
from typing import Any, ClassVar, Literal

from lexicon._private.discovery import find_providers, load_provider_module
from lexicon.client import Client
from lexicon.config import ConfigResolver, DictConfigSource
from packaging.requirements import Requirement
from pydantic import BaseModel, Field, SecretStr, create_model, field_validator

from certdesk.dns.base import AttributesModel, Authenticator, TXTRecord
from certdesk.errors import DNSError, FieldError

#: Lexicon providers not offered: ``auto`` picks another provider by NS lookup at run time.
EXCLUDED = frozenset({"auto"})
#: An option whose name contains one of these words holds a secret.
SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "pass",
    "psw",
    "key",
    "credential",
    "2fa",
    "totp",
    "service_account_info",
)
#: TTL of the challenge records written through lexicon.
RECORD_TTL = 60
#: Ceiling of the propagation check for cloud providers (polling stops as soon as all show it).
PROPAGATION_TIMEOUT = 600.0
#: Providers documented to take longer than that to publish a change on their nameservers.
SLOW_PROVIDERS: Mapping[str, float] = {"netcup": 1800.0}


@dataclass(frozen=True)
class LexiconOption:
    """One provider option as lexicon declares it."""

    name: str
    help: str
    choices: tuple[str, ...] | None
    default: Any
    kind: type
    secret: bool


def is_secret_option(name: str) -> bool:
    """Whether an option name looks like it holds a credential."""
    return any(word in name.lower() for word in SECRET_WORDS)


def provider_options(provider: str) -> list[LexiconOption]:
    """The options ``provider``'s ``configure_parser`` declares, in its order."""
    parser = argparse.ArgumentParser(add_help=False)
    load_provider_module(provider).Provider.configure_parser(parser)
    options = []
    for action in parser._actions:  # argparse keeps no public list of its actions
        if isinstance(action, argparse._StoreTrueAction):
            kind: type = bool
        elif action.type in (int, float):
            kind = action.type
        else:
            kind = str
        options.append(
            LexiconOption(
                name=action.dest,
                help=" ".join((action.help or "").split()),
                choices=tuple(str(c) for c in action.choices) if action.choices else None,
                default=action.default,
                kind=kind,
                secret=is_secret_option(action.dest),
            )
        )
    return options


@cache
def provider_availability() -> dict[str, bool]:
    """Every lexicon provider and whether its extra packages are installed (lexicon's view)."""
    return find_providers()


@cache
def _lexicon_requirements() -> tuple[Requirement, ...]:
    try:
        requires = Distribution.from_name("dns-lexicon").requires or []
    except PackageNotFoundError:
        return ()
    return tuple(Requirement(line) for line in requires)


@cache
def missing_packages(provider: str) -> tuple[str, ...]:
    """Python packages ``provider`` needs (lexicon extra ``[provider]``) that are not installed."""
    if provider_availability().get(provider, True):
        return ()
    missing = []
    for requirement in _lexicon_requirements():
        if requirement.marker is None or not requirement.marker.evaluate({"extra": provider}):
            continue
        try:
            Distribution.from_name(requirement.name)
        except PackageNotFoundError:
            missing.append(requirement.name)
    return tuple(missing)


_TITLE_PATTERNS = (
    re.compile(r"^(?:Module provider|Provider module) for (?P<name>.+?)\.?$"),
    re.compile(r"^Lexicon (?P<name>.+) Provider$"),
    re.compile(r"^Provide support to Lexicon for (?P<name>.+?) (?:DNS )?changes\.?$"),
    re.compile(r"^Compatibility layer for (?P<name>.+)$"),
)


def provider_title(provider: str) -> str:
    """A readable name from the provider module's docstring, or the provider's own name."""
    doc = (load_provider_module(provider).__doc__ or "").strip()
    first = doc.splitlines()[0].strip() if doc else ""
    for pattern in _TITLE_PATTERNS:
        match = pattern.match(first)
        if match:
            return match.group("name")
    return provider.capitalize()


class LexiconAuthenticator(Authenticator):
    """Writes challenge records through one lexicon provider."""

    provider: ClassVar[str]
    propagation_timeout: ClassVar[float] = PROPAGATION_TIMEOUT

    def lexicon_options(self) -> dict[str, Any]:
        """The attributes as lexicon options (secrets in clear), absent ones left out."""
        values = self.dump_attributes(self.attributes, reveal_secrets=True)
        values.pop("zone", None)
        return {k: v for k, v in values.items() if v is not None and v != ""}

    def zone(self) -> str | None:
        """The zone to use instead of lexicon's public-suffix guess, when given."""
        zone = getattr(self.attributes, "zone", None)
        return str(zone).rstrip(".") if zone else None

    @classmethod
    def check_attributes(cls, attributes: BaseModel) -> list[FieldError]:
        missing = missing_packages(cls.provider)
        if not missing:
            return []
        return [
            FieldError(
                "",
                f"The {cls.type} provider needs the Python package(s) {', '.join(missing)}: "
                f"install them with pip install 'dns-lexicon[{cls.provider}]'.",
            )
        ]

    def perform(self, record: TXTRecord) -> None:
        self._with_client(
            record, "create", lambda ops: ops.create_record("TXT", _name(record), record.value)
        )

    def cleanup(self, record: TXTRecord) -> None:
        self._with_client(
            record,
            "delete",
            lambda ops: ops.delete_record(None, "TXT", _name(record), record.value),
        )

    def _with_client(self, record: TXTRecord, action: str, operation: Callable[[Any], Any]) -> None:
        options = self.lexicon_options()
        config = ConfigResolver().with_dict(
            {
                "provider_name": self.provider,
                "domain": record.domain,
                "ttl": RECORD_TTL,
                self.provider: options,
            }
        )
        try:
            client = Client(config)
            zone = self.zone()
            if zone:
                client.config.add_config_source(DictConfigSource({"domain": zone}), 0)
            with client as operations:
                operation(operations)
        except Exception as exc:  # noqa: BLE001 - providers raise anything; the boundary is here
            detail = _scrub(f"{type(exc).__name__}: {exc}", self._secret_values())
            raise DNSError(
                f"The {self.type} provider could not {action} the TXT record {record.fqdn}: "
                f"{detail}"
            ) from None

    def _secret_values(self) -> list[str]:
        values = self.dump_attributes(self.attributes, reveal_secrets=True)
        return [str(values[name]) for name in self.secret_fields() if values.get(name)]


def _name(record: TXTRecord) -> str:
    return record.fqdn.rstrip(".")


def _scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced (error texts may echo URLs that carry keys)."""
    for value in secrets:
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text[:500]


def _field(option: LexiconOption) -> tuple[Any, Any]:
    description = option.help or option.name.replace("_", " ")
    if option.kind is bool:
        return bool, Field(bool(option.default), description=description)
    annotation: Any
    if option.choices:
        annotation = Literal[option.choices]
    elif option.secret:
        annotation = SecretStr
    else:
        annotation = option.kind
    default = option.default if option.default is not None else None
    return annotation | None, Field(default, description=description)


class LexiconAttributes(AttributesModel):
    """Base of the generated models: the zone, when lexicon's guess would be wrong."""

    zone: str | None = Field(
        None,
        description="DNS zone holding the records, when lexicon's guess from the public suffix "
        "list is wrong (a delegated subzone, a private TLD).",
    )

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None or not value.strip(" ."):
            return None
        if not re.fullmatch(r"[A-Za-z0-9_.-]+\.?", value):
            raise ValueError("Must be a DNS zone name, such as example.com.")
        return value.rstrip(".").lower()


def attributes_model(provider: str, options: list[LexiconOption]) -> builtins.type[BaseModel]:
    """The pydantic model of ``provider``'s options (plus the optional ``zone``)."""
    fields: dict[str, Any] = {option.name: _field(option) for option in options}
    return create_model(f"{provider.title()}Attributes", __base__=LexiconAttributes, **fields)


def make_authenticator(provider: str) -> builtins.type[LexiconAuthenticator]:
    """A LexiconAuthenticator subclass for ``provider`` with its generated attribute model."""
    model = attributes_model(provider, provider_options(provider))
    title = provider_title(provider)
    if missing_packages(provider):
        title += f" (needs {', '.join(missing_packages(provider))})"
    return builtins.type(
        f"{provider.title()}Authenticator",
        (LexiconAuthenticator,),
        {
            "type": provider,
            "title": title,
            "provider": provider,
            "Attributes": model,
            "propagation_timeout": SLOW_PROVIDERS.get(provider, PROPAGATION_TIMEOUT),
            "__module__": __name__,
            "__doc__": f"Challenge records through lexicon's {provider} provider.",
        },
    )


def lexicon_authenticators(
    overrides: Mapping[str, builtins.type[LexiconAuthenticator]],
) -> dict[str, builtins.type[Authenticator]]:
    """Every lexicon provider as a type: ``overrides`` (by provider name) win over generated."""
    out: dict[str, builtins.type[Authenticator]] = {}
    for provider in provider_availability():
        if provider in EXCLUDED:
            continue
        cls = overrides.get(provider) or make_authenticator(provider)
        out[cls.type] = cls
    return out
