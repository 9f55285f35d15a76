"""What the foundation benchmarks share: a real relay process, an owner and paired agents made over
HTTP with the SDK, sessions, raw keep-alive HTTP/1.1 connections, percentiles, the machine, and the
Foundation section of bench/RESULTS.md.

The relay is started the way the README runs it (`.venv/bin/hiloop relay --port P --db DB`), as its
own process, on 127.0.0.1 only, and stopped when the benchmark ends (also on errors and Ctrl-C).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hiloop import wire  # noqa: E402
from hiloop.crypto import Identity, PublicKeys, SessionKeyring, b64u_decode  # noqa: E402
from hiloop.store import AgentCredentials  # noqa: E402

HOST = "127.0.0.1"
RESULTS = REPO / "bench" / "RESULTS.md"
T = TypeVar("T")


# --- the relay process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def raise_nofile() -> tuple[int, int]:
    """Raise this process's open-file limit to the hard limit (children inherit it); return (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class RelayProcess:
    """`hiloop relay --port P --db DB` in a child process; its stdout and stderr go to files in `workdir`."""

    def __init__(self, workdir: Path, *, hiloop_bin: Path | None = None, log_level: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.db = workdir / "relay.db"
        self.hiloop_bin = Path(hiloop_bin).absolute() if hiloop_bin else REPO / ".venv" / "bin" / "hiloop"
        self.log_level = log_level
        self.proc: subprocess.Popen[bytes] | None = None
        self.stdout_path = workdir / "relay.stdout"
        self.stderr_path = workdir / "relay.stderr"

    @property
    def command(self) -> list[str]:
        cmd = [str(self.hiloop_bin), "relay", "--port", str(self.port), "--db", str(self.db)]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        return cmd

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 30.0) -> str:
        """Start the relay and wait until /v1/health answers; return the set-up link it printed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HILOOP_")}
        env["HILOOP_HOME"] = str(self.workdir / "relay-home")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                         cwd=self.workdir)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the relay exited with {self.proc.returncode}:\n{self.stderr_tail()}")
            link = self._setup_link()
            if link and self._healthy():
                return link
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the relay did not start within {timeout:g} s:\n{self.stderr_tail()}")

    def _setup_link(self) -> str | None:
        m = re.search(r"Set-up link: (\S+)", self.stdout_path.read_text(errors="replace"))
        return m.group(1) if m else None

    def _healthy(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(f"GET /v1/health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def status(self) -> dict[str, int]:
        """Fields of /proc/<pid>/status in kB (VmRSS, VmHWM, …) and the thread count."""
        out: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            parts = value.split()
            if key in ("VmRSS", "VmHWM", "VmSize", "RssAnon", "RssFile") and parts:
                out[key] = int(parts[0])
            elif key == "Threads" and parts:
                out[key] = int(parts[0])
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time of the relay process so far."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def profile(self, seconds: float, out: Path, *, rate: int = 250) -> subprocess.Popen[bytes]:
        """Sample the relay with py-spy for `seconds` (collapsed stacks in `out`); needs py-spy installed
        (`.venv/bin/pip install py-spy`). Returns the py-spy process: wait for it."""
        spy = REPO / ".venv" / "bin" / "py-spy"
        return subprocess.Popen([str(spy), "record", "-p", str(self.pid), "-d", str(max(1, round(seconds))),
                                 "-r", str(rate), "-f", "raw", "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


async def wait_idle(relay: RelayProcess, *, window: float = 0.3, busy_below: float = 0.02,
                    timeout: float = 60.0) -> float:
    """Wait until the relay has used less than `busy_below` CPU seconds over `window` (it has handled
    everything it was sent); return the seconds waited. Raises TimeoutError after `timeout`."""
    start = time.monotonic()
    last = relay.cpu_seconds()
    while time.monotonic() - start < timeout:
        await asyncio.sleep(window)
        now = relay.cpu_seconds()
        if now - last < busy_below:
            return time.monotonic() - start
        last = now
    raise TimeoutError(f"the relay stayed busy for {timeout:g} s")


def _system_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle, not iowait) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Who used the cores over an interval: the relay, this process (the load generator), and everything
    else on the machine (other people's work: the benchmarks share the machine)."""

    def __init__(self, relay: RelayProcess) -> None:
        self.relay = relay
        self.start()

    def start(self) -> None:
        self._t = time.perf_counter()
        self._sys = _system_busy_seconds()
        self._relay = self.relay.cpu_seconds()
        self._self = time.process_time()

    def cores(self) -> dict[str, float]:
        """Average cores busy since start(): relay, load generator, others, and the machine's total."""
        wall = max(1e-9, time.perf_counter() - self._t)
        relay = (self.relay.cpu_seconds() - self._relay) / wall
        own = (time.process_time() - self._self) / wall
        total = (_system_busy_seconds() - self._sys) / wall
        return {"relay": relay, "bench": own, "others": max(0.0, total - relay - own), "total": total}

    def describe(self) -> str:
        c = self.cores()
        return (f"cores busy during the run: relay {c['relay']:.2f}, load generator {c['bench']:.2f}, "
                f"other processes {c['others']:.2f} (of {machine()['nproc']})")


