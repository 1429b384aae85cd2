"""Helpers shared by every test tree (not shipped: the distributions' wheels hold only src/).

pytest.ini puts the repository root on ``sys.path`` (``pythonpath = .``), so
tests import these modules by name: ``from testing_support.servers import
RedisServer``. Only ``servers`` is standard library alone (the root
conftest.py imports it in every tree); the others need the test environment
(Hypothesis, Flask, our three distributions) and are imported by the trees
that use them.

- ``servers``: loopback ports, our own ``redis-server``, a stallable TCP proxy;
- ``sizes``: small or full hardening runs (``DOCKERFLOW_TEST_SIZE``);
- ``wsgi``: calling a WSGI app in-process;
- ``app_servers``: an app under a real gunicorn or ``flask run``, its requests and stdout;
- ``logged_apps``: an app with Dockerflow whose logs go nowhere, a line collector;
- ``long_runs``: request and heartbeat drivers, memory and thread gauges;
- ``example_under_faults``: the example service under gunicorn while backends fail.
"""
