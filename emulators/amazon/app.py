"""The SP-API emulator's aiohttp application: the routes of Login with Amazon,
Listings Items, Product Type Definitions and Feeds behind the shared
middlewares of :mod:`emulators.amazon.common`."""

from __future__ import annotations

import random

from aiohttp import web

from emulators.amazon import definitions, feeds, listings, lwa, orders_api, restrictions
from emulators.amazon.common import (
    BASE_URL,
    BUCKETS,
    CONFIG,
    RANDOM,
    STATE,
    TokenBuckets,
    fault_middleware,
    request_id_middleware,
)
from emulators.amazon.state import EmulatorState


def create_app(state: EmulatorState, base: str = "") -> web.Application:
    """The emulator application over ``state``. ``base`` is its public URL
    (for presigned URLs and schema links); set it before serving."""
    app = web.Application(middlewares=[request_id_middleware, fault_middleware])
    app[STATE] = state
    app[CONFIG] = state.config
    app[BASE_URL] = [base]
    app[BUCKETS] = TokenBuckets(state.config, state.clock)
    app[RANDOM] = random.Random(state.config.faults.seed)  # noqa: S311 - faults, not security
    for module in (lwa, listings, definitions, feeds, orders_api, restrictions):
        module.setup(app)
    return app
