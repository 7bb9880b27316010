from tests.tools.conftest import server  # noqa: F401 - the loopback server fixture
