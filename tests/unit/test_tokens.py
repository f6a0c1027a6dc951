"""Signed expiring stream tokens."""

import pytest

from miauflix_desktop.core.errors import TokenError
from miauflix_desktop.services.streaming.tokens import StreamClaim, TokenSigner

SECRET = b"k" * 32


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_round_trip():
    clock = Clock(1_000_000)
    signer = TokenSigner(SECRET, clock)
    token = signer.issue(7, 3, 1, ttl_seconds=60)
    assert signer.verify(token) == StreamClaim(7, 3, 1, 1_000_060)
    assert all(c.isalnum() or c in "-_." for c in token)


def test_expired():
    clock = Clock(1_000_000)
    signer = TokenSigner(SECRET, clock)
    token = signer.issue(7, 3, 1, ttl_seconds=60)
    clock.now += 60
    with pytest.raises(TokenError):
        signer.verify(token)


def test_other_secret_rejected():
    token = TokenSigner(b"a" * 32).issue(1, 1, 0, 60)
    with pytest.raises(TokenError):
        TokenSigner(b"b" * 32).verify(token)


def test_tampered_payload_rejected():
    signer = TokenSigner(SECRET)
    token = signer.issue(1, 1, 0, 60)
    other = signer.issue(2, 1, 0, 60)
    forged = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(TokenError):
        signer.verify(forged)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "!!!.???", "x" * 600, "é.é"])
def test_garbage_rejected(garbage):
    with pytest.raises(TokenError):
        TokenSigner(SECRET).verify(garbage)


def test_short_secret_refused():
    with pytest.raises(ValueError):
        TokenSigner(b"short")
