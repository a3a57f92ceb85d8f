import SamsparDomain

/// Row-by-row inserts into the import's staging table, inside the store's open transaction:
/// one prepared statement, bound and stepped per row as `sqlite3 .import` does it (issue 27;
/// sqlite-nio parsed a 1,000-row statement per batch and bound every value through an enum).
///
/// Rows land in a temporary table in file order (appends to one B-tree, whatever order the
/// file has); ``SQLiteStaging/upsert`` then moves the whole file into place in key order with
/// SQLite's external sorter, so each table's B-tree is written left to right instead of one
/// random page per row (issue 10: a case system writes by registration date or by kind,
/// not by key).
///
/// Its calls use the writer directly; the import's transaction holds the store's gate, and
/// the importer has at most one batch in flight, so they never overlap. Each batch is one
/// job on ``SQLiteExecutor``.
struct SQLiteBulkWriter: BulkWriter, Sendable {
    let connection: SQLiteHandle
    let staging: SQLiteStaging

    private func run<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(SQLiteExecutor.writer) { try body() }
    }

    private func query(_ sql: String, _ binds: [SQLValue] = []) async throws -> [SQLRow] {
        let connection = connection
        return try await run { try connection.query(sql, binds) }
    }

    func registrants(_ persons: [Int64]) async throws -> [Int64: [Int64]] {
        var found: [Int64: [Int64]] = [:]
        for chunk in persons.chunked(900) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try await query(
                "SELECT person_id, org_number FROM registrations WHERE person_id IN (\(placeholders))", chunk.map { .int($0) })
            for row in rows {
                if let id = row["person_id"].int, let org = row["org_number"].int { found[id, default: []].append(org) }
            }
        }
        return found
    }

    func allRegistrants(of organisation: Int64?) async throws -> RegistrantIndex {
        let connection = connection
        return try await run { try SQLiteStore.registrantIndex(of: organisation, on: connection) }
    }

    func municipalityOrganisations() async throws -> [Int16: [Int64]] {
        var result: [Int16: [Int64]] = [:]
        for row in try await query("SELECT org_number, municipality_code FROM organisations WHERE kind = 'municipality'") {
            if let org = row["org_number"].int, let code = row["municipality_code"].int { result[Int16(code), default: []].append(org) }
        }
        return result
    }

    func nextChange() async throws -> Int64 {
        try await query("UPDATE registration_changes SET n = n + 1 WHERE id = 1 RETURNING n").first?["n"].int ?? 1
    }

    func agreementDocuments() async throws -> [String] {
        try await query("SELECT document FROM agreement_versions WHERE deleted_at IS NULL").compactMap { $0["document"].text }
    }

    func tracks() async throws -> [TrackRef] {
        try await query("SELECT id, agreement_id, code FROM tracks").compactMap { row in
            guard let id = row["id"].int, let agreement = row["agreement_id"].text, let code = row["code"].text else { return nil }
            return TrackRef(agreement: agreement, code: code, id: id)
        }
    }

    /// Stages `rows`, `bind` giving each row's values in the staging table's column order.
    private func stage<Row: Sendable>(_ rows: [Row], _ bind: @escaping @Sendable (inout SQLiteBinder, Row) -> Void) async throws {
        guard !rows.isEmpty else { return }
        let connection = connection
        let sql = staging.insertRow
        try await run { try connection.insert(sql, rows: rows.count) { binder, i in bind(&binder, rows[i]) } }
    }

    func write(participants: [Owned<ParticipantRecord>], changed: Int64) async throws {
        try await stage(participants) { b, owned in
            let p = owned.value
            b.int(p.person.value)
            b.int(owned.org)
            b.text(p.givenName)
            b.text(p.familyName)
            b.int(p.sex == .male ? 1 : 0)
            b.int(p.explicitSex == nil ? 0 : 1)
            b.int(Int64(p.municipality.value))
            b.int(Self.day(p.firstPermitDate))
            b.int(Self.day(p.registeredOn))
            b.int(Self.day(p.exitedOn))
            b.text(p.exitReason)
            b.int(p.upperSecondaryCompleted ? 1 : 0)
            b.text(p.educationLevel)
            b.int(changed)
            b.text(ProtectedIdentityMigration.staged(p.protected))
        }
    }

    func write(events: [Owned<TrackedEvent>]) async throws {
        try await stage(events) { b, owned in
            let e = owned.value.record
            b.int(e.person.value)
            b.int(owned.org)
            b.int(owned.value.track)
            b.int(Int64(e.kind.code))
            b.int(Self.day(e.date))
            b.text(e.reason)
        }
    }

    func write(statuses: [Owned<StatusRecord>]) async throws {
        try await stage(statuses) { b, owned in
            let s = owned.value
            b.int(s.person.value)
            b.int(owned.org)
            b.int(Self.day(s.date))
            b.int(Int64(s.status.code))
        }
    }

    func write(activities: [Owned<ActivityRecord>]) async throws {
        try await stage(activities) { b, owned in
            let a = owned.value
            b.int(a.person.value)
            b.int(owned.org)
            b.text(a.activity.rawValue)
            b.int(Self.day(a.start))
            b.int(Self.day(a.end))
            b.real(a.hoursPerWeek)
            b.text(a.provider)
        }
    }

    private static func day(_ d: Day?) -> Int64? { d.map { Int64($0.ordinal) } }
}

/// The temporary table a file is staged in, and the statements that fill it and move it
/// into place.
struct SQLiteStaging: Sendable {
    let table: StoredTables.Table

    init(_ kind: ImportKind) { table = StoredTables.table(for: kind) }

    var name: String { "staging_\(table.name)" }

    /// `seq` is the row's place in the file, so that the last row of a key wins.
    var create: String { "CREATE TEMP TABLE \(name) (seq INTEGER PRIMARY KEY, \(table.columns.joined(separator: ", ")))" }

    /// The staged rows are a copy that lives only as long as the import (issue 27). SQLite
    /// as built here overwrites every freed page with zeros (`SQLITE_SECURE_DELETE`), which
    /// an erasure needs in the database file; for the staging table it zeroed a national
    /// activities file's 9.8 million rows again when they were dropped, and wrote those
    /// pages at the commit: 4 of the import's 31 s of SQLite's own work (BENCHMARKS.md).
    /// So the temporary database, private to the writer's connection and never copied,
    /// frees its pages without zeroing them, and ``discard(on:)`` closes it after every
    /// import, committed or not: the file, unlinked when it was made, goes with what it held,
    /// as the sorter's spill files of the same import already do. The database file keeps
    /// zeroing what it frees.
    static let transient = "PRAGMA temp.secure_delete = OFF"

    /// Closes the connection's temporary database (changing where temporary tables live
    /// closes it; they are set back at once). Outside a transaction only.
    static func discard(on connection: SQLiteHandle) {
        _ = try? connection.execute("PRAGMA temp_store = MEMORY")
        _ = try? connection.execute("PRAGMA temp_store = FILE")
    }
    var drop: String { "DROP TABLE IF EXISTS temp.\(name)" }

    /// One row; `seq` is SQLite's next rowid, so rows keep their order in the file.
    var insertRow: String {
        "INSERT INTO temp.\(name) (\(table.columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: table.columns.count).joined(separator: ",") + ")"
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
