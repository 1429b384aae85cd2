"""JSON encoders that turn any object into valid, single-line JSON.

Two encoders share one contract: :meth:`JsonEncoder.encode` never raises and
returns ASCII-safe JSON on one line. The standard library encoder is the
reference; the orjson encoder (extra ``fast``) is an accelerator whose output
parses to the same value: whenever orjson refuses an input, the standard
library encoder handles it.

Values JSON cannot hold are converted, the same way by both encoders:

- ``tuple`` (named tuples too) becomes an array; ``datetime``/``date``/``time``
  their ISO 8601 text; ``UUID`` its canonical text; an ``Enum`` its value;
- NaN and infinities become ``null`` (as JavaScript's ``JSON.stringify`` does);
- any other object (sets, bytes, ...) becomes its ``repr``; an object whose
  ``repr`` raises becomes a placeholder naming its type;
- circular references become ``"[...]"`` / ``"{...}"``, nesting deeper than
  :data:`MAX_DEPTH` becomes ``"<too deep>"``, dict keys that are not
  ``str``/``int``/``float``/``bool``/``None`` become their ``repr``.

The conversion runs only for values the encoder refuses: a deep value that
the encoder accepts (the standard library's on Python 3.13+ goes past the
recursion limit) keeps its full depth.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
import os
import uuid
from typing import Any

from ._text import safe_repr

#: Environment variable choosing the encoder when the formatter is given none.
ENCODER_ENV_VAR = "DOCKERFLOW_LOGGING_ENCODER"
#: Encoder names: ``auto`` (orjson when importable, else the standard library),
#: ``json`` (standard library) and ``orjson``.
ENCODER_NAMES = ("auto", "json", "orjson")
#: Nesting depth past which the fallback conversion stops descending.
MAX_DEPTH = 100

_SMALL_INT_BITS = 64


def json_default(obj: Any) -> Any:
    """Return a JSON-encodable stand-in for ``obj`` (the encoders' ``default``)."""
    try:
        if isinstance(obj, tuple):
            return list(obj)
        if isinstance(obj, float):
            return float.__float__(obj)
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
            return obj.isoformat()
        if isinstance(obj, uuid.UUID):
            return str(obj)
    except Exception:
        pass
    return safe_repr(obj)


def to_jsonable(obj: Any, _depth: int = 0, _path: set[int] | None = None) -> Any:
    """Return a copy of ``obj`` made only of values any JSON encoder accepts.

    Used when a fast encoding attempt fails: it resolves circular references,
    excessive depth, NaN, unencodable keys and huge integers.
    """
    if obj is None or obj is True or obj is False:
        return obj
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, int):
        return _jsonable_int(int.__int__(obj))
    if isinstance(obj, float):
        number = float.__float__(obj)
        return number if math.isfinite(number) else None
    if _depth >= MAX_DEPTH:
        return "<too deep>"
    is_dict = isinstance(obj, dict)
    if not is_dict and not isinstance(obj, list):
        return to_jsonable(json_default(obj), _depth + 1, _path)
    path = set() if _path is None else _path
    if id(obj) in path:
        return "{...}" if is_dict else "[...]"
    path.add(id(obj))
    try:
        if is_dict:
            return {
                _jsonable_key(key): to_jsonable(value, _depth + 1, path)
                for key, value in dict.items(obj)
            }
        return [to_jsonable(item, _depth + 1, path) for item in obj]
    except RecursionError:
        return "<too deep>"
    finally:
        path.discard(id(obj))


def _jsonable_int(number: int) -> Any:
    if number.bit_length() <= _SMALL_INT_BITS:
        return number
    try:
        int.__repr__(number)  # may exceed sys.get_int_max_str_digits()
    except ValueError:
        return f"<int of {number.bit_length()} bits>"
    return number


