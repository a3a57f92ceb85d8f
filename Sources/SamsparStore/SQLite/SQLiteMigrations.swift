/// SQLite's numbered migrations: append-only, never edited once landed (STYLE §6).
/// PostgreSQL has the same numbers with its own dialect (`PostgreSQLMigrations`).
///
/// Dates are stored as integer day numbers (days since 1970-01-01, ``Day/ordinal``) in both
/// engines: compact at national scale and compared as plain integers. Personnummer are the
/// twelve digits as an integer key.
enum SQLiteMigrations {
    static let all: [(version: Int, name: String, statements: [String])] = [
        (
            1, "initial schema",
            [
                """
                CREATE TABLE organisations (
                    org_number INTEGER PRIMARY KEY,
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
                    org_number INTEGER NOT NULL REFERENCES organisations(org_number),
                    PRIMARY KEY (agreement_id, org_number)
                )
                """,
                """
                CREATE TABLE tracks (
                    id INTEGER PRIMARY KEY,
                    agreement_id TEXT NOT NULL REFERENCES agreements(id),
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    UNIQUE (agreement_id, code)
                )
                """,
                "CREATE INDEX tracks_by_code ON tracks (code)",
                """
                CREATE TABLE participants (
                    person_id INTEGER PRIMARY KEY,
                    given_name TEXT,
                    family_name TEXT,
                    sex INTEGER NOT NULL,
                    sex_explicit INTEGER NOT NULL,
                    municipality INTEGER NOT NULL,
                    first_permit_date INTEGER NOT NULL,
                    registered_on INTEGER NOT NULL,
                    exited_on INTEGER,
                    exit_reason TEXT,
                    upper_secondary_completed INTEGER NOT NULL,
                    education_level TEXT
                )
                """,
                // Covering: a report reads its population from the index alone.
                """
                CREATE INDEX participants_by_municipality ON participants (
                    municipality, person_id, sex, first_permit_date, registered_on, exited_on, upper_secondary_completed)
                """,
                """
                CREATE TABLE track_events (
                    person_id INTEGER NOT NULL REFERENCES participants(person_id),
                    track_id INTEGER NOT NULL REFERENCES tracks(id),
                    kind INTEGER NOT NULL,
                    date INTEGER NOT NULL,
                    reason TEXT,
                    PRIMARY KEY (person_id, track_id, kind, date)
                ) WITHOUT ROWID
                """,
                """
                CREATE TABLE status_changes (
                    person_id INTEGER NOT NULL REFERENCES participants(person_id),
                    date INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    PRIMARY KEY (person_id, date)
                ) WITHOUT ROWID
                """,
                """
                CREATE TABLE activities (
                    person_id INTEGER NOT NULL REFERENCES participants(person_id),
                    kind TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    end_date INTEGER,
                    hours_per_week REAL,
                    provider TEXT,
                    PRIMARY KEY (person_id, kind, start)
                ) WITHOUT ROWID
                """,
            ]
        ),
        (
            2, "owners, accounts, consent and the audit log",
            [
                "ALTER TABLE participants ADD COLUMN registered_by INTEGER",
                "ALTER TABLE track_events ADD COLUMN recorded_by INTEGER",
                "ALTER TABLE status_changes ADD COLUMN recorded_by INTEGER",
                "ALTER TABLE activities ADD COLUMN recorded_by INTEGER",
                "CREATE INDEX participants_by_owner ON participants (registered_by)",
                "CREATE INDEX participants_by_name ON participants (family_name, given_name)",
                """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    org_number INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    csrf_token TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY,
                    org_number INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at TEXT NOT NULL,
                    revoked_at TEXT
                )
                """,
                """
                CREATE TABLE consents (
                    id INTEGER PRIMARY KEY,
                    person_id INTEGER NOT NULL REFERENCES participants(person_id),
                    party INTEGER NOT NULL,
                    valid_from INTEGER NOT NULL,
                    valid_until INTEGER,
                    withdrawn_on INTEGER,
                    recorded_by INTEGER NOT NULL,
                    recorded_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX consents_by_person ON consents (person_id, party)",
                """
                CREATE TABLE idempotency_keys (
                    principal TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (principal, key)
                )
                """,
                """
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT NOT NULL,
                    org_number INTEGER,
                    action TEXT NOT NULL,
                    person_id INTEGER,
                    channel TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE INDEX audit_by_person ON audit_log (person_id, seq)",
            ]
        ),
        (
            3, "registrations: one person, several parties (issue 7)",
            RegistrationMigration.statements(
                bigint: "INTEGER", smallint: "INTEGER", real: "REAL", withoutRowID: " WITHOUT ROWID",
                identity: "INTEGER PRIMARY KEY")
        ),
        (4, "published follow-up reports (issue 9)", PublicationMigration.statements(bigint: "INTEGER", identity: "INTEGER PRIMARY KEY")),
        (5, "sign-in failures shared by every instance (issue 10)", SignInFailureMigration.statements(bigint: "INTEGER")),
        (6, "quarter closes, and the close a publication makes public (issue 17)", CloseMigration.statements(bigint: "INTEGER")),
        (7, "drafts as invitations: owners, acceptances, deleted drafts (issue 18)", DraftMigration.statements(bigint: "INTEGER")),
        (8, "sign-in attempts reserved before the password is checked (issue 20)", SignInFailureMigration.attempts),
        (
            RechainMigration.version, "the audit chain names identities as salted digests; retention settings (issue 22)",
            RechainMigration.statements(bigint: "INTEGER", withoutRowID: " WITHOUT ROWID")
        ), (10, "protected identity: a party's mark on its registration (issue 23)", ProtectedIdentityMigration.statements),
        (11, "sign-in: second factors, identity providers, sessions a person sees, the demo mark (issue 25)", SignInMigration.statements(bigint: "INTEGER")),
        (12, "indexes for caseloads and reports (issue 27)", ReadIndexMigration.statements(include: { "(municipality, registered_on, \($0))" })),
        (13, "each registration carries its own events and status changes, packed (issue 27)", PackedFactsMigration.statements(.sqlite)),
        // PostgreSQL's (``RecordKeysMigration``): SQLite keeps its foreign keys, checked by one B-tree lookup each.
        (RecordKeysMigration.version, "a statement's records checked against their registrations and tracks at once (issue 27)", []),
        (RecordKeysOnceMigration.version, "a statement's records: the keys they name found once (issue 27)", []),
        // PostgreSQL's page fill (``PackedFactsRoomMigration``): SQLite has none.
        (PackedFactsRoomMigration.version, "room on each page of registrations for its packed facts' rewrites (issue 27)", []),
        // PostgreSQL's key checks (``PackedFactsHoldMigration``): SQLite keeps its foreign keys.
        (PackedFactsHoldMigration.version, "events and status changes held by their packing, checked once (issue 27)", []),
        // PostgreSQL's packing under concurrent writers (``PackedFactsLockFirstMigration``): SQLite has one writer.
        (PackedFactsLockFirstMigration.version, "packing locks its registrations before it reads their facts (issue 27)", []),
    ]
}
