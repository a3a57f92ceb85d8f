import SamsparDomain

/// A person's events and status changes packed as comma-separated integers, so the report's
/// input arrives as one row per participant (both engines aggregate with their own function:
/// `group_concat` in SQLite, `string_agg` in PostgreSQL).
///
/// Event: `track_id · 2^23 + kind · 2^20 + (date + 2^19)`; status: `status · 2^20 + (date + 2^19)`.
/// Dates are day ordinals, so any date within ±1,400 years of 1970 fits.
enum PackedFacts {
    static let dateOffset = 1 << 19

    static func eventSQL(track: String, kind: String, date: String) -> String {
        "\(track) * 8388608 + \(kind) * 1048576 + \(date) + 524288"
    }

    static func statusSQL(status: String, date: String) -> String {
        "\(status) * 1048576 + \(date) + 524288"
    }

    /// Gathers each registration with its party's packed events and statuses, those dated by
    /// `asOf` (a registration carries all of its own, ``PackedFactsMigration``).
    struct Builder {
        let asOf: Day
        var facts: [RegisteredFacts] = []

        init(asOf: Day) { self.asOf = asOf }

        /// `events`, `statuses`: the registration's packed columns as the row holds them (empty for NULL).
        mutating func add(_ registration: Registration, events: UnsafeRawBufferPointer, statuses: UnsafeRawBufferPointer, trackIndex: [Int: Int]) {
            var f = RegisteredFacts(registration: registration)
            let person = registration.person
            let asOf = asOf
            PackedFacts.forEachEvent(in: events) { track, kind, date in
                if date <= asOf, let index = trackIndex[track] { f.events.append(TrackEventFact(person: person, track: index, kind: kind, date: date)) }
            }
            PackedFacts.forEachStatus(in: statuses) { status, date in
                if date <= asOf { f.statuses.append(StatusFact(person: person, status: status, date: date)) }
            }
            facts.append(f)
        }
    }

    /// Each packed event of `bytes` (``eventSQL(track:kind:date:)``), by its track's row id; an
    /// unknown kind is skipped.
    static func forEachEvent(in bytes: UnsafeRawBufferPointer, _ body: (_ track: Int, _ kind: TrackEventKind, _ date: Day) -> Void) {
        forEachInteger(in: bytes) { value in
            guard let kind = TrackEventKind(code: UInt8((value >> 20) & 0x7)) else { return }
            body(value >> 23, kind, Day(ordinal: Int32(value & 0xFFFFF) - Int32(dateOffset)))
        }
    }

    /// Each packed status change of `bytes` (``statusSQL(status:date:)``); an unknown status is
    /// skipped.
    static func forEachStatus(in bytes: UnsafeRawBufferPointer, _ body: (_ status: Outcome, _ date: Day) -> Void) {
        forEachInteger(in: bytes) { value in
            guard let status = Outcome(code: UInt8(truncatingIfNeeded: value >> 20)) else { return }
            body(status, Day(ordinal: Int32(value & 0xFFFFF) - Int32(dateOffset)))
        }
    }

    /// Calls `body` with each non-negative integer of a comma-separated list.
    static func forEachInteger(in bytes: UnsafeRawBufferPointer, _ body: (Int) -> Void) {
        var value = 0
        var inNumber = false
        for byte in bytes {
            if byte >= 48 && byte <= 57 {
                value = value &* 10 &+ Int(byte - 48)
                inNumber = true
            } else if inNumber {
                body(value)
                value = 0
                inNumber = false
            }
        }
        if inNumber { body(value) }
    }
}

