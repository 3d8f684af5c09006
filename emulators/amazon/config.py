"""What the emulator is told: the application's LWA client, the sellers, how
fast it processes, its rate limits and the faults to inject."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Documented rate (requests per second) and burst per operation.
DOCUMENTED_RATES: dict[str, tuple[float, int]] = {
    "getListingsItem": (5.0, 10),
    "putListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "deleteListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "searchDefinitionsProductTypes": (5.0, 10),
    "getDefinitionsProductType": (5.0, 10),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "searchOrders": (0.0056, 20),
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getListingsRestrictions": (5.0, 10),
}


@dataclass
class SellerConfig:
    """One selling partner known to the emulator."""

    seller_id: str
    #: Refresh tokens already issued to the application for this seller.
    refresh_tokens: list[str] = field(default_factory=list)
    #: Brands this seller may list (others get Amazon's brand issue);
    #: ``None`` lets the seller list any brand.
    approved_brands: list[str] | None = None
    name: str = ""


@dataclass
class FaultConfig:
    """Reliability faults on SP-API paths (not on LWA or the consent page)."""

    #: Added to every SP-API answer, in seconds.
    latency_seconds: float = 0.0
    #: Share (0..1) of SP-API requests answered 500 / 503.
    error_500_share: float = 0.0
    error_503_share: float = 0.0
    #: Share of SP-API requests whose connection is dropped without an answer.
    drop_share: float = 0.0
    #: Share of SP-API requests answered 429 whatever the request rate.
    throttle_share: float = 0.0
    seed: int = 0


@dataclass
class EmulatorConfig:
    client_id: str = "amzn1.application-oa2-client.export-hub-demo"
    #: The default of ``settings.amazon.lwa_client_secret`` (demo only).
    client_secret: str = "demo-client-secret"  # noqa: S105
    application_id: str = "amzn1.sp.solution.export-hub-demo"
    sellers: list[SellerConfig] = field(default_factory=list)
    #: Seconds between an accepted submission and its outcome (ASIN or issues).
    processing_delay_seconds: float = 1.0
    #: Seconds a feed stays IN_QUEUE/IN_PROGRESS before it is DONE.
    feed_delay_seconds: float = 1.0
    #: Multiplies every rate (not the bursts); tests run faster with > 1.
    rate_scale: float = 1.0
    #: Per-operation (rate, burst) overrides of :data:`DOCUMENTED_RATES`.
    rates: dict[str, tuple[float, int]] = field(default_factory=dict)
    access_token_ttl_seconds: int = 3600
    #: Redirect URIs the consent page accepts; empty accepts loopback ones.
    redirect_uris: list[str] = field(default_factory=list)
    #: Gzip processing reports (Amazon may); the connector must cope with both.
    gzip_reports: bool = True
    faults: FaultConfig = field(default_factory=FaultConfig)
    #: How definitions give the schema checksum: "base64" (the model's text),
    #: "hex" (the model's example) or "wrong" (a fault: it does not match).
    schema_checksum: str = "base64"

    def rate(self, operation: str) -> tuple[float, int]:
        return self.rates.get(operation, DOCUMENTED_RATES[operation])
