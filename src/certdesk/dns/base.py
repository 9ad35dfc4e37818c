"""The shape every DNS-01 authenticator has: a pydantic attribute model, perform and cleanup.

An authenticator writes and removes one ``_acme-challenge`` TXT record at a time through one kind
of DNS service (RFC 2136, a shell hook, acme-dns, a lexicon provider). It never sleeps and never
checks propagation: ``certdesk.dns.propagation`` does that for every record of an order at once.
Attributes are validated at the boundary by ``validate_attributes``, which turns pydantic's
errors and the type's own checks into one ``InvalidInput`` with ``attributes.<name>`` paths.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from certdesk.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    from certdesk.dns.propagation import Nameserver

#: Seconds a propagation check may take for a type that does not say otherwise.
DEFAULT_PROPAGATION_TIMEOUT = 120.0


@dataclass(frozen=True)
class TXTRecord:
    """One challenge record: ``domain`` is the ACME identifier, ``fqdn`` the absolute TXT name."""

    domain: str
    fqdn: str
    value: str

    @classmethod
    def for_domain(cls, domain: str, value: str) -> TXTRecord:
        """The record answering a DNS-01 challenge for ``domain`` (a leading ``*.`` is dropped)."""
        bare = domain.strip().rstrip(".").lower()
        if bare.startswith("*."):
            bare = bare[2:]
        return cls(domain=bare, fqdn=f"_acme-challenge.{bare}.", value=value)


class AttributesModel(BaseModel):
    """Base of every ``Attributes`` model: unknown attributes are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_MESSAGES = {
    "missing": "Attribute is required.",
    "extra_forbidden": "Unknown attribute: remove it.",
    "string_type": "Must be a string.",
    "int_parsing": "Must be a whole number.",
    "int_type": "Must be a whole number.",
    "bool_parsing": "Must be true or false.",
}


class Authenticator(ABC):
    """One way of writing ``_acme-challenge`` TXT records; subclasses declare their attributes."""

    type: ClassVar[str]
    title: ClassVar[str]
    Attributes: ClassVar[builtins.type[BaseModel]]
    #: Seconds a propagation check may take for records written by this type.
    propagation_timeout: ClassVar[float] = DEFAULT_PROPAGATION_TIMEOUT
    #: Extra seconds to wait once every nameserver shows the records (providers whose anycast
    #: nameservers lag behind each other); 0 for almost everyone.
    settle_delay: ClassVar[float] = 0

    def __init__(self, attributes: BaseModel) -> None:
        if not isinstance(attributes, self.Attributes):
            raise TypeError(
                f"{type(self).__name__} needs {self.Attributes.__name__}, "
                f"not {type(attributes).__name__}"
            )
        self.attributes = attributes

    @abstractmethod
    def perform(self, record: TXTRecord) -> None:
        """Write ``record`` (adding to other TXT values at the same name); DNSError on failure."""

    @abstractmethod
    def cleanup(self, record: TXTRecord) -> None:
        """Remove ``record``; removing a record that is not there is not an error."""

    def nameservers(self) -> list[Nameserver] | None:
        """The nameservers to check, when this authenticator knows them; None: find them."""
        return None

    @classmethod
    def validate_attributes(cls, data: Mapping[str, Any]) -> BaseModel:
        """Attributes from user input; InvalidInput with every ``attributes.<name>`` error."""
        try:
            model = cls.Attributes.model_validate(dict(data))
        except ValidationError as exc:
            raise InvalidInput(
                [field_error(error) for error in exc.errors()] or [FieldError("attributes", "")]
            ) from None
        problems = cls.check_attributes(model)
        if problems:
            raise InvalidInput([p.prefixed("attributes") for p in problems])
        return model

    @classmethod
    def check_attributes(cls, attributes: BaseModel) -> list[FieldError]:
        """Rules across fields and checks of the system (paths relative to ``attributes``)."""
        return []

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of the attributes that are secrets (never shown, kept when omitted on update)."""
        return frozenset(
            name
            for name, info in cls.Attributes.model_fields.items()
            if _is_secret(info.annotation)
        )

    @classmethod
    def dump_attributes(cls, attributes: BaseModel, *, reveal_secrets: bool) -> dict[str, Any]:
        """Plain JSON-able values: with secrets in clear (for encrypted storage) or without them."""
        values = attributes.model_dump(mode="python")
        secrets = cls.secret_fields()
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in secrets:
                if not reveal_secrets:
                    continue
                value = value.get_secret_value() if isinstance(value, SecretStr) else value
            out[name] = value
        return out


def field_error(error: Mapping[str, Any]) -> FieldError:
    """One pydantic error as a FieldError under ``attributes``, in words that name the fix."""
    loc = ".".join(str(part) for part in error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = _MESSAGES.get(kind) or str(error.get("msg", "Invalid value."))
    if kind.endswith("_type") and "input" in error and error["input"] is None:
        message = _MESSAGES["missing"]  # null given for a required attribute (a cleared one)
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"Must be one of {expected}."
    path = f"attributes.{loc}" if loc else "attributes"
    return FieldError(path, message)


def secret(value: SecretStr | None) -> str:
    """The clear text of an optional secret attribute ('' when absent)."""
    return value.get_secret_value() if value is not None else ""


def _is_secret(annotation: object) -> bool:
    if annotation is SecretStr:
        return True
    return SecretStr in getattr(annotation, "__args__", ())
