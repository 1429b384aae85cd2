"""Helpers shared by several test trees (not shipped: the distributions' wheels hold only src/).

pytest.ini puts the repository root on ``sys.path`` (``pythonpath = .``), so
tests import these modules by name: ``from testing_support.servers import
RedisServer``. Only ``servers`` is standard library alone (the root
conftest.py imports it in every tree); the others need the test environment
(Flask, our three distributions) and are imported by the trees that use them.
A helper with one user lives beside it (tests/hardening/hardening_support).

- ``servers``: loopback ports, our own ``redis-server``, a stallable TCP proxy;
- ``wsgi``: calling a WSGI app in-process;
- ``app_servers``: an app under a real gunicorn or ``flask run``, its requests and stdout.
"""
