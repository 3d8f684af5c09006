"""A seller's set-up for the Inventory API: business policies and location.

Publishing an offer needs fulfillment, payment and return policy ids, which
need the seller's opt-in to ``SELLING_POLICY_MANAGEMENT`` (it can take eBay a
day: we report ``pending`` rather than pretend). The agency's templates live in
``config/ebay_policies.toml``; each policy is found by name or created. The
merchant location (Daejeon, KR) is registered once per seller; eBay answers
409 when it already exists, which is fine.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.ebay.sites import site_for
from connectors.ebay.transport import EbayTransport
from export_hub.errors import AuthorizationError, NeedsHumanError
from export_hub.settings import PROJECT_ROOT

ACCOUNT = "/sell/account/v1"
INVENTORY = "/sell/inventory/v1"
POLICY_PROGRAM = "SELLING_POLICY_MANAGEMENT"
#: ``SellerAccount.setup`` key of the Trading-managed listings (SKU -> ItemID).
TRADING_ITEMS = "trading_items"
CATEGORY_TYPES = [{"name": "ALL_EXCLUDING_MOTORS_VEHICLES", "default": False}]


def load_policy_templates(path: Path) -> dict[str, Any]:
    """Read the agency's templates (relative paths are from the project root)."""
    full = path if path.is_absolute() else PROJECT_ROOT / path
    with full.open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class SellerSetup:
    """What a seller's account has, as learned by :meth:`EbayAccountSetup.ensure`.

    ``opt_in`` is ``opted_in`` or ``pending``; policies are ``None`` until the
    opt-in is effective. Stored in ``SellerAccount.setup`` as :meth:`as_dict`.
    """

    opt_in: str
    location_key: str | None
    fulfillment_policy_id: str | None = None
    payment_policy_id: str | None = None
    return_policy_id: str | None = None
    #: SKU -> eBay ItemID of listings managed through the Trading API (kept by
    #: :mod:`connectors.ebay.legacy`; never part of :meth:`as_dict`).
    trading_items: Mapping[str, str] = field(default_factory=dict)

    @property
    def policies_ready(self) -> bool:
        return bool(
            self.fulfillment_policy_id
            and self.payment_policy_id
            and self.return_policy_id
        )

    @property
    def ready(self) -> bool:
        return self.policies_ready and self.location_key is not None

    def listing_policies(self) -> dict[str, str]:
        return {
            "fulfillmentPolicyId": self.fulfillment_policy_id or "",
            "paymentPolicyId": self.payment_policy_id or "",
            "returnPolicyId": self.return_policy_id or "",
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "opt_in": self.opt_in,
            "merchant_location_key": self.location_key,
            "fulfillment_policy_id": self.fulfillment_policy_id,
            "payment_policy_id": self.payment_policy_id,
            "return_policy_id": self.return_policy_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SellerSetup | None:
        if not data or not ("opt_in" in data or TRADING_ITEMS in data):
            return None
        return cls(
            opt_in=str(data.get("opt_in", "unknown")),
            location_key=data.get("merchant_location_key"),
            fulfillment_policy_id=data.get("fulfillment_policy_id"),
            payment_policy_id=data.get("payment_policy_id"),
            return_policy_id=data.get("return_policy_id"),
            trading_items=dict(data.get(TRADING_ITEMS) or {}),
        )


class EbayAccountSetup:
    """Opt-in, policies and location for one seller; idempotent and cached."""

    def __init__(
        self,
        transport: EbayTransport,
        *,
        templates: dict[str, Any] | None = None,
        known: SellerSetup | None = None,
    ):
        self._t = transport
        self._templates = templates or load_policy_templates(
            transport.settings.policies_file
        )
        self._known = known if known is not None and known.ready else None
        self._lock = asyncio.Lock()

    @property
    def marketplace_id(self) -> str:
        return self._t.account.marketplace_id

    async def ensure(self) -> SellerSetup:
        """Make sure location and policies exist; cheap once they do."""
        if self._known is not None:
            return self._known
        async with self._lock:
            if self._known is not None:
                return self._known
            location = await self.ensure_location()
            opt_in = await self.ensure_opt_in()
            if opt_in != "opted_in":
                return SellerSetup(opt_in=opt_in, location_key=location)
            setup = SellerSetup(
                opt_in=opt_in,
                location_key=location,
                fulfillment_policy_id=await self._ensure_policy(
                    "fulfillment_policy",
                    "fulfillmentPolicies",
                    "fulfillmentPolicyId",
                    self._fulfillment_body(),
                ),
                payment_policy_id=await self._ensure_policy(
                    "payment_policy",
                    "paymentPolicies",
                    "paymentPolicyId",
                    self._payment_body(),
                ),
                return_policy_id=await self._ensure_policy(
                    "return_policy",
                    "returnPolicies",
                    "returnPolicyId",
                    self._return_body(),
                ),
            )
            self._known = setup
            return setup

    async def ensure_opt_in(self) -> str:
        """``opted_in`` if the seller is in the business policy programme, else
        asks to opt in and answers ``pending`` until eBay has done it."""
        if await self._opted_in():
            return "opted_in"
        await self._t.request(
            "POST",
            f"{ACCOUNT}/program/opt_in",
            api="account",
            operation="account.opt_in",
            json={"programType": POLICY_PROGRAM},
            allow=(409,),
        )
        return "opted_in" if await self._opted_in() else "pending"

    async def _opted_in(self) -> bool:
        resp = await self._t.request(
            "GET",
            f"{ACCOUNT}/program/get_opted_in_programs",
            api="account",
            operation="account.get_opted_in_programs",
            allow=(404,),
        )
        programs = (resp.body or {}).get("programs") or []
        return any(p.get("programType") == POLICY_PROGRAM for p in programs)

    async def ensure_location(self) -> str:
        """Register the Daejeon location once (409 means it exists)."""
        key = self._t.settings.merchant_location_key
        loc = self._templates["location"]
        body = {
            "location": {
                "address": {
                    "addressLine1": loc["address_line1"],
                    "city": loc["city"],
                    "stateOrProvince": loc["state_or_province"],
                    "postalCode": loc["postal_code"],
                    "country": loc["country"],
                }
            },
            "name": loc["name"],
            "phone": loc.get("phone", ""),
            "locationTypes": ["WAREHOUSE"],
            "merchantLocationStatus": "ENABLED",
        }
        await self._t.request(
            "POST",
            f"{INVENTORY}/location/{key}",
            api="inventory",
            operation="inventory.create_location",
            json=body,
            allow=(409,),
        )
        return key

    async def _ensure_policy(
        self, resource: str, list_key: str, id_key: str, body: dict[str, Any]
    ) -> str:
        existing = await self._find_policy(resource, list_key, id_key, body["name"])
        if existing is not None:
            return existing
        # eBay's documented create path for fulfillment policies ends in "/".
        path = (
            f"{ACCOUNT}/{resource}/"
            if resource == "fulfillment_policy"
            else f"{ACCOUNT}/{resource}"
        )
        try:
            created = await self._t.request(
                "POST",
                path,
                api="account",
                operation=f"account.create_{resource}",
                json=body,
            )
        except NeedsHumanError as exc:
            # A retried create whose first answer was lost meets its own
            # policy ("name already exists"): look again before giving up.
            if isinstance(exc, AuthorizationError):
                raise
            existing = await self._find_policy(resource, list_key, id_key, body["name"])
            if existing is None:
                raise
            return existing
        return str(created.body[id_key])

    async def _find_policy(
        self, resource: str, list_key: str, id_key: str, name: str
    ) -> str | None:
        found = await self._t.request(
            "GET",
            f"{ACCOUNT}/{resource}",
            api="account",
            operation=f"account.get_{resource}",
            params={"marketplace_id": self.marketplace_id},
        )
        for policy in (found.body or {}).get(list_key) or []:
            if policy.get("name") == name:
                return str(policy[id_key])
        return None

    def _fulfillment_body(self) -> dict[str, Any]:
        tpl = self._templates["fulfillment"]
        currency = site_for(self.marketplace_id).currency
        overrides = tpl.get("services_by_marketplace", {}).get(self.marketplace_id, {})
        options: dict[str, list[dict[str, Any]]] = {}
        for order, svc in enumerate(tpl["services"], start=1):
            code = svc["service_code"]
            if self.marketplace_id != "EBAY_US":
                code = overrides.get(svc["option_type"], code)
            service: dict[str, Any] = {
                "shippingServiceCode": code,
                "freeShipping": bool(svc.get("free_shipping", False)),
                "shippingCost": {
                    "value": svc.get("cost", "0.00"),
                    "currency": currency,
                },
                "sortOrder": order,
            }
            if svc.get("ship_to"):
                service["shipToLocations"] = {
                    "regionIncluded": [{"regionName": r} for r in svc["ship_to"]]
                }
            options.setdefault(svc["option_type"], []).append(service)
        return {
            "name": tpl["name"],
            "description": tpl.get("description", ""),
            "marketplaceId": self.marketplace_id,
            "categoryTypes": CATEGORY_TYPES,
            "handlingTime": {"value": int(tpl["handling_days"]), "unit": "DAY"},
            "shipToLocations": {
                "regionIncluded": [{"regionName": r} for r in tpl["ship_to"]]
            },
            "shippingOptions": [
                {
                    "optionType": kind,
                    "costType": "FLAT_RATE",
                    "shippingServices": services,
                }
                for kind, services in options.items()
            ],
        }

    def _payment_body(self) -> dict[str, Any]:
        tpl = self._templates["payment"]
        return {
            "name": tpl["name"],
            "description": tpl.get("description", ""),
            "marketplaceId": self.marketplace_id,
            "categoryTypes": CATEGORY_TYPES,
            "immediatePay": bool(tpl.get("immediate_pay", True)),
        }

    def _return_body(self) -> dict[str, Any]:
        tpl = self._templates["return"]
        period = {"value": int(tpl["return_days"]), "unit": "DAY"}
        body: dict[str, Any] = {
            "name": tpl["name"],
            "description": tpl.get("description", ""),
            "marketplaceId": self.marketplace_id,
            "categoryTypes": CATEGORY_TYPES,
            "returnsAccepted": bool(tpl["returns_accepted"]),
            "returnPeriod": period,
            "returnShippingCostPayer": tpl["return_shipping_cost_payer"],
            "refundMethod": tpl["refund_method"],
        }
        if tpl.get("international_returns_accepted"):
            body["internationalOverride"] = {
                "returnsAccepted": True,
                "returnPeriod": period,
                "returnShippingCostPayer": tpl["return_shipping_cost_payer"],
            }
        return body
