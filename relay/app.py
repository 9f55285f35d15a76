"""The app factory: `create_app(config)` builds the Starlette app; its lifespan owns the store, the
broker and the deadline task and hands them to requests as typed state (`relay.state.RelayState`)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from relay.auth import SETUP_PREFIX, hash_token, new_token
from relay.broker import InProcessBroker
from relay.config import RelayConfig
from relay.db.store import Store, Tx
from relay.deadlines import DeadlineTask
from relay.errors import EXCEPTION_HANDLERS
from relay.middleware import AccessLogMiddleware, BodyLimitMiddleware, ErrorMiddleware, SecurityHeadersMiddleware
from relay.openapi import build_openapi
from relay.routes import API
from relay.routes.owners import relay_version
from relay.state import RelayState
from relay.times import iso_in
from relay.web_routes import make_web_routes
from relay.webhooks import WebhookWorker

EVENT_RETENTION_SECONDS = 30 * 86400  # stored events older than this are pruned at start-up


async def ensure_setup_token(state: RelayState) -> str | None:
    """With no owner yet, replace any earlier set-up token by a fresh one (stored hashed) and return it."""
    token = new_token(SETUP_PREFIX)

    def replace(tx: Tx) -> str | None:
        if tx.owner_count() > 0:
            return None
        tx.replace_setup_tokens(hash_token(token))
        return token

    return await state.store.write(replace)


def setup_link(config: RelayConfig, token: str) -> str:
    return f"{config.base_url}/setup/{token}"


def create_app(config: RelayConfig) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        broker = InProcessBroker()
        store = Store(config.db_path, broker)
        await store.open()
        state = RelayState(config=config, store=store, broker=broker, deadlines=DeadlineTask(store),
                           webhooks=WebhookWorker(store, broker, config))
        try:
            await store.write(lambda tx: tx.prune_events(iso_in(-EVENT_RETENTION_SECONDS)))
            await store.write(lambda tx: tx.prune_deliveries(iso_in(-EVENT_RETENTION_SECONDS)))
            state.setup_token = await ensure_setup_token(state)
            if state.setup_token is not None and config.announce_setup:
                sys.stdout.write(f"Set-up link: {setup_link(config, state.setup_token)}\n")
                sys.stdout.flush()
            app.state.relay = state
            async with anyio.create_task_group() as tg:
                tg.start_soon(state.deadlines.run)
                if state.webhooks is not None:
                    tg.start_soon(state.webhooks.run)
                try:
                    yield {"relay": state}
                finally:
                    tg.cancel_scope.cancel()
        finally:
            await broker.close()
            await store.close()

    openapi_doc = build_openapi(API, relay_version())

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_doc)

    routes: list[Route] = [a.route() for a in API]
    routes.append(Route("/openapi.json", openapi, methods=["GET"], name="openapi"))
    routes.extend(make_web_routes())
    middleware = [
        Middleware(AccessLogMiddleware),
        Middleware(SecurityHeadersMiddleware),
        Middleware(ErrorMiddleware),
        Middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
