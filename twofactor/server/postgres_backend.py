"""Tortoise's asyncpg engine, except that a transaction whose BEGIN fails gives its connection back.

When PostgreSQL goes away, a pooled connection may look alive until its first statement: Tortoise's
transaction context then keeps the connection it acquired (the pool shrinks by one at every such
failure, until every request waits for a connection forever) and leaves the failed transaction as
the task's current connection. Used through `tortoise_config` for every postgres:// URL.
"""

from __future__ import annotations

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionalDBClient, TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections


class _ReleasingTransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            await pool.release(self.client._connection)
            raise
        return self.client


class ReleasingAsyncpgClient(AsyncpgDBClient):
    """Tortoise's asyncpg client with `_ReleasingTransactionContext`."""

    def _in_transaction(self) -> TransactionContext:
        return _ReleasingTransactionContext(TransactionWrapper(self), self._pool_init_lock)


# Tortoise imports the engine as a module and instantiates its `client_class`.
client_class = ReleasingAsyncpgClient
