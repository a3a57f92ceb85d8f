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

    /// Gathers each registration with its party's packed events and statuses.
    struct Builder {
        var facts: [RegisteredFacts] = []

        mutating func add(_ registration: Registration, events: String?, statuses: String?, trackIndex: [Int: Int]) {
            var f = RegisteredFacts(registration: registration)
            let person = registration.person
            if let events {
                PackedFacts.forEachInteger(in: events) { value in
                    let date = Day(ordinal: Int32(value & 0xFFFFF) - Int32(PackedFacts.dateOffset))
                    let kind = UInt8((value >> 20) & 0x7)
                    let track = value >> 23
                    if let index = trackIndex[track], let kind = TrackEventKind(code: kind) {
                        f.events.append(TrackEventFact(person: person, track: index, kind: kind, date: date))
                    }
                }
            }
            if let statuses {
                PackedFacts.forEachInteger(in: statuses) { value in
                    let date = Day(ordinal: Int32(value & 0xFFFFF) - Int32(PackedFacts.dateOffset))
                    if let status = Outcome(code: UInt8(value >> 20)) {
                        f.statuses.append(StatusFact(person: person, status: status, date: date))
                    }
                }
            }
            facts.append(f)
        }
    }

    /// Calls `body` with each non-negative integer of a comma-separated list.
    static func forEachInteger(in text: String, _ body: (Int) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var value = 0
            var inNumber = false
            for byte in bytes {
                if byte >= 48 && byte <= 57 {
                    value = value * 10 + Int(byte - 48)
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
}

/// The report's one query, shared by both engines (each brings its own aggregate function):
/// every registration, with its party's kind and its own events and statuses, of every person
/// with a registration in one of the agreement's municipalities, as of `asOf`. The domain
/// then counts each person once (``Registrations/reportInput(_:asOf:)``).
enum ReportQuery {
    /// `part` of `parts`: only the people whose identity number leaves that remainder, so
    /// that one report can be read by several connections at once (each person whole in one).
    static func sql(municipalities: [Kommunkod], events: String, statuses: String, asOf: String, part: Int = 0, parts: Int = 1) -> String {
        let codes = municipalities.map { String($0.value) }.joined(separator: ",")
        let share = parts > 1 ? " AND person_id % \(parts) = \(part)" : ""
        return """
            SELECT r.person_id, r.org_number, o.kind, r.changed, r.sex, r.sex_explicit, r.municipality, r.first_permit_date, r.registered_on,
                   r.exited_on, r.upper_secondary_completed,
              (SELECT \(events) FROM track_events e
                 WHERE e.person_id = r.person_id AND e.org_number = r.org_number AND e.date <= \(asOf)) AS events,
              (SELECT \(statuses) FROM status_changes s
                 WHERE s.person_id = r.person_id AND s.org_number = r.org_number AND s.date <= \(asOf)) AS statuses
            FROM (SELECT DISTINCT person_id FROM registrations
                  WHERE municipality IN (\(codes.isEmpty ? "NULL" : codes)) AND registered_on <= \(asOf)\(share)) m
            JOIN registrations r ON r.person_id = m.person_id AND r.registered_on <= \(asOf)
            LEFT JOIN organisations o ON o.org_number = r.org_number
            """
    }
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
