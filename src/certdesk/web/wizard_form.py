"""The Add CSR wizard's form: what the user typed (``WizardValues``, re-rendered after an
error so nothing is lost), how it becomes the service's ``CSRCreate`` or ``CSRImport``, and
which steps there are (``wizard_errors`` puts each field error beside its field, on its step).
Field names in the HTML are the API's dotted paths (``cert_extensions.BasicConstraints.enabled``;
the config selects send the last part, ``ca``), so a service error lands on its control.
The private key and the passphrases are read once and never kept in ``WizardValues``: they are
never echoed back into a page."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from pydantic import ValidationError
from starlette.datastructures import FormData

from certdesk.errors import FieldError, InvalidInput
from certdesk.services.schemas import (
    BasicConstraintsIn,
    CertExtensionsIn,
    ChoicesOut,
    CSRCreate,
    CSRImport,
    ExtendedKeyUsageIn,
    KeyUsageIn,
    ProfileOut,
)

CREATE = "CERTIFICATE_CREATE_CSR"
IMPORT = "CERTIFICATE_CREATE_IMPORTED_CSR"
TYPE_LABELS = {CREATE: "Certificate Signing Request", IMPORT: "Import Certificate Signing Request"}

EXT = "cert_extensions"
BC = f"{EXT}.BasicConstraints"
AKI = f"{EXT}.AuthorityKeyIdentifier"
EKU = f"{EXT}.ExtendedKeyUsage"
KU = f"{EXT}.KeyUsage"
PATH_LENGTH = f"{BC}.path_length"
USAGES = f"{EKU}.usages"
KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)
#: The multiple selects of the Extra Constraints step: their option values are the last part of
#: the API path of the flag they set (``ca`` under ``BasicConstraints``).
BC_CONFIG = f"{BC}.config"
KU_CONFIG = f"{KU}.config"
BC_CONFIG_OPTIONS = (("ca", "CA"), ("extension_critical", "Critical Extension"))
CONFIG_SELECTS = {
    BC_CONFIG: (BC, tuple(value for value, _ in BC_CONFIG_OPTIONS)),
    KU_CONFIG: (KU, (*KEY_USAGE_BITS, "extension_critical")),
}
#: Every on/off setting of the Extra Constraints step, by its API path.
FLAGS = (
    f"{BC}.enabled",
    f"{BC}.ca",
    f"{BC}.extension_critical",
    f"{EKU}.enabled",
    f"{EKU}.extension_critical",
    f"{KU}.enabled",
    *(f"{KU}.{bit}" for bit in KEY_USAGE_BITS),
    f"{KU}.extension_critical",
)
#: The flags that are checkboxes of their own (the others are options of the config selects).
CHECKBOXES = (f"{BC}.enabled", f"{EKU}.enabled", f"{EKU}.extension_critical", f"{KU}.enabled")
SUBJECT_FIELDS = (
    "country",
    "state",
    "city",
    "organization",
    "organizational_unit",
    "email",
    "common",
)


@dataclass(frozen=True)
class Step:
    key: str
    title: str


STEPS = (
    Step("identifier", "Identifier and Type"),
    Step("options", "Certificate Options"),
    Step("import", "Import Certificate"),
    Step("subject", "Certificate Subject"),
    Step("constraints", "Extra Constraints"),
    Step("confirm", "Confirm Options"),
)
STEPS_FOR = {
    CREATE: ("identifier", "options", "subject", "constraints", "confirm"),
    IMPORT: ("identifier", "import", "confirm"),
}


@dataclass(frozen=True)
class WizardValues:
    """Everything the wizard shows in its controls (never key material)."""

    name: str = ""
    create_type: str = CREATE
    profile: str = ""
    #: The profile whose values were last copied into the fields ('' when none).
    profile_applied: str = ""
    key_type: str = "RSA"
    key_length: str = "2048"
    ec_curve: str = "SECP384R1"
    digest_algorithm: str = "SHA256"
    CSR: str = ""
    country: str = ""
    state: str = ""
    city: str = ""
    organization: str = ""
    organizational_unit: str = ""
    email: str = ""
    common: str = ""
    san: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    path_length: str = ""
    usages: tuple[str, ...] = ()

    @property
    def is_import(self) -> bool:
        return self.create_type == IMPORT

    def text(self, name: str) -> str:
        """The value of a text control by its field name."""
        value = getattr(self, name)
        return value if isinstance(value, str) else ""

    @classmethod
    def from_form(cls, form: FormData) -> WizardValues:
        def get(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        raw_san = form.get("san")
        san_lines = raw_san.splitlines() if isinstance(raw_san, str) else []
        return cls(
            name=get("name"),
            create_type=IMPORT if get("create_type") == IMPORT else CREATE,
            profile=get("profile"),
            profile_applied=get("profile_applied"),
            key_type=get("key_type") or cls.key_type,
            key_length=get("key_length") or cls.key_length,
            ec_curve=get("ec_curve") or cls.ec_curve,
            digest_algorithm=get("digest_algorithm") or cls.digest_algorithm,
            CSR=get("CSR"),
            **{name: get(name) for name in SUBJECT_FIELDS},
            san=tuple(line.strip() for line in san_lines if line.strip()),
            flags=_flags(form),
            path_length=get(PATH_LENGTH),
            usages=tuple(u for u in form.getlist(USAGES) if isinstance(u, str)),
        )

    def with_profile(self, profile: ProfileOut) -> WizardValues:
        """These values with the profile's key options, digest and extensions filled in."""
        fields = profile_fields(profile)
        return replace(
            self,
            profile=profile.name,
            profile_applied=profile.name,
            key_type=profile.key_type,
            key_length=str(profile.key_length or self.key_length),
            ec_curve=profile.ec_curve or self.ec_curve,
            digest_algorithm=profile.digest_algorithm,
            flags=frozenset(
                f
                for f in FLAGS
                if getattr(getattr(profile.cert_extensions, f.split(".")[1]), f.split(".")[2])
            ),
            path_length=str(fields[PATH_LENGTH]),
            usages=tuple(profile.cert_extensions.ExtendedKeyUsage.usages),
        )


