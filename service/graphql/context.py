"""Per-request GraphQL context: the caller, one database transaction, the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.fastapi import BaseContext

from service.auth.callers import resolve_caller
from service.auth.policies import Reach, compute_reach
from service.auth.principal import Principal
from service.db import ConnectionExecutor, driver_call
from service.errors import Unauthenticated
from service.graphql.loader import Loader

if TYPE_CHECKING:
    from service.app import Runtime
    from service.auth.tokens import TokenClaims

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
BatchFn = Callable[["Context", Sequence[Any]], Awaitable[Sequence[Any]]]


class Context(BaseContext):
    """Everything a resolver needs for one request.

    The connection is opened on first use and holds one transaction for the whole request
    (read-only for queries); statements on it are serialized because a connection runs
    one statement at a time, however many resolvers await concurrently.
    """

    def __init__(self, runtime: Runtime, claims: TokenClaims | None) -> None:
        super().__init__()
        self.runtime = runtime
        self.settings = runtime.settings
        self.claims = claims
        self.is_mutation = False
        # The operation that runs (``query`` or ``mutation``, and its name if it has one),
        # once it has parsed and validated.
        self.operation_type: str | None = None
        self.operation_name: str | None = None
        self._conn: AsyncConnection | None = None
        self._in_transaction = False
        self._lock = asyncio.Lock()
        self._principal: Principal | None = None
        self.caller_row: Any | None = None  # the caller's employee row, read while resolving
        self.framework_revision = 0  # the organization's, read while resolving the caller
        self._principal_error: Exception | None = None
        self._reach: Reach | None = None
        self._loaders: dict[Any, Loader[Any, Any]] = {}

    # --- database ---------------------------------------------------------------------

    async def _checked_out(self) -> AsyncConnection:
        """The request's connection, taken from the pool on first use, in a transaction or
        not yet."""
        if self._conn is None:
            conn = await self.runtime.db.engine.connect()
            try:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            except BaseException:
                await _discard(conn)
                raise
            self._conn = conn
        return self._conn

    async def connection(self) -> AsyncConnection:
        """The request's connection, inside its transaction, tenant set once known.

        The transaction is begun on the first statement that needs it and ended here on the
        driver (``BEGIN READ ONLY`` for queries: they cannot write by mistake); SQLAlchemy,
        told the connection autocommits, runs its statements inside it and begins none of
        its own. A query that needs only the caller's statement (which sets the tenant
        itself) runs no transaction at all. The tenant is set in the same round trip as
        ``BEGIN`` when the caller is already known."""
        conn = await self._checked_out()
        if not self._in_transaction:
            begin = "BEGIN" if self.is_mutation else "BEGIN READ ONLY"
            if self._principal is not None:
                # A UUID's text, so it can stand in the statement as a literal.
                tenant = str(self._principal.org_id)
                begin += f"; SELECT set_config('app.org_id', '{tenant}', true)"
            try:
                await self._driver(conn, begin)
            except BaseException:
                self._conn = None
                await _discard(conn)
                raise
            self._in_transaction = True
        return conn

    @staticmethod
    async def _driver(conn: AsyncConnection, sql: str) -> None:
        await driver_call(conn, lambda driver: driver.execute(sql), sql)

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        async with self._lock:
            conn = await self.connection()
            return await conn.execute(statement, params)

    async def finish(self, *, commit: bool) -> None:
        """End the request's transaction; called once, when its operation has run."""
        # Each loader holds this context: dropping them breaks that cycle, so the rows
        # they loaded are freed with the request, not at the next garbage collection.
        self._loaders.clear()
        conn, in_transaction = self._conn, self._in_transaction
        self._conn, self._in_transaction = None, False
        if conn is None:
            return
        try:
            if in_transaction and not conn.invalidated:
                await self._driver(conn, "COMMIT" if commit else "ROLLBACK")
        except BaseException:
            await _discard(conn)
            raise
        await conn.close()

    # --- caller ----------------------------------------------------------------------

    async def principal(self) -> Principal:
        """The authenticated caller; raises ``Unauthenticated`` when there is none."""
        if self._principal is not None:
            return self._principal
        if self._principal_error is not None:
            raise self._principal_error
        if self.claims is None:
            self._principal_error = Unauthenticated()
            raise self._principal_error
        async with self._lock:
            # Resolvers ask concurrently; the first one through the lock resolves for all.
            if self._principal is None and self._principal_error is None:
                # A service account's statements rely on one transaction's tenant; an
                # employee's set it themselves.
                needs_transaction = self.is_mutation or self.claims.is_client_credentials
                conn = await (self.connection() if needs_transaction else self._checked_out())
                try:
                    caller = await resolve_caller(
                        ConnectionExecutor(conn), self.claims, self.settings.auth, direct=conn
                    )
                except Unauthenticated as exc:
                    self._principal_error = exc
                else:
                    self._principal, self.caller_row = caller.principal, caller.employee
                    self.framework_revision = caller.framework_revision
            if self._principal_error is not None:
                raise self._principal_error
            assert self._principal is not None
        return self._principal

    async def optional_principal(self) -> Principal | None:
        try:
            return await self.principal()
        except Unauthenticated:
            return None

    async def reach(self) -> Reach:
        """Which employees the caller may see (computed once per request)."""
        if self._reach is None:
            principal = await self.principal()
            async with self._lock:
                if self._reach is None:  # another resolver may have computed it meanwhile
                    self._reach = await compute_reach(await self.connection(), principal)
        return self._reach

    # --- loaders ---------------------------------------------------------------------

    def loader(self, batch: BatchFn) -> Loader[Any, Any]:
        """The request's DataLoader for a batch function ``batch(context, keys)``."""
        found = self._loaders.get(batch)
        if found is None:

            async def load(keys: Sequence[Any]) -> Sequence[Any]:
                return await batch(self, keys)

            found = Loader(load)
            self._loaders[batch] = found
        return found


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection whose transaction may still be open, never to be used again: the
    pool would otherwise hand it out inside that transaction."""
    if not conn.invalidated:
        await conn.invalidate()
    await conn.close()
