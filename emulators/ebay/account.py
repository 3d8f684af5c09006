"""Account API v1: programs (opt-in) and the three business policy kinds, and
the Commerce Identity API's ``user`` (who consented)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulators.ebay.common import SELLER, STATE, error, error_response
from emulators.ebay.state import EmulatorState, Seller

BASE = "/sell/account/v1"
PROGRAM = "SELLING_POLICY_MANAGEMENT"
KINDS = {
    "fulfillment_policy": ("fulfillment", "fulfillmentPolicies", "fulfillmentPolicyId"),
    "payment_policy": ("payment", "paymentPolicies", "paymentPolicyId"),
    "return_policy": ("return", "returnPolicies", "returnPolicyId"),
}


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(BASE + "/program/get_opted_in_programs", opted_in_programs)
    r.add_post(BASE + "/program/opt_in", opt_in)
    for resource in KINDS:
        r.add_get(f"{BASE}/{resource}", _list(resource))
        # eBay documents POST /fulfillment_policy/ with the slash, the others without.
        slash = "/" if resource == "fulfillment_policy" else ""
        r.add_post(f"{BASE}/{resource}{slash}", _create(resource))
        r.add_get(BASE + f"/{resource}/{{policy_id}}", _get(resource))
    r.add_get("/commerce/identity/v1/user/", identity_user)


def _effective(state: EmulatorState, seller: Seller) -> bool:
    if PROGRAM in seller.programs:
        return True
    if seller.opt_in_at is not None and state.clock() >= seller.opt_in_at:
        seller.programs.add(PROGRAM)
        return True
    return False


async def opted_in_programs(request: web.Request) -> web.Response:
    state, seller = request.app[STATE], request[SELLER]
    _effective(state, seller)
    return web.json_response(
        {"programs": [{"programType": p} for p in sorted(seller.programs)]}
    )


async def opt_in(request: web.Request) -> web.Response:
    state, seller = request.app[STATE], request[SELLER]
    program = (await request.json()).get("programType")
    if program != PROGRAM:
        return error_response(
            400, error(20403, f"Invalid programType. {program}", domain="API_ACCOUNT")
        )
    if seller.opt_in_at is None and PROGRAM not in seller.programs:
        seller.opt_in_at = state.clock() + state.config.opt_in_delay
    _effective(state, seller)
    return web.json_response({})


def _list(resource: str) -> Any:
    kind, list_key, _ = KINDS[resource]

    async def handler(request: web.Request) -> web.Response:
        seller = request[SELLER]
        marketplace = request.query.get("marketplace_id")
        if not marketplace:
            return error_response(
                400, error(20401, "Missing field marketplaceId.", domain="API_ACCOUNT")
            )
        found = [
            p
            for p in seller.policies[kind].values()
            if p["marketplaceId"] == marketplace
        ]
        return web.json_response(
            {"total": len(found), "limit": 20, "offset": 0, list_key: found}
        )

    return handler


def _create(resource: str) -> Any:
    kind, _, id_key = KINDS[resource]

    async def handler(request: web.Request) -> web.Response:
        state, seller = request.app[STATE], request[SELLER]
        if not _effective(state, seller):
            return error_response(
                400,
                error(
                    20403,
                    "Invalid request. User is not eligible for Business Policy. "
                    "The seller "
                    "must opt in to SELLING_POLICY_MANAGEMENT.",
                    domain="API_ACCOUNT",
                ),
            )
        body = await request.json()
        for field in ("name", "marketplaceId", "categoryTypes"):
            if not body.get(field):
                return error_response(
                    400,
                    error(
                        20401,
                        f"Missing field {field}.",
                        domain="API_ACCOUNT",
                        parameters={"fieldName": field},
                    ),
                )
        for other in seller.policies[kind].values():
            if (
                other["name"] == body["name"]
                and other["marketplaceId"] == body["marketplaceId"]
            ):
                return error_response(
                    400,
                    error(
                        20400,
                        "Invalid request. The policy name already exists.",
                        domain="API_ACCOUNT",
                    ),
                )
        policy = {**body, id_key: state.next_id()}
        seller.policies[kind][policy[id_key]] = policy
        return web.json_response({**policy, "warnings": []}, status=201)

    return handler


def _get(resource: str) -> Any:
    kind, _, _ = KINDS[resource]

    async def handler(request: web.Request) -> web.Response:
        found = request[SELLER].policies[kind].get(request.match_info["policy_id"])
        if found is None:
            return error_response(
                404, error(20404, "policyId not found.", domain="API_ACCOUNT")
            )
        return web.json_response(found)

    return handler


async def identity_user(request: web.Request) -> web.Response:
    seller = request[SELLER]
    return web.json_response(
        {
            "userId": seller.user_id,
            "username": seller.username,
            "accountType": "BUSINESS",
            "registrationMarketplaceId": "EBAY_US",
        }
    )
