from pathlib import Path

from relay.config import DEFAULT_MAX_BODY_BYTES, RelayConfig


def test_defaults_listen_on_loopback_port_8787_with_the_db_under_hiloop_home(hiloop_env):
    config = RelayConfig()
    assert (config.host, config.port) == ("127.0.0.1", 8787)
    assert config.db_path == hiloop_env / "relay.db"
    assert config.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    assert config.max_wait == 60
    assert config.base_url == "http://127.0.0.1:8787"


def test_without_hiloop_home_the_db_lives_in_the_user_data_dir(monkeypatch):
    monkeypatch.delenv("HILOOP_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert RelayConfig().db_path == Path("~/.local/share/hiloop/relay.db").expanduser()


def test_environment_then_flags_override_defaults(tmp_path):
    env = {"HILOOP_HOME": str(tmp_path), "HILOOP_RELAY_PORT": "9000", "HILOOP_PUBLIC_URL": "https://h.example/"}
    config = RelayConfig.from_env(env, host="0.0.0.0", port=None)
    assert config.port == 9000
    assert config.host == "0.0.0.0"
    assert config.db_path == tmp_path / "relay.db"
    assert config.base_url == "https://h.example"
