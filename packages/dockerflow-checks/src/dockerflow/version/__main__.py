"""``python -m dockerflow.version``: see :func:`dockerflow.version._command.main`."""

from __future__ import annotations

from ._command import main

if __name__ == "__main__":
    raise SystemExit(main())
