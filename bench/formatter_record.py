"""The record both sides of ``bench/formatter.py`` format: a request.summary line.

Imports in either environment (standard library only). The fields are those
the Flask integration logs for a request: errno, agent, lang, method, path,
code, remoteAddressChain, rid, t, uid, plus the ``rid`` a filter adds.
"""

from __future__ import annotations

import logging

SUMMARY_FIELDS = {
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


def summary_record() -> logging.LogRecord:
    """A record as ``logger.info("", extra=SUMMARY_FIELDS)`` on request.summary makes it."""
    logger = logging.getLogger("request.summary")
    return logger.makeRecord(
        "request.summary", logging.INFO, "app.py", 120, "", (), None, "after_request",
        dict(SUMMARY_FIELDS),
    )  # fmt: skip
