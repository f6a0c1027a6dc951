"""FieldCipher: encrypt single database values with a versioned, key-tagged format.

Two modes (see docs/adr/0005-encryption-at-rest.md):

* random (``R``): AES-256-GCM with a fresh 96-bit nonce per value. For every column that
  is only ever read back (magnet, URL, .torrent bytes, release name).
* deterministic (``D``): AES-256-SIV (RFC 5297). The same value under the same key gives
  the same ciphertext, so ``WHERE hash = ?`` and the unique constraint keep working. It
  reveals which rows are equal, nothing else; used only where a lookup needs it.

A token says how to decrypt it::

    binary  b"mx1" | mode (1 byte, b"R"/b"D") | key id (4 bytes) | body
    text    "mx1:" | mode | key id (8 hex)    | ":" | base64url(body), no padding
    body    R: nonce (12) | ciphertext | tag (16)      D: SIV tag (16) | ciphertext

The header and a caller-chosen context ("movie_source.magnet_link") are authenticated as
associated data, so a value cannot be moved to another column or have its header edited
without failing to decrypt. Each key id names a 32-byte master key; the GCM and SIV keys
are derived from it with HKDF-SHA256 so the two modes never share key material.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from miauflix_desktop.core.errors import StorageError

MAGIC = b"mx1"
TEXT_PREFIX = "mx1:"
RANDOM = b"R"
DETERMINISTIC = b"D"
KEY_ID_BYTES = 4
MASTER_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES
KEYSET_FORMAT = 1


class DecryptionError(StorageError):
    """A stored value cannot be decrypted: unknown key, damaged or tampered data."""


def is_token(value: str | bytes) -> bool:
    """True when ``value`` is in this module's format (anything else is legacy plaintext)."""
    if isinstance(value, str):
        return value.startswith(TEXT_PREFIX)
    return value[: len(MAGIC)] == MAGIC


def key_id_of(value: str | bytes) -> bytes:
    """The key id a token was made with (raises DecryptionError for a malformed one)."""
    return _split(value)[0][len(MAGIC) + 1:]


def _split(value: str | bytes) -> tuple[bytes, bytes]:
    """(header, body) of a token in either representation."""
    if isinstance(value, str):
        # "mx1:" M KKKKKKKK ":" body
        head_end = len(TEXT_PREFIX) + 1 + 2 * KEY_ID_BYTES
        if not value.startswith(TEXT_PREFIX) or value[head_end:head_end + 1] != ":":
            raise DecryptionError("not an encrypted value")
        try:
            mode = value[len(TEXT_PREFIX)].encode("ascii")
            kid = bytes.fromhex(value[len(TEXT_PREFIX) + 1:head_end])
            b64 = value[head_end + 1:]
            body = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except (ValueError, UnicodeEncodeError, binascii.Error) as exc:
            raise DecryptionError("malformed encrypted value") from exc
        return MAGIC + mode + kid, body
    if len(value) < _HEADER_BYTES or value[: len(MAGIC)] != MAGIC:
        raise DecryptionError("not an encrypted value")
    return bytes(value[:_HEADER_BYTES]), bytes(value[_HEADER_BYTES:])


def _to_text(header: bytes, body: bytes) -> str:
    mode = header[len(MAGIC):len(MAGIC) + 1].decode("ascii")
    kid = header[len(MAGIC) + 1:].hex()
    b64 = base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii")
    return f"{TEXT_PREFIX}{mode}{kid}:{b64}"


