/// PostgreSQL's numbered migrations: the same numbers, tables and columns as
/// `SQLiteMigrations`, in PostgreSQL's dialect. Append-only (STYLE §6).
enum PostgreSQLMigrations {
    static let all: [(version: Int, name: String, statements: [String])] = [
        (
            1, "initial schema",
            [
                """
                CREATE TABLE organisations (
                    org_number BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    municipality_code INTEGER
                )
                """,
                """
                CREATE TABLE agreements (
                    id TEXT PRIMARY KEY,
                    current_version INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE agreement_versions (
                    agreement_id TEXT NOT NULL REFERENCES agreements(id),
                    version INTEGER NOT NULL,
                    valid_from INTEGER NOT NULL,
                    document TEXT NOT NULL,
                    imported_at TEXT NOT NULL,
                    PRIMARY KEY (agreement_id, version)
                )
                """,
                """
                CREATE TABLE agreement_parties (
                    agreement_id TEXT NOT NULL REFERENCES agreements(id),
                    org_number BIGINT NOT NULL REFERENCES organisations(org_number),
                    PRIMARY KEY (agreement_id, org_number)
                )
                """,
                """
                CREATE TABLE tracks (
                    id BIGSERIAL PRIMARY KEY,
                    agreement_id TEXT NOT NULL REFERENCES agreements(id),
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    UNIQUE (agreement_id, code)
                )
                """,
                "CREATE INDEX tracks_by_code ON tracks (code)",
                """
                CREATE TABLE participants (
                    person_id BIGINT PRIMARY KEY,
                    given_name TEXT,
                    family_name TEXT,
                    sex SMALLINT NOT NULL,
                    sex_explicit SMALLINT NOT NULL,
                    municipality INTEGER NOT NULL,
                    first_permit_date INTEGER NOT NULL,
                    registered_on INTEGER NOT NULL,
                    exited_on INTEGER,
                    exit_reason TEXT,
                    upper_secondary_completed SMALLINT NOT NULL,
                    education_level TEXT
                )
                """,
                // Covering: a report reads its population from the index alone.
                """
                CREATE INDEX participants_by_municipality ON participants (municipality)
                    INCLUDE (person_id, sex, first_permit_date, registered_on, exited_on, upper_secondary_completed)
                """,
                """
                CREATE TABLE track_events (
                    person_id BIGINT NOT NULL REFERENCES participants(person_id),
                    track_id BIGINT NOT NULL REFERENCES tracks(id),
                    kind SMALLINT NOT NULL,
                    date INTEGER NOT NULL,
                    reason TEXT,
                    PRIMARY KEY (person_id, track_id, kind, date)
                )
                """,
                """
                CREATE TABLE status_changes (
                    person_id BIGINT NOT NULL REFERENCES participants(person_id),
                    date INTEGER NOT NULL,
                    status SMALLINT NOT NULL,
                    PRIMARY KEY (person_id, date)
                )
                """,
                """
                CREATE TABLE activities (
                    person_id BIGINT NOT NULL REFERENCES participants(person_id),
                    kind TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    end_date INTEGER,
                    hours_per_week DOUBLE PRECISION,
                    provider TEXT,
                    PRIMARY KEY (person_id, kind, start)
                )
                """,
            ]
        )
    ]
}
