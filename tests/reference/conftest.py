"""Reference servers shared across the reference tests (one per edition)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.reference import ReferenceServer

from .helpers import Api

EDITIONS = ("1.3.1", "1.11.0")


class FakeClock:
    """A monotonic clock the tests move forward by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture(scope="session", params=EDITIONS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """A client of a clean reference server, once per edition."""
    with ReferenceServer(edition=request.param) as server:
        client = Api(server)
        yield client
        client.close()


@pytest.fixture(scope="session")
def api_131() -> Iterator[Api]:
    """A client of a clean 1.3.1 reference server (for edition-neutral checks)."""
    with ReferenceServer(edition="1.3.1") as server:
        client = Api(server)
        yield client
        client.close()


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    """The clock of `clocked_api`'s server."""
    return FakeClock()


@pytest.fixture(scope="module", params=EDITIONS)
def clocked_api(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Api]:
    """A client of a reference server whose time the test controls."""
    with ReferenceServer(edition=request.param, clock=clock) as server:
        client = Api(server)
        yield client
        client.close()
