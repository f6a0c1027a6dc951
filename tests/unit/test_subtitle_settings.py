"""Preferred languages from settings reach mpv's alang/slang; the subtitles section
round-trips and bad values fall back to defaults."""

from __future__ import annotations

import json
from pathlib import Path

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings, load_settings, save_settings
from miauflix_desktop.container import player_languages
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.subtitles.keys import (
    store_opensubtitles_key,
    stored_opensubtitles_key,
)


def test_subtitles_section_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.subtitles.languages = ["de", "en"]
    save_settings(path, settings)
    data = json.loads(path.read_text())
    assert data["subtitles"]["languages"] == ["de", "en"]
    assert "api_key" not in data["subtitles"]  # the key lives in the secret store
    assert load_settings(path).subtitles.languages == ["de", "en"]

    data["subtitles"]["languages"] = "de"  # wrong type: the default, not a crash
    path.write_text(json.dumps(data))
    assert load_settings(path).subtitles.languages == []


def test_languages_reach_mpv() -> None:
    settings = Settings(language="de-DE")
    settings.subtitles.languages = ["en", "fr"]
    audio, subs = player_languages(settings)
    assert audio == ["de-DE"] and subs == ["en", "fr"]
    player = PlayerService(vo="null", preferred_audio=audio, preferred_sub=subs)
    options = player._options  # what mpv.MPV(...) is created with
    assert options["alang"] == "de,deu,ger"
    assert options["slang"] == "en,eng,fr,fra,fre"


def test_no_subtitle_languages_leaves_subtitles_off() -> None:
    audio, subs = player_languages(Settings())
    player = PlayerService(vo="null", preferred_audio=audio, preferred_sub=subs)
    assert "slang" not in player._options and player._options["alang"] == "en,eng"


def test_key_in_the_secret_store(tmp_path: Path) -> None:
    secrets = SecretStore(tmp_path / "secrets", use_keyring=False)
    assert stored_opensubtitles_key(secrets) == ""
    store_opensubtitles_key(secrets, " abc123 \n")
    assert stored_opensubtitles_key(secrets) == "abc123"
    assert (tmp_path / "secrets" / "opensubtitles-api-key").stat().st_mode & 0o077 == 0
    store_opensubtitles_key(secrets, "")
    assert stored_opensubtitles_key(secrets) == ""
