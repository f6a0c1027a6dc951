"""Where the field keyset lives: a SecretStore entry (OS keyring, else a 0600 file).

The keyset is created on first use. Rotation is a three-step protocol so that no crash
loses data: (1) store the keyset with a *pending* new key next to the old one, (2)
re-encrypt every row in one database transaction, (3) store the keyset with only the new
key. A crash after (1) or (2) leaves both keys stored; ``Database.open`` and the next
``rotate-key`` finish the job (see storage/encrypted.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.services.security.crypto import Keyset

log = logging.getLogger(__name__)

FIELD_KEY_NAME = "db-field-key"


class KeyStore(Protocol):
    """Loads (creating on first use) and saves the field keyset."""

    @property
    def description(self) -> str: ...

    def load(self) -> Keyset: ...

    def save(self, keyset: Keyset) -> None: ...


class SecretKeyStore:
    """The keyset as one SecretStore entry (hex of its JSON), so one write replaces it."""

    def __init__(self, secrets: SecretStore, name: str = FIELD_KEY_NAME) -> None:
        self._secrets = secrets
        self._name = name

    @property
    def description(self) -> str:
        return f"{self._name} in {self._secrets.backend_name}"

    def load(self) -> Keyset:
        data = self._secrets.get(self._name)
        if data is not None:
            return Keyset.from_bytes(data)
        keyset = Keyset.generate()
        self.save(keyset)
        log.info("created the database field key (%s)", self.description)
        return keyset

    def save(self, keyset: Keyset) -> None:
        self._secrets.set(self._name, keyset.to_bytes())


class MemoryKeyStore:
    """A keyset held in memory: in-memory databases and tests that bring their own key."""

    def __init__(self, keyset: Keyset | None = None) -> None:
        self.keyset = keyset or Keyset.generate()

    @property
    def description(self) -> str:
        return "memory"

    def load(self) -> Keyset:
        return self.keyset

    def save(self, keyset: Keyset) -> None:
        self.keyset = keyset


def default_key_store(database: Path | None) -> KeyStore:
    """The store the app uses for a database file: SecretStore(<data dir>/secrets).

    The app keeps its database at <data dir>/miauflix.sqlite3 and its secrets in
    <data dir>/secrets (config.paths), so a Database built from a path alone, or Alembic
    run on the file, finds the same key the app's container hands over.
    """
    if database is None:
        return MemoryKeyStore()
    return SecretKeyStore(SecretStore(database.parent / "secrets"))
