#!/bin/sh
# Entry point of the image: `web` (the default command) serves the app;
# anything else runs as given, e.g. `flask dockerflow heartbeat`.
set -eu

case "${1:-web}" in
  web)
    # The default SQLite database lives in the container: create its tables.
    # With DATABASE_URL set, run `migrate` as its own release step instead.
    if [ -z "${DATABASE_URL:-}" ]; then
      flask db upgrade
    fi
    exec gunicorn --config /app/gunicorn.conf.py
    ;;
  migrate)
    exec flask db upgrade
    ;;
  *)
    exec "$@"
    ;;
esac
