"""The SQLite schema, in one place, and its version (pg_schema.py: the same in PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from datastore.storage import blobs
from datastore.storage.db import Db

SCHEMA_VERSION: Final = 7

# Every data table carries version_id: a load writes a whole new version beside the current one
# and flips `dataset_version.status` in the same transaction.
DATA_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_version (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('loading', 'current', 'previous')),
    first_month INTEGER,
    last_month  INTEGER,
    rows        INTEGER NOT NULL,
    sources     TEXT NOT NULL,      -- JSON list of {name, sha256}
    loaded_at   TEXT NOT NULL       -- ISO 8601, UTC
);
CREATE UNIQUE INDEX IF NOT EXISTS one_current_per_kind
    ON dataset_version (kind) WHERE status = 'current';
CREATE UNIQUE INDEX IF NOT EXISTS one_previous_per_kind
    ON dataset_version (kind) WHERE status = 'previous';

-- Crime versions (ward_crime, borough_crime) have no table: they are stored as matrices in
-- version_blob (version 6).

CREATE TABLE IF NOT EXISTS ward_population (
    version_id INTEGER NOT NULL, ward_code TEXT NOT NULL, ward_name TEXT NOT NULL,
    population INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS borough_population (
    version_id INTEGER NOT NULL, lad_code TEXT NOT NULL, lad_name TEXT NOT NULL,
    population INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS postcodes (
    version_id INTEGER NOT NULL, postcode TEXT NOT NULL, outcode TEXT NOT NULL,
    ward_code TEXT NOT NULL, ward_name TEXT NOT NULL, lad_code TEXT NOT NULL,
    lad_name TEXT NOT NULL, lat REAL, lon REAL
);
CREATE INDEX IF NOT EXISTS postcodes_by_postcode ON postcodes (version_id, postcode);

CREATE TABLE IF NOT EXISTS stop_search (
    version_id INTEGER NOT NULL, month INTEGER NOT NULL, borough TEXT NOT NULL,
    type TEXT NOT NULL, object_of_search TEXT NOT NULL, legislation TEXT NOT NULL,
    outcome TEXT NOT NULL, age_range TEXT NOT NULL, officer_ethnicity TEXT NOT NULL,
    self_ethnicity TEXT NOT NULL, gender TEXT NOT NULL, has_location INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT 'api', count INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS stop_search_by_borough ON stop_search (version_id, borough, month);

CREATE TABLE IF NOT EXISTS taser (
    version_id INTEGER NOT NULL, area_type TEXT NOT NULL, area_name TEXT NOT NULL,
    period_start TEXT NOT NULL, period_end TEXT NOT NULL, period_label TEXT NOT NULL,
    deployment_type TEXT NOT NULL, deployments INTEGER NOT NULL, subjects INTEGER
);

CREATE TABLE IF NOT EXISTS ward_boundaries (
    version_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    lad_code TEXT NOT NULL, lad_name TEXT NOT NULL, geometry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS borough_boundaries (
    version_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    lad_code TEXT NOT NULL, lad_name TEXT NOT NULL, geometry TEXT NOT NULL
);
"""

# Version 2: what chats follow, the digests sent to them, and the monthly check's log.  Chat
# data cannot be re-loaded from a source, so from here on an older store is migrated (see
# MIGRATIONS), never rebuilt.
CHAT_SCHEMA_V2: Final = """
CREATE TABLE IF NOT EXISTS subscription (
    chat_id    INTEGER NOT NULL,
    chat_type  TEXT NOT NULL CHECK (chat_type IN ('private', 'group', 'supergroup')),
    ward_code  TEXT NOT NULL,
    district   TEXT NOT NULL,      -- the postcode district subscribed with (e.g. E1), never more
    state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
    created_at TEXT NOT NULL,      -- ISO 8601, UTC
    UNIQUE (chat_id, ward_code)
);
CREATE INDEX IF NOT EXISTS subscription_by_state ON subscription (state);

CREATE TABLE IF NOT EXISTS delivery (
    chat_id    INTEGER NOT NULL,
    ward_code  TEXT NOT NULL,
    data_month INTEGER NOT NULL,   -- YYYYMM: the month the digest reports
    status     TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,               -- why it failed (an error type, never message text)
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, ward_code, data_month)
);
CREATE INDEX IF NOT EXISTS delivery_by_month ON delivery (data_month, status);

CREATE TABLE IF NOT EXISTS check_log (
    id          INTEGER PRIMARY KEY,
    checked_at  TEXT NOT NULL,     -- ISO 8601, UTC
    trigger     TEXT NOT NULL,     -- 'schedule', 'admin' or 'start'
    result      TEXT NOT NULL CHECK (result IN ('loaded', 'unchanged', 'rejected', 'failed')),
    detail      TEXT NOT NULL,
    ward_month  INTEGER           -- the current ward crime month after the check
);
"""

