"""Fixtures every test package may use."""

pytest_plugins = ("tests.fixtures.mariadb", "tests.fixtures.gated_runs")
