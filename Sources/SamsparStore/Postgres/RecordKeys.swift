/// PostgreSQL checks that every event, status change and activity names a registration (and
/// every event a track) once per statement, not once per row (issue 27, part 2; migration 14).
///
/// A foreign key checks each row it writes with a query of its own: 5 million events into an
/// empty table took 71 s with their two keys against 20 s without (`psql`), and the national
/// events import went from 98 s to 63 s with this migration, the activities from 129 s to 94 s
/// (BENCHMARKS.md, twelfth step). The fifth step measured the alternatives and offered one as
/// `samspar import --exclusive` (keys dropped and validated again, which locks readers out).
/// This is the one that keeps both the guarantee and the readers: the same rules as the
/// foreign keys they replace, kept by statement triggers that see a statement's rows as one
/// table (its transition table) and check them in one pass.
///
/// - **Rows inserted** (`INSERT`, `COPY`) into `track_events`, `status_changes` or
///   `activities`: the statement's distinct registrations are counted, then locked `FOR KEY
///   SHARE` in one statement, as a foreign key locks each (so that no removal can take one
///   away before this transaction ends), and if fewer are there than the rows name, the
///   statement fails with SQLSTATE 23503 as a foreign key would. Events do the same for
///   their tracks. Nationally the events' check is about 5 s (the events alone 20 s, with
///   the two foreign keys 71 s; measured with `psql`). Since migration 17 events and status
///   changes are held and counted by their packing's update instead
///   (``PackedFactsHoldMigration``); activities as here.
/// - **A row's key changed** (`UPDATE`): that row checked and locked alone, only where the key
///   changed, as a foreign key does. An upsert sets only the other columns, so a file sent
///   again checks nothing twice.
/// - **A registration or a track removed** (`DELETE`): the statement fails if any row still
///   names one it removed (a foreign key's `NO ACTION`). Its key changed (`UPDATE`, never
///   done by Samspår): the same, row by row, only for the rows whose key changed. `TRUNCATE`
///   fails while any row names one.
///
/// Why this is as safe as the foreign key under concurrent writes: a check at the end of a
/// writer's statement either finds the registration and holds it (a removal waits for the
/// writer's transaction, then finds the writer's rows and fails), or finds it gone (the
/// writer fails). A removal's check reads with a fresh snapshot, which holds in `READ
/// COMMITTED`, the level of every write in Samspår; the removal's trigger refuses any other
/// (a foreign key reads with a cross-check snapshot there, which a trigger cannot). Consents
/// keep their foreign key: they are written one at a time.
///
/// The audit subjects' key to their entry (`audit_subjects.seq`) is kept the same way: a bulk
/// import's one entry names a million registrations, and their foreign key checked the same
/// entry a million times (nationally 6.6 s of the 8.4 s that writing 900,000 subjects took).
///
/// SQLite keeps its foreign keys: a check is one B-tree lookup in the same process, no query
/// of its own. Migration 14 changes nothing there.
enum RecordKeysMigration {
    static let version = 14

