"""Imports every model module so ``Base.metadata`` is complete.

Alembic's ``env.py`` and the test fixtures import this module. A new feature
package with models adds one import line here.
"""

from export_hub import mail as mail_models
from export_hub.accounts import models as accounts_models
from export_hub.catalog import models as catalog_models
from export_hub.consultations import models as consultations_models
from export_hub.db import Base
from export_hub.listings import models as listings_models
from export_hub.marketplaces import models as marketplaces_models
from export_hub.orders import models as orders_models
from export_hub.pricing import models as pricing_models
from export_hub.reports import models as reports_models
from export_hub.stock import models as stock_models
from jobs import models as jobs_models

__all__ = [
    "Base",
    "accounts_models",
    "catalog_models",
    "consultations_models",
    "jobs_models",
    "listings_models",
    "mail_models",
    "marketplaces_models",
    "orders_models",
    "pricing_models",
    "reports_models",
    "stock_models",
]
