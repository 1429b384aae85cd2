"""Whether the app's gunicorn or uWSGI configuration listens on ``$PORT``.

Each configuration is read with ``PORT`` set to a probe value, and the
addresses it would listen on are compared with it:

- gunicorn's is read by gunicorn itself, in a child process: the config file
  (``-c``), then ``GUNICORN_CMD_ARGS``, in gunicorn's own order of precedence;
  the app is not loaded.
- a uWSGI ini file is read here (uWSGI is rarely installed where the doctor
  runs): the ``[uwsgi]`` section, ``$(NAME)`` environment placeholders and
  ``if-env`` / ``if-not-env`` blocks.

Config files are looked for, unless given, as ``gunicorn.conf.py`` and
``uwsgi.ini`` in the current directory, then in the app's project directory
(the parent of ``app.root_path``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._doctor_report import FAIL, PASS, SKIP, RuleResult

__all__ = ["GUNICORN_CONFIG_NAME", "UWSGI_CONFIG_NAME", "check_port", "find_config"]

RULE = "$PORT"
GUNICORN_CONFIG_NAME = "gunicorn.conf.py"
UWSGI_CONFIG_NAME = "uwsgi.ini"
#: The PORT the configurations are read with: a value nobody hard-codes.
PROBE_PORT = 47613
GUNICORN_TIMEOUT = 60.0

# Runs in a child process: gunicorn's own config loading, without the app.
_GUNICORN_PROBE = """
import json
from gunicorn.app.base import Application
from gunicorn.util import parse_address

class ConfigOnly(Application):
    def init(self, parser, opts, args):
        return None

    def load(self):
        raise RuntimeError("the doctor does not load the app")

binds = []
for bind in ConfigOnly().cfg.bind:
    address = parse_address(bind)
    if isinstance(address, tuple):
        binds.append([bind, address[0], address[1]])
    else:
        binds.append([bind, None, None])
print(json.dumps(binds))
"""

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# uWSGI options that take an address, and whether they speak HTTP.
_UWSGI_SOCKETS = {
    "http": True,
    "http-socket": True,
    "https": True,
    "https-socket": True,
    "socket": False,
    "uwsgi-socket": False,
    "fastcgi-socket": False,
}
_PLACEHOLDER = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_FIX = (
    "Listen on the port the platform gives in $PORT, on every interface: in gunicorn.conf.py "
    "bind = [f\"0.0.0.0:{os.environ.get('PORT', '8000')}\"]; in a uWSGI ini http-socket = "
    ":$(PORT). See examples/service/gunicorn.conf.py and uwsgi.ini."
)


@dataclass(frozen=True)
class Finding:
    """What one server's configuration showed."""

    seen: str
    problem: str | None = None
    checked: bool = True
    """False when the configuration could not be read here (gunicorn not installed)."""


@dataclass(frozen=True)
class Bind:
    """One address a server would listen on."""

    text: str
    host: str | None
    port: int | None
    http: bool = True


def find_config(name: str, search_dirs: Iterable[Path]) -> Path | None:
    """The first ``name`` file in ``search_dirs``."""
    for directory in search_dirs:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def check_port(
    *,
    gunicorn_config: Path | None,
    uwsgi_config: Path | None,
    search_dirs: Iterable[Path],
    environ: Mapping[str, str],
) -> RuleResult:
    """The ``$PORT`` rule over the gunicorn and uWSGI configurations found."""
    search_dirs = list(search_dirs)
    gunicorn_config = gunicorn_config or find_config(GUNICORN_CONFIG_NAME, search_dirs)
    uwsgi_config = uwsgi_config or find_config(UWSGI_CONFIG_NAME, search_dirs)
    gunicorn_args = environ.get("GUNICORN_CMD_ARGS", "").strip()
    if gunicorn_config is None and uwsgi_config is None and not gunicorn_args:
        places = ", ".join(str(directory) for directory in search_dirs)
        return RuleResult(
            RULE,
            SKIP,
            f"no {GUNICORN_CONFIG_NAME}, {UWSGI_CONFIG_NAME} or GUNICORN_CMD_ARGS found "
            f"(looked in {places}); pass --gunicorn-config or --uwsgi-config to check one",
        )
    findings = []
    if gunicorn_config is not None or gunicorn_args:
        findings.append(_gunicorn_finding(gunicorn_config, gunicorn_args, environ))
    if uwsgi_config is not None:
        findings.append(_uwsgi_finding(uwsgi_config, environ))
    seen = "; ".join(finding.seen for finding in findings)
    problems = [finding.problem for finding in findings if finding.problem]
    if problems:
        return RuleResult(RULE, FAIL, "; ".join(problems), _FIX)
    if not any(finding.checked for finding in findings):
        return RuleResult(RULE, SKIP, seen)
    return RuleResult(RULE, PASS, seen)


