import SQLiteNIO
import SamsparDomain

/// Multi-row inserts into the import's staging table, inside the store's open transaction.
///
/// Rows land in a temporary table in file order (appends to one B-tree, whatever order the
/// file has); ``SQLiteStaging/upsert`` then moves the whole file into place in key order with
/// SQLite's external sorter, so each table's B-tree is written left to right instead of one
/// random page per row (issue 10: a case system writes by registration date or by kind,
/// not by key).
struct SQLiteBulkWriter: BulkWriter, Sendable {
    let store: SQLiteStore
    let staging: SQLiteStaging

    func registrants(_ persons: [Int64]) async throws -> [Int64: [Int64]] {
        var found: [Int64: [Int64]] = [:]
        for chunk in persons.chunked(900) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try await store.query(
                "SELECT person_id, org_number FROM registrations WHERE person_id IN (\(placeholders))", chunk.map { .integer(Int($0)) })
            for row in rows {
                if let id = row.column("person_id")?.integer, let org = row.column("org_number")?.integer { found[Int64(id), default: []].append(Int64(org)) }
            }
        }
        return found
    }

    func allRegistrants(of organisation: Int64?) async throws -> RegistrantIndex {
        try await store.registrantIndex(of: organisation)
    }

    func municipalityOrganisations() async throws -> [Int16: [Int64]] {
        var result: [Int16: [Int64]] = [:]
        for row in try await store.query("SELECT org_number, municipality_code FROM organisations WHERE kind = 'municipality'") {
            if let org = row.column("org_number")?.integer, let code = row.column("municipality_code")?.integer {
                result[Int16(code), default: []].append(Int64(org))
            }
        }
        return result
    }

    func nextChange() async throws -> Int64 {
        Int64(try await store.query("UPDATE registration_changes SET n = n + 1 WHERE id = 1 RETURNING n").first?.column("n")?.integer ?? 1)
    }

    func agreementDocuments() async throws -> [String] {
        try await store.query("SELECT document FROM agreement_versions WHERE deleted_at IS NULL").compactMap { $0.column("document")?.string }
    }

    func tracks() async throws -> [TrackRef] {
        try await store.query("SELECT id, agreement_id, code FROM tracks").compactMap { row in
            guard let id = row.column("id")?.integer, let agreement = row.column("agreement_id")?.string,
                let code = row.column("code")?.string
            else { return nil }
            return TrackRef(agreement: agreement, code: code, id: Int64(id))
        }
    }

    private func stage(rows: Int, binds: [SQLiteData]) async throws {
        guard rows > 0 else { return }
        try await store.query(staging.insert(rows: rows), binds)
    }

    func write(participants: [Owned<ParticipantRecord>], changed: Int64) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(participants.count * 15)
        for owned in participants {
            let p = owned.value
            binds += [
                .integer(Int(p.person.value)), .integer(Int(owned.org)), text(p.givenName), text(p.familyName), .integer(p.sex == .male ? 1 : 0),
                .integer(p.explicitSex == nil ? 0 : 1), .integer(Int(p.municipality.value)), day(p.firstPermitDate),
                day(p.registeredOn), day(p.exitedOn), text(p.exitReason), .integer(p.upperSecondaryCompleted ? 1 : 0),
                text(p.educationLevel), .integer(Int(changed)), text(ProtectedIdentityMigration.staged(p.protected)),
            ]
        }
        try await stage(rows: participants.count, binds: binds)
    }

    func write(events: [Owned<TrackedEvent>]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(events.count * 6)
        for owned in events {
            let e = owned.value.record
            binds += [
                .integer(Int(e.person.value)), .integer(Int(owned.org)), .integer(Int(owned.value.track)), .integer(Int(e.kind.code)), day(e.date),
                text(e.reason),
            ]
        }
        try await stage(rows: events.count, binds: binds)
    }

    func write(statuses: [Owned<StatusRecord>]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(statuses.count * 4)
        for owned in statuses {
            let s = owned.value
            binds += [.integer(Int(s.person.value)), .integer(Int(owned.org)), day(s.date), .integer(Int(s.status.code))]
        }
        try await stage(rows: statuses.count, binds: binds)
    }

    func write(activities: [Owned<ActivityRecord>]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(activities.count * 7)
        for owned in activities {
            let a = owned.value
            binds += [
                .integer(Int(a.person.value)), .integer(Int(owned.org)), .text(a.activity.rawValue), day(a.start), day(a.end),
                a.hoursPerWeek.map { .float($0) } ?? .null, text(a.provider),
            ]
        }
        try await stage(rows: activities.count, binds: binds)
    }

    private func text(_ s: String?) -> SQLiteData { s.map { .text($0) } ?? .null }
    private func day(_ d: Day?) -> SQLiteData { d.map { .integer(Int($0.ordinal)) } ?? .null }
}

/// The temporary table a file is staged in, and the statements that fill it and move it
/// into place.
struct SQLiteStaging: Sendable {
    let table: StoredTables.Table

    init(_ kind: ImportKind) { table = StoredTables.table(for: kind) }

    var name: String { "staging_\(table.name)" }

    /// `seq` is the row's place in the file, so that the last row of a key wins.
    var create: String { "CREATE TEMP TABLE \(name) (seq INTEGER PRIMARY KEY, \(table.columns.joined(separator: ", ")))" }
    var drop: String { "DROP TABLE IF EXISTS temp.\(name)" }

    func insert(rows: Int) -> String {
        let tuple = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ",") + ")"
        return "INSERT INTO temp.\(name) (\(table.columns.joined(separator: ", "))) VALUES " + Array(repeating: tuple, count: rows).joined(separator: ",")
    }

    /// Every staged row in key order, then file order: a later row of the same key updates
    /// the earlier one, so the last row of each key wins, as it did batch by batch.
    var upsert: String {
        let columns = table.columns.joined(separator: ", ")
        let key = table.key.joined(separator: ", ")
        let action = "DO UPDATE SET " + table.assignments
        return """
            INSERT INTO \(table.name) (\(columns)) SELECT \(columns) FROM temp.\(name) WHERE true ORDER BY \(key), seq \
            ON CONFLICT (\(key)) \(action)
            """
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