/// Every agreement's report input from one read of every registration in identity-number
/// order (issue 27, part 3): each person's registrations and their facts are held until the
/// next person's first row, then appended to the input of each agreement whose population
/// holds the person (``Populations``), each event as a fact of that agreement's track, merged
/// as ``Registrations/reportInput(_:asOf:)`` merges them (``Registrations/append(person:asOf:to:)``).
/// An event of a track of another agreement is not a fact of this one's (as in
/// ``PackedFacts/Builder``, whose `trackIndex` holds only the agreement's own tracks).
///
/// Nothing of a person is kept after their last row but what the inputs hold: a national
/// read's registrations as ``RegisteredFacts`` were 300 MB, and copying them into the inputs
/// a third of the time.
struct EveryReportBuilder {
    let populations: Populations
    let asOf: Day
    /// By a track's row id: its agreement's position and its position among that agreement's
    /// tracks (agreement -1: a track of none of them). Track ids are the database's row
    /// numbers, small and dense: looked up by index, not hashed, for each of millions of events;
    /// an id beyond the table (never made by the database itself) is looked up in `farTracks`.
    private let tracks: [(agreement: Int32, index: Int32)]
    private let farTracks: [Int: (agreement: Int32, index: Int32)]
    private static let tableSize = 1 << 20
    /// Per agreement, in the order of `populations.agreements`: its report's input.
    private(set) var inputs: [ReportInput]
    // The current person: their registrations, and each one's events and statuses as a range
    // of one buffer (no arrays per registration).
    private var registrations: [Registration] = []
    private var eventStarts: [Int] = []
    private var events: [(track: Int, kind: TrackEventKind, date: Day)] = []
    private var statusStarts: [Int] = []
    private var statuses: [StatusFact] = []
    private var person: [RegisteredFacts] = []
    private var ownEvents: [TrackEventFact] = []

    /// `trackRows`: every stored track, as (row id, agreement id, code). Every registration
    /// added must be made by `asOf`, and every fact dated by then.
    init(_ populations: Populations, asOf: Day, trackRows: [(id: Int, agreement: String, code: String)]) {
        self.populations = populations
        self.asOf = asOf
        var position: [String: Int] = [:]
        for (i, a) in populations.agreements.enumerated() where position[a.id] == nil { position[a.id] = i }
        let near = trackRows.map(\.id).filter { $0 >= 0 && $0 < Self.tableSize }
        var tracks = Array(repeating: (agreement: Int32(-1), index: Int32(-1)), count: (near.max() ?? -1) + 1)
        var far: [Int: (agreement: Int32, index: Int32)] = [:]
        for row in trackRows {
            guard let a = position[row.agreement], let index = populations.agreements[a].tracks.firstIndex(where: { $0.code == row.code }) else {
                continue
            }
            if row.id >= 0 && row.id < tracks.count { tracks[row.id] = (Int32(a), Int32(index)) } else { far[row.id] = (Int32(a), Int32(index)) }
        }
        self.tracks = tracks
        farTracks = far
        inputs = Array(repeating: ReportInput(participants: [], events: [], statuses: []), count: populations.agreements.count)
    }

    /// The next registration of the read; its events and status changes follow
    /// (``addEvent(track:kind:date:)``, ``addStatus(_:date:)``). Registrations must come in
    /// identity-number order.
    private mutating func add(_ registration: Registration) {
        if let last = registrations.last, last.person != registration.person { flush() }
        registrations.append(registration)
        eventStarts.append(events.count)
        statusStarts.append(statuses.count)
    }

    /// An event of the registration added last, by its track's row id.
    private mutating func addEvent(track: Int, kind: TrackEventKind, date: Day) { events.append((track, kind, date)) }

    /// A status change of the registration added last.
    private mutating func addStatus(_ status: Outcome, date: Day) {
        statuses.append(StatusFact(person: registrations[registrations.count - 1].person, status: status, date: date))
    }

    /// ``add(_:)`` with the registration's own events and statuses as it carries them
    /// (``PackedFactsMigration``), read in place from the row's bytes (NULL: none): those
    /// dated after `asOf` are left out here.
    mutating func add(_ registration: Registration, packedEvents: UnsafeRawBufferPointer, packedStatuses: UnsafeRawBufferPointer) {
        add(registration)
        let asOf = asOf
        PackedFacts.forEachEvent(in: packedEvents) { track, kind, date in if date <= asOf { addEvent(track: track, kind: kind, date: date) } }
        PackedFacts.forEachStatus(in: packedStatuses) { status, date in if date <= asOf { addStatus(status, date: date) } }
    }

