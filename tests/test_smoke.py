def test_namespace_imports():
    """The three parts import from one namespace."""
    import dockerflow.checks
    import dockerflow.flask
    import dockerflow.logging

    assert dockerflow.logging.__name__ == "dockerflow.logging"
    assert dockerflow.checks and dockerflow.flask


def test_flask_version_shown():
    """Placeholder to see which Flask runs."""
    import importlib.metadata

    print("FLASK", importlib.metadata.version("flask"))
