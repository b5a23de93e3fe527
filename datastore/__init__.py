"""WardWatch's data layer: the SQLite store, the loaders and the query API (never Telegram)."""
