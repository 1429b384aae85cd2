"""gunicorn settings of the example service (``gunicorn -c gunicorn.conf.py``).

Everything comes from the environment, the Dockerflow way: ``PORT`` (default
8000), ``WEB_CONCURRENCY`` (workers, default 2), ``GUNICORN_THREADS``,
``GUNICORN_TIMEOUT``, ``LOG_LEVEL`` and ``LOG_FORMAT``. gunicorn's own logs (``gunicorn.error``
and ``gunicorn.access``) are mozlog JSON on stdout like the app's.
"""

import os

chdir = os.path.dirname(os.path.abspath(__file__))
wsgi_app = "wsgi:app"
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Dockerflow's request.summary is the access log: one line per request, with
# its request id, user and timing. Setting logconfig_dict turns gunicorn's own
# access log on too, a second line per request without the request id, so
# gunicorn.access drops its lines (WARNING and up only; it writes none).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "formatters": {
        "mozlog": {
            # LOG_FORMAT=cloud-logging: the app's choice (app/logging_config.py)
            "()": "dockerflow.logging.CloudLoggingFormatter"
            if os.environ.get("LOG_FORMAT") == "cloud-logging"
            else "dockerflow.logging.JsonLogFormatter",
            "logger_name": "example-service",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "mozlog",
            "filters": ["request_id"],
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        # Alembic says at INFO which plugins it set up, each time a worker imports it
        "alembic": {"level": "WARNING"},
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["stdout"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {
            "level": "WARNING",
            "handlers": ["stdout"],
            "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
}
