"""Coverage-guided fuzzing with atheris (libFuzzer) of the formatter, request ids and version.json.

    hatch run stress:python tests/hardening/atheris_targets.py formatter -runs=20000
    hatch run stress:python tests/hardening/atheris_targets.py request_id -runs=20000
    hatch run stress:python tests/hardening/atheris_targets.py version -runs=20000

Each target raises (and libFuzzer stops with the crashing input) when an
invariant breaks: the formatter gives exactly one line of valid JSON, a
request id is either the safe header value or a UUID4, get_version returns a
dict or raises VersionFileError. tests/hardening/test_atheris.py runs them bounded
(not a test module itself: pytest does not collect it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from dockerflow.logging import JsonLogFormatter, get_or_generate_request_id
    from dockerflow.version import VersionFileError, get_version

SAFE = re.compile(r"[!#-&(-_a-~]{1,128}")
FORMATTERS = [JsonLogFormatter(encoder="json"), JsonLogFormatter(encoder="orjson")]
VERSION_DIR = tempfile.mkdtemp(prefix="fuzz-version-")


def value(provider: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    kind = provider.ConsumeIntInRange(0, 9 if depth < 4 else 5)
    if kind == 0:
        return provider.ConsumeUnicode(40)
    if kind == 1:
        return provider.ConsumeInt(provider.ConsumeIntInRange(1, 200))
    if kind == 2:
        return provider.ConsumeFloat()
    if kind == 3:
        return provider.ConsumeBytes(20)
    if kind == 4:
        return None
    if kind == 5:
        return provider.ConsumeBool()
    if kind in (6, 7):
        return [value(provider, depth + 1) for _ in range(provider.ConsumeIntInRange(0, 4))]
    if kind == 8:
        return tuple(value(provider, depth + 1) for _ in range(provider.ConsumeIntInRange(0, 3)))
    return {
        key(provider): value(provider, depth + 1) for _ in range(provider.ConsumeIntInRange(0, 4))
    }


def key(provider: atheris.FuzzedDataProvider) -> object:
    """A dict key: text mostly, sometimes a number, None, a bool or a tuple."""
    choices = (provider.ConsumeUnicode(8), provider.ConsumeInt(9), provider.ConsumeFloat(),
               None, provider.ConsumeBool(), (provider.ConsumeInt(2),))  # fmt: skip
    return choices[provider.ConsumeIntInRange(0, len(choices) - 1)]


def formatter_target(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    msg = provider.ConsumeUnicode(60) if provider.ConsumeBool() else value(provider)
    args = tuple(value(provider) for _ in range(provider.ConsumeIntInRange(0, 3)))
    record = logging.LogRecord(provider.ConsumeUnicode(10), provider.ConsumeIntInRange(0, 60),
                               "fuzz.py", 1, msg, args, None)  # fmt: skip
    for _ in range(provider.ConsumeIntInRange(0, 4)):
        setattr(record, "x_" + provider.ConsumeUnicode(6), value(provider))
    if provider.ConsumeBool():
        try:
            raise ValueError(provider.ConsumeUnicode(30))
        except ValueError as exc:
            exc.__context__ = exc
            record.exc_info = (ValueError, exc, exc.__traceback__)
    for formatter in FORMATTERS:
        line = formatter.format(record)
        if line.splitlines() != [line]:
            raise AssertionError(f"not one line: {line!r}")
        json.loads(line)


def request_id_target(data: bytes) -> None:
    header = data.decode("latin-1")
    result = get_or_generate_request_id({"X-Request-ID": header})
    if SAFE.fullmatch(header):
        assert result == header
    else:
        assert re.fullmatch("[0-9a-f]{32}", result)


def version_target(data: bytes) -> None:
    with open(os.path.join(VERSION_DIR, "version.json"), "wb") as file:
        file.write(data)
    with contextlib.suppress(VersionFileError):
        assert isinstance(get_version(VERSION_DIR), dict)


TARGETS = {
    "formatter": formatter_target,
    "request_id": request_id_target,
    "version": version_target,
}

if __name__ == "__main__":
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
