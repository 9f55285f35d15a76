"""The `hiloop-mcp` command line."""

from __future__ import annotations

import pytest

from hiloop_mcp.__main__ import main


def test_help_names_the_three_transports(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in ("stdio", "sse", "streamable-http", "--host", "--port"):
        assert word in out


def test_an_unknown_transport_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--transport", "websocket"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'websocket'" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.org"])
def test_listening_beyond_loopback_needs_allow_remote(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--transport", "streamable-http", "--host", host]) == 2
    err = capsys.readouterr().err
    assert "--allow-remote" in err
    assert host in err
