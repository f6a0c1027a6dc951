"""FieldCipher and keysets: round trips, tampering, deterministic equality, keys, rotation."""

import importlib.util
import stat

import pytest
from sqlalchemy import select

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.core.errors import StorageError
from miauflix_desktop.services.security.crypto import (
    DecryptionError,
    FieldCipher,
    Keyset,
    is_token,
    key_id_of,
)
from miauflix_desktop.services.security.keys import FIELD_KEY_NAME, MemoryKeyStore, SecretKeyStore
from miauflix_desktop.services.storage import encrypted
from miauflix_desktop.services.storage.db import MIGRATIONS
from miauflix_desktop.services.storage.encrypted import (
    SOURCE_COLUMNS,
    DeterministicText,
    EncryptedBytes,
    EncryptedText,
)
from miauflix_desktop.services.storage.models import MovieSource

HASH = "0123456789abcdef0123456789abcdef01234567"
CTX = "movie_source.magnet_link"


@pytest.fixture
def cipher():
    return FieldCipher(Keyset.generate())


def test_random_mode_round_trips_and_never_repeats(cipher):
    data = b"d8:announce" + bytes(range(256)) * 40
    a, b = cipher.encrypt(data, CTX), cipher.encrypt(data, CTX)
    assert a != b  # fresh nonce each time
    assert a[:3] == b"mx1" and a[3:4] == b"R" and key_id_of(a) == cipher.active_key_id
    assert cipher.decrypt(a, CTX) == cipher.decrypt(b, CTX) == data
    magnet = f"magnet:?xt=urn:btih:{HASH}&dn=Amélie"
    t1, t2 = cipher.encrypt_text(magnet, CTX), cipher.encrypt_text(magnet, CTX)
    assert t1 != t2 and t1.startswith("mx1:R" + cipher.active_key_id.hex() + ":")
    assert HASH not in t1 and "magnet" not in t1
    assert cipher.decrypt_text(t1, CTX) == magnet
    assert cipher.decrypt_text(cipher.encrypt_text("", CTX), CTX) == ""


def test_deterministic_mode_gives_equal_tokens_for_equal_values(cipher):
    ctx = "movie_source.hash"
    a = cipher.encrypt_text(HASH, ctx, deterministic=True)
    assert a == cipher.encrypt_text(HASH, ctx, deterministic=True)
    assert a.startswith("mx1:D")
    assert a != cipher.encrypt_text(HASH.upper(), ctx, deterministic=True)
    # another column, or another key, gives an unrelated token
    assert a != cipher.encrypt_text(HASH, "other.column", deterministic=True)
    assert a != FieldCipher(Keyset.generate()).encrypt_text(HASH, ctx, deterministic=True)
    assert cipher.decrypt_text(a, ctx) == HASH
    assert cipher.decrypt_text(cipher.encrypt_text("", ctx, deterministic=True), ctx) == ""
    # a v1 info hash fits the column's declared VARCHAR(92)
    assert len(a) <= 92


@pytest.mark.parametrize("mode", ["random", "deterministic"])
def test_tampering_is_detected(cipher, mode):
    det = mode == "deterministic"
    token = (cipher.encrypt_deterministic if det else cipher.encrypt)(b"secret value", CTX)
    for i in range(len(token)):
        bad = bytearray(token)
        bad[i] ^= 0x01
        with pytest.raises(DecryptionError):
            cipher.decrypt(bytes(bad), CTX)
    with pytest.raises(DecryptionError):
        cipher.decrypt(token[:-1], CTX)
    with pytest.raises(DecryptionError):  # moved to another column
        cipher.decrypt(token, "movie_source.release_name")
    text_token = cipher.encrypt_text("secret", CTX, deterministic=det)
    swapped = text_token[:4] + ("R" if det else "D") + text_token[5:]
    with pytest.raises(DecryptionError):  # header edits are authenticated too
        cipher.decrypt_text(swapped, CTX)


@pytest.mark.parametrize("garbage", ["mx1:", "mx1:Rzzzzzzzz:abc", "mx1:R00000000", "mx1:X0011",
                                     "mx1:R00112233:!!!", b"mx1", b"mx1R\x00\x01\x02\x03abc"])
def test_garbage_is_a_decryption_error(cipher, garbage):
    with pytest.raises(DecryptionError):
        cipher.decrypt(garbage, CTX)


def test_wrong_key_names_the_missing_key_id(cipher):
    token = cipher.encrypt_text("magnet:?xt=urn:btih:" + HASH, CTX)
    other = FieldCipher(Keyset.generate())
    with pytest.raises(DecryptionError, match=cipher.active_key_id.hex()):
        other.decrypt_text(token, CTX)
    assert isinstance(DecryptionError("x"), StorageError)


