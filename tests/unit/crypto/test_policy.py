"""The policy table: the values the product document and the issue ask for, verdicts with
reasons, and the defaults."""

from __future__ import annotations

from certdesk.crypto import policy
from certdesk.crypto.policy import Verdict


def _verdicts(choices: tuple[policy.Choice, ...]) -> dict[str, Verdict]:
    return {c.value: c.verdict for c in choices}


def test_every_choice_explains_anything_but_recommended() -> None:
    for name, choices in policy.all_choices().items():
        assert choices, name
        assert len({c.value for c in choices}) == len(choices), name
        for choice in choices:
            assert choice.label
            if choice.verdict is Verdict.RECOMMENDED:
                assert choice.reason == "", choice
            else:
                assert choice.reason.endswith("."), choice
                assert len(choice.reason) > 30, choice


def test_key_options() -> None:
    assert _verdicts(policy.KEY_TYPES) == {"RSA": Verdict.RECOMMENDED, "EC": Verdict.RECOMMENDED}
    assert _verdicts(policy.KEY_LENGTHS) == {
        "1024": Verdict.WARNING,
        "2048": Verdict.RECOMMENDED,
        "3072": Verdict.RECOMMENDED,
        "4096": Verdict.RECOMMENDED,
    }
    assert "2048 is the minimum recommended" in policy.KEY_LENGTHS[0].reason


def test_curves() -> None:
    verdicts = _verdicts(policy.EC_CURVES)
    assert list(verdicts) == [
        "BrainpoolP512R1",
        "BrainpoolP384R1",
        "BrainpoolP256R1",
        "SECP256K1",
        "SECP384R1",
        "SECP521R1",
        "ed25519",
        "SECP256R1",
    ]
    recommended = {v for v, verdict in verdicts.items() if verdict is Verdict.RECOMMENDED}
    assert recommended == {"SECP256R1", "SECP384R1"} == set(policy.PUBLIC_CA_EC_CURVES)
    assert all(verdict is not Verdict.REFUSED for verdict in verdicts.values())
    labels = {c.value: c.label for c in policy.EC_CURVES}
    assert labels["SECP256R1"] == "SECP256R1 (P-256)"


def test_digests() -> None:
    verdicts = _verdicts(policy.DIGESTS)
    assert verdicts == {
        "SHA1": Verdict.REFUSED,
        "SHA224": Verdict.WARNING,
        "SHA256": Verdict.RECOMMENDED,
        "SHA384": Verdict.RECOMMENDED,
        "SHA512": Verdict.RECOMMENDED,
    }
    assert "refuse" in policy.DIGESTS[0].reason
    assert policy.values(policy.DIGESTS) == ("SHA224", "SHA256", "SHA384", "SHA512")


def test_usages_are_the_documents() -> None:
    assert [c.value for c in policy.EXTENDED_KEY_USAGES] == [
        "ANY_EXTENDED_KEY_USAGE",
        "CERTIFICATE_TRANSPARENCY",
        "CLIENT_AUTH",
        "CODE_SIGNING",
        "EMAIL_PROTECTION",
        "IPSEC_IKE",
        "KERBEROS_PKINIT_KDC",
        "OCSP_SIGNING",
        "SERVER_AUTH",
        "SMARTCARD_LOGON",
        "TIME_STAMPING",
    ]
    assert [c.label for c in policy.KEY_USAGES] == [
        "Digital Signature",
        "Content Commitment",
        "Key Encipherment",
        "Data Encipherment",
        "Key Agreement",
        "Key Cert Sign",
        "CRL Sign",
        "Encipher Only",
        "Decipher Only",
    ]


def test_defaults_are_offered() -> None:
    assert policy.find_choice(policy.KEY_TYPES, policy.DEFAULT_KEY_TYPE)
    assert policy.find_choice(policy.KEY_LENGTHS, str(policy.DEFAULT_KEY_LENGTH))
    assert policy.find_choice(policy.EC_CURVES, policy.DEFAULT_EC_CURVE)
    assert policy.find_choice(policy.DIGESTS, policy.DEFAULT_DIGEST)
    assert policy.DEFAULT_EC_CURVE == "SECP384R1"
    assert policy.DEFAULT_DIGEST == "SHA256"


def test_find_choice_and_warning() -> None:
    assert policy.find_choice(policy.DIGESTS, "sha256") == policy.DIGESTS[2]
    assert policy.find_choice(policy.DIGESTS, "MD5") is None
    assert policy.warning_for(policy.DIGESTS, "SHA256", "Digest") is None
    assert policy.warning_for(policy.DIGESTS, "SHA1", "Digest") is None  # refused, not warned
    warning = policy.warning_for(policy.KEY_LENGTHS, "1024", "Key length")
    assert warning is not None and warning.startswith("Key length 1024: ")
