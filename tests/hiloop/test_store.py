"""The local store: HILOOP_HOME, 0600 files written atomically, choosing the agent, clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hiloop.errors import ConfigError
from hiloop.store import (
    AgentCredentials,
    OwnerCredentials,
    agent_path,
    hiloop_home,
    list_agents,
    load_agent,
    load_owner,
    save_agent,
    save_owner,
)


def agent(name: str, key: str = "hlp_x") -> AgentCredentials:
    return AgentCredentials(
        name=name, relay_url="http://relay.test", agent_id=f"a_{name}", api_key=key, x25519_sk="AA",
        ed25519_seed="AA", owner_id="o_1", owner_x25519="AA", owner_ed25519="AA",
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_hiloop_home_comes_from_the_environment_or_defaults_to_the_config_folder(hiloop_env: Path) -> None:
    assert hiloop_home() == hiloop_env
    assert hiloop_home({}) == Path.home() / ".config" / "hiloop"
    assert hiloop_home({"XDG_CONFIG_HOME": "/x"}) == Path("/x/hiloop")


def test_agent_files_are_readable_by_their_owner_only(hiloop_env: Path) -> None:
    path = save_agent(agent("laptop"))
    assert path == hiloop_env / "agents" / "laptop.json"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_the_owner_file_is_readable_by_its_owner_only_even_when_rewritten(hiloop_env: Path) -> None:
    creds = OwnerCredentials(relay_url="http://relay.test", owner_id="o_1", secret="AA", device_token="hlo_x")
    path = save_owner(creds)
    path.chmod(0o644)
    save_owner(creds)
    assert mode(path) == 0o600
    assert load_owner() == creds
    assert [p.name for p in path.parent.iterdir()] == ["owner.json"]  # no temporary file left behind


def test_the_agent_is_found_by_its_api_key_by_name_or_as_the_only_one(monkeypatch: pytest.MonkeyPatch) -> None:
    save_agent(agent("one", "hlp_1"))
    assert load_agent().name == "one"
    save_agent(agent("two", "hlp_2"))
    assert load_agent(api_key="hlp_2").name == "two"
    assert load_agent(name="one").name == "one"
    monkeypatch.setenv("HILOOP_AGENT", "two")
    assert load_agent().name == "two"
    assert [a.name for a in list_agents()] == ["one", "two"]


def test_with_several_agents_and_no_choice_the_error_names_them() -> None:
    save_agent(agent("one", "hlp_1"))
    save_agent(agent("two", "hlp_2"))
    with pytest.raises(ConfigError, match=r"several agents are stored \(one, two\).*HILOOP_AGENT"):
        load_agent()


def test_with_no_agent_the_error_says_how_to_pair() -> None:
    with pytest.raises(ConfigError, match="hiloop agent add NAME"):
        load_agent()
    with pytest.raises(ConfigError, match="hiloop agent add NAME"):
        load_agent(api_key="hlp_unknown")
    with pytest.raises(ConfigError, match="no agent named 'ghost'.*hiloop agent add NAME"):
        load_agent(name="ghost")


def test_without_an_owner_file_the_error_says_how_to_set_up_or_sign_in() -> None:
    with pytest.raises(ConfigError, match="hiloop owner init SETUP_LINK.*hiloop owner login"):
        load_owner()


def test_a_damaged_file_is_a_config_error_that_names_it(hiloop_env: Path) -> None:
    path = agent_path("broken")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="broken.json"):
        load_agent(name="broken")


def test_agent_names_must_be_safe_file_names() -> None:
    for bad in ("../x", "a/b", "", ".hidden", "x" * 65):
        with pytest.raises(ConfigError, match="invalid agent name"):
            agent_path(bad)


def test_files_are_created_without_ever_being_readable_by_others(hiloop_env: Path) -> None:
    old = os.umask(0)
    try:
        path = save_agent(agent("open-umask"))
    finally:
        os.umask(old)
    assert mode(path) == 0o600
