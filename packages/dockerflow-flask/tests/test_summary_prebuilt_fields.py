"""The request.summary record carries its fields prebuilt, with the same output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow
from dockerflow.logging import MozlogFormatter, RequestIdLogFilter
from dockerflow.logging._records import FieldsLogRecord, extra_fields


class KeepRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def summary_logger() -> Iterator[logging.Logger]:
    """request.summary at INFO, its level restored afterwards."""
    logger = logging.getLogger("request.summary")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield logger
    logger.setLevel(level)


def test_summary_line_is_the_same_as_the_general_path(
    app: Flask, summary_logger: logging.Logger
) -> None:
    """Formatting the emitted record gives the line its plain-record copy gives."""
    stream = io.StringIO()
    writer = logging.StreamHandler(stream)
    writer.setFormatter(MozlogFormatter(logger_name="app"))
    writer.addFilter(RequestIdLogFilter())
    keeper = KeepRecords()
    summary_logger.addHandler(writer)
    summary_logger.addHandler(keeper)
    try:

        @app.route("/items/<int:item>")
        def item(item: int) -> str:
            return str(item)

        Dockerflow(app)
        app.test_client().get("/items/7?x=1", headers={"X-Request-ID": "r-42"})
    finally:
        summary_logger.removeHandler(writer)
        summary_logger.removeHandler(keeper)

    (record,) = keeper.records
    assert type(record) is FieldsLogRecord
    plain = logging.makeLogRecord({})
    plain.__dict__.clear()
    plain.__dict__.update(record.__dict__)
    (line,) = stream.getvalue().splitlines()
    assert line == MozlogFormatter(logger_name="app").format(plain)
    fields = json.loads(line)["Fields"]
    assert fields == extra_fields(plain)
    assert (fields["path"], fields["code"], fields["rid"]) == ("/items/7", 200, "r-42")