# --- raw HTTP/1.1 keep-alive connections -----------------------------------------------------------


class HttpError(Exception):
    pass


def request_bytes(method: str, path: str, *, token: str | None = None, body: bytes | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body or b"")


class RawConn:
    """One keep-alive HTTP/1.1 connection over asyncio streams: pre-built requests, Content-Length bodies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> RawConn:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    def send(self, raw: bytes) -> None:
        self.writer.write(raw)

    async def response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
                break
        if length is None:
            raise HttpError(f"no Content-Length in a {status} response")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.send(raw)
        return await self.response()

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


# --- an owner, agents and sessions (over HTTP, with the SDK) ---------------------------------------


@dataclass
class World:
    url: str
    home: Path
    owner: Any  # hiloop.owner.AsyncOwnerClient
    owner_identity: Identity
    agents: list[AgentCredentials]


async def make_world(url: str, setup_link: str, home: Path, n_agents: int, *, prefix: str = "bench") -> World:
    """Create the owner with the set-up link and pair `n_agents` agents (each approved by the owner)."""
    from hiloop.crypto import owner_identity
    from hiloop.owner import AsyncOwnerClient
    from hiloop.pairing import pair_agent_async
    from hiloop.store import load_owner

    await AsyncOwnerClient.setup(url, setup_link, home=home)
    owner = AsyncOwnerClient(load_owner(home))
    creds = load_owner(home)
    ident = owner_identity(b64u_decode(creds.secret, 32), creds.owner_id)

    links: asyncio.Queue[str] = asyncio.Queue()

    async def approver(count: int) -> None:
        for _ in range(count):
            await owner.approve_pairing(await asyncio.wait_for(links.get(), 60))

    agents: list[AgentCredentials] = []
    batch = 10
    for start in range(0, n_agents, batch):
        names = [f"{prefix}-{i:05d}" for i in range(start, min(start + batch, n_agents))]
        approve = asyncio.create_task(approver(len(names)))
        got = await asyncio.gather(*(pair_agent_async(url, name, on_link=links.put_nowait, home=home, timeout=60)
                                     for name in names))
        await approve
        agents.extend(got)
    return World(url=url, home=home, owner=owner, owner_identity=ident, agents=agents)


def agent_identity(creds: AgentCredentials) -> Identity:
    return Identity.from_private(b64u_decode(creds.x25519_sk, 32), b64u_decode(creds.ed25519_seed, 32))


def agent_client(world: World, creds: AgentCredentials) -> Any:
    from hiloop.client import AsyncHiloopClient

    return AsyncHiloopClient(credentials=creds, base_url=world.url)


def keyring_from(info: wire.SessionInfo, *, me: Identity, my_id: str, root_ed25519: bytes) -> SessionKeyring:
    """A participant's keyring for a session, verified from the relay's members and wraps."""
    kr = SessionKeyring(info.sid, root_ed25519=root_ed25519, me=me, my_id=my_id)
    kr.load(members=[m.model_dump(by_alias=True) for m in info.members],
            wraps=[w.model_dump(by_alias=True) for w in info.wraps], removed=info.removed)
    return kr


def owner_keys(creds: AgentCredentials) -> PublicKeys:
    return PublicKeys(b64u_decode(creds.owner_x25519, 32), b64u_decode(creds.owner_ed25519, 32))


# --- figures -----------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (also readable as plain text)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(r) for r in cells[1:])])


def verdict(value: float, target: float, *, lower_is_better: bool = True, unit: str = "") -> str:
    ok = value <= target if lower_is_better else value >= target
    if ok:
        return "met"
    if lower_is_better:
        return f"MISSED by {value - target:.3g}{unit} ({value / target:.2f}x the target)"
    return f"MISSED by {target - value:.3g}{unit} ({value / target:.2f}x the target)"


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        nproc = str(os.cpu_count())
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    return {
        "nproc": nproc,
        "cpu": model,
        "memory": mem,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def server_stack(hiloop_bin: Path) -> str:
    """uvicorn's HTTP parser and event loop as the relay's interpreter will pick them ("auto")."""
    python = hiloop_bin.parent / "python"
    code = ("import importlib.util as u, uvicorn;"
            "print('uvicorn', uvicorn.__version__, '| http:', 'httptools' if u.find_spec('httptools') else 'h11',"
            " '| loop:', 'uvloop' if u.find_spec('uvloop') else 'asyncio')")
    try:
        return subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def code_version() -> str:
    """The commit measured, and whether relay/ or hiloop/ differ from it in the working tree."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "relay", "hiloop"], cwd=REPO,
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "commit unknown"
    return f"commit {head}" + (" (relay/ or hiloop/ modified in the working tree)" if dirty else "")


