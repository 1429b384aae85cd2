"""build_version_object: each CI's variables, precedence, clean URLs, errors.

The git fallback and the command line are in test_version_command.py.
"""

from __future__ import annotations

import pytest

from dockerflow.version import VERSION_KEYS, MissingCommitError, build_version_object

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"
OTHER_SHA = "0123456789abcdef0123456789abcdef01234567"


def no_git() -> dict[str, str]:
    raise AssertionError("git must not be asked when the environment names a commit")


def test_github_actions_tag_build():
    """A GitHub Actions tag build gives tag, repository and run URL."""
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": SHA,
        "GITHUB_REF_NAME": "v2.1.0",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/notes",
        "GITHUB_RUN_ID": "987654",
    }
    assert build_version_object(env, git_facts=no_git) == {
        "source": "https://github.com/acme/notes",
        "version": "v2.1.0",
        "commit": SHA,
        "build": "https://github.com/acme/notes/actions/runs/987654",
    }


def test_github_actions_branch_build_has_no_version():
    """A branch name is not a version: a branch build leaves version empty."""
    env = {
        "GITHUB_SHA": SHA,
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_SERVER_URL": "https://ghe.example.com/",
        "GITHUB_REPOSITORY": "acme/notes",
        "GITHUB_RUN_ID": "5",
    }
    result = build_version_object(env)
    assert result["version"] == ""
    assert result["source"] == "https://ghe.example.com/acme/notes"
    assert result["build"] == "https://ghe.example.com/acme/notes/actions/runs/5"


def test_circleci_with_repository_url():
    """CircleCI's SSH clone URL becomes a browsable https source."""
    env = {
        "CIRCLECI": "true",
        "CIRCLE_SHA1": SHA,
        "CIRCLE_TAG": "2024.05.1",
        "CIRCLE_REPOSITORY_URL": "git@github.com:acme/notes.git",
        "CIRCLE_PROJECT_USERNAME": "ignored",
        "CIRCLE_PROJECT_REPONAME": "ignored",
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/notes/2223",
    }
    assert build_version_object(env, git_facts=no_git) == {
        "source": "https://github.com/acme/notes",
        "version": "2024.05.1",
        "commit": SHA,
        "build": "https://circleci.com/gh/acme/notes/2223",
    }


def test_circleci_with_project_names_only():
    """Without CIRCLE_REPOSITORY_URL the source comes from the project names."""
    env = {
        "CIRCLE_SHA1": SHA,
        "CIRCLE_PROJECT_USERNAME": "acme",
        "CIRCLE_PROJECT_REPONAME": "notes",
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/notes/7",
    }
    result = build_version_object(env)
    assert result["source"] == "https://github.com/acme/notes"
    assert result["version"] == ""


def test_gitlab_ci_uses_project_url_not_tokened_clone_url():
    """GitLab CI: CI_PROJECT_URL is the source, never the token-carrying clone URL."""
    env = {
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_TAG": "v1.0.0",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/notes",
        "CI_REPOSITORY_URL": "https://gitlab-ci-token:SECRET@gitlab.example.com/acme/notes.git",
        "CI_JOB_URL": "https://gitlab.example.com/acme/notes/-/jobs/42",
    }
    result = build_version_object(env, git_facts=no_git)
    assert result == {
        "source": "https://gitlab.example.com/acme/notes",
        "version": "v1.0.0",
        "commit": SHA,
        "build": "https://gitlab.example.com/acme/notes/-/jobs/42",
    }
    assert "SECRET" not in repr(result)


def test_taskcluster_github_variables():
    """Taskcluster's GitHub head variables and the task URL."""
    env = {
        "TASK_ID": "fN1SbArXTPSVFNUvaOlinQ",
        "TASKCLUSTER_ROOT_URL": "https://tc.example.com/",
        "GITHUB_HEAD_SHA": SHA,
        "GITHUB_HEAD_TAG": "v3.0.0",
        "GITHUB_HEAD_REPO_URL": "https://github.com/acme/notes.git",
    }
    assert build_version_object(env, git_facts=no_git) == {
        "source": "https://github.com/acme/notes",
        "version": "v3.0.0",
        "commit": SHA,
        "build": "https://tc.example.com/tasks/fN1SbArXTPSVFNUvaOlinQ",
    }


def test_taskcluster_taskgraph_head_variables():
    """Taskgraph's <PREFIX>_HEAD_REV / _HEAD_REPOSITORY (hg or git) are read."""
    env = {
        "TASK_ID": "abc",
        "TASKCLUSTER_ROOT_URL": "https://tc.example.com",
        "GECKO_HEAD_REV": "6a830d12f154",
        "GECKO_HEAD_REPOSITORY": "https://hg.example.org/notes",
    }
    result = build_version_object(env, git_facts=no_git)
    assert result["commit"] == "6a830d12f154"
    assert result["source"] == "https://hg.example.org/notes"
    assert result["build"] == "https://tc.example.com/tasks/abc"


