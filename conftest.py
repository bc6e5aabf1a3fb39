"""Project-wide pytest fixtures: users of every role, API clients, factories."""

from __future__ import annotations

pytest_plugins = ["clientela.testing.fixtures", "clientela.testing.browser"]
