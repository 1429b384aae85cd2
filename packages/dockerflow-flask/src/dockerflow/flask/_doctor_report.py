"""What ``flask dockerflow doctor`` found: one result per rule, and the report of them all."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAIL", "PASS", "SKIP", "DoctorReport", "RuleResult"]

PASS = "pass"
FAIL = "fail"
SKIP = "skip"
"""The rule does not apply (no gunicorn or uWSGI configuration, say)."""


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one Dockerflow rule for one app."""

    rule: str
    """The rule's name: ``version.json``, ``/__heartbeat__``, ``/__lbheartbeat__``,
    ``request.summary`` or ``$PORT``."""
    outcome: str
    """``"pass"``, ``"fail"`` or ``"skip"``."""
    detail: str
    """What the doctor saw."""
    fix: str = ""
    """For a failure, what to do about it."""

    @property
    def failed(self) -> bool:
        return self.outcome == FAIL


@dataclass(frozen=True)
class DoctorReport:
    """Every rule's result, in the order the doctor checked them."""

    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        """True when no rule failed (skipped rules do not count)."""
        return not self.failures

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.failed)

    def render(self) -> str:
        """The report as the command prints it: a line per rule, its fix under it, a summary."""
        name_width = max(len(result.rule) for result in self.results)
        lines = []
        for result in self.results:
            lines.append(
                f"{result.outcome.upper():4}  {result.rule:<{name_width}}  {result.detail}"
            )
            if result.fix:
                lines.append(f"{'':4}  {'':<{name_width}}  fix: {result.fix}")
        failures = self.failures
        if failures:
            names = ", ".join(result.rule for result in failures)
            lines.append(f"{len(failures)} of {len(self.results)} rules failed: {names}")
        else:
            checked = sum(result.outcome == PASS for result in self.results)
            lines.append(
                f"No rule failed: {checked} passed, {len(self.results) - checked} skipped."
            )
        return "\n".join(lines)