@dataclass(frozen=True)
class Keyset:
    """The master keys by id, the one new values use, and a rotation in progress.

    ``pending`` is set between "new key stored" and "every row re-encrypted": both keys
    are kept, so an interrupted rotation leaves every row readable and can be resumed.
    """

    active: bytes
    keys: Mapping[bytes, bytes] = field(default_factory=dict)
    pending: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        if self.active not in self.keys:
            raise ValueError("the active key id has no key")
        if self.pending is not None and self.pending not in self.keys:
            raise ValueError("the pending key id has no key")
        for kid, key in self.keys.items():
            if len(kid) != KEY_ID_BYTES or len(key) != MASTER_KEY_BYTES:
                raise ValueError("bad key id or key length")

    @classmethod
    def generate(cls) -> Keyset:
        kid, key = _new_key(set())
        return cls(kid, {kid: key})

    def begin_rotation(self) -> Keyset:
        """Add a pending key (or keep the one an interrupted rotation left)."""
        if self.pending is not None:
            return self
        kid, key = _new_key(set(self.keys))
        return Keyset(self.active, {**self.keys, kid: key}, kid)

    def rotation_target(self) -> Keyset:
        """Every key still readable, the pending one encrypting: the re-encryption view."""
        if self.pending is None:
            raise ValueError("no rotation in progress")
        return Keyset(self.pending, self.keys, self.pending)

    def finish_rotation(self) -> Keyset:
        """Every row is under the pending key: make it active and forget the others."""
        if self.pending is None:
            return self
        return Keyset(self.pending, {self.pending: self.keys[self.pending]})

    def to_bytes(self) -> bytes:
        return json.dumps({
            "format": KEYSET_FORMAT,
            "active": self.active.hex(),
            "pending": self.pending.hex() if self.pending else None,
            "keys": {kid.hex(): key.hex() for kid, key in self.keys.items()},
        }, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyset:
        try:
            doc = json.loads(data)
            if doc.get("format") != KEYSET_FORMAT:
                raise ValueError(f"unknown keyset format {doc.get('format')!r}")
            pending = doc.get("pending")
            return cls(bytes.fromhex(doc["active"]),
                       {bytes.fromhex(k): bytes.fromhex(v) for k, v in doc["keys"].items()},
                       bytes.fromhex(pending) if pending else None)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StorageError(f"The database field key is damaged ({exc}).") from exc


def _new_key(taken: set[bytes]) -> tuple[bytes, bytes]:
    while True:
        kid = secrets.token_bytes(KEY_ID_BYTES)
        if kid not in taken:
            return kid, secrets.token_bytes(MASTER_KEY_BYTES)


def _derive(master: bytes, length: int, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=b"miauflix field " + purpose + b" v1").derive(master)


class FieldCipher:
    """Encrypts with the keyset's active key; decrypts with any key the keyset holds."""

    def __init__(self, keyset: Keyset) -> None:
        self.keyset = keyset
        # Derived once per key: HKDF and the AEAD setup cost more than a short value.
        self._gcm = {kid: AESGCM(_derive(k, 32, b"gcm")) for kid, k in keyset.keys.items()}
        self._siv = {kid: AESSIV(_derive(k, 64, b"siv")) for kid, k in keyset.keys.items()}

    @property
    def active_key_id(self) -> bytes:
        return self.keyset.active

    # -- binary tokens ----------------------------------------------------------------

    def encrypt(self, data: bytes, context: str) -> bytes:
        """Random-nonce AES-256-GCM: equal values give unrelated tokens."""
        header = MAGIC + RANDOM + self.keyset.active
        nonce = os.urandom(NONCE_BYTES)
        body = self._gcm[self.keyset.active].encrypt(nonce, data, _aad(header, context))
        return header + nonce + body

    def encrypt_deterministic(self, data: bytes, context: str) -> bytes:
        """AES-256-SIV: equal values (same key, same context) give equal tokens."""
        header = MAGIC + DETERMINISTIC + self.keyset.active
        return header + self._siv[self.keyset.active].encrypt(data, [header, context.encode()])

    def decrypt(self, token: str | bytes, context: str) -> bytes:
        """Either mode, either representation; DecryptionError if it does not verify."""
        header, body = _split(token)
        mode, kid = header[len(MAGIC):len(MAGIC) + 1], header[len(MAGIC) + 1:]
        if kid not in self._gcm:
            raise DecryptionError(f"{context} was encrypted with key {kid.hex()}, which is "
                                  "not in the field keyset")
        try:
            if mode == RANDOM:
                if len(body) < NONCE_BYTES + TAG_BYTES:
                    raise DecryptionError(f"{context}: truncated encrypted value")
                return self._gcm[kid].decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:],
                                              _aad(header, context))
            if mode == DETERMINISTIC:
                return self._siv[kid].decrypt(body, [header, context.encode()])
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError(f"{context} does not decrypt with key {kid.hex()} "
                                  "(damaged or tampered)") from exc
        raise DecryptionError(f"{context}: unknown encryption mode {mode!r}")

    # -- text tokens (what TEXT columns hold) -----------------------------------------

    def encrypt_text(self, value: str, context: str, *, deterministic: bool = False) -> str:
        token = (self.encrypt_deterministic if deterministic else self.encrypt)(
            value.encode("utf-8"), context)
        return _to_text(token[:_HEADER_BYTES], token[_HEADER_BYTES:])

    def decrypt_text(self, token: str, context: str) -> str:
        try:
            return self.decrypt(token, context).decode("utf-8")
        except UnicodeDecodeError as exc:  # authentic but not text: a bug, say so
            raise DecryptionError(f"{context}: decrypted value is not UTF-8") from exc


def _aad(header: bytes, context: str) -> bytes:
    # The separator keeps (header, context) pairs unambiguous; the header is fixed-size.
    return header + b"\x00" + context.encode()
