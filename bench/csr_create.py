"""Benchmark: CSR creation through certdesk's service layer (validation, key generation, signing,
storage with encryption, audit, files on disk) next to raw ``cryptography`` doing only the key
generation and signing, for P-256 and RSA-2048, in one run.

    .venv/bin/python bench/csr_create.py [--rounds N]

Rounds alternate between the two so that both see the same machine state."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certdesk.services import csrs
from certdesk.services.context import Actor, AppContext
from certdesk.services.schemas import CSRCreate
from certdesk.settings import Settings


def raw(kind: str) -> Callable[[int], None]:
    def make(i: int) -> None:
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if kind == "P-256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
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

    return make


def service(ctx: AppContext, kind: str) -> Callable[[int], None]:
    actor = Actor("bench", "bench")

    def make(i: int) -> None:
        name = f"svc{kind.replace('-', '')}x{i}"
        data = CSRCreate(
            name=name,
            key_type="EC" if kind == "P-256" else "RSA",
            ec_curve="SECP256R1" if kind == "P-256" else None,
            key_length=2048 if kind == "RSA-2048" else None,
            digest_algorithm="SHA256",
            common=f"{name}.example.com",
            san=[f"{name}.example.com"],
        )
        csrs.create(ctx, data, actor)

    return make


def measure(fn: Callable[[int], None], i: int) -> float:
    start = time.perf_counter()
    fn(i)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="CSRs per kind and contender")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = AppContext.open(Settings(data_dir=Path(tmp)))
        try:
            print(f"{'kind':9} {'contender':26} {'median ms':>10} {'mean ms':>9} {'p95 ms':>8}")
            for kind, rounds in (("P-256", args.rounds), ("RSA-2048", max(20, args.rounds // 4))):
                results: dict[str, list[float]] = {"raw cryptography": [], "certdesk service": []}
                contenders = {"raw cryptography": raw(kind), "certdesk service": service(ctx, kind)}
                for fn in contenders.values():  # warm-up
                    fn(-1 - rounds)
                for i in range(rounds):
                    for label, fn in contenders.items():
                        results[label].append(measure(fn, i))
                for label, values in results.items():
                    values.sort()
                    p95 = values[int(len(values) * 0.95) - 1]
                    print(
                        f"{kind:9} {label:26} {statistics.median(values):10.3f} "
                        f"{statistics.fmean(values):9.3f} {p95:8.3f}"
                    )
                overhead = statistics.fmean(results["certdesk service"]) - statistics.fmean(
                    results["raw cryptography"]
                )
                share = overhead / statistics.fmean(results["raw cryptography"]) * 100
                print(
                    f"{kind:9} {'service overhead':26} {overhead:10.3f} ms per CSR ({share:.1f} %)"
                )
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
