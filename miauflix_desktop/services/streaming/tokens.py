"""Signed, expiring stream tokens: which file of which source of which media, until when."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from miauflix_desktop.core.errors import TokenError

# Tokens travel in URL paths that TVs and players copy around; keep them short and
# URL-safe, and bound their size so a hostile client cannot make us hash megabytes.
MAX_TOKEN_LENGTH = 512

# The playback target a token was issued for (services.sources.profiles names). Tokens
# issued before targets existed carry none: they were all for this PC's player, so they
# verify as DEFAULT_TARGET (their signature covers exactly what they say, nothing less).
DEFAULT_TARGET = "pc"
MAX_TARGET_LENGTH = 32


@dataclass(frozen=True)
class StreamClaim:
    """What a token grants: one file of one source, for one playback target (the
    capabilities the source was chosen for), until `expires` (unix seconds)."""

    media_id: int
    source_id: int
    file_index: int
    expires: int
    target: str = DEFAULT_TARGET


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """HMAC-SHA256 signer; the secret lives in the keyring (see config.secrets)."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("stream secret must be at least 16 bytes")
        self._secret = secret
        self._clock = clock

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def issue(self, media_id: int, source_id: int, file_index: int, ttl_seconds: int,
              target: str = DEFAULT_TARGET) -> str:
        if not target or len(target) > MAX_TARGET_LENGTH:
            raise ValueError(f"bad playback target name: {target!r}")
        claim: dict[str, int | str] = {
            "m": media_id,
            "s": source_id,
            "f": file_index,
            "e": int(self._clock()) + ttl_seconds,
        }
        if target != DEFAULT_TARGET:
            # Absent for the PC: its tokens stay as short as before.
            claim["t"] = target
        payload = json.dumps(claim, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def verify(self, token: str) -> StreamClaim:
        """Return the claim or raise TokenError; the reason is for logs, not for clients."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("token too long")
        payload_b64, dot, sig_b64 = token.partition(".")
        if not dot:
            raise TokenError("token has no signature")
        try:
            payload = _unb64(payload_b64)
            signature = _unb64(sig_b64)
        except (ValueError, TypeError) as exc:
            raise TokenError("token is not base64url") from exc
        # Constant-time comparison: the signature check must not leak how many bytes matched.
        if not hmac.compare_digest(self._sign(payload), signature):
            raise TokenError("bad signature")
        try:
            data = json.loads(payload)
            claim = StreamClaim(
                media_id=int(data["m"]),
                source_id=int(data["s"]),
                file_index=int(data["f"]),
                expires=int(data["e"]),
                target=_target(data.get("t", DEFAULT_TARGET)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TokenError("signed payload is malformed") from exc
        if claim.expires <= self._clock():
            raise TokenError("token expired")
        return claim


def _target(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TARGET_LENGTH:
        raise ValueError("target is not a short name")
    return value


def expiry_of(token: str) -> int | None:
    """The expiry (epoch seconds) a token states, WITHOUT checking its signature.

    Only for tokens TokenSigner.verify has already accepted (the stream routes' resolve
    cache uses it so that a cached token stops working when it expires); None if the
    payload cannot be read.
    """
    payload_b64, _dot, _sig = token.partition(".")
    try:
        return int(json.loads(_unb64(payload_b64))["e"])
    except (ValueError, KeyError, TypeError):
        return None