# Version 3: ward residents are Census 2021 TS019 sums (the best-fit estimate and its borough
# columns go: the store reloads ward residents from the bundled snapshot); stop-and-search
# records say their source (police.uk's API or bulk file, or the Met's extract) and carry a
# count.  Earlier records came from police.uk: a CSV source is its bulk file, JSON its API.
MIGRATION_V3: Final = """
DROP TABLE ward_population;
CREATE TABLE ward_population (
    version_id INTEGER NOT NULL, ward_code TEXT NOT NULL, ward_name TEXT NOT NULL,
    population INTEGER NOT NULL
);
DELETE FROM dataset_version WHERE kind = 'ward_population';
ALTER TABLE stop_search ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE stop_search ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
UPDATE stop_search SET source = 'bulk' WHERE version_id IN (
    SELECT id FROM dataset_version WHERE kind = 'stop_search' AND sources LIKE '%.csv%');
"""

# Version 4: what is known of each published feed (the releases the publishers list, the one
# the current data came from, the last success and failure): the daily check reads it to skip
# what it has, and /status and the answers' freshness notes report it.
PUBLISHER_SCHEMA_V4: Final = """
CREATE TABLE IF NOT EXISTS publisher_state (
    feed             TEXT PRIMARY KEY,  -- e.g. 'ward_crime', 'stop_search_police_uk'
    publisher        TEXT NOT NULL,     -- 'London Datastore' or 'data.police.uk'
    last_checked     TEXT,              -- ISO 8601, UTC: every check, whatever its result
    last_success     TEXT,              -- the last check that reached the publisher and
                                        -- understood its answer
    last_failure     TEXT,
    failure          TEXT,              -- why the last failure failed
    release_title    TEXT,              -- the newest release the publisher lists
    release_period   TEXT,              -- its period, as the publisher says it
    fingerprint      TEXT,              -- of the release the current data came from
    url              TEXT,              -- that release's download URL
    etag             TEXT,              -- its ETag and Last-Modified, for a conditional GET
    last_modified    TEXT,
    not_public_until TEXT               -- a feed that needs a login is asked again after this
);
"""

# Version 5: compact copies of a version's data for building the view fast (blobs.py), and
# postcodes by district.  Postcode versions loaded before it have no blobs: their rows are read.
BLOB_SCHEMA_V5: Final = """
CREATE TABLE IF NOT EXISTS version_blob (
    version_id INTEGER NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (version_id, name)
);
CREATE INDEX IF NOT EXISTS postcodes_by_outcode ON postcodes (version_id, outcode);
"""



def migration_v6(conn: Db) -> None:
    """Version 6: crime versions are stored as matrices only (blobs.py); the versions written
    as rows before version 5 get theirs, and the ward_crime and borough_crime tables go.
    Postcodes versions get their ward places as a blob."""
    blobs.rows_to_matrices(conn)
    blobs.add_ward_places(conn)
    conn.execute("DROP TABLE ward_crime")
    conn.execute("DROP TABLE borough_crime")


# Version 7: each feed records the SHA-256 of the file its release served, so the release is
# taken as loaded (and asked for conditionally) only while the current version holds that file:
# any load since, forced or not, from any process, unties them.  Taser figures say when they
# were published (ISO date; NULL where the file does not say: the tables cleaned to CSV).
MIGRATION_V7: Final = """
ALTER TABLE publisher_state ADD COLUMN sha256 TEXT;
ALTER TABLE taser ADD COLUMN published TEXT;
"""

# A new store is made at the latest version in one go.
SCHEMA: Final = (DATA_SCHEMA + CHAT_SCHEMA_V2 + PUBLISHER_SCHEMA_V4 + BLOB_SCHEMA_V5
                 + MIGRATION_V7)

# A migration is a script, or a function run on the connection, in the migration's transaction.
Migration = str | Callable[[Db], None]

# MIGRATIONS[n] turns a store of version n - 1 into version n, keeping its data; they run in
# order, in one transaction.  A store older than the first migration's base held only
# re-loadable data and is rebuilt.
MIGRATIONS: Final[dict[int, Migration]] = {
    2: CHAT_SCHEMA_V2,
    3: MIGRATION_V3,
    4: PUBLISHER_SCHEMA_V4,
    5: BLOB_SCHEMA_V5,
    6: migration_v6,
    7: MIGRATION_V7,
}
FIRST_MIGRATABLE: Final = min(MIGRATIONS) - 1

# Tables holding something about a chat, with the column naming it: /forget empties them.
CHAT_TABLES: Final[tuple[tuple[str, str], ...]] = (
    ("subscription", "chat_id"), ("delivery", "chat_id"),
)

# The postcodes' indexes: a load into an empty postcodes table (a first run) writes the rows
# first and indexes them after, a quarter of a second sooner than index by index.
POSTCODE_INDEXES: Final = {
    "postcodes_by_postcode": "CREATE INDEX IF NOT EXISTS postcodes_by_postcode "
                             "ON postcodes (version_id, postcode)",
    "postcodes_by_outcode": "CREATE INDEX IF NOT EXISTS postcodes_by_outcode "
                            "ON postcodes (version_id, outcode)",
}
