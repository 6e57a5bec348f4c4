import pytest

from crypto import selftest


def test_it_passes_every_known_answer_test() -> None:
    results = selftest.run_selftest()
    assert [r for r in results if not r.passed] == []
    assert selftest.selftest_passed(results)
    names = " ".join(r.name for r in results)
    for expected in ("sm4-block", "sm3", "sm4-gcm", "aes-256-gcm", "hmac-sm3", "ed25519"):
        assert expected in names
    assert len(results) == 10


def test_it_isolates_a_failing_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("backend missing")

    def wrong() -> None:
        selftest._expect(b"a", b"b")

    checks = (("broken", broken), ("wrong", wrong), *selftest.CHECKS)
    monkeypatch.setattr(selftest, "CHECKS", checks)
    results = selftest.run_selftest()
    assert results[0] == selftest.SelfTestResult("broken", False, "RuntimeError: backend missing")
    assert results[1] == selftest.SelfTestResult("wrong", False, "wrong answer")
    assert all(r.passed for r in results[2:])
    assert not selftest.selftest_passed(results)


def test_it_does_not_pass_an_empty_run() -> None:
    assert not selftest.selftest_passed([])


def test_it_catches_a_broken_primitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "sm3", lambda data: b"\x00" * 32)
    results = {r.name: r for r in selftest.run_selftest()}
    assert not results["sm3 (GB/T 32905)"].passed
    assert results["sm4-block (GB/T 32907)"].passed
