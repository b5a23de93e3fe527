-- The data tables as WardWatch wrote them at schema versions 1 and 2 (before version 3).

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

CREATE TABLE IF NOT EXISTS ward_crime (
    version_id INTEGER NOT NULL, ward_code TEXT NOT NULL, ward_name TEXT NOT NULL,
    borough_name TEXT NOT NULL, major TEXT NOT NULL, minor TEXT NOT NULL,
    month INTEGER NOT NULL, count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ward_crime_by_ward ON ward_crime (version_id, ward_code, month);

CREATE TABLE IF NOT EXISTS borough_crime (
    version_id INTEGER NOT NULL, borough_name TEXT NOT NULL, major TEXT NOT NULL,
    minor TEXT NOT NULL, month INTEGER NOT NULL, count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS borough_crime_by_borough
    ON borough_crime (version_id, borough_name, month);

CREATE TABLE IF NOT EXISTS ward_population (
    version_id INTEGER NOT NULL, ward_code TEXT NOT NULL, ward_name TEXT NOT NULL,
    lad_code TEXT NOT NULL, lad_name TEXT NOT NULL, population INTEGER NOT NULL
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
    self_ethnicity TEXT NOT NULL, gender TEXT NOT NULL, has_location INTEGER NOT NULL
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
