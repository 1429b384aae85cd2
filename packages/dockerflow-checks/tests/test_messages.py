"""Levels and message classes behave as python-dockerflow users know them."""

from __future__ import annotations

import pytest

from dockerflow import checks
from dockerflow.checks import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    STATUSES,
    WARNING,
    CheckMessage,
    Critical,
    Debug,
    Error,
    Info,
    Warning,
    level_to_text,
)


def test_levels_and_statuses_match_logging_levels() -> None:
    """The levels are the logging levels and STATUSES names each, with 0 as ok."""
    assert (DEBUG, INFO, WARNING, ERROR, CRITICAL) == (10, 20, 30, 40, 50)
    assert STATUSES == {
        0: "ok",
        10: "debug",
        20: "info",
        30: "warning",
        40: "error",
        50: "critical",
    }


@pytest.mark.parametrize(("level", "text"), [(0, "ok"), (30, "warning"), (50, "critical")])
def test_level_to_text_names_known_levels(level: int, text: str) -> None:
    """level_to_text gives the status text of a known level."""
    assert level_to_text(level) == text


def test_level_to_text_says_unknown_for_other_levels() -> None:
    """A level that is not one of the five (or 0) is "unknown"."""
    assert level_to_text(35) == "unknown"


@pytest.mark.parametrize(
    ("cls", "level"),
    [(Debug, DEBUG), (Info, INFO), (Warning, WARNING), (Error, ERROR), (Critical, CRITICAL)],
)
def test_each_subclass_carries_its_level(cls: type[CheckMessage], level: int) -> None:
    """Debug..Critical carry their level and accept the keyword arguments."""
    message = cls("text", hint="do this", obj="thing", id="app.E001")
    assert (message.level, message.msg, message.hint, message.obj, message.id) == (
        level,
        "text",
        "do this",
        "thing",
        "app.E001",
    )


def test_explicit_level_overrides_and_is_an_int() -> None:
    """level= sets the level of the base class, converted to int."""
    assert CheckMessage("x", level="40").level == 40  # type: ignore[arg-type]


def test_base_class_without_level_is_rejected_at_construction() -> None:
    """A CheckMessage without a level fails at once, not later when used."""
    with pytest.raises(TypeError, match="level"):
        CheckMessage("x")


def test_equal_messages_compare_equal() -> None:
    """Two messages of the same kind and fields are equal; any differing field is not."""
    assert Error("x", id="a", hint="h") == Error("x", id="a", hint="h")
    assert Error("x", id="a") != Error("x", id="b")
    assert Error("x") != Error("y")
    assert Error("x") != Warning("x")
    assert Error("x", level=100) != Error("x", level=101)
    assert Error("x") != "x"


def test_equality_with_base_class_of_same_level_is_symmetric() -> None:
    """Error("x") and CheckMessage("x", level=ERROR) are equal whichever side asks."""
    assert Error("x") == CheckMessage("x", level=ERROR)
    assert CheckMessage("x", level=ERROR) == Error("x")


def test_str_shows_obj_id_msg_and_hint() -> None:
    """str() is "obj: (id) msg" plus a HINT line, with "?" for no obj."""
    assert str(Error("broken", id="app.E001")) == "?: (app.E001) broken"
    assert str(Warning("slow", obj="db", hint="add an index")) == "db: slow\n\tHINT: add an index"


def test_repr_names_class_and_fields() -> None:
    """repr() shows the class and every field."""
    assert repr(Info("hi", id="i1")) == "<Info: level=20, msg='hi', hint=None, obj=None, id='i1'>"


def test_is_serious_compares_with_error_by_default() -> None:
    """is_serious() is true from ERROR up, or from the level given."""
    assert Error("x").is_serious()
    assert Critical("x").is_serious()
    assert not Warning("x").is_serious()
    assert Warning("x").is_serious(WARNING)


def test_package_exports_python_dockerflow_names() -> None:
    """Every name python-dockerflow's dockerflow.checks exports exists here."""
    names = [
        "CRITICAL", "DEBUG", "ERROR", "INFO", "STATUSES", "WARNING", "CheckMessage",
        "Critical", "Debug", "Error", "Info", "Warning", "level_to_text", "clear_checks",
        "get_checks", "register", "register_partial", "run_checks", "run_checks_async",
    ]  # fmt: skip
    assert [name for name in names if not hasattr(checks, name)] == []