    static let statements: [String] = {
        var statements = [
            // The foreign keys replaced, whatever their names (the registrations' migration named them).
            """
            DO $$
            DECLARE c record;
            BEGIN
              FOR c IN SELECT conrelid::regclass::text AS t, conname FROM pg_constraint
                       WHERE contype = 'f' AND (
                         (conrelid = ANY (ARRAY['track_events', 'status_changes', 'activities']::regclass[])
                          AND confrelid = ANY (ARRAY['registrations', 'tracks']::regclass[]))
                         OR (conrelid = 'audit_subjects'::regclass AND confrelid = 'audit_log'::regclass))
              LOOP
                EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', c.t, c.conname);
              END LOOP;
            END
            $$
            """,
            // A statement's rows: every registration (and track) they name, there and held.
            // work_mem: a national file's million registrations are counted in memory (with
            // the default 4 MB, the count spilled 436 MB to disk).
            """
            CREATE FUNCTION samspar_records_name_registrations() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $$
            DECLARE named bigint; held bigint;
            BEGIN
            \(held(["person_id", "org_number"], in: "registrations", by: ["person_id", "org_number"], what: "registrations", constraint: "TG_TABLE_NAME || '_names_registrations'"))
              IF TG_TABLE_NAME = 'track_events' THEN
            \(held(["track_id"], in: "tracks", by: ["id"], what: "tracks", constraint: "'track_events_names_tracks'"))
              END IF;
              RETURN NULL;
            END
            $$
            """,
            // An audit entry's subjects: their entry there and held.
            """
            CREATE FUNCTION samspar_subjects_name_entries() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $$
            DECLARE named bigint; held bigint;
            BEGIN
            \(held(["seq"], in: "audit_log", by: ["seq"], what: "audit entries", constraint: "'audit_subjects_name_entries'"))
              RETURN NULL;
            END
            $$
            """,
            // A row whose key was changed in place (row by row; the trigger's WHEN picks the
            // rows, so an upsert that sets only other columns checks nothing, as a foreign key).
            """
            CREATE FUNCTION samspar_changed_row_names() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_TABLE_NAME = 'audit_subjects' THEN
            \(lockedOrRefused("audit_log a WHERE a.seq = NEW.seq", "a", message: "'insert or update on table \"audit_subjects\" violates foreign key constraint \"audit_subjects_name_entries\"'", constraint: "'audit_subjects_name_entries'", indent: 4))
              ELSE
            \(lockedOrRefused("registrations r WHERE r.person_id = NEW.person_id AND r.org_number = NEW.org_number", "r", message: "format('insert or update on table \"%s\" violates foreign key constraint \"%s_names_registrations\"', TG_TABLE_NAME, TG_TABLE_NAME)", constraint: "TG_TABLE_NAME || '_names_registrations'", indent: 4))
                IF TG_TABLE_NAME = 'track_events' THEN
            \(lockedOrRefused("tracks t WHERE t.id = NEW.track_id", "t", message: "'insert or update on table \"track_events\" violates foreign key constraint \"track_events_names_tracks\"'", constraint: "'track_events_names_tracks'", indent: 6))
                END IF;
              END IF;
              RETURN NULL;
            END
            $$
            """,
            // Removed registrations, tracks or audit entries that a row still names. (Each table's query in
            // a branch of its own: PL/pgSQL parses a statement when it first runs it, for the
            // table the trigger is on.)
            """
            CREATE FUNCTION samspar_removed_and_named() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE object_not_in_prerequisite_state USING
                  MESSAGE = format('%s on table "%s" runs in READ COMMITTED, where its check of the rows that name it sees every committed write', TG_OP, TG_TABLE_NAME);
              END IF;
              IF TG_TABLE_NAME = 'registrations' THEN
            \(stillNamed("registrations", keys: ["person_id", "org_number"], by: ["track_events", "status_changes", "activities"], columns: ["person_id", "org_number"], constraint: "records_name_registrations", detail: "events, status changes or activities still name a registration removed"))
              ELSIF TG_TABLE_NAME = 'audit_log' THEN
            \(stillNamed("audit_log", keys: ["seq"], by: ["audit_subjects"], columns: ["seq"], constraint: "audit_subjects_name_entries", detail: "audit subjects still name an entry removed"))
              ELSE
            \(stillNamed("tracks", keys: ["id"], by: ["track_events"], columns: ["track_id"], constraint: "track_events_names_tracks", detail: "events still name a track removed"))
              END IF;
              RETURN NULL;
            END
            $$
            """,
            // A key changed in place (row by row; the trigger's WHEN picks the rows).
            """
            CREATE FUNCTION samspar_key_changed_and_named() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE named boolean;
            BEGIN
              IF TG_TABLE_NAME = 'registrations' THEN
                named := NOT EXISTS (SELECT 1 FROM registrations r WHERE r.person_id = OLD.person_id AND r.org_number = OLD.org_number)
                  AND (EXISTS (SELECT 1 FROM track_events f WHERE f.person_id = OLD.person_id AND f.org_number = OLD.org_number)
                    OR EXISTS (SELECT 1 FROM status_changes f WHERE f.person_id = OLD.person_id AND f.org_number = OLD.org_number)
                    OR EXISTS (SELECT 1 FROM activities f WHERE f.person_id = OLD.person_id AND f.org_number = OLD.org_number));
              ELSIF TG_TABLE_NAME = 'audit_log' THEN
                named := NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.seq = OLD.seq) AND EXISTS (SELECT 1 FROM audit_subjects f WHERE f.seq = OLD.seq);
              ELSE
                named := NOT EXISTS (SELECT 1 FROM tracks t WHERE t.id = OLD.id) AND EXISTS (SELECT 1 FROM track_events f WHERE f.track_id = OLD.id);
              END IF;
              IF named THEN
                RAISE foreign_key_violation USING
                  MESSAGE = format('update on table "%s" violates foreign key constraint "records_name_%s": rows still name the old key', TG_TABLE_NAME, TG_TABLE_NAME),
                  CONSTRAINT = 'records_name_' || TG_TABLE_NAME, TABLE = TG_TABLE_NAME;
              END IF;
              RETURN NULL;
            END
            $$
            """,
            // TRUNCATE has no rows to look at: refused while any row names the table.
            """
            CREATE FUNCTION samspar_truncate_named() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF (TG_TABLE_NAME = 'registrations' AND (EXISTS (SELECT 1 FROM track_events) OR EXISTS (SELECT 1 FROM status_changes)
                    OR EXISTS (SELECT 1 FROM activities)))
                 OR (TG_TABLE_NAME = 'tracks' AND EXISTS (SELECT 1 FROM track_events))
                 OR (TG_TABLE_NAME = 'audit_log' AND EXISTS (SELECT 1 FROM audit_subjects)) THEN
                RAISE foreign_key_violation USING
                  MESSAGE = format('cannot truncate table "%s": rows of other tables name it', TG_TABLE_NAME), TABLE = TG_TABLE_NAME;
              END IF;
              RETURN NULL;
            END
            $$
            """,
        ]
        func changed(_ keys: [String]) -> String { keys.map { "OLD.\($0) IS DISTINCT FROM NEW.\($0)" }.joined(separator: " OR ") }
        // Inserts by statement (a bulk file's rows at once); updates row by row where a key changed.
        for (table, function, keys) in [
            ("track_events", "samspar_records_name_registrations", ["person_id", "org_number", "track_id"]),
            ("status_changes", "samspar_records_name_registrations", ["person_id", "org_number"]),
            ("activities", "samspar_records_name_registrations", ["person_id", "org_number"]),
            ("audit_subjects", "samspar_subjects_name_entries", ["seq"]),
        ] {
            statements += [
                """
                CREATE TRIGGER \(table)_names_on_insert AFTER INSERT ON \(table)
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function)()
                """,
                """
                CREATE TRIGGER \(table)_names_on_key_change AFTER UPDATE ON \(table)
                FOR EACH ROW WHEN (\(changed(keys))) EXECUTE FUNCTION samspar_changed_row_names()
                """,
            ]
        }
        for (table, keys) in [("registrations", ["person_id", "org_number"]), ("tracks", ["id"]), ("audit_log", ["seq"])] {
            statements += [
                """
                CREATE TRIGGER \(table)_named_on_delete AFTER DELETE ON \(table)
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION samspar_removed_and_named()
                """,
                // Row by row, and only where a key changed (a statement trigger would see
                // every row an import's packing rewrites).
                """
                CREATE TRIGGER \(table)_named_on_key_change AFTER UPDATE ON \(table)
                FOR EACH ROW WHEN (\(changed(keys))) EXECUTE FUNCTION samspar_key_changed_and_named()
                """,
                """
                CREATE TRIGGER \(table)_named_on_truncate BEFORE TRUNCATE ON \(table)
                FOR EACH STATEMENT EXECUTE FUNCTION samspar_truncate_named()
                """,
            ]
        }
        return statements
    }()