    /// Every agreement's input, after the last person's.
    mutating func finish() -> [ReportInput] {
        flush()
        return inputs
    }

    /// The events of registration `k` that are facts of agreement `a`'s tracks, into `ownEvents`.
    private mutating func gatherEvents(of k: Int, in a: Int) {
        ownEvents.removeAll(keepingCapacity: true)
        let end = k + 1 < eventStarts.count ? eventStarts[k + 1] : events.count
        let person = registrations[k].person
        for i in eventStarts[k]..<end {
            let e = events[i]
            let track = e.track >= 0 && e.track < tracks.count ? tracks[e.track] : farTracks[e.track] ?? (-1, -1)
            if track.agreement == a { ownEvents.append(TrackEventFact(person: person, track: Int(track.index), kind: e.kind, date: e.date)) }
        }
    }

    private func statuses(of k: Int) -> ArraySlice<StatusFact> {
        statuses[statusStarts[k]..<(k + 1 < statusStarts.count ? statusStarts[k + 1] : statuses.count)]
    }

    private mutating func flush() {
        defer {
            registrations.removeAll(keepingCapacity: true)
            eventStarts.removeAll(keepingCapacity: true)
            events.removeAll(keepingCapacity: true)
            statusStarts.removeAll(keepingCapacity: true)
            statuses.removeAll(keepingCapacity: true)
        }
        guard !registrations.isEmpty else { return }
        for a in populations.agreements(of: registrations) {
            if registrations.count == 1 {
                // Most people: one registration, appended from the buffers without building a group.
                guard populations.counts(registrations[0], in: a) else { continue }
                gatherEvents(of: 0, in: a)
                Registrations.append(only: registrations[0], events: ownEvents, statuses: statuses(of: 0), asOf: asOf, to: &inputs[a])
                continue
            }
            person.removeAll(keepingCapacity: true)
            for k in registrations.indices where populations.counts(registrations[k], in: a) {
                gatherEvents(of: k, in: a)
                person.append(RegisteredFacts(registration: registrations[k], events: ownEvents, statuses: Array(statuses(of: k))))
            }
            Registrations.append(person: person[...], asOf: asOf, to: &inputs[a])
        }
    }
}

extension ReportInput {
    /// `self` and then `later`, whose people all come after this input's (the upper half of a
    /// read by identity number after the lower).
    mutating func append(_ later: ReportInput) {
        participants.append(contentsOf: later.participants)
        events.append(contentsOf: later.events)
        statuses.append(contentsOf: later.statuses)
    }
}

extension Registration {
    /// A registration as a report reads it: the columns the figures use, no names (both
    /// engines' report loaders).
    static func reportRow(
        person: Int64, org: Int64, sexExplicit: Bool, male: Bool, municipality: Int64, firstPermit: Int64, registeredOn: Int64, exitedOn: Int64?,
        upperSecondary: Bool, kind: OrganisationKind?, changed: Int64
    ) -> Registration {
        Registration(
            record: ParticipantRecord(
                person: Personnummer(storedValue: person), givenName: nil, familyName: nil, explicitSex: sexExplicit ? (male ? .male : .female) : nil,
                municipality: Kommunkod(storedValue: Int16(truncatingIfNeeded: municipality)),
                firstPermitDate: Day(ordinal: Int32(truncatingIfNeeded: firstPermit)),
                registeredOn: Day(ordinal: Int32(truncatingIfNeeded: registeredOn)), exitedOn: exitedOn.map { Day(ordinal: Int32(truncatingIfNeeded: $0)) },
                exitReason: nil, upperSecondaryCompleted: upperSecondary, educationLevel: nil),
            party: Organisationsnummer(storedValue: org), partyKind: kind, changed: changed)
    }
}

