"""Benchmark crypto/ against the pure-Python gmssl baseline (a script, not a test).

    .venv/bin/python tests/bench/bench_crypto.py

Reports ops/s and µs/op (median of several rounds, time.perf_counter) for
200-byte seal+open through our envelope (SM4-GCM and AES-256-GCM, via
envelope.seal/open_ and via KeyRing.encrypt/decrypt), the pure-Python gmssl
SM4-CBC baseline, SM2 sign/verify (gmssl-pyx vs pure gmssl) and SM3. Targets
are printed as PASS/MISS; the exit status is always 0 because shared CI
machines make timing too noisy to gate on.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gmssl import sm3 as pure_sm3
from gmssl.sm4 import SM4_DECRYPT
from gmssl.sm4 import SM4_ENCRYPT
from gmssl.sm4 import CryptSM4

from crypto import envelope
from crypto import hashing
from crypto import sm2
from crypto.aead import Algorithm
from crypto.aead import generate_key
from crypto.keyring import KeyRing
from crypto.keys import DataKey
from crypto.keys import KeyEncryptionKey

MESSAGE = os.urandom(200)
CONTEXT = b"messages.body\x00conv=42\x00seq=7"
ROUNDS = 5


def measure(operation: Callable[[], object], seconds: float = 0.3) -> float:
    """Median seconds per call over ROUNDS rounds of about `seconds` each."""
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < seconds / 5:
        operation()
        calls += 1
    batch = max(1, calls * 5)
    timings = []
    for _ in range(ROUNDS):
        begin = time.perf_counter()
        for _ in range(batch):
            operation()
        timings.append((time.perf_counter() - begin) / batch)
    return statistics.median(timings)


def row(name: str, per_op: float) -> float:
    print(f"  {name:<52} {1 / per_op:>12,.0f} ops/s {per_op * 1e6:>11.2f} µs/op")
    return per_op


def seal_open(key: DataKey) -> Callable[[], object]:
    def run() -> object:
        sealed = envelope.seal(key, MESSAGE, context=CONTEXT)
        return envelope.open_(lambda _: key, sealed, context=CONTEXT)

    return run


def seal_only(key: DataKey) -> Callable[[], object]:
    return lambda: envelope.seal(key, MESSAGE, context=CONTEXT)


def keyring_round_trip(ring: KeyRing) -> Callable[[], object]:
    return lambda: ring.decrypt(ring.encrypt(MESSAGE, context=CONTEXT), context=CONTEXT)


def gmssl_cbc_round_trip() -> Callable[[], object]:
    key, iv = os.urandom(16), os.urandom(16)
    encryptor, decryptor = CryptSM4(), CryptSM4()
    encryptor.set_key(key, SM4_ENCRYPT)
    decryptor.set_key(key, SM4_DECRYPT)
    return lambda: decryptor.crypt_cbc(iv, encryptor.crypt_cbc(iv, MESSAGE))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"SM2 backend: {sm2.SM2_BACKEND}; SM3 backend: {hashing.SM3_BACKEND}")
    print(f"median of {ROUNDS} rounds; 200-byte messages\n")

    sm4 = DataKey(1, Algorithm.SM4_GCM, generate_key(Algorithm.SM4_GCM))
    aes = DataKey(2, Algorithm.AES_256_GCM, generate_key(Algorithm.AES_256_GCM))
    with tempfile.TemporaryDirectory() as directory:
        kek = KeyEncryptionKey.generate()
        sm4_ring = KeyRing.create(Path(directory) / "sm4.json", kek, Algorithm.SM4_GCM)
        aes_ring = KeyRing.create(Path(directory) / "aes.json", kek, Algorithm.AES_256_GCM)

        print("Envelope seal + open (200 B)")
        ours_sm4 = row("envelope SM4-GCM seal+open", measure(seal_open(sm4)))
        ring_sm4 = row("KeyRing SM4-GCM encrypt+decrypt", measure(keyring_round_trip(sm4_ring)))
        ours_aes = row("envelope AES-256-GCM seal+open", measure(seal_open(aes)))
        row("KeyRing AES-256-GCM encrypt+decrypt", measure(keyring_round_trip(aes_ring)))
        sm4_seal = row("envelope SM4-GCM seal only", measure(seal_only(sm4)))
        row("envelope AES-256-GCM seal only", measure(seal_only(aes)))
        gmssl = row(
            "pure gmssl SM4-CBC encrypt+decrypt (baseline)", measure(gmssl_cbc_round_trip())
        )

    print("\nRatios (ours ÷ pure gmssl, by throughput)")
    print(f"  envelope SM4-GCM      {gmssl / ours_sm4:>10,.0f}×")
    print(f"  KeyRing SM4-GCM       {gmssl / ring_sm4:>10,.0f}×")
    print(f"  envelope AES-256-GCM  {gmssl / ours_aes:>10,.0f}×")

    print("\nSM2 sign / verify (200 B, SM3 with Z)")
    c_signer = sm2.SM2Signer.generate()
    signature = c_signer.sign(MESSAGE)
    c_sign = row("gmssl-pyx sign", measure(lambda: c_signer.sign(MESSAGE)))
    c_verify = row(
        "gmssl-pyx verify", measure(lambda: c_signer.verifier().verify(MESSAGE, signature))
    )
    pure = sm2._load_pure()
    public = c_signer.verifier().public_key_raw()[1:]
    private = c_signer._private
    p_sign = row("pure gmssl sign", measure(lambda: pure.sign(private, public, MESSAGE), 0.5))
    p_verify = row(
        "pure gmssl verify", measure(lambda: pure.verify(public, MESSAGE, signature), 0.5)
    )
    print(f"  ratio sign {p_sign / c_sign:.1f}×, verify {p_verify / c_verify:.1f}×")

    print("\nSM3 (200 B)")
    ours_sm3 = row(
        f"crypto.hashing.sm3 ({hashing.SM3_BACKEND})", measure(lambda: hashing.sm3(MESSAGE))
    )
    data = list(MESSAGE)
    p_sm3 = row("pure gmssl sm3_hash", measure(lambda: pure_sm3.sm3_hash(list(data))))
    print(f"  ratio {p_sm3 / ours_sm3:,.0f}×")

    print("\nTargets")
    ratio = gmssl / ours_sm4
    print(f"  [{verdict(ratio >= 100)}] SM4-GCM envelope ≥ 100× pure gmssl: {ratio:,.0f}×")
    micros = sm4_seal * 1e6
    print(f"  [{verdict(micros <= 10)}] ≤ 10 µs per 200-byte SM4-GCM seal: {micros:.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
