"""Optional Flask-Login: API tokens identify callers when it is installed.

``API_TOKENS`` maps a bearer token to a user id, for example
``FLASK_API_TOKENS='{"s3cret": "alice"}'``. A request sent with
``Authorization: Bearer s3cret`` is then user ``alice``: notes record it as
their author and Dockerflow's ``request.summary`` log line carries it as
``uid``. Without Flask-Login every caller is anonymous.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, current_app, request

try:
    from flask_login import LoginManager, UserMixin, current_user
except ImportError:  # Flask-Login is optional
    LoginManager = None


def init_app(app: Flask) -> None:
    """Set up Flask-Login's request loader when Flask-Login is installed."""
    if LoginManager is None:
        return
    login_manager = LoginManager()
    login_manager.request_loader(_load_user_from_request)
    login_manager.user_loader(lambda user_id: None)  # no sessions: tokens only
    login_manager.init_app(app)


def current_user_id() -> str | None:
    """The authenticated caller's id, or None."""
    if LoginManager is None or not current_user.is_authenticated:
        return None
    return str(current_user.get_id())


if LoginManager is not None:

    class ApiUser(UserMixin):  # type: ignore[misc]
        def __init__(self, user_id: str) -> None:
            self.id = user_id


def _load_user_from_request(req: Any) -> Any:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    for known, user_id in current_app.config["API_TOKENS"].items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return ApiUser(str(user_id))
    return None
