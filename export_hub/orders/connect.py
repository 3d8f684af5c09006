"""The one seam between orders and the marketplace connectors.

An :data:`OrdersConnectorFactory` turns a seller account row into an async
context manager yielding the :class:`~connectors.base.OrdersConnector` that
acts for it (and closes it afterwards). The import, the shipment service, the
jobs and the web layer all take one; which one is built is named by the
setting ``orders.connector_factory`` (``"module:function"``, the function
taking the :class:`~export_hub.settings.Settings`), so jobs and workers,
which receive only the settings, find it too.

Until the marketplace connectors are wired, the default
(:func:`unwired_factory`) raises :class:`OrdersNotWired` with a message that
says so: no order is ever half-read through a missing connector.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import cast

from connectors.base import OrdersConnector
from export_hub.errors import NeedsHumanError
from export_hub.marketplaces.models import SellerAccount
from export_hub.settings import Settings

OrdersConnectorFactory = Callable[
    [SellerAccount], AbstractAsyncContextManager[OrdersConnector]
]


class OrdersNotWired(NeedsHumanError):
    """No order connector is configured for this marketplace."""


def unwired_factory(settings: Settings) -> OrdersConnectorFactory:
    """The default until the marketplaces' order connectors are wired: every
    use raises :class:`OrdersNotWired` (retrying will not help)."""

    def factory(account: SellerAccount) -> AbstractAsyncContextManager[OrdersConnector]:
        raise OrdersNotWired(
            "order connectors are not wired yet (settings.orders.connector_factory)",
            marketplace=account.marketplace,
            operation="orders",
            seller_id=account.seller_id or None,
        )

    return factory


def connector_factory(settings: Settings) -> OrdersConnectorFactory:
    """The factory named by ``settings.orders.connector_factory``."""
    target = settings.orders.connector_factory
    module_name, _, function = target.partition(":")
    if not module_name or not function:
        raise ValueError(
            f"orders.connector_factory must be 'module:function', not {target!r}"
        )
    build = getattr(importlib.import_module(module_name), function)
    return cast(OrdersConnectorFactory, build(settings))