/// The read of every registration for ``EveryReportBuilder``, in key order, limited to a range
/// of identity numbers (`?2 <= person_id < ?3`), so that two connections can each read half
/// (``SQLiteStore/reportInputs(forEach:asOf:)``); `?1` is the report's day. Each registration
/// carries its own events and statuses (``PackedFactsMigration``): one read, where it was three
/// (registrations, events, status changes) walked side by side.
enum EveryReportQuery {
    static let registrations = """
        SELECT person_id, org_number, sex_explicit, sex, municipality, first_permit_date, registered_on, exited_on,
               upper_secondary_completed, changed, packed_events, packed_statuses
        FROM registrations WHERE person_id >= ?2 AND person_id < ?3 AND registered_on <= ?1 ORDER BY person_id, org_number
        """
}

/// The report's one query, shared by both engines: every registration, with its own events
/// and statuses as it carries them (``PackedFactsMigration``), of every person with a
/// registration in one of the agreement's municipalities, as of `asOf`. The facts are all of
/// the registration's own: those dated after `asOf` are left out as they are unpacked
/// (``PackedFacts/Builder``). The domain then counts each person once
/// (``Registrations/reportInput(_:asOf:)``).
///
/// Each registration's party kind is not joined here: the loaders read the organisations once
/// (a few hundred rows) and look the kind up themselves. Joined, it was an index probe per
/// registration, 20-25% of PostgreSQL's time for the read (issue 27, eighth step). The facts
/// are not read from their tables here: that was two more index descents per registration,
/// most of PostgreSQL's time for the read (issue 27, ninth step).
enum ReportQuery {
    /// `part` of `parts`: only the people whose identity number leaves that remainder, so
    /// that one report can be read by several connections at once (each person whole in one).
    static func sql(municipalities: [Kommunkod], asOf: String, part: Int = 0, parts: Int = 1) -> String {
        let codes = municipalities.map { String($0.value) }.joined(separator: ",")
        let share = parts > 1 ? " AND person_id % \(parts) = \(part)" : ""
        return """
            SELECT r.person_id, r.org_number, r.changed, r.sex, r.sex_explicit, r.municipality, r.first_permit_date, r.registered_on,
                   r.exited_on, r.upper_secondary_completed, r.packed_events AS events, r.packed_statuses AS statuses
            FROM (SELECT DISTINCT person_id FROM registrations
                  WHERE municipality IN (\(codes.isEmpty ? "NULL" : codes)) AND registered_on <= \(asOf)\(share)) m
            JOIN registrations r ON r.person_id = m.person_id AND r.registered_on <= \(asOf)
            """
    }
}

/// Migration 13 (issue 27, ninth step): each registration carries its own events and status
/// changes, packed as ``PackedFacts`` writes them (`packed_events`, `packed_statuses`), so
/// that a report reads a person's facts with the registration instead of descending two more
/// B-trees for each (``ReportQuery``).
///
/// The database keeps them, by trigger, at every write of either table, whatever writes it
/// (imports, single writes, corrections, erasure, retention, `samspar db copy`): a trigger
/// reads the facts of the registration its row belongs to, and writes that registration alone.
/// Both keys begin with the registration's (`person_id`, `org_number`), so a write's work,
/// locks and time depend on its own party's registration and nothing else (the issue's
/// condition for a summary kept at every write). Nothing here is a figure: the report still
/// merges what the reader may see, in the domain.
///
/// The order within a packed list is the engine's; nothing depends on it (``ReportQuery``).
enum PackedFactsMigration {
    enum Engine { case sqlite, postgres }

    /// The advisory lock every bulk writer of registrations holds on PostgreSQL for the rest
    /// of its transaction, before its first row lock: participants, events and statuses
    /// imports (their upserts), a retention run and an erasure (whose removal locks a
    /// registration by the trigger before it deletes it, while an import holds it by its
    /// foreign key and then waits for the trigger's lock: seen to deadlock, and a test in
    /// `PostgresCommandLineTests` for each). Each of them writes many registrations in
    /// one transaction (the packing triggers below update every registration whose facts a
    /// statement wrote), and PostgreSQL locks them in the order its plan meets them: key order
    /// for a few (a nested loop over the sorted groups), the table's physical order for many
    /// (a hash join over a scan). Two such writers of the same registrations at once could
    /// each hold a row the other waits for, and PostgreSQL would refuse one with "deadlock
    /// detected" (reproduced: `PostgresCommandLineTests`). Held by all of them, they write
    /// one after another; their files' reading and staging still run side by side. Locking
    /// the registrations in key order inside every trigger was the other way; it costs every
    /// import a second pass over its registrations, where this costs a lone import nothing.
    /// SQLite has one writer at a time already (``SQLSession/lock(_:)`` does nothing there).
    static let writersLock = "samspar: bulk writers of registrations"

