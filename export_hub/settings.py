"""One typed, frozen settings tree for the whole service.

Loaded once from ``config/export_hub.toml`` (or the file named by
``EXPORT_HUB_CONFIG``) plus ``EXPORT_HUB_*`` environment variables, nested keys
joined with ``__`` (``EXPORT_HUB_DATABASE__URL``). Environment variables win over
the file. Outside production, the development secrets ``make run`` writes to
``var/dev.env`` (relative to the working directory, like the SQLite database)
are read too, below the environment and above the file, so every command
finds them the way ``make run`` does.

Secrets are :class:`pydantic.SecretStr`, so their ``repr`` is masked. They are
optional while loading: a command that does not use them does not ask for
them; the code that does use them asks through :meth:`WebSettings.cookie_key`
and :meth:`SecuritySettings.keys`, which raise :class:`SettingsError` naming
the missing key. Nothing else in the code base reads ``os.environ``: pass
:class:`Settings` down.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "export_hub.toml"
#: Where ``make run`` keeps the development secrets (relative to the working
#: directory); read only when ``environment`` is not ``production``.
DEV_ENV_FILE = Path("var/dev.env")


class SettingsError(RuntimeError):
    """The configuration is missing or invalid; the message says what to fix."""


def _missing(key: str) -> SettingsError:
    env = "EXPORT_HUB_" + key.replace(".", "__").upper()
    return SettingsError(
        "invalid configuration / 설정이 올바르지 않습니다:\n"
        f"  - {key} ({env}): Field required (`make run` writes development "
        f"values to {DEV_ENV_FILE})"
    )


_POSTGRES_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def async_url(url: str) -> str:
    """``url`` with PostgreSQL spelt for psycopg 3's async driver.

    One driver family serves both SQLAlchemy and the job queue (procrastinate
    needs psycopg), so ``postgres://``, ``postgresql://`` and other drivers'
    URLs (``+asyncpg``, ``+psycopg2``) all become ``postgresql+psycopg://``.
    Other URLs are returned unchanged.
    """
    return _POSTGRES_SCHEME.sub("postgresql+psycopg://", url, count=1)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSettings(_Section):
    """Where the data lives. SQLite (embedded) by default, PostgreSQL by URL
    (``postgresql+psycopg://user@host/db``; ``postgresql://`` is read the same)."""

    url: str = "sqlite+aiosqlite:///var/export_hub.sqlite3"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _one_postgres_driver(cls, value: str) -> str:
        return async_url(value)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    #: 32 url-safe base64 bytes (Fernet key) encrypting the session cookie.
    #: Required by the web application only (see :meth:`cookie_key`).
    session_key: SecretStr | None = None
    #: ``False`` only for plain-http local runs; production serves over TLS.
    secure_cookies: bool = False
    session_max_age_seconds: int = 8 * 3600
    #: Failed log-ins per account and client address before each further try
    #: waits; the wait starts at ``login_delay_seconds`` and doubles per
    #: failure up to ``login_lockout_seconds``.
    login_max_failures: int = Field(default=5, ge=1)
    login_delay_seconds: int = Field(default=30, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    #: Failed log-ins from one client address (any account) before it waits.
    login_max_failures_per_address: int = Field(default=50, ge=1)
    #: Failures older than this are forgotten.
    login_forget_seconds: int = Field(default=3600, ge=60)
    #: Proxies (addresses or networks) whose ``X-Forwarded-For`` is believed;
    #: empty: the client address is the socket's peer.
    trusted_proxies: list[str] = Field(default_factory=list)
    password_reset_ttl_seconds: int = Field(default=3600, ge=60)
    #: How long an e-mailed invitation (new user, company colleague) works.
    invite_ttl_seconds: int = Field(default=7 * 86400, ge=3600)
    #: Password hashes and image checks running at once, off the event loop
    #: (0: one less than the CPUs, leaving one to the event loop).
    cpu_work_limit: int = Field(default=0, ge=0)
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    upload_dir: Path = Path("var/uploads")
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_max_pixels: int = 40_000_000
    #: The address users and marketplaces reach the service at (links in
    #: e-mails, image URLs). Unset: ``http://<host>:<port>`` of this instance
    #: (``127.0.0.1`` when listening on every interface).
    public_base_url: str = ""

    @model_validator(mode="after")
    def _base_url_follows_port(self) -> WebSettings:
        if not self.public_base_url:
            host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104 - compared, not bound
            if ":" in host:
                host = f"[{host}]"
            object.__setattr__(self, "public_base_url", f"http://{host}:{self.port}")
        return self

    def cookie_key(self) -> str:
        """The session cookie's Fernet key.

        Raises :class:`SettingsError` when ``web.session_key`` is not set.
        """
        if self.session_key is None or not self.session_key.get_secret_value():
            raise _missing("web.session_key")
        return self.session_key.get_secret_value()


class SecuritySettings(_Section):
    #: Fernet keys encrypting secrets at rest (refresh tokens). The first one
    #: encrypts; all of them decrypt, so a new key can be put first and the old
    #: ones re-encrypted away with ``export-hub secrets rotate``. Required only
    #: where secrets are stored or read (see :meth:`keys`).
    secret_keys: list[SecretStr] = Field(default_factory=list)

    def keys(self) -> list[str]:
        """The secret keys, newest first.

        Raises :class:`SettingsError` when ``security.secret_keys`` is empty.
        """
        keys = [k.get_secret_value() for k in self.secret_keys]
        if not keys or not all(keys):
            raise _missing("security.secret_keys")
        return keys


class AmazonSettings(_Section):
    """SP-API application settings. Endpoints are settings so the same code talks
    to production, Amazon's sandbox, or the project's emulator."""

    application_id: str = "amzn1.sp.solution.export-hub-demo"
    lwa_client_id: str = "amzn1.application-oa2-client.export-hub-demo"
    lwa_client_secret: SecretStr = SecretStr("demo-client-secret")
    lwa_token_url: str = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL
    consent_url: str = "https://sellercentral.amazon.com/apps/authorize/consent"
    consent_beta: bool = False
    endpoints: dict[str, str] = Field(
        default_factory=lambda: {
            "na": "https://sellingpartnerapi-na.amazon.com",
            "eu": "https://sellingpartnerapi-eu.amazon.com",
            "fe": "https://sellingpartnerapi-fe.amazon.com",
        }
    )
    #: CA bundle to trust (the emulator's test CA); empty uses the system store.
    ca_bundle: str = ""
    default_marketplace: str = "ATVPDKIKX0DER"
    reauthorize_after_days: int = 365
    request_timeout_seconds: float = 30.0
    max_attempts: int = 6
    max_retry_seconds: float = 120.0
    #: Multiplies the documented rate limits (tests run the emulator faster).
    rate_scale: float = 1.0
    retry_initial_wait_seconds: float = 0.5
    retry_max_wait_seconds: float = 30.0
    #: LWA access tokens cached in memory, one per seller (python-amazon-sp-api's
    #: cache holds 10 by default: too few for many sellers).
    token_cache_size: int = 10_000
    #: How often to poll getFeed (its limit is 2/s; Amazon suggests minutes).
    feed_poll_seconds: float = 30.0
    feed_max_wait_seconds: float = 3600.0
    #: Submissions in progress per seller (validated and waiting for a slot).
    max_in_flight_per_seller: int = 20
    #: Product type whose seller-specific definition tells the seller's brands.
    brand_check_product_type: str = "HOME_BED_AND_BATH"


class EbaySettings(_Section):
    client_id: str = "ExportHu-demo-PRD-000000000-00000000"
    client_secret: SecretStr = SecretStr("demo-client-secret")
    ru_name: str = "Export_Hub-ExportHu-demo-PRD"
    dev_id: str = "export-hub-dev"
    authorize_url: str = "https://auth.ebay.com/oauth2/authorize"
    token_url: str = "https://api.ebay.com/identity/v1/oauth2/token"  # noqa: S105 - a URL
    api_base_url: str = "https://api.ebay.com"
    trading_url: str = "https://api.ebay.com/ws/api.dll"
    trading_compatibility_level: int = 1331
    scopes: list[str] = Field(
        default_factory=lambda: [
            "https://api.ebay.com/oauth/api_scope",
            "https://api.ebay.com/oauth/api_scope/sell.inventory",
            "https://api.ebay.com/oauth/api_scope/sell.account",
            # Who consented (Commerce Identity ``getUser``).
            "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly",
        ]
    )
    default_marketplace: str = "EBAY_US"
    request_timeout_seconds: float = 30.0
    max_attempts: int = 6
    max_retry_seconds: float = 120.0
    rate_scale: float = 1.0
    #: Daily call budget per seller and API, as eBay's default application quota.
    daily_call_budget: int = 5000
    max_revisions_per_listing_per_day: int = 250
    #: Commerce Identity API (who consented): the seller's eBay user id.
    identity_url: str = "https://apiz.ebay.com/commerce/identity/v1/user/"
    #: Client-side pace per seller and API (eBay publishes daily limits only).
    requests_per_second: float = 10.0
    max_concurrency_per_seller: int = 4
    retry_initial_wait_seconds: float = 0.5
    #: Refresh the 2-hour access token this long before it expires.
    token_refresh_skew_seconds: float = 300.0
    #: The agency's location key registered once per seller (Daejeon, KR).
    merchant_location_key: str = "daejeon-export-hub"
    #: Business policy templates (fulfillment, payment, return) per marketplace.
    policies_file: Path = Path("config/ebay_policies.toml")
    #: Refresh tokens last about 18 months; ask for re-consent this long before.
    reconsent_warning_days: int = 30


class EmulatorSettings(_Section):
    """In-process marketplace emulators for ``make run`` and demos."""

    enabled: bool = False
    amazon_port: int = 8091
    ebay_port: int = 8092


class MailSettings(_Section):
    #: ``outbox`` keeps mail in the database (embedded default); ``smtp`` sends it.
    backend: Literal["outbox", "smtp"] = "outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    sender: str = "Export Hub <no-reply@export-hub.example>"


class ConsultationSettings(_Section):
    offices_file: Path = Path("config/offices.toml")
    #: The agency's one-off closures (Seoul dates). Public holidays, Korea's
    #: and each office's country's, come from the ``holidays`` library.
    closures_file: Path = Path("config/closures.toml")
    pending_expiry_hours: int = 48
    #: Sales of the products discussed count towards a consultation this many
    #: days after it (the programme report's attribution window).
    attribution_days: int = Field(default=180, ge=1, le=730)
    #: Secret signing self-hosted Jitsi room JWTs (HS256).
    jitsi_app_secret: SecretStr = SecretStr("")
    jitsi_app_id: str = "export-hub"
    jitsi_base_url: str = "https://meet.export-hub.example"


class BrandSettings(_Section):
    file: Path = Path("config/brand.toml")
    #: Fees, shipping bands, currency endings and the optional rate source.
    pricing_file: Path = Path("config/pricing.toml")


class JobSettings(_Section):
    #: Run the scheduled jobs inside ``export-hub serve`` (embedded mode).
    embedded: bool = True
    sync_interval_seconds: int = 900
    reminder_interval_seconds: int = 60
    #: Finished job runs older than this are deleted (daily).
    keep_runs_days: int = Field(default=90, ge=1)
    #: How often a working job or sync run renews its heartbeat.
    heartbeat_seconds: float = Field(default=30.0, gt=0)
    #: A running job or sync run silent this long lost its worker (closed as
    #: failed by ``jobs.close_dead_runs``).
    run_stale_after_seconds: int = Field(default=300, ge=60)
    #: More job modules to load (each exposes ``job_specs(settings)``).
    extra_modules: list[str] = Field(default_factory=list)


class OrderSettings(_Section):
    """Order import, ship-by warnings and the connector seam."""

    #: How often ``orders.pull_all`` reads every seller's orders.
    pull_interval_seconds: int = Field(default=300, gt=0)
    #: Each read starts this long before the last one ended: marketplaces
    #: show updates late, and the import is idempotent.
    overlap_minutes: int = Field(default=15, ge=0)
    #: The first read of a seller goes this far back.
    initial_lookback_days: int = Field(default=30, ge=1, le=730)
    #: Reads end this long before now (Amazon: ``LastUpdatedBefore`` at least
    #: two minutes before the request).
    amazon_lag_seconds: int = Field(default=180, ge=120)
    ebay_lag_seconds: int = Field(default=60, ge=0)
    #: An open order whose ship-by date is this close is at risk (flagged,
    #: and the company gets one e-mail).
    at_risk_hours: int = Field(default=24, gt=0)
    reminder_interval_seconds: int = Field(default=600, gt=0)
    #: ``module:function(settings) -> OrdersConnectorFactory`` building the
    #: marketplaces' order connectors (see :mod:`export_hub.orders.connect`).
    connector_factory: str = "export_hub.marketplaces.registry:orders_factory"


class Settings(BaseSettings):
    """The whole configuration. Frozen: build a new one rather than mutate."""

    model_config = SettingsConfigDict(
        env_prefix="EXPORT_HUB_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings = WebSettings()
    security: SecuritySettings = SecuritySettings()
    amazon: AmazonSettings = AmazonSettings()
    ebay: EbaySettings = EbaySettings()
    emulators: EmulatorSettings = EmulatorSettings()
    mail: MailSettings = MailSettings()
    consultations: ConsultationSettings = ConsultationSettings()
    brand: BrandSettings = BrandSettings()
    jobs: JobSettings = JobSettings()
    orders: OrderSettings = OrderSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _config_path_from_env()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        environment = init_settings().get("environment") or _environment(toml_file)
        if DEV_ENV_FILE.is_file() and environment != "production":
            sources.append(
                DotEnvSettingsSource(
                    settings_cls, env_file=DEV_ENV_FILE, env_file_encoding="utf-8"
                )
            )
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def _environment(toml_file: Path | None) -> str:
    """``environment`` as the environment or the TOML file gives it, read
    before the settings are built (it decides whether ``var/dev.env`` counts)."""
    named = os.environ.get("EXPORT_HUB_ENVIRONMENT")
    if named:
        return named
    if toml_file is not None and toml_file.is_file():
        with toml_file.open("rb") as f:
            value = tomllib.load(f).get("environment", "development")
        return str(value)
    return "development"


_config_override: Path | None = None


def _config_path_from_env() -> Path | None:
    if _config_override is not None:
        return _config_override
    named = os.environ.get("EXPORT_HUB_CONFIG")
    if named:
        return Path(named)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load and validate the settings.

    ``config_file`` replaces the default TOML file; ``overrides`` (nested dicts)
    win over everything, which is how tests build their settings.

    Raises :class:`SettingsError` naming every missing or invalid key.
    """
    global _config_override
    if config_file is not None and not config_file.exists():
        raise SettingsError(f"config file not found: {config_file}")
    _config_override = config_file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            env = "EXPORT_HUB_" + "__".join(str(p) for p in err["loc"]).upper()
            problems.append(f"  - {key} ({env}): {err['msg']}")
        raise SettingsError(
            "invalid configuration / 설정이 올바르지 않습니다:\n" + "\n".join(problems)
        ) from None
    finally:
        _config_override = None
