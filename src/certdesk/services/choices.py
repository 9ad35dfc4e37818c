"""Every option a client can offer, with its policy (recommended, allowed with a warning, or
refused, and why), so the UI can show it before the user submits."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from certdesk.acme import directories
from certdesk.crypto import names, policy, profiles
from certdesk.dns import registry
from certdesk.services.schemas import (
    AuthorityKeyIdentifierIn,
    BasicConstraintsIn,
    CertExtensionsIn,
    ChoiceOut,
    ChoicesOut,
    ExtendedKeyUsageIn,
    KeyUsageIn,
    ProfileOut,
)


def _out(choices: tuple[policy.Choice, ...]) -> list[ChoiceOut]:
    return [
        ChoiceOut(value=c.value, label=c.label, verdict=c.verdict.value, reason=c.reason)
        for c in choices
    ]


def _profile(name: str, profile: profiles.Profile) -> ProfileOut:
    ext = profile.extensions
    bc, eku, ku = ext.basic_constraints, ext.extended_key_usage, ext.key_usage
    return ProfileOut(
        name=name,
        key_type=profile.key_type,
        key_length=profile.key_length,
        ec_curve=profile.ec_curve,
        digest_algorithm=profile.digest_algorithm,
        cert_extensions=CertExtensionsIn(
            BasicConstraints=BasicConstraintsIn(
                enabled=bc.enabled,
                ca=bc.ca,
                path_length=bc.path_length,
                extension_critical=bc.extension_critical,
            ),
            AuthorityKeyIdentifier=AuthorityKeyIdentifierIn(),
            ExtendedKeyUsage=ExtendedKeyUsageIn(
                enabled=eku.enabled,
                usages=list(eku.usages),
                extension_critical=eku.extension_critical,
            ),
            KeyUsage=KeyUsageIn(
                **{f: getattr(ku, f) for f in KeyUsageIn.model_fields if hasattr(ku, f)}
            ),
        ),
    )


@lru_cache(maxsize=1)
def choices() -> ChoicesOut:
    rec: Literal["recommended"] = "recommended"
    return ChoicesOut(
        key_types=_out(policy.KEY_TYPES),
        key_lengths=_out(policy.KEY_LENGTHS),
        ec_curves=_out(policy.EC_CURVES),
        digest_algorithms=_out(policy.DIGESTS),
        countries=[
            ChoiceOut(value=code, label=label, verdict=rec, reason="")
            for code, label in names.countries()
        ],
        extended_key_usages=_out(policy.EXTENDED_KEY_USAGES),
        key_usages=_out(policy.KEY_USAGES),
        profiles=[_profile(name, p) for name, p in profiles.PROFILES.items()],
        acme_directories=[
            ChoiceOut(value=preset.url, label=preset.label, verdict=rec, reason="")
            for preset in directories.PRESETS
        ],
        authenticator_types=[
            ChoiceOut(value=name, label=cls.title, verdict=rec, reason="")
            for name, cls in registry.authenticator_types().items()
        ],
    )