    struct Packed {
        var table: String
        var column: String
        var value: String
        var keys: [String]
    }

    static let events = Packed(
        table: "track_events", column: "packed_events", value: PackedFacts.eventSQL(track: "f.track_id", kind: "f.kind", date: "f.date"),
        keys: ["person_id", "org_number", "track_id", "kind", "date"])
    static let statuses = Packed(
        table: "status_changes", column: "packed_statuses", value: PackedFacts.statusSQL(status: "f.status", date: "f.date"),
        keys: ["person_id", "org_number", "date", "status"])

    /// A registration `r`'s facts of `packed`'s table, packed (NULL for none).
    static func packing(_ packed: Packed, _ engine: Engine, person: String, org: String) -> String {
        let aggregate =
            switch engine {
            case .sqlite: "group_concat(\(packed.value), ',')"
            case .postgres: "string_agg((\(packed.value))::text, ',')"
            }
        return "(SELECT \(aggregate) FROM \(packed.table) f WHERE f.person_id = \(person) AND f.org_number = \(org))"
    }

    /// SQLite: while a row is in this table, the row triggers leave the packing to the writer
    /// that put it there, in the same transaction (``repackStaged(_:staging:)``). SQLite has
    /// one writer at a time and the row goes before the transaction commits, so no other write
    /// ever sees it. Packing each registration once after the upsert, instead of once per row,
    /// made a national events file's import 35% slower than without packed facts instead of
    /// 66% (BENCHMARKS.md, ninth step).
    static let deferred = "facts_packed_after_import"

    /// SQLite, after a bulk upsert of `packed`'s table from `staging` (with a row in
    /// ``deferred``): every registration the file named, packed once, in key order (the file's
    /// own order, by date or by kind, visits the registrations' B-tree at random: a national
    /// statuses file took 78 s that way).
    static func repackStaged(_ packed: Packed, staging: String) -> String {
        """
        UPDATE registrations SET \(packed.column) = \(packing(packed, .sqlite, person: "registrations.person_id", org: "registrations.org_number"))
        FROM (SELECT DISTINCT person_id, org_number FROM \(staging) ORDER BY person_id, org_number) c
        WHERE registrations.person_id = c.person_id AND registrations.org_number = c.org_number
        """
    }

    static func packed(for kind: ImportKind) -> Packed? {
        switch kind {
        case .events: events
        case .statuses: statuses
        case .participants, .activities: nil
        }
    }

    static func statements(_ engine: Engine) -> [String] {
        var statements: [String] = engine == .sqlite ? ["CREATE TABLE \(deferred) (importing INTEGER PRIMARY KEY)"] : []
        for packed in [events, statuses] {
            statements.append("ALTER TABLE registrations ADD COLUMN \(packed.column) TEXT")
            // Only registrations with facts: the rest stay NULL.
            statements.append(
                """
                UPDATE registrations SET \(packed.column) = \(packing(packed, engine, person: "registrations.person_id", org: "registrations.org_number"))
                WHERE EXISTS (SELECT 1 FROM \(packed.table) g WHERE g.person_id = registrations.person_id AND g.org_number = registrations.org_number)
                """)
            statements += engine == .sqlite ? sqliteTriggers(packed) : postgresTriggers(packed)
        }
        return statements
    }

