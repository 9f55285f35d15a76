import argparse
import signal
import socket
import subprocess
import sys

import anyio
import httpx
import pytest

from relay.cli import add_relay_arguments, config_from_args


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_relay_arguments(parser)
    return parser.parse_args(argv)


def test_the_relay_flags_build_the_config(tmp_path, hiloop_env):
    args = parse("--host", "0.0.0.0", "--port", "9001", "--db", str(tmp_path / "x.db"), "--open",
                 "--public-url", "https://relay.example")
    config = config_from_args(args)
    assert (config.host, config.port, config.db_path) == ("0.0.0.0", 9001, tmp_path / "x.db")
    assert config.base_url == "https://relay.example"
    assert args.open_browser is True
    defaults = config_from_args(parse())
    assert (defaults.host, defaults.port, defaults.db_path) == ("127.0.0.1", 8787, hiloop_env / "relay.db")


def test_the_relay_environment_is_read_when_flags_are_absent(monkeypatch, tmp_path):
    monkeypatch.setenv("HILOOP_RELAY_PORT", "9100")
    monkeypatch.setenv("HILOOP_RELAY_DB", str(tmp_path / "env.db"))
    config = config_from_args(parse())
    assert (config.port, config.db_path) == (9100, tmp_path / "env.db")
    assert config_from_args(parse("--port", "9200")).port == 9200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.anyio
async def test_python_m_relay_prints_the_setup_link_and_serves_it(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "relay", "--port", str(port), "--db", str(tmp_path / "r.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with anyio.fail_after(20):
            line = await anyio.to_thread.run_sync(proc.stdout.readline)
            while "Uvicorn running on" not in (log := await anyio.to_thread.run_sync(proc.stderr.readline)):
                assert log, "the relay exited"
        prefix = f"Set-up link: http://127.0.0.1:{port}/setup/"
        assert line.startswith(prefix), line
        token = line.strip().removeprefix(prefix)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            r = await client.get(f"/v1/setup/{token}")
        assert r.json() == {"valid": True}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        finally:
            proc.kill() if proc.poll() is None else None
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0
