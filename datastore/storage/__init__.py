"""Storage: the store (a SQLite file, or a PostgreSQL database), its schemas, versions, the
chat tables, and what the processes on one store share (the leader lease, the data watch,
the replicas' beats)."""
