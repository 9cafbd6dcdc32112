"""pytest configuration of the test suite: the `pytester` fixture for the pytest plugin's tests."""

pytest_plugins = ["pytester"]