def machine_line() -> str:
    m = machine()
    return (f"{m['nproc']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, {m['os']}, "
            f"measured {m['date']}")


def command_line() -> str:
    argv = [a for a in sys.argv if a != "--write"]
    try:
        script = str(Path(argv[0]).resolve().relative_to(REPO))
    except ValueError:
        script = argv[0]
    return " ".join([".venv/bin/python", script, *map(shlex.quote, argv[1:])])


FOUNDATION = "## Foundation"
FOUNDATION_INTRO = """The relay's own targets (DESIGN §9): answer → waiting agent, ingest, 10,000 long-poll waiters. Each
benchmark starts a real relay process the way the README runs it (`hiloop relay --port P --db TMP`,
SQLite), talks to it over loopback only, and stops it when done; `--write` replaces its own block
below. Run them one at a time on an otherwise idle machine: the relay and the load generator share
the cores."""


def write_results(key: str, block: str) -> None:
    """Replace this benchmark's block (between its markers) inside the Foundation section of RESULTS.md;
    other sections are left as they are."""
    start, end = f"<!-- foundation:{key}:start -->", f"<!-- foundation:{key}:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    new_block = f"{start}\n{block.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + new_block + after
    else:
        if FOUNDATION not in text:  # the first section, right under the title
            m = re.search(r"^## ", text, flags=re.M)
            at = m.start() if m else len(text)
            text = text[:at].rstrip() + f"\n\n{FOUNDATION}\n\n{FOUNDATION_INTRO}\n\n" + text[at:]
        head, _, tail = text.partition(FOUNDATION)
        m = re.search(r"^## ", tail, flags=re.M)
        section, rest = (tail[:m.start()], tail[m.start():]) if m else (tail, "")
        text = head + FOUNDATION + section.rstrip() + "\n\n" + new_block + "\n\n" + rest
    RESULTS.write_text(text.rstrip() + "\n")
    print(f"updated {RESULTS.relative_to(REPO)} (Foundation: {key})")


async def bounded(aw: Awaitable[T], seconds: float, what: str) -> T:
    """`await aw`, giving up after `seconds` with a TimeoutError that says what did not finish."""
    async with asyncio.timeout(seconds) as scope:
        try:
            return await aw
        finally:
            if scope.expired():
                print(f"{what} did not finish within {seconds:g} s", file=sys.stderr)
