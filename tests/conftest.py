"""pytest-antimetal's own suite: shared fixtures and hooks live in tests/helpers/fixtures.py."""

pytest_plugins = ["tests.helpers.fixtures"]
