"""``python -m dockerflow.version``: see :func:`dockerflow.version.main`."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
