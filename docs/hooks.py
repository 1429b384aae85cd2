"""MkDocs hook: the Performance page shows every benchmark report there is.

Each benchmark writes a Markdown report to ``bench/results/``, with its plot
beside it (``NAME.png``). The page holds the marker below; the build replaces
it with the reports, their headings moved under the page's "Results" section,
and copies the plots into the site under ``bench-results/``, so a new report
appears without an edit here and a removed one leaves no dangling include.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

MARKER = "<!-- bench-results -->"
# Reports in reading order; any other report follows, by file name.
ORDER = ("requests", "instructions", "load", "formatter", "heartbeat")
#: Where the plots go in the site, relative to the Performance page.
PLOTS = "bench-results"
_PLOT = re.compile(r"\]\(([\w-]+\.png)\)")
_HEADING = re.compile(r"^(#{1,4}) ")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+).+?\1")
# `/__version__` written without backticks would render as "/" and bold text.
_ENDPOINT = re.compile(r"(?<![\w`])(/__[A-Za-z]+__)")

NO_RESULTS = """!!! note "No results yet"

    The benchmarks have not written any report to `bench/results/` yet."""


def _rank(path: Path) -> tuple[int, str]:
    stem = path.stem
    return (ORDER.index(stem) if stem in ORDER else len(ORDER), stem)


def _code_endpoints(line: str) -> str:
    """``line`` with bare ``/__name__`` paths outside code spans put in code spans."""
    parts = []
    start = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_ENDPOINT.sub(r"`\1`", line[start : span.start()]))
        parts.append(span.group(0))
        start = span.end()
    parts.append(_ENDPOINT.sub(r"`\1`", line[start:]))
    return "".join(parts)


def include_report(text: str, levels: int) -> str:
    """A report's Markdown, its headings ``levels`` deeper, endpoints as code, plots moved."""
    lines = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = _HEADING.sub(lambda m: "#" * levels + m.group(1) + " ", line)
            line = _code_endpoints(line)
            line = _PLOT.sub(rf"]({PLOTS}/\1)", line)
        lines.append(line)
    return "\n".join(lines)


def results_markdown(results_dir: Path) -> str:
    """Every report in ``results_dir``, each heading two levels down."""
    reports = sorted(results_dir.glob("*.md"), key=_rank)
    if not reports:
        return NO_RESULTS
    return "\n\n".join(include_report(report.read_text(encoding="utf-8"), 2) for report in reports)


def on_page_markdown(markdown: str, *, config: Any, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    root = Path(config.config_file_path).parent
    return markdown.replace(MARKER, results_markdown(root / "bench" / "results"))


def on_files(files: Files, *, config: Any) -> Files:
    results = Path(config.config_file_path).parent / "bench" / "results"
    for plot in sorted(results.glob("*.png")):
        files.append(File.generated(config, f"{PLOTS}/{plot.name}", abs_src_path=str(plot)))
    return files