    /// PL/pgSQL for a statement trigger with its rows in `new_rows` (variables `named` and
    /// `held`): the distinct values of `columns` the rows name are counted, the rows of
    /// `parent` whose `keys` they are locked `FOR KEY SHARE` and counted in one statement, and
    /// if fewer are there the statement fails with SQLSTATE 23503 naming `constraint` (an SQL
    /// expression: one function serves several tables through `TG_TABLE_NAME`).
    static func held(_ columns: [String], in parent: String, by keys: [String], what: String, constraint: String) -> String {
        let list = columns.joined(separator: ", ")
        let key = keys.count == 1 ? "p.\(keys[0])" : "(" + keys.map { "p.\($0)" }.joined(separator: ", ") + ")"
        return """
              SELECT count(*) INTO named FROM (SELECT DISTINCT \(list) FROM new_rows) k;
              SELECT count(*) INTO held FROM (SELECT 1 FROM \(parent) p WHERE \(key) IN (SELECT \(list) FROM new_rows) FOR KEY SHARE OF p) l;
            \(fewerHeld(what: what, constraint: constraint))
            """
    }

    /// PL/pgSQL for a row trigger: the row of `from` (a table, its alias and a condition on
    /// `NEW`) locked `FOR KEY SHARE` as a foreign key locks it, or SQLSTATE 23503 with
    /// `message` and `constraint` (SQL expressions); its lines indented by `indent`.
    static func lockedOrRefused(_ from: String, _ alias: String, message: String, constraint: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return [
            "PERFORM 1 FROM \(from) FOR KEY SHARE OF \(alias);", "IF NOT FOUND THEN", "  RAISE foreign_key_violation USING",
            "    MESSAGE = \(message),", "    CONSTRAINT = \(constraint), TABLE = TG_TABLE_NAME;", "END IF;",
        ].map { pad + $0 }.joined(separator: "\n")
    }