def test_head_variables_without_task_id_are_ignored():
    """Outside a Taskcluster task (no TASK_ID) its head variables mean nothing."""
    with pytest.raises(MissingCommitError):
        build_version_object({"GECKO_HEAD_REV": SHA})


def test_generic_variables_for_docker_build_arguments():
    """GIT_COMMIT, VERSION, SOURCE_URL and BUILD_URL fill every key."""
    env = {
        "GIT_COMMIT": SHA,
        "VERSION": "1.2.3",
        "SOURCE_URL": "https://github.com/acme/notes",
        "BUILD_URL": "https://ci.example.com/job/9",
    }
    result = build_version_object(env, git_facts=no_git)
    assert list(result) == list(VERSION_KEYS)
    assert result == {
        "source": "https://github.com/acme/notes",
        "version": "1.2.3",
        "commit": SHA,
        "build": "https://ci.example.com/job/9",
    }


def test_generic_variables_win_over_ci_variables():
    """A GIT_COMMIT set on purpose wins over the CI's own commit variable."""
    env = {"GITHUB_SHA": OTHER_SHA, "GITHUB_REPOSITORY": "acme/notes", "GIT_COMMIT": SHA}
    result = build_version_object(env)
    assert result["commit"] == SHA
    assert result["source"] == "https://github.com/acme/notes"


def test_explicit_values_win_over_everything():
    """Options given on the command line beat variables and CI detection."""
    env = {
        "GIT_COMMIT": OTHER_SHA,
        "CIRCLE_SHA1": OTHER_SHA,
        "CIRCLE_TAG": "old",
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/notes/1",
    }
    result = build_version_object(
        env,
        commit=SHA,
        version="9.9.9",
        source="https://example.com/src",
        build="https://example.com/build/2",
        git_facts=no_git,
    )
    assert result == {
        "source": "https://example.com/src",
        "version": "9.9.9",
        "commit": SHA,
        "build": "https://example.com/build/2",
    }


def test_first_ci_with_a_commit_provides_all_fields():
    """Fields are never mixed from two CIs: the first naming a commit gives them all."""
    env = {
        "GITHUB_REPOSITORY": "acme/half-set",  # no GITHUB_SHA: not a GitHub build
        "CI_COMMIT_SHA": SHA,
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/notes",
    }
    assert build_version_object(env)["source"] == "https://gitlab.example.com/acme/notes"


def test_missing_commit_names_what_was_looked_at():
    """With no commit anywhere the error lists the options and variables read."""
    with pytest.raises(MissingCommitError) as excinfo:
        build_version_object({"VERSION": "1.0"}, git_facts=dict)
    message = str(excinfo.value)
    for name in ("--commit", "GIT_COMMIT", "GITHUB_SHA", "CIRCLE_SHA1", "CI_COMMIT_SHA", "TASK_ID"):
        assert name in message
    assert "git rev-parse HEAD" in message


def test_git_facts_are_the_last_resort():
    """The local checkout fills in only when no option or variable names a commit."""
    facts = {"commit": SHA, "version": "v1", "source": "https://github.com/acme/notes"}
    result = build_version_object({"BUILD_URL": "https://ci/1"}, git_facts=lambda: facts)
    assert result == {
        "source": "https://github.com/acme/notes",
        "version": "v1",
        "commit": SHA,
        "build": "https://ci/1",
    }


def test_credentials_never_reach_the_source():
    """A clone URL with a token (GIT_URL or --source) is cleaned of it."""
    env = {"GIT_COMMIT": SHA, "GIT_URL": "https://x-access-token:ghs_SECRET@github.com/acme/n.git"}
    assert build_version_object(env)["source"] == "https://github.com/acme/n"
    explicit = build_version_object(env, source="https://bob:pw@example.com/acme/n")
    assert explicit["source"] == "https://example.com/acme/n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/notes.git", "https://github.com/acme/notes"),
        ("ssh://git@github.com/acme/notes.git", "https://github.com/acme/notes"),
        ("https://github.com/acme/notes.git/", "https://github.com/acme/notes"),
        ("https://u:p@git.example.com:8443/acme/notes", "https://git.example.com:8443/acme/notes"),
        ("https://hg.example.org/notes", "https://hg.example.org/notes"),
    ],
)
def test_clone_urls_become_browsable_sources(url, expected):
    """A clone URL of any shape in GIT_URL becomes a browsable https URL."""
    assert build_version_object({"GIT_COMMIT": SHA, "GIT_URL": url})["source"] == expected


def test_without_git_facts_the_error_does_not_mention_git():
    """Called without git_facts, the builder says it did not look at git."""
    with pytest.raises(MissingCommitError) as excinfo:
        build_version_object({})
    assert "git rev-parse" not in str(excinfo.value)
