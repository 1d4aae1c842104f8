"""Root fixtures. Fixture modules are listed here (style.md 10)."""

pytest_plugins = ["tests.fixtures.environment", "tests.fixtures.targets"]