def _gunicorn_finding(config: Path | None, cmd_args: str, environ: Mapping[str, str]) -> Finding:
    source = " and ".join(
        part
        for part in (str(config) if config else "", "GUNICORN_CMD_ARGS" if cmd_args else "")
        if part
    )
    name = f"gunicorn ({source})"
    if importlib.util.find_spec("gunicorn") is None:
        return Finding(f"{name} not read: gunicorn is not installed here", checked=False)
    argv = [sys.executable, "-c", _GUNICORN_PROBE]
    if config is not None:
        argv += ["--config", str(config)]
    try:
        completed = subprocess.run(
            argv,
            env={**environ, "PORT": str(PROBE_PORT)},
            capture_output=True,
            text=True,
            timeout=GUNICORN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Finding(name, f"{name}: reading it took over {GUNICORN_TIMEOUT:.0f} s")
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        error = (completed.stderr.strip() or completed.stdout.strip()).splitlines()
        last = error[-1] if error else f"exit status {completed.returncode}"
        return Finding(name, f"{name}: gunicorn cannot read the configuration: {last}")
    binds = [Bind(text, host, port) for text, host, port in json.loads(lines[-1])]
    return _judge(name, binds)


def _uwsgi_finding(path: Path, environ: Mapping[str, str]) -> Finding:
    name = f"uWSGI ({path})"
    try:
        text = path.read_text(encoding="utf-8")
        options = uwsgi_options(text, {**environ, "PORT": str(PROBE_PORT)})
    except (OSError, UnicodeDecodeError) as exc:
        return Finding(name, f"{name}: cannot be read ({exc})")
    binds = []
    for key, value in options:
        http = _UWSGI_SOCKETS.get(key)
        if http is None:
            continue
        address = value.split(",")[0].strip()  # https = addr,cert,key
        host, _, port = address.rpartition(":")
        if port.isdigit():
            binds.append(Bind(f"{key} = {address}", host, int(port), http))
        else:  # a unix socket path
            binds.append(Bind(f"{key} = {address}", None, None, http))
    return _judge(name, binds)


def uwsgi_options(text: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``(option, value)`` pairs of the ``[uwsgi]`` section that apply under ``environ``.

    Repeated options are kept (uWSGI allows several sockets); ``$(NAME)``
    is replaced by the variable's value; ``if-env`` / ``if-not-env`` blocks
    apply when the variable is (is not) set and not empty. Other ``if-*``
    blocks are assumed to apply.
    """
    options: list[tuple[str, str]] = []
    in_section = False
    active: list[bool] = []  # one entry per open if-block
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            in_section = line[1:-1].strip() == "uwsgi"
            continue
        if not in_section or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().replace("_", "-")
        value = _PLACEHOLDER.sub(lambda match: environ.get(match.group(1), ""), value.strip())
        if key == "endif":
            if active:
                active.pop()
            continue
        if key in ("if-env", "if-not-env"):
            is_set = bool(environ.get(value, ""))
            active.append(is_set if key == "if-env" else not is_set)
            continue
        if key.startswith("if-"):
            active.append(True)
            continue
        if all(active):
            options.append((key, value))
    return options


def _judge(name: str, binds: list[Bind]) -> Finding:
    shown = ", ".join(bind.text.replace(str(PROBE_PORT), "$PORT") for bind in binds) or "nothing"
    on_port = [bind for bind in binds if bind.port == PROBE_PORT]
    if not on_port:
        return Finding(name, f"{name} ignores $PORT: with PORT={PROBE_PORT} it listens on {shown}")
    if not any(bind.http for bind in on_port):
        return Finding(
            name,
            f"{name} speaks the uwsgi protocol on $PORT ({shown}), not HTTP: "
            "a load balancer's health checks cannot reach the app; use http-socket",
        )
    if all(bind.host in _LOOPBACK for bind in on_port):
        return Finding(
            name,
            f"{name} listens on $PORT on the loopback interface only ({shown}): "
            "nothing outside the container can reach it",
        )
    return Finding(f"{name} listens on {shown}")
