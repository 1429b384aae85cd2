"""Importing dockerflow.logging pulls in no third-party module; orjson stays optional."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# Runs in a fresh interpreter: lists the modules importing dockerflow.logging
# adds that are neither standard library nor dockerflow's own.
NEW_MODULES_SCRIPT = """
import json, sys, sysconfig

def is_stdlib(name):
    top = name.partition(".")[0]
    if hasattr(sys, "stdlib_module_names"):
        return top in sys.stdlib_module_names
    module = sys.modules.get(name)
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or "built-in"
    paths = sysconfig.get_paths()
    return origin in ("built-in", "frozen") or origin.startswith(
        (paths["stdlib"], paths["platstdlib"])
    )

before = set(sys.modules)
import dockerflow.logging
{after_import}
added = sorted(set(sys.modules) - before)
print(json.dumps([m for m in added if not is_stdlib(m) and m.partition(".")[0] != "dockerflow"]))
"""

# Makes "import orjson" fail, as if the extra were not installed.
BLOCK_ORJSON = """
import sys
class BlockOrjson:
    def find_spec(self, name, path=None, target=None):
        if name == "orjson" or name.startswith("orjson."):
            raise ImportError("orjson is blocked for this test")
        return None
sys.meta_path.insert(0, BlockOrjson())
"""


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_adds_only_standard_library_modules():
    """import dockerflow.logging imports nothing outside the standard library."""
    out = run_python(NEW_MODULES_SCRIPT.format(after_import=""))
    assert json.loads(out) == []


def test_orjson_is_imported_only_when_a_formatter_uses_it():
    """Creating a formatter with encoder="json" does not import orjson either."""
    after = "dockerflow.logging.MozlogFormatter(encoder='json').format(__import__('logging').makeLogRecord({}))"  # noqa: E501
    out = run_python(NEW_MODULES_SCRIPT.format(after_import=after))
    assert json.loads(out) == []


def test_everything_works_without_orjson():
    """With orjson unimportable, the default formatter falls back to the standard library."""
    code = BLOCK_ORJSON + textwrap.dedent(
        """
        import io, json, logging
        from dockerflow.logging import MozlogFormatter, MozlogHandler
        formatter = MozlogFormatter()
        assert formatter.encoder_name == "json", formatter.encoder_name
        stream = io.StringIO()
        logger = logging.getLogger("blocked")
        logger.addHandler(MozlogHandler(stream))
        logger.warning("no orjson", extra={"s": {1}, "n": float("nan")})
        parsed = json.loads(stream.getvalue())
        assert parsed["Fields"] == {"s": "{1}", "n": None, "msg": "no orjson"}, parsed
        assert "orjson" not in sys.modules
        try:
            MozlogFormatter(encoder="orjson")
        except ImportError:
            print("explicit orjson refused")
        """
    )
    assert run_python(code).strip() == "explicit orjson refused"


def test_orjson_is_used_when_installed():
    """With orjson installed, the default formatter uses it."""
    pytest.importorskip("orjson")
    code = """
        import sys
        from dockerflow.logging import MozlogFormatter
        print(MozlogFormatter().encoder_name, "orjson" in sys.modules)
    """
    env = {"DOCKERFLOW_LOGGING_ENCODER": ""}
    assert run_python(code, **env).split() == ["orjson", "True"]