def _flags(form: FormData) -> frozenset[str]:
    """The flags that are on: checked checkboxes and the options chosen in the config selects."""
    on = {f for f in CHECKBOXES if form.get(f) is not None}
    for select, (prefix, allowed) in CONFIG_SELECTS.items():
        chosen = {v for v in form.getlist(select) if isinstance(v, str)}
        on.update(f"{prefix}.{value}" for value in allowed if value in chosen)
    return frozenset(on & set(FLAGS))


@dataclass(frozen=True)
class ImportSecrets:
    """The key and passphrases of an import, read once from the form, never rendered."""

    privatekey: str
    passphrase: str
    passphrase2: str

    @classmethod
    def from_form(cls, form: FormData) -> ImportSecrets:
        def get(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(get("privatekey").strip(), get("passphrase"), get("passphrase2"))

    @property
    def given(self) -> bool:
        return bool(self.privatekey or self.passphrase or self.passphrase2)


def profile_fields(profile: ProfileOut) -> dict[str, str | bool | list[str]]:
    """The form fields a profile sets, by control name (also sent to the page's script)."""
    ext = profile.cert_extensions
    values: dict[str, str | bool | list[str]] = {
        "key_type": profile.key_type,
        "digest_algorithm": profile.digest_algorithm,
        PATH_LENGTH: ""
        if ext.BasicConstraints.path_length is None
        else str(ext.BasicConstraints.path_length),
        USAGES: list(ext.ExtendedKeyUsage.usages),
    }
    if profile.key_length is not None:
        values["key_length"] = str(profile.key_length)
    if profile.ec_curve is not None:
        values["ec_curve"] = profile.ec_curve
    for path in CHECKBOXES:
        section, attr = path.split(".")[1:]
        values[path] = bool(getattr(getattr(ext, section), attr))
    for select, (prefix, allowed) in CONFIG_SELECTS.items():
        section = getattr(ext, prefix.split(".")[1])
        values[select] = [value for value in allowed if getattr(section, value)]
    return values


def profiles_json(choices: ChoicesOut) -> str:
    """The profiles as JSON for the wizard's script (safe inside a ``<script>`` element)."""
    data = {p.name: profile_fields(p) for p in choices.profiles}
    return json.dumps(data).replace("<", "\\u003c")


def _extensions(values: WizardValues, errors: list[FieldError]) -> CertExtensionsIn:
    on = values.flags.__contains__
    path_length: int | None = None
    if values.path_length:
        try:
            path_length = int(values.path_length)
        except ValueError:
            errors.append(
                FieldError(PATH_LENGTH, "Path Length must be a whole number (0 or more), or empty")
            )
    return CertExtensionsIn(
        BasicConstraints=BasicConstraintsIn(
            enabled=on(f"{BC}.enabled"),
            ca=on(f"{BC}.ca"),
            path_length=path_length,
            extension_critical=on(f"{BC}.extension_critical"),
        ),
        ExtendedKeyUsage=ExtendedKeyUsageIn(
            enabled=on(f"{EKU}.enabled"),
            usages=list(values.usages),
            extension_critical=on(f"{EKU}.extension_critical"),
        ),
        KeyUsage=KeyUsageIn(
            enabled=on(f"{KU}.enabled"),
            extension_critical=on(f"{KU}.extension_critical"),
            **{bit: on(f"{KU}.{bit}") for bit in KEY_USAGE_BITS},
        ),
    )


def pydantic_field_errors(exc: ValidationError) -> list[FieldError]:
    """A pydantic validation error as field errors on dotted paths (web forms share this)."""
    return [
        FieldError(".".join(str(p) for p in err["loc"]), str(err["msg"])) for err in exc.errors()
    ]


def build_request(values: WizardValues, secrets: ImportSecrets) -> CSRCreate | CSRImport:
    """The service request for the submitted wizard, or ``InvalidInput`` for what the web form
    itself can tell (a number that is not one, passphrases that differ, a missing PEM)."""
    errors: list[FieldError] = []
    try:
        if values.is_import:
            if not values.CSR:
                errors.append(FieldError("CSR", "Signing Request is required: paste the CSR PEM"))
            if not secrets.privatekey:
                errors.append(
                    FieldError("privatekey", "Private Key is required: paste the key PEM")
                )
            if secrets.passphrase != secrets.passphrase2:
                errors.append(
                    FieldError(
                        "passphrase2",
                        "Confirm Passphrase must match Passphrase: type the same passphrase twice",
                    )
                )
            if errors:
                raise InvalidInput(errors)
            return CSRImport(
                name=values.name,
                create_type="CERTIFICATE_CREATE_IMPORTED_CSR",
                CSR=values.CSR,
                privatekey=secrets.privatekey,
                passphrase=secrets.passphrase or None,
            )
        rsa = values.key_type == "RSA"
        key_length: int | None = None
        if rsa:
            try:
                key_length = int(values.key_length)
            except ValueError:
                errors.append(FieldError("key_length", "Choose a Key Length from the list"))
        extensions = _extensions(values, errors)
        if errors:
            raise InvalidInput(errors)
        return CSRCreate(
            name=values.name,
            profile=values.profile or None,
            key_type=values.key_type or None,
            key_length=key_length,
            ec_curve=None if rsa else values.ec_curve or None,
            digest_algorithm=values.digest_algorithm or None,
            country=values.country or None,
            state=values.state or None,
            city=values.city or None,
            organization=values.organization or None,
            organizational_unit=values.organizational_unit or None,
            email=values.email or None,
            common=values.common or None,
            san=list(values.san),
            cert_extensions=extensions,
        )
    except ValidationError as exc:
        raise InvalidInput([*errors, *pydantic_field_errors(exc)]) from None