    /// PL/pgSQL: the statement fails with SQLSTATE 23503 naming `constraint` if fewer
    /// `what` are held than the rows name (variables `named` and `held`).
    static func fewerHeld(what: String, constraint: String) -> String {
        """
          IF held < named THEN
            RAISE foreign_key_violation USING
              MESSAGE = format('insert or update on table "%s" violates foreign key constraint "%s"', TG_TABLE_NAME, \(constraint)),
              DETAIL = format('%s of the %s \(what) the rows name are not there', named - held, named),
              CONSTRAINT = \(constraint), TABLE = TG_TABLE_NAME;
          END IF;
        """
    }

    /// PL/pgSQL like ``held(_:in:by:what:constraint:)``, in one statement: the distinct values
    /// are taken from the rows once (`MATERIALIZED`) and both counts made from them.
    /// Migration 14's second statement took them from the rows again, whole rows that
    /// spilled to disk nationally (598 MB; the activities' check 9.6 s, BENCHMARKS.md,
    /// thirteenth step).
    static func heldOnce(_ columns: [String], in parent: String, by keys: [String], what: String, constraint: String) -> String {
        let list = columns.joined(separator: ", ")
        let join = zip(keys, columns).map { "p.\($0) = k.\($1)" }.joined(separator: " AND ")
        return """
              WITH k AS MATERIALIZED (SELECT DISTINCT \(list) FROM new_rows)
              SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM (SELECT 1 FROM \(parent) p JOIN k ON \(join) FOR KEY SHARE OF p) l)
              INTO named, held;
            \(fewerHeld(what: what, constraint: constraint))
            """
    }

    /// PL/pgSQL for a statement trigger with the rows a statement removed or re-keyed in
    /// `old_rows`: if a removed key of `parent` (one no row of `parent` has any more) is still
    /// named by a row of any of `children` through `columns`, the statement fails with
    /// SQLSTATE 23503 naming `constraint` (a foreign key's `NO ACTION`).
    static func stillNamed(_ parent: String, keys: [String], by children: [String], columns: [String], constraint: String, detail: String) -> String {
        let kept = keys.map { "p.\($0) = o.\($0)" }.joined(separator: " AND ")
        let naming = children.map { child in
            "EXISTS (SELECT 1 FROM \(child) f WHERE " + zip(columns, keys).map { "f.\($0) = o.\($1)" }.joined(separator: " AND ") + ")"
        }
        return """
                IF EXISTS (
                  SELECT 1 FROM old_rows o
                  WHERE NOT EXISTS (SELECT 1 FROM \(parent) p WHERE \(kept)) AND (\(naming.joined(separator: " OR "))))
                THEN
                  RAISE foreign_key_violation USING
                    MESSAGE = 'update or delete on table "\(parent)" violates foreign key constraint "\(constraint)"',
                    DETAIL = '\(detail)', CONSTRAINT = '\(constraint)', TABLE = '\(parent)';
                END IF;
            """
    }
}

/// Migration 15 (issue 27, thirteenth step): the two statement triggers of migration 14 that
/// check a statement's rows find the distinct keys once (``RecordKeysMigration/heldOnce``):
/// same rules, same lock, same refusal. PostgreSQL only; SQLite's migration 15 is empty.
enum RecordKeysOnceMigration {
    static let version = 15

    static let statements: [String] = [
        recordsNameRegistrations(
            registrations: RecordKeysMigration.heldOnce(
                ["person_id", "org_number"], in: "registrations", by: ["person_id", "org_number"], what: "registrations",
                constraint: "TG_TABLE_NAME || '_names_registrations'")),
        """
        CREATE OR REPLACE FUNCTION samspar_subjects_name_entries() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $$
        DECLARE named bigint; held bigint;
        BEGIN
        \(RecordKeysMigration.heldOnce(["seq"], in: "audit_log", by: ["seq"], what: "audit entries", constraint: "'audit_subjects_name_entries'"))
          RETURN NULL;
        END
        $$
        """,
    ]

