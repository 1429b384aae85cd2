"""What the doctor found: one result per rule, and the report of them all."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAIL", "PASS", "DoctorReport", "RuleResult"]

PASS = "pass"
FAIL = "fail"


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one Dockerflow rule for one app."""

    rule: str
    """The rule's name: ``version.json``, ``/__lbheartbeat__``, ``/__heartbeat__``,
    ``request id`` or ``request.summary``."""
    outcome: str
    """``"pass"`` or ``"fail"``."""
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
        """True when no rule failed."""
        return not self.failures

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.failed)

    def render(self) -> str:
        """The report as the command prints it: a line per rule, its fix under it, a summary."""
        width = max(len(result.rule) for result in self.results)
        lines = []
        for result in self.results:
            lines.append(f"{result.outcome.upper():4}  {result.rule:<{width}}  {result.detail}")
            if result.fix:
                lines.append(f"{'':4}  {'':<{width}}  fix: {result.fix}")
        if self.failures:
            names = ", ".join(result.rule for result in self.failures)
            lines.append(f"{len(self.failures)} of {len(self.results)} rules failed: {names}")
        else:
            lines.append(f"No rule failed: {len(self.results)} passed.")
        return "\n".join(lines)
