"""python-dockerflow's side of ``bench/formatter.py``: run in env ``bench-upstream``.

Prints one JSON line describing itself (with a sample formatted line), then
answers each stdin line ``{"iterations": N}`` with ``{"us_per_record": x}``.
An empty line or end of input stops it.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import warnings

from _timing import per_call_us
from formatter_record import summary_record

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # JsonLogFormatter warns there
    from dockerflow.logging import JsonLogFormatter

    formatter = JsonLogFormatter(logger_name="myproject")


def main() -> None:
    record = summary_record()
    hello = {
        "python": sys.version.split()[0],
        "dockerflow": importlib.metadata.version("dockerflow"),
        "sample": formatter.format(record),
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        iterations = int(json.loads(line)["iterations"])
        result = {"us_per_record": per_call_us(formatter.format, record, iterations)}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
