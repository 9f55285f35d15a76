"""Storage: the schema and its migrations, the store and its queries."""

from relay.db.schema import SCHEMA_VERSION, migrate
from relay.db.store import Store, Tx

__all__ = ["SCHEMA_VERSION", "Store", "Tx", "migrate"]
