/// Migration 3 (issue 7): from one participant row per person to one *registration* per
/// person and party (SPEC §2, *Registrations*). Both engines run the same statements with
/// their own type names, so the move is written once.
///
/// Without loss:
/// - each participant becomes a registration of its owner as main decided it: who
///   registered it, or for command-line rows the municipality organisation of their home
///   municipality. A row with neither (no municipality organisation existed for their home)
///   is kept under organisation number 0: counted in reports, visible to no party, until the
///   operator re-files it (`samspar import participants --org`);
/// - every event, status and activity keeps the organisation that recorded it (command-line
///   rows: the owner). A party that recorded something of a person it did not register (under
///   consent, as main allowed) gets a registration of its own, a copy of the owner's, since it
///   could see all of it when it recorded;
/// - consents stay with the organisation that recorded them (always the owner on main).
enum RegistrationMigration {
    static func statements(bigint: String, smallint: String, real: String, withoutRowID: String, identity: String) -> [String] {
        let owner = """
            COALESCE(p.registered_by, (SELECT min(o.org_number) FROM organisations o \
            WHERE o.municipality_code = p.municipality AND o.kind = 'municipality'), 0)
            """
        let attributes = """
            given_name, family_name, sex, sex_explicit, municipality, first_permit_date, registered_on, exited_on, exit_reason, \
            upper_secondary_completed, education_level
            """
        return [
            "CREATE TABLE migration_owners (person_id \(bigint) PRIMARY KEY, org_number \(bigint) NOT NULL)",
            "INSERT INTO migration_owners (person_id, org_number) SELECT p.person_id, \(owner) FROM participants p",
            """
            CREATE TABLE registrations (
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                given_name TEXT,
                family_name TEXT,
                sex \(smallint) NOT NULL,
                sex_explicit \(smallint) NOT NULL,
                municipality INTEGER NOT NULL,
                first_permit_date INTEGER NOT NULL,
                registered_on INTEGER NOT NULL,
                exited_on INTEGER,
                exit_reason TEXT,
                upper_secondary_completed \(smallint) NOT NULL,
                education_level TEXT,
                changed \(bigint) NOT NULL DEFAULT 0,
                PRIMARY KEY (person_id, org_number)
            )\(withoutRowID)
            """,
            """
            INSERT INTO registrations (person_id, org_number, \(attributes), changed)
            SELECT p.person_id, m.org_number, \(attributes.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")), 0
            FROM participants p JOIN migration_owners m ON m.person_id = p.person_id
            """,
            // Recorders without a registration of their own get one: the facts the figures
            // need, from the owner's row (they held a valid consent when they recorded, which
            // main required), without names, explicit sex, education level or exit reason.
            """
            INSERT INTO registrations (person_id, org_number, \(attributes), changed)
            SELECT p.person_id, x.org_number, NULL, NULL, (p.person_id / 10) % 2, 0, p.municipality, p.first_permit_date, p.registered_on, p.exited_on, NULL,
                   p.upper_secondary_completed, NULL, 0
            FROM participants p JOIN (
                SELECT person_id, recorded_by AS org_number FROM track_events WHERE recorded_by IS NOT NULL
                UNION SELECT person_id, recorded_by FROM status_changes WHERE recorded_by IS NOT NULL
                UNION SELECT person_id, recorded_by FROM activities WHERE recorded_by IS NOT NULL
                UNION SELECT person_id, recorded_by FROM consents
            ) x ON x.person_id = p.person_id
            WHERE NOT EXISTS (SELECT 1 FROM registrations r WHERE r.person_id = x.person_id AND r.org_number = x.org_number)
            """,
            """
            CREATE TABLE registered_track_events (
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                track_id \(bigint) NOT NULL REFERENCES tracks(id),
                kind \(smallint) NOT NULL,
                date INTEGER NOT NULL,
                reason TEXT,
                PRIMARY KEY (person_id, org_number, track_id, kind, date),
                FOREIGN KEY (person_id, org_number) REFERENCES registrations (person_id, org_number)
            )\(withoutRowID)
            """,
            """
            INSERT INTO registered_track_events (person_id, org_number, track_id, kind, date, reason)
            SELECT e.person_id, COALESCE(e.recorded_by, m.org_number), e.track_id, e.kind, e.date, e.reason
            FROM track_events e JOIN migration_owners m ON m.person_id = e.person_id
            """,
            """
            CREATE TABLE registered_status_changes (
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                date INTEGER NOT NULL,
                status \(smallint) NOT NULL,
                PRIMARY KEY (person_id, org_number, date),
                FOREIGN KEY (person_id, org_number) REFERENCES registrations (person_id, org_number)
            )\(withoutRowID)
            """,
            """
            INSERT INTO registered_status_changes (person_id, org_number, date, status)
            SELECT s.person_id, COALESCE(s.recorded_by, m.org_number), s.date, s.status
            FROM status_changes s JOIN migration_owners m ON m.person_id = s.person_id
            """,
            """
            CREATE TABLE registered_activities (
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                kind TEXT NOT NULL,
                start INTEGER NOT NULL,
                end_date INTEGER,
                hours_per_week \(real),
                provider TEXT,
                PRIMARY KEY (person_id, org_number, kind, start),
                FOREIGN KEY (person_id, org_number) REFERENCES registrations (person_id, org_number)
            )\(withoutRowID)
            """,
            """
            INSERT INTO registered_activities (person_id, org_number, kind, start, end_date, hours_per_week, provider)
            SELECT a.person_id, COALESCE(a.recorded_by, m.org_number), a.kind, a.start, a.end_date, a.hours_per_week, a.provider
            FROM activities a JOIN migration_owners m ON m.person_id = a.person_id
            """,
            // A consent opens the records of the organisation that recorded it (`org_number`).
            """
            CREATE TABLE registered_consents (
                id \(identity),
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                party \(bigint) NOT NULL,
                valid_from INTEGER NOT NULL,
                valid_until INTEGER,
                withdrawn_on INTEGER,
                recorded_at TEXT NOT NULL,
                FOREIGN KEY (person_id, org_number) REFERENCES registrations (person_id, org_number)
            )
            """,
            """
            INSERT INTO registered_consents (id, person_id, org_number, party, valid_from, valid_until, withdrawn_on, recorded_at)
            SELECT id, person_id, recorded_by, party, valid_from, valid_until, withdrawn_on, recorded_at FROM consents
            """,
            // The audit log: which registrations (person and party) an entry touched, so that
            // a party's access log of a person lists the acts on its own records and no other.
            """
            CREATE TABLE audit_subjects (
                seq \(bigint) NOT NULL REFERENCES audit_log(seq),
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                PRIMARY KEY (person_id, org_number, seq)
            )\(withoutRowID)
            """,
            "CREATE INDEX audit_subjects_by_seq ON audit_subjects (seq)",
            // Entries from before: each act on a person touched the owner's records.
            """
            INSERT INTO audit_subjects (seq, person_id, org_number)
            SELECT a.seq, a.person_id, m.org_number FROM audit_log a JOIN migration_owners m ON m.person_id = a.person_id
            """,
            // …and the acting party's own records, where it now has a registration of its own.
            """
            INSERT INTO audit_subjects (seq, person_id, org_number)
            SELECT a.seq, a.person_id, a.org_number FROM audit_log a JOIN migration_owners m ON m.person_id = a.person_id
            WHERE a.org_number IS NOT NULL AND a.org_number <> m.org_number
              AND EXISTS (SELECT 1 FROM registrations r WHERE r.person_id = a.person_id AND r.org_number = a.org_number)
            """,
            "DROP TABLE track_events",
            "DROP TABLE status_changes",
            "DROP TABLE activities",
            "DROP TABLE consents",
            "DROP TABLE participants",
            "DROP TABLE migration_owners",
            "ALTER TABLE registered_track_events RENAME TO track_events",
            "ALTER TABLE registered_status_changes RENAME TO status_changes",
            "ALTER TABLE registered_activities RENAME TO activities",
            "ALTER TABLE registered_consents RENAME TO consents",
            "CREATE INDEX registrations_by_municipality ON registrations (municipality, registered_on)",
            "CREATE INDEX registrations_by_org ON registrations (org_number, person_id)",
            // The change counter of registrations (SPEC §2: among equals, the one changed most
            // recently): one row, advanced once per file or single write, instead of an index
            // over every registration. (A name index would not help: names are searched by part.)
            "CREATE TABLE registration_changes (id INTEGER PRIMARY KEY, n \(bigint) NOT NULL)",
            "INSERT INTO registration_changes (id, n) VALUES (1, 0)",
            "CREATE INDEX consents_by_person ON consents (person_id, party)",
            // 0: SHA-256 (entries written before the key existed); 1: HMAC-SHA-256 under the key.
            "ALTER TABLE audit_log ADD COLUMN keyed \(smallint) NOT NULL DEFAULT 0",
            // At most one municipality organisation per kommunkod (SPEC §2), held by the database.
            "CREATE UNIQUE INDEX one_municipality_per_kommunkod ON organisations (municipality_code) WHERE kind = 'municipality'",
        ]
    }
}

/// Migration 12 (issue 27): two indexes the profiles of the national database asked for.
enum ReadIndexMigration {
    /// - `consents_by_party`: a caseload is the people the viewer registered and the people
    ///   whose consent names the viewer (`AccessSQL.candidates`). Without an index that begins
    ///   with `party`, the second half read every consent of every party.
    /// - The people of a set of municipalities (``ReportQuery``, the quarter closes) are read
    ///   from the index alone: with `person_id` in it, a report no longer visits a heap page
    ///   for each registration of its municipalities only to learn whose it is. It replaces
    ///   `registrations_by_municipality`, whose columns begin it. `include` is how the engine
    ///   adds a column that is carried, not searched: PostgreSQL's `INCLUDE`, or SQLite's
    ///   third column.
    static func statements(include: (String) -> String) -> [String] {
        [
            "CREATE INDEX consents_by_party ON consents (party, person_id)",
            "CREATE INDEX registrations_by_municipality_people ON registrations \(include("person_id"))",
            "DROP INDEX registrations_by_municipality",
        ]
    }
}