    /// The statement trigger's function that checks inserted records: `registrations`, the
    /// PL/pgSQL of their registrations' check, then events' tracks.
    static func recordsNameRegistrations(registrations: String) -> String {
        """
        CREATE OR REPLACE FUNCTION samspar_records_name_registrations() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $$
        DECLARE named bigint; held bigint;
        BEGIN
        \(registrations)
          IF TG_TABLE_NAME = 'track_events' THEN
        \(RecordKeysMigration.heldOnce(["track_id"], in: "tracks", by: ["id"], what: "tracks", constraint: "'track_events_names_tracks'"))
          END IF;
          RETURN NULL;
        END
        $$
        """
    }
}

/// Migration 17 (issue 27, fifteenth step): events and status changes inserted are checked
/// against their registrations by their packing's update (``PackedFactsMigration``), not by
/// a lock of their own. PostgreSQL only; SQLite's migration 17 is empty.
///
/// The packing trigger of an insert rewrites every registration the statement's rows name,
/// and it runs before the key check (PostgreSQL fires a statement's triggers in the order of
/// their names: `packed_…` before `status_changes_…` and `track_events_…`). Its update takes
/// each registration's row lock (`FOR NO KEY UPDATE`, which a removal or a key change waits
/// for as it waits for `FOR KEY SHARE`), so the check's own lock of the same registrations
/// held nothing new: nationally 6.4 s of an events import (898,155 registrations looked up
/// and locked a second time; BENCHMARKS.md, fifteenth step). Now the packing counts the
/// registrations it updated against the distinct ones the rows name, and fewer fails the
/// statement with the key check's SQLSTATE 23503, constraint and words. A registration removed
/// after the statement's snapshot is not updated (PostgreSQL re-reads a row it waited for,
/// finds it gone and leaves it), so it is counted missing, as the lock found it missing.
/// Activities have no packing and keep the check's lock; events keep the check of their tracks.
enum PackedFactsHoldMigration {
    static let version = 17

    static let statements: [String] = [
        RecordKeysOnceMigration.recordsNameRegistrations(
            registrations: """
                  IF TG_TABLE_NAME = 'activities' THEN
                \(RecordKeysMigration.heldOnce(["person_id", "org_number"], in: "registrations", by: ["person_id", "org_number"], what: "registrations", constraint: "TG_TABLE_NAME || '_names_registrations'"))
                  END IF;
                """),
        PackedFactsMigration.postgresFunction(PackedFactsMigration.events, hold: .counted),
        PackedFactsMigration.postgresFunction(PackedFactsMigration.statuses, hold: .counted),
    ]
}

/// Migration 18 (issue 27, fifteenth step's review): a packing trigger locks the
/// registrations it will rewrite before it reads their facts. PostgreSQL only; SQLite has one
/// writer at a time and its migration 18 is empty.
///
/// Until now a packing trigger read a registration's facts and rewrote it in one statement.
/// Two writers of the same registration at once (two caseworkers' events, a caseworker's
/// event beside an import, a removal beside a new record): the second waited for the first's
/// row lock, and when it was granted PostgreSQL re-checked only the registration's row, not
/// the facts read with the statement's older snapshot, so the second wrote a packing without
/// the first's fact, or with the one the first removed. Reproduced with two `psql` sessions
/// on migrations 13 to 17: two events, 2 rows and 1 packed; an event removed beside another
/// written, 2 rows and 3 packed. A report reads the packing, so its figures would have been
/// wrong for that person. Now each branch first locks the registrations in key order (`FOR
/// NO KEY UPDATE`, a statement of its own) and then packs them in the next statement, whose
/// snapshot is taken after the locks are granted: it sees every write of those registrations
/// committed before, and no other packing of them can commit until this transaction ends. An
/// insert's lock also counts the registrations, and fewer refuses with the key check's words
/// (migration 17's count, moved to the lock). The price is migration 17's gain: the lock is a
/// second pass over the named registrations (nationally about 6 s of an events import,
/// BENCHMARKS.md, fifteenth step); a correct figure comes first.
enum PackedFactsLockFirstMigration {
    static let version = 18

    static let statements: [String] = [
        PackedFactsMigration.postgresFunction(PackedFactsMigration.events, hold: .lockedFirst),
        PackedFactsMigration.postgresFunction(PackedFactsMigration.statuses, hold: .lockedFirst),
    ]
}
