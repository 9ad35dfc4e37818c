"""Benchmark: CSR creation through certdesk's service layer (validation, key generation, signing,
details, storage with encryption, audit entry, files on disk) next to raw ``cryptography`` doing
only the key generation and the signing, for P-256 and RSA-2048, in one run.

    .venv/bin/python bench/csr_create.py [--rounds N]

Key generation time varies a lot from key to key (RSA searches for primes), so both contenders are
given the very same keys: each round generates one key and times that, then raw ``cryptography``
signs a CSR with it and certdesk's ``csrs.create`` is run with its key generation handing out
that key. Each contender's time is the key's generation time plus its own work, so the
difference is exactly what the service adds."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from scratch import default_work_dir, scratch_dir

from certdesk.crypto import keys as crypto_keys
from certdesk.services import csrs
from certdesk.services.context import Actor, AppContext
from certdesk.services.schemas import CSRCreate
from certdesk.settings import Settings

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def generate(kind: str) -> Key:
    if kind == "P-256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def raw_sign(key: Key, i: int) -> None:
    name = f"raw{i}.example.com"
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    csr.public_bytes(serialization.Encoding.PEM)
    key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def service_create(ctx: AppContext, kind: str, i: int) -> None:
    name = f"svc{kind.replace('-', '')}x{i}"
    csrs.create(
        ctx,
        CSRCreate(
            name=name,
            key_type="EC" if kind == "P-256" else "RSA",
            ec_curve="SECP256R1" if kind == "P-256" else None,
            key_length=2048 if kind == "RSA-2048" else None,
            digest_algorithm="SHA256",
            common=f"{name}.example.com",
            san=[f"{name}.example.com"],
        ),
        Actor("bench", "bench"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300, help="CSRs per kind and contender")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help=f"where the temporary data directory goes (default: {default_work_dir()})",
    )
    args = parser.parse_args()
    real_generate = crypto_keys.generate_private_key
    with scratch_dir(args.work_dir) as tmp:
        ctx = AppContext.open(Settings(data_dir=Path(tmp)))
        try:
            print(f"{'kind':9} {'contender':22} {'median ms':>10} {'mean ms':>9} {'p95 ms':>8}")
            for kind in ("P-256", "RSA-2048"):
                raw_ms: list[float] = []
                svc_ms: list[float] = []
                for i in range(-3, args.rounds):  # three warm-up rounds
                    start = time.perf_counter()
                    key = generate(kind)
                    keygen = (time.perf_counter() - start) * 1000
                    start = time.perf_counter()
                    raw_sign(key, i)
                    sign = (time.perf_counter() - start) * 1000
                    crypto_keys.generate_private_key = lambda _spec, key=key: key  # type: ignore[misc]
                    try:
                        start = time.perf_counter()
                        service_create(ctx, kind, i)
                        create = (time.perf_counter() - start) * 1000
                    finally:
                        crypto_keys.generate_private_key = real_generate
                    if i >= 0:
                        raw_ms.append(keygen + sign)
                        svc_ms.append(keygen + create)
                for label, values in (("raw cryptography", raw_ms), ("certdesk service", svc_ms)):
                    ordered = sorted(values)
                    p95 = ordered[int(len(ordered) * 0.95) - 1]
                    print(
                        f"{kind:9} {label:22} {statistics.median(ordered):10.3f} "
                        f"{statistics.fmean(ordered):9.3f} {p95:8.3f}"
                    )
                added = [s - r for s, r in zip(svc_ms, raw_ms, strict=True)]
                share = statistics.fmean(added) / statistics.fmean(raw_ms) * 100
                print(
                    f"{kind:9} {'added by the service':22} {statistics.median(added):10.3f} "
                    f"{statistics.fmean(added):9.3f}  ({share:.1f} % of raw, mean)"
                )
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