def test_plaintext_is_not_a_token():
    assert not is_token(HASH) and not is_token("magnet:?xt=urn:btih:" + HASH)
    assert not is_token(b"d8:announce0:e") and not is_token("")
    assert is_token("mx1:R00:") and is_token(b"mx1R")


def test_rotation_keeps_old_tokens_readable_until_it_finishes():
    keyset = Keyset.generate()
    old = FieldCipher(keyset)
    token = old.encrypt_text("Amelie.2001.1080p", CTX)
    rotating = keyset.begin_rotation()
    assert rotating.begin_rotation() is rotating  # resuming reuses the pending key
    assert rotating.active == keyset.active and rotating.pending not in keyset.keys
    # while rotating the app keeps writing with the old key, and reads both
    assert FieldCipher(rotating).active_key_id == keyset.active
    target = FieldCipher(rotating.rotation_target())
    assert target.active_key_id == rotating.pending
    assert target.decrypt_text(token, CTX) == "Amelie.2001.1080p"
    new_token = target.encrypt_text("Amelie.2001.1080p", CTX)
    assert key_id_of(new_token) == rotating.pending
    assert FieldCipher(rotating).decrypt_text(new_token, CTX) == "Amelie.2001.1080p"
    finished = rotating.finish_rotation()
    assert finished.active == rotating.pending and set(finished.keys) == {rotating.pending}
    assert finished.pending is None and finished.finish_rotation() is finished
    with pytest.raises(DecryptionError):
        FieldCipher(finished).decrypt_text(token, CTX)
    assert FieldCipher(finished).decrypt_text(new_token, CTX) == "Amelie.2001.1080p"


def test_keyset_serialises_and_rejects_damage():
    rotating = Keyset.generate().begin_rotation()
    assert Keyset.from_bytes(rotating.to_bytes()) == rotating
    for bad in (b"", b"{}", b'{"format": 2}', b"not json", b'{"format": 1, "active": "00"}'):
        with pytest.raises(StorageError, match="damaged"):
            Keyset.from_bytes(bad)
    with pytest.raises(ValueError):
        Keyset(b"\x00" * 4, {b"\x01" * 4: b"\x00" * 32})


def test_secret_key_store_creates_the_key_once_in_a_0600_file(tmp_path):
    store = SecretKeyStore(SecretStore(tmp_path / "secrets", use_keyring=False))
    first = store.load()
    assert SecretKeyStore(SecretStore(tmp_path / "secrets", use_keyring=False)).load() == first
    path = tmp_path / "secrets" / FIELD_KEY_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    rotating = first.begin_rotation()
    store.save(rotating)
    assert store.load() == rotating
    assert "file:" in store.description


def test_memory_key_store():
    store = MemoryKeyStore()
    ks = store.load()
    store.save(ks.begin_rotation())
    assert store.load().pending is not None


def _migration_0005():
    path = next((MIGRATIONS / "versions").glob("0005_*.py"))
    spec = importlib.util.spec_from_file_location("m0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_models_migration_and_rewrites_agree_on_the_encrypted_columns():
    table = MovieSource.__table__
    kinds = {DeterministicText: (True, False), EncryptedText: (False, False),
             EncryptedBytes: (False, True)}
    from_models = []
    for col in table.columns:
        if type(col.type) in kinds:
            det, binary = kinds[type(col.type)]
            from_models.append((col.name, col.type.context, det, binary))
    from_rewrites = [(c.name, c.context, c.deterministic, c.binary) for c in SOURCE_COLUMNS]
    assert sorted(from_models) == sorted(from_rewrites)
    frozen = _migration_0005()
    assert frozen.TABLE == encrypted.SOURCE_TABLE
    assert [(c.name, c.context, c.deterministic, c.binary) for c in frozen.COLUMNS] == \
        from_rewrites
    assert {"hash", "magnet_link", "url", "file", "release_name"} == {c[0] for c in from_models}


def test_random_nonce_columns_refuse_sql_comparisons():
    with pytest.raises(StorageError, match="cannot be compared"):
        select(MovieSource).where(MovieSource.magnet_link == "magnet:?")
    with pytest.raises(StorageError, match="cannot be compared"):
        select(MovieSource).where(MovieSource.release_name.like("%1080p%"))
    # IS NULL is fine, and the deterministic hash compares as usual
    select(MovieSource).where(MovieSource.file.is_(None), MovieSource.url.is_not(None))
    select(MovieSource).where(MovieSource.hash == HASH, MovieSource.hash.in_([HASH]))
