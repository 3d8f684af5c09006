"""What the order pages and the order API share at run time: the connector
factory and the clock, kept on the web application."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from export_hub.db import utcnow
from export_hub.orders.connect import OrdersConnectorFactory


@dataclass
class OrdersServices:
    """What the order pages and API need beyond the database."""

    factory: OrdersConnectorFactory
    #: The clock (tests pin it with ``fixed``).
    clock: Callable[[], dt.datetime] = utcnow
    fixed: dt.datetime | None = field(default=None)

    def now(self) -> dt.datetime:
        return self.fixed or self.clock()


ORDERS = web.AppKey("orders", OrdersServices)


def services(request: web.Request) -> OrdersServices:
    return request.app[ORDERS]