    /// Row triggers: each row written repacks its registration. An update that changes none
    /// of the packed columns (an upsert that sets an event's `reason`, or a status to the one
    /// it had) repacks nothing.
    private static func sqliteTriggers(_ packed: Packed) -> [String] {
        func repack(_ row: String) -> String {
            """
            UPDATE registrations SET \(packed.column) = \(packing(packed, .sqlite, person: "\(row).person_id", org: "\(row).org_number"))
                WHERE person_id = \(row).person_id AND org_number = \(row).org_number;
            """
        }
        let now = "NOT EXISTS (SELECT 1 FROM \(deferred))"
        let changed = packed.keys.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ")
        return [
            "CREATE TRIGGER \(packed.column)_on_insert AFTER INSERT ON \(packed.table) WHEN \(now) BEGIN \(repack("NEW")) END",
            "CREATE TRIGGER \(packed.column)_on_delete AFTER DELETE ON \(packed.table) WHEN \(now) BEGIN \(repack("OLD")) END",
            """
            CREATE TRIGGER \(packed.column)_on_update AFTER UPDATE OF \(packed.keys.joined(separator: ", ")) ON \(packed.table)
            WHEN \(now) AND (\(changed)) BEGIN \(repack("OLD")) \(repack("NEW")) END
            """,
        ]
    }

    /// Statement triggers with transition tables: each statement repacks once every
    /// registration whose rows it wrote (a national import, a million of them, in one pass).
    /// An update repacks only the registrations whose packing it changed.
    private static func postgresTriggers(_ packed: Packed) -> [String] {
        [
            postgresFunction(packed, hold: .none),
            """
            CREATE TRIGGER \(packed.column)_on_insert AFTER INSERT ON \(packed.table)
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function(packed))()
            """,
            """
            CREATE TRIGGER \(packed.column)_on_delete AFTER DELETE ON \(packed.table)
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function(packed))()
            """,
            """
            CREATE TRIGGER \(packed.column)_on_update AFTER UPDATE ON \(packed.table)
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function(packed))()
            """,
        ]
    }

    static func function(_ packed: Packed) -> String { "samspar_repack_\(packed.column)" }

    /// How a packing function holds the registrations it rewrites.
    enum Hold {
        /// Migration 13: the packing's update alone (the key check holds inserted rows).
        case none
        /// Migration 17 (``PackedFactsHoldMigration``): rows inserted are checked against
        /// their registrations by the packing's own update, counted there.
        case counted
        /// Migration 18 (``PackedFactsLockFirstMigration``): every branch locks the
        /// registrations first, then packs in a statement of its own, whose snapshot sees
        /// every write committed before the lock was granted; inserted rows are counted by
        /// the lock.
        case lockedFirst
    }

