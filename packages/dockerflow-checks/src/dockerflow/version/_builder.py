"""Build a Dockerflow version object from the environment a build runs in.

The version object is what ``/__version__`` serves: ``source`` (the
repository URL), ``version`` (the release tag), ``commit`` (the commit hash)
and ``build`` (the URL of the CI job). :func:`build_version_object` is a pure
function of an environment mapping, so each CI's variables can be tested
without running in that CI.

Precedence, field by field: explicit arguments, then the generic variables
(``GIT_COMMIT``, ``VERSION``/``GIT_TAG``, ``SOURCE_URL``/``GIT_URL``,
``BUILD_URL``), then the first CI whose variables name a commit (GitHub
Actions, CircleCI, GitLab CI, Taskcluster), then the local git checkout.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from typing import Callable, NamedTuple
from urllib.parse import urlsplit, urlunsplit

__all__ = ["VERSION_KEYS", "MissingCommitError", "build_version_object", "read_git_facts"]

#: The keys of a Dockerflow version object, in the order they are written.
VERSION_KEYS = ("source", "version", "commit", "build")

Facts = dict[str, str]
GitFacts = Callable[[], Mapping[str, str]]
# `git@host:org/repo.git`, the clone syntax that is not a URL
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


class MissingCommitError(ValueError):
    """No commit was given and none could be found in the environment."""


class _Provider(NamedTuple):
    name: str
    variables: tuple[str, ...]
    read: Callable[[Mapping[str, str]], Facts]


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _first(env: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = _get(env, name)
        if value:
            return value
    return ""


def normalize_repository_url(url: str) -> str:
    """Turn a clone URL into a browsable ``https`` URL without credentials.

    ``git@github.com:org/repo.git`` and ``https://user:token@host/org/repo.git``
    both become ``https://host/org/repo``.
    """
    url = url.strip()
    scp_like = _SCP_LIKE.match(url)
    if scp_like:
        url = f"https://{scp_like.group(1)}/{scp_like.group(2)}"
    parts = urlsplit(url)
    if not parts.netloc:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    scheme = "https" if parts.scheme in ("ssh", "git", "git+ssh") else parts.scheme
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    return urlunsplit((scheme, host, path, "", ""))


def _github_actions(env: Mapping[str, str]) -> Facts:
    server = _get(env, "GITHUB_SERVER_URL").rstrip("/") or "https://github.com"
    repository = _get(env, "GITHUB_REPOSITORY")
    run_id = _get(env, "GITHUB_RUN_ID")
    facts = {"commit": _get(env, "GITHUB_SHA")}
    if _get(env, "GITHUB_REF_TYPE") == "tag":
        facts["version"] = _get(env, "GITHUB_REF_NAME")
    if repository:
        facts["source"] = f"{server}/{repository}"
        if run_id:
            facts["build"] = f"{server}/{repository}/actions/runs/{run_id}"
    return facts


def _circleci(env: Mapping[str, str]) -> Facts:
    facts = {
        "commit": _get(env, "CIRCLE_SHA1"),
        "version": _get(env, "CIRCLE_TAG"),
        "build": _get(env, "CIRCLE_BUILD_URL"),
    }
    repository_url = _get(env, "CIRCLE_REPOSITORY_URL")
    user = _get(env, "CIRCLE_PROJECT_USERNAME")
    name = _get(env, "CIRCLE_PROJECT_REPONAME")
    if repository_url:
        facts["source"] = normalize_repository_url(repository_url)
    elif user and name:
        facts["source"] = f"https://github.com/{user}/{name}"
    return facts


def _gitlab_ci(env: Mapping[str, str]) -> Facts:
    # CI_REPOSITORY_URL carries a job token: CI_PROJECT_URL is the safe one.
    return {
        "commit": _get(env, "CI_COMMIT_SHA"),
        "version": _get(env, "CI_COMMIT_TAG"),
        "source": _get(env, "CI_PROJECT_URL"),
        "build": _get(env, "CI_JOB_URL"),
    }


def _taskcluster_head_prefix(env: Mapping[str, str]) -> str:
    """The prefix of taskgraph's ``<PREFIX>_HEAD_REV`` variable, if any."""
    prefixes = sorted(
        name[: -len("_HEAD_REV")]
        for name in env
        if name.endswith("_HEAD_REV") and name != "_HEAD_REV" and _get(env, name)
    )
    return prefixes[0] if prefixes else ""


def _taskcluster(env: Mapping[str, str]) -> Facts:
    task_id = _get(env, "TASK_ID")
    if not task_id:
        return {}
    facts: Facts = {}
    root_url = _get(env, "TASKCLUSTER_ROOT_URL").rstrip("/")
    if root_url:
        facts["build"] = f"{root_url}/tasks/{task_id}"
    if _get(env, "GITHUB_HEAD_SHA"):
        # taskcluster-github's variables
        facts["commit"] = _get(env, "GITHUB_HEAD_SHA")
        facts["version"] = _get(env, "GITHUB_HEAD_TAG")
        repository = _first(env, "GITHUB_HEAD_REPO_URL", "GITHUB_BASE_REPO_URL")
    else:
        # taskgraph's run-task variables, e.g. GECKO_HEAD_REV (git or hg)
        prefix = _taskcluster_head_prefix(env)
        facts["commit"] = _get(env, f"{prefix}_HEAD_REV") if prefix else ""
        facts["version"] = _get(env, f"{prefix}_HEAD_TAG") if prefix else ""
        repository = _get(env, f"{prefix}_HEAD_REPOSITORY") if prefix else ""
    if repository:
        facts["source"] = normalize_repository_url(repository)
    return facts


