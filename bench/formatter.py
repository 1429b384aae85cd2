"""Formatter cost per record.

    hatch run bench:formatter [--repetitions 9] [--iterations 20000]

Microseconds to format one ``request.summary`` record (errno, agent, lang,
method, path, code, remoteAddressChain, rid, t, uid) as a mozlog JSON line
with each side's ``MozlogFormatter``, each side in its own process. The
*general record* is what ``logger.info("", extra=fields)`` makes, the only
one python-dockerflow formats; *the extension's record* is the one our Flask
extension hands a handler of ``request.summary`` for such a request. Ours
runs with the standard library's encoder and with orjson (the ``fast``
extra). The floor is ``json.dumps`` of the finished envelope. The sides'
lines are checked to hold the same ``Fields`` first. Medians of
``--repetitions`` interleaved repetitions of ``--iterations`` records.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import _runner

FIELDS = {
    "errno": 0,
    "agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "lang": "en-US,en;q=0.5",
    "method": "GET",
    "path": "/api/v1/items/42",
    "code": 200,
    "remoteAddressChain": ["203.0.113.7", "10.0.0.2"],
    "rid": "6f1c2a0e-8b7d-4c1e-9a4b-2f5d3e6a7b8c",
    "t": 12,
    "uid": "",
}
LABELS = {
    "floor": "floor: json.dumps of the finished envelope",
    "orjson_extension": "ours, orjson, the extension's record",
    "orjson_general": "ours, orjson, general record",
    "json_extension": "ours, standard library, the extension's record",
    "json_general": "ours, standard library, general record",
    "general": "python-dockerflow, general record",
}


def general_record() -> logging.LogRecord:
    """What ``logging.getLogger("request.summary").info("", extra=FIELDS)`` makes."""
    logger = logging.getLogger("request.summary")
    return logger.makeRecord(
        logger.name, logging.INFO, "app.py", 1, "", (), None, "view", dict(FIELDS)
    )


def extension_record() -> logging.LogRecord:
    """The record our extension hands a handler of ``request.summary`` for a request like FIELDS."""
    from flask import Flask

    from dockerflow.flask import Dockerflow

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    app = Flask("bench_formatter")
    app.add_url_rule(FIELDS["path"], "item", lambda: "")
    Dockerflow(app)
    logger = logging.getLogger("request.summary")
    logger.setLevel(logging.INFO)
    keep = Keep()
    logger.addHandler(keep)
    headers = {
        "User-Agent": FIELDS["agent"],
        "Accept-Language": FIELDS["lang"],
        "X-Request-ID": FIELDS["rid"],
    }
    app.test_client().get(FIELDS["path"], headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    logger.removeHandler(keep)
    (record,) = records
    return record


def variants() -> dict[str, _runner.Setup]:
    from dockerflow.logging import MozlogFormatter

    def timed(function: Any, argument: Any) -> _runner.Setup:
        return _runner.ready(functools.partial(function, argument))

    record = general_record()
    if _runner.implementation() == _runner.UPSTREAM:
        return {"general": timed(MozlogFormatter(logger_name="myproject").format, record)}
    standard = MozlogFormatter(logger_name="myproject", encoder="json")
    fast = MozlogFormatter(logger_name="myproject", encoder="orjson")
    ours = extension_record()
    return {
        "floor": timed(json.dumps, json.loads(standard.format(record))),
        "orjson_extension": timed(fast.format, ours),
        "orjson_general": timed(fast.format, record),
        "json_extension": timed(standard.format, ours),
        "json_general": timed(standard.format, record),
    }


def sample_fields() -> dict[str, Any]:
    from dockerflow.logging import MozlogFormatter

    return dict(json.loads(MozlogFormatter().format(general_record()))["Fields"])


def main() -> None:
    args = _runner.arguments(__doc__, repetitions=9, iterations=20000)
    if args.worker:
        _runner.serve(variants(), fields=sample_fields())
        return
    with _runner.workers(__file__) as sides:
        fields = [worker.description["fields"] for worker in sides.values()]
        if fields[0] != fields[1]:
            raise SystemExit(f"the two sides format different Fields: {fields}")
        samples = _runner.interleave(
            _runner.timings(sides, args.iterations, 1000), args.repetitions
        )
    us = {variant: value * 1e6 for (_, variant), value in _runner.medians(samples).items()}
    rows = [
        [label, f"{us[v]:.2f}", f"{1e6 / us[v]:,.0f}", f"{us['general'] / us[v]:.2f}x"]
        for v, label in LABELS.items()
    ]
    header = ["formatter", "µs per record", "records per second", "vs python-dockerflow"]
    lines = [*_runner.table(header, rows), "", _runner.spread(samples)]
    kinds = {"floor": _runner.FLOOR, "general": _runner.UPSTREAM}
    bars = [(LABELS[v], us[v], kinds.get(v, _runner.OURS)) for v in LABELS]
    described = {side: worker.description["versions"] for side, worker in sides.items()}
    _runner.write_page("formatter", __doc__, args, described, lines, bars, "µs per record")


if __name__ == "__main__":
    main()
