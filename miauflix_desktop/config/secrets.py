"""Secrets: the OS keyring when a usable backend exists, else a 0600 file in the data dir."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

SERVICE = "miauflix-desktop"


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        # The chainer with no real backends behind it is as good as "fail".
        return getattr(backend, "backends", None) != []
    except Exception:  # a broken D-Bus or keyring config must not stop the app
        log.info("no usable keyring backend", exc_info=True)
        return False


class SecretStore:
    """Get-or-create named secrets; falls back to a 0600 file per secret."""

    def __init__(self, fallback_dir: Path, use_keyring: bool | None = None) -> None:
        self._dir = fallback_dir
        self._use_keyring = _keyring_usable() if use_keyring is None else use_keyring

    @property
    def backend_name(self) -> str:
        return "keyring" if self._use_keyring else f"file:{self._dir}"

    def get_or_create(self, name: str, nbytes: int = 32) -> bytes:
        existing = self.get(name)
        if existing is not None:
            return existing
        value = secrets.token_bytes(nbytes)
        self.set(name, value)
        return value

    def get(self, name: str) -> bytes | None:
        if self._use_keyring:
            try:
                import keyring

                v = keyring.get_password(SERVICE, name)
                return bytes.fromhex(v) if v else None
            except Exception:
                log.warning("keyring read failed; using the file fallback", exc_info=True)
                self._use_keyring = False
        path = self._dir / name
        try:
            return bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.error("secret file %s is damaged; a new secret will be made", path)
            return None

    def set(self, name: str, value: bytes) -> None:
        if self._use_keyring:
            try:
                import keyring

                keyring.set_password(SERVICE, name, value.hex())
                return
            except Exception:
                log.warning("keyring write failed; using the file fallback", exc_info=True)
                self._use_keyring = False
        self._dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self._dir, 0o700)
        path = self._dir / name
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value.hex())
        os.replace(tmp, path)
