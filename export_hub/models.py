"""Imports every model module so ``Base.metadata`` is complete.

Alembic's ``env.py`` and the test fixtures import this module. A new feature
package with models adds one import line here.
"""

from export_hub.accounts import models as accounts_models
from export_hub.catalog import models as catalog_models
from export_hub.db import Base

__all__ = ["Base", "accounts_models", "catalog_models"]
