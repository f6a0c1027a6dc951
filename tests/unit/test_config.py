"""Settings persistence and the secrets fallback."""

import json
import stat

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings, load_settings, save_settings


def test_settings_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    s = Settings()
    s.ui.fullscreen = True
    s.server.port = 8123
    save_settings(path, s)
    loaded = load_settings(path)
    assert loaded.ui.fullscreen is True
    assert loaded.server.port == 8123
    assert loaded.setup_done is False


def test_corrupt_settings_give_defaults_and_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    assert (tmp_path / "settings.corrupt").read_text() == "{not json"


def test_wrong_types_fall_back_per_field(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"server": {"port": "eighty", "host": "127.0.0.1"},
                                "ui": {"fullscreen": True}, "unknown": 1}))
    s = load_settings(path)
    assert s.server.port == 0
    assert s.ui.fullscreen is True


def test_secret_file_fallback_is_private_and_stable(tmp_path):
    store = SecretStore(tmp_path / "secrets", use_keyring=False)
    a = store.get_or_create("k")
    assert len(a) == 32
    assert SecretStore(tmp_path / "secrets", use_keyring=False).get_or_create("k") == a
    mode = stat.S_IMODE((tmp_path / "secrets" / "k").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700


def test_damaged_secret_file_is_replaced(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "k").write_text("zz not hex")
    store = SecretStore(tmp_path / "s", use_keyring=False)
    assert len(store.get_or_create("k")) == 32