_PROVIDERS = (
    _Provider(
        "GitHub Actions",
        (
            "GITHUB_SHA",
            "GITHUB_REF_NAME",
            "GITHUB_REF_TYPE",
            "GITHUB_SERVER_URL",
            "GITHUB_REPOSITORY",
            "GITHUB_RUN_ID",
        ),
        _github_actions,
    ),
    _Provider(
        "CircleCI",
        (
            "CIRCLE_SHA1",
            "CIRCLE_TAG",
            "CIRCLE_REPOSITORY_URL",
            "CIRCLE_PROJECT_USERNAME",
            "CIRCLE_PROJECT_REPONAME",
            "CIRCLE_BUILD_URL",
        ),
        _circleci,
    ),
    _Provider(
        "GitLab CI",
        ("CI_COMMIT_SHA", "CI_COMMIT_TAG", "CI_PROJECT_URL", "CI_JOB_URL"),
        _gitlab_ci,
    ),
    _Provider(
        "Taskcluster",
        (
            "TASK_ID",
            "TASKCLUSTER_ROOT_URL",
            "GITHUB_HEAD_SHA",
            "GITHUB_HEAD_TAG",
            "GITHUB_HEAD_REPO_URL",
            "<PREFIX>_HEAD_REV",
            "<PREFIX>_HEAD_TAG",
            "<PREFIX>_HEAD_REPOSITORY",
        ),
        _taskcluster,
    ),
)

_GENERIC: dict[str, tuple[str, ...]] = {
    "commit": ("GIT_COMMIT",),
    "version": ("VERSION", "GIT_TAG"),
    "source": ("SOURCE_URL", "GIT_URL"),
    "build": ("BUILD_URL",),
}


def _looked_at(*, with_git: bool) -> str:
    """A readable list of every option and variable the builder read."""
    lines = [
        "options --commit/--version/--source/--build",
        "variables " + ", ".join(name for names in _GENERIC.values() for name in names),
    ]
    lines += [f"{provider.name}: {', '.join(provider.variables)}" for provider in _PROVIDERS]
    if with_git:
        lines.append("git rev-parse HEAD in the current directory")
    return "\n".join(f"  - {line}" for line in lines)


def build_version_object(
    env: Mapping[str, str],
    *,
    commit: str | None = None,
    version: str | None = None,
    source: str | None = None,
    build: str | None = None,
    git_facts: GitFacts | None = None,
) -> dict[str, str]:
    """Return the version object described by ``env`` and the explicit values.

    ``env`` is usually ``os.environ``. ``git_facts`` (e.g.
    :func:`read_git_facts`) is called only when no argument, variable or CI
    names a commit; it returns what the local checkout knows (``commit``, and
    maybe ``version`` and ``source``). The keys are :data:`VERSION_KEYS`, in
    that order; fields nothing knows are empty strings. Raises
    :class:`MissingCommitError`, listing what was looked at, when no commit is
    found anywhere.
    """
    explicit = {"commit": commit, "version": version, "source": source, "build": build}
    ci: Mapping[str, str] = {}
    for provider in _PROVIDERS:
        facts = provider.read(env)
        if facts.get("commit"):
            ci = facts
            break
    generic = {key: _first(env, *names) for key, names in _GENERIC.items()}
    if generic["source"] and not _get(env, "SOURCE_URL"):
        generic["source"] = normalize_repository_url(generic["source"])
    if not (commit or generic["commit"] or ci) and git_facts is not None:
        ci = git_facts()
    result: dict[str, str] = {}
    for key in VERSION_KEYS:
        result[key] = explicit[key] or generic[key] or ci.get(key, "")
    if _SCP_LIKE.match(result["source"]) or urlsplit(result["source"]).username is not None:
        result["source"] = normalize_repository_url(result["source"])
    if not result["commit"]:
        raise MissingCommitError(
            "no commit found for version.json. Looked at:\n"
            f"{_looked_at(with_git=git_facts is not None)}\n"
            "Pass --commit or set GIT_COMMIT (e.g. a Docker build argument)."
        )
    return result


def _git(*args: str, cwd: str | None = None) -> str:
    try:
        completed = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def read_git_facts(cwd: str | None = None) -> dict[str, str]:
    """What the git checkout around ``cwd`` knows: commit, exact tag, origin URL."""
    facts = {"commit": _git("rev-parse", "HEAD", cwd=cwd)}
    if not facts["commit"]:
        return {}
    facts["version"] = _git("describe", "--tags", "--exact-match", "HEAD", cwd=cwd)
    origin = _git("config", "--get", "remote.origin.url", cwd=cwd)
    if origin:
        facts["source"] = normalize_repository_url(origin)
    return facts