    /// The PostgreSQL function of `packed`'s three triggers.
    static func postgresFunction(_ packed: Packed, hold: Hold) -> String {
        func locked(_ rows: String) -> String {
            hold == .lockedFirst
                ? """
                PERFORM 1 FROM registrations p JOIN (\(rows)) c ON p.person_id = c.person_id AND p.org_number = c.org_number
                  ORDER BY p.person_id, p.org_number FOR NO KEY UPDATE OF p;

                """ : ""
        }
        func repack(_ rows: String, onlyChanged: Bool = false) -> String {
            let packing = packing(packed, .postgres, person: "r.person_id", org: "r.org_number")
            return locked(rows) + """
                UPDATE registrations r SET \(packed.column) = \(packing)
                  FROM (\(rows)) c WHERE r.person_id = c.person_id AND r.org_number = c.org_number\(onlyChanged ? " AND r.\(packed.column) IS DISTINCT FROM \(packing)" : "");
                """
        }
        // Rows inserted: each registration they name has facts, so its packing is one group of
        // an aggregate joined to them, not a subquery per registration (nationally 13.6 s
        // against 18.1 s for the statuses' million registrations).
        let inserted = """
            UPDATE registrations r SET \(packed.column) = g.packed
              FROM (SELECT f.person_id, f.org_number, string_agg((\(packed.value))::text, ',') AS packed
                    FROM \(packed.table) f JOIN (SELECT DISTINCT person_id, org_number FROM new_rows) c
                      ON c.person_id = f.person_id AND c.org_number = f.org_number
                    GROUP BY f.person_id, f.org_number) g
              WHERE r.person_id = g.person_id AND r.org_number = g.org_number;
            """
        // Checked: the same update, its registrations found from the rows' distinct ones
        // (taken once), and counted; fewer updated than named fails as the key check would.
        let insertedAndHeld = """
            WITH k AS MATERIALIZED (SELECT DISTINCT person_id, org_number FROM new_rows),
                 u AS (UPDATE registrations r SET \(packed.column) = g.packed
                         FROM (SELECT f.person_id, f.org_number, string_agg((\(packed.value))::text, ',') AS packed
                               FROM \(packed.table) f JOIN k c ON c.person_id = f.person_id AND c.org_number = f.org_number
                               GROUP BY f.person_id, f.org_number) g
                         WHERE r.person_id = g.person_id AND r.org_number = g.org_number RETURNING 1)
              SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM u) INTO named, held;
            \(RecordKeysMigration.fewerHeld(what: "registrations", constraint: "TG_TABLE_NAME || '_names_registrations'"))
            """
        // Locked first: the registrations the rows name held and counted in one statement,
        // then packed in the next.
        let lockedThenInserted = """
            WITH k AS MATERIALIZED (SELECT DISTINCT person_id, org_number FROM new_rows)
              SELECT (SELECT count(*) FROM k),
                     (SELECT count(*) FROM (SELECT 1 FROM registrations p JOIN k ON p.person_id = k.person_id AND p.org_number = k.org_number
                                            ORDER BY p.person_id, p.org_number FOR NO KEY UPDATE OF p) l)
              INTO named, held;
            \(RecordKeysMigration.fewerHeld(what: "registrations", constraint: "TG_TABLE_NAME || '_names_registrations'"))
                \(inserted)
            """
        let counting = hold != .none
        let insertBranch =
            switch hold {
            case .none: inserted
            case .counted: insertedAndHeld
            case .lockedFirst: lockedThenInserted
            }
        return """
            CREATE OR REPLACE FUNCTION \(function(packed))() RETURNS trigger LANGUAGE plpgsql\(counting ? " SET work_mem = '64MB'" : "") AS $$
            \(counting ? "DECLARE named bigint; held bigint;\n" : "")BEGIN
              IF TG_OP = 'INSERT' THEN
                \(insertBranch)
              ELSIF TG_OP = 'DELETE' THEN
                \(repack("SELECT DISTINCT person_id, org_number FROM old_rows"))
              ELSE
                \(repack("SELECT person_id, org_number FROM old_rows UNION SELECT person_id, org_number FROM new_rows", onlyChanged: true))
              END IF;
              RETURN NULL;
            END
            $$
            """
    }
}

/// Migration 16 (issue 27, fifteenth step): PostgreSQL leaves half of each page of
/// `registrations` free when it writes a new one (`fillfactor = 50`), so that a packing
/// trigger's rewrite of a registration (``PackedFactsMigration``) can put the new version
/// beside the old one: a heap-only update, which adds no entry to the table's three indexes
/// (the packed columns are in none of them). Full pages (PostgreSQL's default, 100) made each
/// registration an events or statuses file names a new row on another page and an entry in
/// every index; half-empty ones made 1.38 of the 1.90 million national rewrites heap-only
/// (against 0.10) and each file's packing 7 s faster (BENCHMARKS.md, fifteenth step). 40 was
/// no faster for the two files together, 60 and 70 were slower.
///
/// The setting governs pages written from now on; a table already loaded keeps its pages
/// until it is rewritten (`VACUUM FULL`), and its rewrites are no slower than before. A page
/// holds the rows of several parties, as any table's pages do, and whether a rewrite finds
/// room on its page depends on them as much as it did with full pages; no statement reads or
/// locks another party's registration for it. SQLite has no such setting (its B-tree rewrites
/// a row in place): its migration 16 is empty.
enum PackedFactsRoomMigration {
    static let version = 16
    static let statements = ["ALTER TABLE registrations SET (fillfactor = 50)"]
}

