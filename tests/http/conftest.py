"""Fixtures of the HTTP tests: the app served by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.app import Runtime, create_app
from tests.hardening.conftest import custom_app
from tests.live import serving


@pytest.fixture
async def live_url(runtime: Runtime) -> AsyncIterator[str]:
    """The URL of the GraphQL endpoint of the app, served over a real socket."""
    async with serving(create_app(runtime=runtime)) as base:
        yield f"{base}/graphql"


__all__ = ["custom_app"]
