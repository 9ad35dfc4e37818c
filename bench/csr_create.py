"""Benchmark: CSR creation through certdesk's service layer (validation, key generation, signing,
details, storage with encryption, audit entry, files on disk) next to raw ``cryptography`` doing
only the key generation and the signing, for P-256 and RSA-2048, in one run.

    .venv/bin/python bench/csr_create.py [--rounds N] [--work-dir DIR]

Key generation time varies a lot from key to key (RSA searches for primes), so both contenders are
given the very same keys, and certdesk's ``csrs.create`` runs with its key generation handing out
the given key. Each contender's time for a key is that key's generation time plus its own work, so
the difference is exactly what the service adds. Two orders, both printed:

* back to back: all keys are generated (and timed) first, then raw ``cryptography`` signs a CSR
  for each key in one loop, then ``csrs.create`` runs for each key in another loop;
* interleaved: for each key in turn, generate it, sign with raw ``cryptography``, then run
  ``csrs.create``. Here the service's Python code always runs straight after a key generation;
  on a shared virtual machine any code run after a pause of tens of milliseconds is several
  times slower than in a loop (caches refilled), which weighs on certdesk's Python and SQLite
  work far more than on the raw contender's few calls into OpenSSL.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from scratch import default_work_dir, file_creation_ms, scratch_dir

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


def service_create(ctx: AppContext, kind: str, label: str) -> None:
    name = f"svc{kind.replace('-', '')}{label}"
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


def timed_key(kind: str) -> tuple[Key, float]:
    start = time.perf_counter()
    key = generate(kind)
    return key, (time.perf_counter() - start) * 1000


def timed_sign(key: Key, i: int) -> float:
    start = time.perf_counter()
    raw_sign(key, i)
    return (time.perf_counter() - start) * 1000


def timed_create(ctx: AppContext, kind: str, key: Key, label: str) -> float:
    """``csrs.create`` with its key generation handing out ``key``."""
    real_generate = crypto_keys.generate_private_key
    crypto_keys.generate_private_key = lambda _spec: key  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        service_create(ctx, kind, label)
        return (time.perf_counter() - start) * 1000
    finally:
        crypto_keys.generate_private_key = real_generate


def back_to_back(ctx: AppContext, kind: str, rounds: int) -> tuple[list[float], list[float]]:
    """Per key: (key generation + raw signing, key generation + service), each loop on its own."""
    keys = [timed_key(kind) for _ in range(rounds + 3)]  # three warm-up keys
    signs = [timed_sign(key, i) for i, (key, _) in enumerate(keys)]
    creates = [timed_create(ctx, kind, key, f"b{i}") for i, (key, _) in enumerate(keys)]
    keygens = [ms for _, ms in keys]
    raw = [g + s for g, s in zip(keygens, signs, strict=True)][3:]
    svc = [g + c for g, c in zip(keygens, creates, strict=True)][3:]
    return raw, svc


def interleaved(ctx: AppContext, kind: str, rounds: int) -> tuple[list[float], list[float]]:
    """Per key, generated in turn: (key generation + raw signing, key generation + service)."""
    raw: list[float] = []
    svc: list[float] = []
    for i in range(-3, rounds):  # three warm-up rounds
        key, keygen = timed_key(kind)
        sign = timed_sign(key, i)
        create = timed_create(ctx, kind, key, f"i{i + 3}")
        if i >= 0:
            raw.append(keygen + sign)
            svc.append(keygen + create)
    return raw, svc


def report(label: str, raw_ms: list[float], svc_ms: list[float]) -> None:
    print(f"{label}:")
    for contender, values in (("raw cryptography", raw_ms), ("certdesk service", svc_ms)):
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(
            f"  {contender:22} median {statistics.median(ordered):8.3f} ms  "
            f"mean {statistics.fmean(ordered):8.3f} ms  p95 {p95:8.3f} ms"
        )
    added = [s - r for s, r in zip(svc_ms, raw_ms, strict=True)]
    share = statistics.fmean(added) / statistics.fmean(raw_ms) * 100
    print(
        f"  {'added by the service':22} median {statistics.median(added):8.3f} ms  "
        f"mean {statistics.fmean(added):8.3f} ms  = {share:.1f} % of raw (means)"
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
    with scratch_dir(args.work_dir) as tmp:
        creation = file_creation_ms(Path(tmp))
        print(f"data in {tmp}; creating a file there takes {creation:.3f} ms (median)\n")
        ctx = AppContext.open(Settings(data_dir=Path(tmp)))
        try:
            for kind in ("P-256", "RSA-2048"):
                for order in ("back to back", "interleaved"):
                    run = back_to_back if order == "back to back" else interleaved
                    raw_ms, svc_ms = run(ctx, kind, args.rounds)
                    report(f"{kind}, {order}", raw_ms, svc_ms)
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
