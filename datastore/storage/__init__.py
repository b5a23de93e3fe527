"""Storage: the SQLite store, its schema, versions, and the chat tables."""
