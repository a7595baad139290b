"""Fixtures of the hardening tests: an app with settings of the test's choosing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from service.app import Runtime, build_runtime, create_app
from service.config import Settings


@asynccontextmanager
async def app_with(
    settings: Settings, **changes: Any
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """The app on the test database with ``changes`` to its settings, and a client for it."""
    runtime = build_runtime(settings.model_copy(update=changes))
    app = create_app(runtime=runtime)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield runtime, client
    finally:
        await runtime.db.dispose()


@pytest.fixture
def custom_app(
    settings: Settings,
) -> Callable[..., AbstractAsyncContextManager[tuple[Runtime, httpx.AsyncClient]]]:
    def make(**changes: Any) -> AbstractAsyncContextManager[tuple[Runtime, httpx.AsyncClient]]:
        return app_with(settings, **changes)

    return make