/// The tables a bulk file writes, their columns in write order, their keys (every key is
/// within one organisation, SPEC §4) and what an upsert changes. Both engines write these.
enum StoredTables {
    struct Table {
        var name: String
        var columns: [String]
        var key: [String]
        var update: [String]
        /// What an upsert's `DO UPDATE` sets a column to, where it is not `excluded.NAME`.
        var updated: [String: String] = [:]

        /// `SET` of an upsert's `DO UPDATE`.
        var assignments: String {
            update.map { "\($0) = \(updated[$0] ?? "excluded.\($0)")" }.joined(separator: ", ")
        }
    }

    static let registrations = Table(
        name: "registrations",
        columns: [
            "person_id", "org_number", "given_name", "family_name", "sex", "sex_explicit", "municipality", "first_permit_date",
            "registered_on", "exited_on", "exit_reason", "upper_secondary_completed", "education_level", "changed", "protected_ref",
        ],
        key: ["person_id", "org_number"],
        update: [
            "given_name", "family_name", "sex", "sex_explicit", "municipality", "first_permit_date", "registered_on", "exited_on",
            "exit_reason", "upper_secondary_completed", "education_level", "changed", "protected_ref",
        ],
        // The mark (SPEC §2): staged NULL leaves it, '' removes it, a reference sets it unless
        // one is already there (``ProtectedIdentityMigration/staged(_:)``); a new row's ''
        // is cleared after the upsert (``ProtectedIdentityMigration/clearEmpty``).
        updated: [
            "protected_ref": """
            CASE WHEN excluded.protected_ref IS NULL THEN registrations.protected_ref WHEN excluded.protected_ref = '' THEN NULL \
            ELSE COALESCE(registrations.protected_ref, excluded.protected_ref) END
            """
        ])
    static let events = Table(
        name: "track_events", columns: ["person_id", "org_number", "track_id", "kind", "date", "reason"],
        key: ["person_id", "org_number", "track_id", "kind", "date"], update: ["reason"])
    static let statuses = Table(
        name: "status_changes", columns: ["person_id", "org_number", "date", "status"], key: ["person_id", "org_number", "date"], update: ["status"])
    static let activities = Table(
        name: "activities", columns: ["person_id", "org_number", "kind", "start", "end_date", "hours_per_week", "provider"],
        key: ["person_id", "org_number", "kind", "start"], update: ["end_date", "hours_per_week", "provider"])

    /// The rows an upsert from `staging` is about to change, as they are (issue 22, part 4: a
    /// correction keeps what was there before): each registration touched and its old values
    /// as one JSON object. `distinct` compares two values (`IS NOT`, `IS DISTINCT FROM`),
    /// `json` builds an object (`json_object`, `json_build_object`). The change counter of
    /// registrations is not a value.
    static func previous(_ table: Table, staging: String, distinct: String, json: String, text: String) -> String {
        // The mark is not a value a correction keeps: setting and removing it are entries of
        // their own (``ProtectedIdentityMigration/changes(staging:)``).
        let compared = table.update.filter { $0 != "changed" && $0 != "protected_ref" }
        let key = table.key.map { "s.\($0) = t.\($0)" }.joined(separator: " AND ")
        let differs = compared.map { "s.\($0) \(distinct) t.\($0)" }.joined(separator: " OR ")
        let values = table.columns.filter { !["changed", "person_id", "org_number", "protected_ref"].contains($0) }.map { "'\($0)', t.\($0)" }
        // From the staged rows, each looked up by the table's key (the staging table has none).
        return """
            SELECT DISTINCT t.person_id, t.org_number, \(json)(\(values.joined(separator: ", ")))\(text) AS content
            FROM \(staging) s JOIN \(table.name) t ON \(key) WHERE \(differs)
            ORDER BY t.person_id, t.org_number
            """
    }

    static func table(for kind: ImportKind) -> Table {
        switch kind {
        case .participants: registrations
        case .events: events
        case .statuses: statuses
        case .activities: activities
        }
    }
}
