"""Stream tokens carry the playback target the source was chosen for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from miauflix_desktop.core.errors import TokenError
from miauflix_desktop.services.streaming.tokens import DEFAULT_TARGET, StreamClaim, TokenSigner

SECRET = b"k" * 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(payload: dict) -> str:
    """A token signed like TokenSigner does, with any payload (old formats, garbage)."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(raw)}.{_b64(hmac.new(SECRET, raw, hashlib.sha256).digest())}"


def test_target_round_trips_and_pc_tokens_keep_their_old_shape() -> None:
    signer = TokenSigner(SECRET, lambda: 1000)
    tv = signer.issue(7, 3, 1, 60, target="samsung-tv")
    assert signer.verify(tv) == StreamClaim(7, 3, 1, 1060, "samsung-tv")
    pc = signer.issue(7, 3, 1, 60)
    assert signer.verify(pc).target == DEFAULT_TARGET
    # The PC's token is byte-for-byte what the format before targets produced.
    assert pc == signed({"m": 7, "s": 3, "f": 1, "e": 1060})


def test_tokens_from_before_targets_verify_as_the_pc() -> None:
    signer = TokenSigner(SECRET, lambda: 1000)
    old = signed({"m": 1, "s": 2, "f": 0, "e": 2000})
    assert signer.verify(old) == StreamClaim(1, 2, 0, 2000, "pc")


def test_changing_the_target_breaks_the_signature() -> None:
    signer = TokenSigner(SECRET, lambda: 1000)
    pc = signer.issue(1, 2, 0, 60)
    tv_payload = _b64(json.dumps({"e": 1060, "f": 0, "m": 1, "s": 2, "t": "samsung-tv"},
                                 separators=(",", ":")).encode())
    with pytest.raises(TokenError, match="bad signature"):
        signer.verify(tv_payload + "." + pc.split(".")[1])


@pytest.mark.parametrize("target", [5, "", None, ["pc"], "x" * 40])
def test_a_signed_but_malformed_target_is_refused(target) -> None:
    signer = TokenSigner(SECRET, lambda: 1000)
    with pytest.raises(TokenError, match="malformed"):
        signer.verify(signed({"m": 1, "s": 2, "f": 0, "e": 2000, "t": target}))


def test_issue_refuses_a_bad_target_name() -> None:
    with pytest.raises(ValueError):
        TokenSigner(SECRET).issue(1, 2, 0, 60, target="")