def _jsonable_key(key: Any) -> str:
    # The standard library's rules for non-str keys, applied up front.
    if isinstance(key, str):
        return str.__str__(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        value = _jsonable_int(int.__int__(key))
        return value if isinstance(value, str) else int.__repr__(value)
    if isinstance(key, float):
        number = float.__float__(key)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return float.__repr__(number)
    return safe_repr(key)


class JsonEncoder:
    """The standard library encoder: compact, ASCII-only JSON; never raises.

    Without circular checking a circular value ends in RecursionError, caught
    like any other refusal.
    """

    name = "json"

    def __init__(self) -> None:
        self._json = json.JSONEncoder(
            default=json_default, allow_nan=False, check_circular=False, separators=(",", ":")
        )

    def encode(self, obj: Any) -> str:
        """Return ``obj`` as one line of JSON."""
        try:
            return self._json.encode(obj)
        except Exception:  # circular, NaN, bad keys, deep nesting, huge ints
            return self.encode_converted(obj)

    def encode_converted(self, obj: Any) -> str:
        """Encode ``obj`` after :func:`to_jsonable`; the slow, safe path."""
        try:
            converted = to_jsonable(obj)
        except RecursionError:  # called from deep in the stack already
            converted = "<too deep>"
        return self._json.encode(converted)


class OrjsonEncoder:
    """The orjson encoder: same meaning as :class:`JsonEncoder`, several times faster.

    orjson writes non-ASCII text as UTF-8; the few characters that some readers
    take as line breaks or that are control characters (DEL, C1 controls,
    U+2028, U+2029) are escaped afterwards, so a record stays one line.
    """

    name = "orjson"

    def __init__(self) -> None:
        import orjson  # the optional extra: imported only when chosen

        self._dumps = orjson.dumps
        self._options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        self._fallback = JsonEncoder()

    def encode(self, obj: Any) -> str:
        """Return ``obj`` as one line of JSON."""
        try:
            data: bytes = self._dumps(obj, default=json_default, option=self._options)
        except Exception:  # big ints, non-str keys, surrogates, deep nesting...
            return self._fallback.encode(obj)
        if data.isascii() and 127 not in data:
            return data.decode("ascii")
        return data.decode("utf-8").translate(_LINE_BREAKS_AND_CONTROLS)

    def encode_converted(self, obj: Any) -> str:
        """Encode ``obj`` after :func:`to_jsonable`; the slow, safe path."""
        return self._fallback.encode_converted(obj)


# Characters orjson leaves raw that must not appear raw in a log line. They can
# only occur inside JSON strings, where a \uXXXX escape means the same.
_LINE_BREAKS_AND_CONTROLS = {
    code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)
}


def make_encoder(name: str | None = None) -> JsonEncoder | OrjsonEncoder:
    """Return the encoder called ``name`` (see :data:`ENCODER_NAMES`).

    ``None`` reads :data:`ENCODER_ENV_VAR`, defaulting to ``auto``. ``orjson``
    raises ImportError when orjson is not installed; ``auto`` then falls back
    to the standard library.
    """
    if name is None:
        name = os.environ.get(ENCODER_ENV_VAR, "").strip().lower() or "auto"
    if name not in ENCODER_NAMES:
        raise ValueError(f"unknown JSON encoder {name!r}; expected one of {ENCODER_NAMES}")
    if name == "json":
        return JsonEncoder()
    try:
        return OrjsonEncoder()
    except ImportError:
        if name == "orjson":
            raise
        return JsonEncoder()


class SafeJSONEncoder(json.JSONEncoder):
    """python-dockerflow's ``json.JSONEncoder``: an object JSON cannot hold becomes its ``repr``.

    For ``json.dumps(value, cls=SafeJSONEncoder)`` in code written for
    python-dockerflow; the formatter does not use it.
    """

    def default(self, o: Any) -> str:
        """``repr(o)`` (a placeholder naming the type when ``repr`` raises)."""
        return safe_repr(o)
