"""Helpers of the hardening tests alone (pytest.ini puts tests/hardening on the path).

- ``sizes``: small or full hardening runs (``DOCKERFLOW_TEST_SIZE``);
- ``logged_apps``: an app with Dockerflow whose logs go nowhere, a line collector;
- ``long_runs``: request and heartbeat drivers, memory and thread gauges;
- ``example_under_faults``: the example service under gunicorn while backends fail.
"""
