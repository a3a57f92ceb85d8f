import Foundation
import Logging
import SQLiteNIO
import SamsparDomain

/// The embedded default engine: one SQLite file in WAL mode with foreign keys on.
///
/// One connection, used by one operation at a time (the actor). Bulk imports write
/// multi-row upserts of up to ``Importer/batchSize`` rows inside one `BEGIN IMMEDIATE`
/// transaction, so a file is all-or-nothing and the WAL keeps readers going meanwhile.
public actor SQLiteStore: SamsparStore {
    let connection: SQLiteConnection
    public let path: String
    private var isClosed = false
    /// One operation at a time on the one connection (the actor alone would interleave
    /// statements of two callers at every `await`).
    let gate = SerialGate()
    /// Read-only connections for ``read(_:)``, opened on first use.
    private var idleReaders: [SQLiteConnection] = []
    private var openReaders: [SQLiteConnection] = []
    private var readerWaiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    static let readerCount = 4

    /// Opens (creating if needed) the file and applies pending migrations: the embedded
    /// default migrates itself on first use (STYLE §6).
    public static func open(path: String, migrate: Bool = true, logger: Logger = Logger(label: "samspar.sqlite")) async throws -> SQLiteStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StoreError.cannotOpen(path, reason: "the folder \(directory) does not exist")
            }
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StoreError.cannotOpen(path, reason: "\(error)")
        }
        let store = SQLiteStore(connection: connection, path: path)
        do {
            for pragma in [
                "PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 5000",
                "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY",
            ] {
                _ = try await connection.query(pragma)
            }
            if migrate { try await store.migrate() }
        } catch {
            try? await connection.close()
            throw StoreError.cannotOpen(path, reason: "\(error)")
        }
        return store
    }

    init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    public func close() async throws {
        guard !isClosed else { return }
        isClosed = true
        for reader in openReaders { try? await reader.close() }
        openReaders = []
        idleReaders = []
        try await connection.close()
    }

    /// Off the actor: only the check-out and check-in of a connection are isolated, so reads
    /// run in parallel on the pool.
    public nonisolated func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let reader = try await checkOutReader()
        let session = SQLiteSession(connection: reader)
        do {
            _ = try await reader.query("BEGIN")
            let result = try await body(session)
            _ = try await reader.query("COMMIT")
            await checkIn(reader)
            return result
        } catch {
            _ = try? await reader.query("ROLLBACK")
            await checkIn(reader)
            throw error
        }
    }

    private func checkOutReader() async throws -> SQLiteConnection {
        if let reader = idleReaders.popLast() { return reader }
        if openReaders.count < Self.readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path))
            openReaders.append(reader)
            do {
                for pragma in ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000", "PRAGMA cache_size = -16384"] { _ = try await reader.query(pragma) }
            } catch {
                openReaders.removeLast()
                try? await reader.close()
                throw error
            }
            return reader
        }
        return await withCheckedContinuation { readerWaiters.append($0) }
    }

    private func checkIn(_ reader: SQLiteConnection) {
        if readerWaiters.isEmpty {
            idleReaders.append(reader)
        } else {
            readerWaiters.removeFirst().resume(returning: reader)
        }
    }

    // MARK: Helpers

    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, binds)
    }

    func inTransaction<T>(_ body: () async throws -> T) async throws -> T {
        try await serially(gate) {
            try await query("BEGIN IMMEDIATE")
            do {
                let result = try await body()
                try await query("COMMIT")
                return result
            } catch {
                _ = try? await query("ROLLBACK")
                throw error
            }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let session = SQLiteSession(connection: connection)
        return try await inTransaction { try await body(session) }
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [Int] {
        try await query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        return try await inTransaction {
            let applied = Set(try await query("SELECT version FROM schema_migrations").compactMap { $0.column("version")?.integer })
            let known = SQLiteMigrations.all.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known { throw StoreError.schemaTooNew(found: newest, known: known) }
            var done: [Int] = []
            for migration in SQLiteMigrations.all where !applied.contains(migration.version) {
                for statement in migration.statements { try await query(statement) }
                try await query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(migration.version), .text(migration.name), .text(ISO8601DateFormatter().string(from: Date()))])
                done.append(migration.version)
            }
            return done
        }
    }

    // MARK: Agreements

    public func importAgreement(_ agreement: Agreement, document: Data, importedAt: Date) async throws -> AgreementImportResult {
        try await inTransaction {
            let versions = try await agreementVersions(id: agreement.id)
            if let newest = versions.last, newest.agreement == agreement {
                return AgreementImportResult(id: agreement.id, version: newest.version, change: .unchanged)
            }
            let version = (versions.last?.version ?? 0) + 1
            if versions.isEmpty {
                try await query("INSERT INTO agreements (id, current_version) VALUES (?, ?)", [.text(agreement.id), .integer(version)])
            } else {
                try await query("UPDATE agreements SET current_version = ? WHERE id = ?", [.integer(version), .text(agreement.id)])
            }
            try await query(
                "INSERT INTO agreement_versions (agreement_id, version, valid_from, document, imported_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(agreement.id), .integer(version), .integer(Int(agreement.validFrom.ordinal)),
                    .text(String(decoding: document, as: UTF8.self)), .text(ISO8601DateFormatter().string(from: importedAt)),
                ])
            for party in agreement.parties {
                try await query(
                    """
                    INSERT INTO organisations (org_number, name, kind, municipality_code) VALUES (?, ?, ?, ?)
                    ON CONFLICT (org_number) DO UPDATE SET name = excluded.name, kind = excluded.kind, municipality_code = excluded.municipality_code
                    """,
                    [
                        .integer(Int(party.orgNumber.value)), .text(party.name), .text(party.kind.rawValue),
                        party.municipalityCode.map { .integer(Int($0.value)) } ?? .null,
                    ])
                try await query(
                    "INSERT INTO agreement_parties (agreement_id, org_number) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [.text(agreement.id), .integer(Int(party.orgNumber.value))])
            }
            for track in agreement.tracks {
                try await query(
                    "INSERT INTO tracks (agreement_id, code, name) VALUES (?, ?, ?) ON CONFLICT (agreement_id, code) DO UPDATE SET name = excluded.name",
                    [.text(agreement.id), .text(track.code), .text(track.name)])
            }
            return AgreementImportResult(id: agreement.id, version: version, change: versions.isEmpty ? .created : .revised)
        }
    }

    public func agreementVersions(id: String) async throws -> [StoredAgreement] {
        let rows = try await query("SELECT version, document FROM agreement_versions WHERE agreement_id = ? ORDER BY version", [.text(id)])
        return try rows.map { row in
            let document = Data((row.column("document")?.string ?? "").utf8)
            return StoredAgreement(agreement: try Agreement.parse(json: document), version: row.column("version")?.integer ?? 0)
        }
    }

    public func agreementIDs() async throws -> [String] {
        try await query("SELECT id FROM agreements ORDER BY id").compactMap { $0.column("id")?.string }
    }

    // MARK: Bulk import

    public func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary {
        let importer = Importer(kind: kind, currentYear: currentYear, scope: scope, progress: progress)
        let session = SQLiteSession(connection: connection)
        return try await inTransaction {
            let summary = try await importer.run(source: source, writer: SQLiteBulkWriter(store: self, recordedBy: scope.organisation))
            try await scope.beforeCommit?(session, summary)
            return summary
        }
    }

    // MARK: Reports

    /// One row per participant of the agreement's municipalities, with that person's events
    /// of the agreement's tracks and status changes packed into integer lists
    /// (``PackedFacts``): one row instead of ten keeps the driver's per-row cost off the hot
    /// path. Facts dated after `asOf` are left out; the rules ignore them anyway.
    public func reportInput(for agreement: Agreement, asOf: Day) async throws -> ReportInput {
        try await serially(gate) { try await loadReportInput(for: agreement, asOf: asOf) }
    }

    private func loadReportInput(for agreement: Agreement, asOf: Day) async throws -> ReportInput {
        let municipalities = agreement.municipalities.map { String($0.value) }.joined(separator: ",")
        let tracks = try await query("SELECT id, code FROM tracks WHERE agreement_id = ?", [.text(agreement.id)])
        var trackIndexBuilder: [Int: Int] = [:]
        for row in tracks {
            if let id = row.column("id")?.integer, let code = row.column("code")?.string,
                let index = agreement.tracks.firstIndex(where: { $0.code == code })
            {
                trackIndexBuilder[id] = index
            }
        }
        let trackIndex = trackIndexBuilder
        let asOfValue = Int(asOf.ordinal)
        let collector = Collector<PackedFacts.Builder>()
        collector.append(PackedFacts.Builder())
        try await connection.query(
            """
            SELECT p.person_id, p.sex, p.municipality, p.first_permit_date, p.registered_on, p.exited_on, p.upper_secondary_completed,
              (SELECT group_concat(\(PackedFacts.eventSQL(track: "e.track_id", kind: "e.kind", date: "e.date")))
                 FROM track_events e WHERE e.person_id = p.person_id AND e.date <= ?1) AS events,
              (SELECT group_concat(\(PackedFacts.statusSQL(status: "s.status", date: "s.date")))
                 FROM status_changes s WHERE s.person_id = p.person_id AND s.date <= ?1) AS statuses
            FROM participants p
            WHERE p.municipality IN (\(municipalities.isEmpty ? "NULL" : municipalities)) AND p.registered_on <= ?1
            """, [.integer(asOfValue)]
        ) { row in
            guard let id = row.column("person_id")?.integer else { return }
            let person = Personnummer(storedValue: Int64(id))
            collector.withFirst { builder in
                builder.participants.append(
                    ParticipantFacts(
                        person: person,
                        sex: row.column("sex")?.integer == 1 ? .male : .female,
                        municipality: Kommunkod(storedValue: Int16(row.column("municipality")?.integer ?? 0)),
                        firstPermitDate: Day(ordinal: Int32(row.column("first_permit_date")?.integer ?? 0)),
                        registeredOn: Day(ordinal: Int32(row.column("registered_on")?.integer ?? 0)),
                        exitedOn: row.column("exited_on")?.integer.map { Day(ordinal: Int32($0)) },
                        upperSecondaryCompleted: row.column("upper_secondary_completed")?.integer == 1))
                if let events = row.column("events")?.string { builder.addEvents(events, person: person, trackIndex: trackIndex) }
                if let statuses = row.column("statuses")?.string { builder.addStatuses(statuses, person: person) }
            }
        }
        return collector.items[0].input
    }

    public func export(_ kind: ImportKind, line: @escaping @Sendable (String) -> Void) async throws {
        try await serially(gate) { try await exportRows(kind, line: line) }
    }

    private func exportRows(_ kind: ImportKind, line: @escaping @Sendable (String) -> Void) async throws {
        line(ExportFormat.header(kind))
        switch kind {
        case .participants:
            try await connection.query(
                """
                SELECT person_id, given_name, family_name, sex, sex_explicit, municipality, first_permit_date, registered_on,
                       exited_on, exit_reason, upper_secondary_completed, education_level
                FROM participants ORDER BY person_id
                """, []
            ) { row in
                line(
                    ExportFormat.participant(
                        person: row.column("person_id")?.integer, givenName: row.column("given_name")?.string,
                        familyName: row.column("family_name")?.string, sex: row.column("sex")?.integer,
                        sexExplicit: row.column("sex_explicit")?.integer == 1, municipality: row.column("municipality")?.integer,
                        firstPermit: row.column("first_permit_date")?.integer, registered: row.column("registered_on")?.integer,
                        exited: row.column("exited_on")?.integer, exitReason: row.column("exit_reason")?.string,
                        upperSecondary: row.column("upper_secondary_completed")?.integer == 1, education: row.column("education_level")?.string))
            }
        case .events:
            try await connection.query(
                """
                SELECT e.person_id, t.code, t.agreement_id, e.kind, e.date, e.reason
                FROM track_events e JOIN tracks t ON t.id = e.track_id ORDER BY e.person_id
                """, []
            ) { row in
                line(
                    ExportFormat.event(
                        person: row.column("person_id")?.integer, track: row.column("code")?.string, kind: row.column("kind")?.integer,
                        date: row.column("date")?.integer, reason: row.column("reason")?.string, agreement: row.column("agreement_id")?.string))
            }
        case .statuses:
            try await connection.query("SELECT person_id, status, date FROM status_changes ORDER BY person_id, date", []) { row in
                line(ExportFormat.status(person: row.column("person_id")?.integer, status: row.column("status")?.integer, date: row.column("date")?.integer))
            }
        case .activities:
            try await connection.query("SELECT person_id, kind, start, end_date, hours_per_week, provider FROM activities ORDER BY person_id", []) { row in
                line(
                    ExportFormat.activity(
                        person: row.column("person_id")?.integer, kind: row.column("kind")?.string, start: row.column("start")?.integer,
                        end: row.column("end_date")?.integer, hours: row.column("hours_per_week")?.double, provider: row.column("provider")?.string))
            }
        }
    }

    public func agreementHistory() async throws -> [(id: String, version: Int, document: Data)] {
        try await query("SELECT agreement_id, version, document FROM agreement_versions ORDER BY agreement_id, version").map { row in
            (row.column("agreement_id")?.string ?? "", row.column("version")?.integer ?? 0, Data((row.column("document")?.string ?? "").utf8))
        }
    }

    public func counts() async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for table in ["agreements", "participants", "track_events", "status_changes", "activities"] {
            result[table] = try await query("SELECT count(*) AS n FROM \(table)").first?.column("n")?.integer ?? 0
        }
        return result
    }
}

/// The store's connection seen through ``SQLSession``, inside a transaction the store opened.
struct SQLiteSession: SQLSession {
    let connection: SQLiteConnection

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let rows = try await connection.query(
            sqlitePlaceholders(sql),
            binds.map { value -> SQLiteData in
                switch value {
                case .null: .null
                case .int(let v): .integer(Int(v))
                case .real(let v): .float(v)
                case .text(let v): .text(v)
                }
            })
        return rows.map { row in
            let columns = row.columns
            return SQLRow(
                names: columns.map(\.name),
                values: columns.map { column in
                    switch column.data {
                    case .integer(let v): .int(Int64(v))
                    case .float(let v): .real(v)
                    case .text(let v): .text(v)
                    case .blob(var buffer): .text(buffer.readString(length: buffer.readableBytes) ?? "")
                    case .null: .null
                    }
                })
        }
    }

    func lockAuditChain() async throws {}
}

/// Gathers rows handed over one by one from the driver's thread (the callback is synchronous
/// and runs before the query returns, so a lock is all the coordination needed).
final class Collector<T>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var items: [T] = []

    func append(_ item: T) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    func withFirst(_ body: (inout T) -> Void) {
        lock.lock()
        body(&items[0])
        lock.unlock()
    }
}

/// Multi-row upserts into the SQLite tables, inside the store's open transaction.
struct SQLiteBulkWriter: BulkWriter, Sendable {
    let store: SQLiteStore
    let recordedBy: Int64?

    func existingPersons(_ persons: [Int64]) async throws -> Set<Int64> {
        var found = Set<Int64>()
        for chunk in persons.chunked(900) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try await store.query("SELECT person_id FROM participants WHERE person_id IN (\(placeholders))", chunk.map { .integer(Int($0)) })
            for row in rows { if let id = row.column("person_id")?.integer { found.insert(Int64(id)) } }
        }
        return found
    }

    func access(_ persons: [Int64], for organisation: Int64, on day: Day) async throws -> [Int64: PersonAccess] {
        var result: [Int64: PersonAccess] = [:]
        for chunk in persons.chunked(900) {
            let placeholders = (0..<chunk.count).map { "?\($0 + 3)" }.joined(separator: ",")
            let rows = try await store.query(
                "SELECT person_id, \(RecordOwnership.ownerSQL("p")) = ?1 AS own, \(RecordOwnership.consentSQL(person: "p.person_id", party: "?1", day: "?2")) AS consented "
                    + "FROM participants p WHERE p.person_id IN (\(placeholders))",
                [.integer(Int(organisation)), .integer(Int(day.ordinal))] + chunk.map { .integer(Int($0)) })
            for row in rows {
                guard let id = row.column("person_id")?.integer else { continue }
                result[Int64(id)] = PersonAccess(own: row.column("own")?.integer == 1, consented: row.column("consented")?.integer == 1)
            }
        }
        return result
    }

    func tracks() async throws -> [TrackRef] {
        try await store.query("SELECT id, agreement_id, code FROM tracks").compactMap { row in
            guard let id = row.column("id")?.integer, let agreement = row.column("agreement_id")?.string,
                let code = row.column("code")?.string
            else { return nil }
            return TrackRef(agreement: agreement, code: code, id: Int64(id))
        }
    }

    private func upsert(_ table: String, columns: [String], conflict: [String], update: [String], rows: Int, binds: [SQLiteData]) async throws {
        guard rows > 0 else { return }
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let values = Array(repeating: tuple, count: rows).joined(separator: ",")
        let action = update.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + update.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try await store.query(
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values) ON CONFLICT (\(conflict.joined(separator: ", "))) \(action)",
            binds)
    }

    func write(participants: [ParticipantRecord]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(participants.count * 12)
        for p in participants {
            binds += [
                .integer(Int(p.person.value)), text(p.givenName), text(p.familyName), .integer(p.sex == .male ? 1 : 0),
                .integer(p.explicitSex == nil ? 0 : 1), .integer(Int(p.municipality.value)), day(p.firstPermitDate),
                day(p.registeredOn), day(p.exitedOn), text(p.exitReason), .integer(p.upperSecondaryCompleted ? 1 : 0),
                text(p.educationLevel), owner,
            ]
        }
        let columns = [
            "person_id", "given_name", "family_name", "sex", "sex_explicit", "municipality", "first_permit_date",
            "registered_on", "exited_on", "exit_reason", "upper_secondary_completed", "education_level", "registered_by",
        ]
        // The registering organisation never changes on update.
        try await upsert(
            "participants", columns: columns, conflict: ["person_id"], update: Array(columns.dropFirst().dropLast()), rows: participants.count,
            binds: binds)
    }

    func write(events: [(record: EventRecord, track: Int64)]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(events.count * 5)
        for (e, track) in events {
            binds += [.integer(Int(e.person.value)), .integer(Int(track)), .integer(Int(e.kind.code)), day(e.date), text(e.reason), owner]
        }
        try await upsert(
            "track_events", columns: ["person_id", "track_id", "kind", "date", "reason", "recorded_by"], conflict: ["person_id", "track_id", "kind", "date"],
            update: ["reason"], rows: events.count, binds: binds)
    }

    func write(statuses: [StatusRecord]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(statuses.count * 3)
        for s in statuses { binds += [.integer(Int(s.person.value)), day(s.date), .integer(Int(s.status.code)), owner] }
        try await upsert(
            "status_changes", columns: ["person_id", "date", "status", "recorded_by"], conflict: ["person_id", "date"], update: ["status"],
            rows: statuses.count, binds: binds)
    }

    func write(activities: [ActivityRecord]) async throws {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(activities.count * 6)
        for a in activities {
            binds += [
                .integer(Int(a.person.value)), .text(a.activity.rawValue), day(a.start), day(a.end),
                a.hoursPerWeek.map { .float($0) } ?? .null, text(a.provider), owner,
            ]
        }
        try await upsert(
            "activities", columns: ["person_id", "kind", "start", "end_date", "hours_per_week", "provider", "recorded_by"],
            conflict: ["person_id", "kind", "start"],
            update: ["end_date", "hours_per_week", "provider"], rows: activities.count, binds: binds)
    }

    private var owner: SQLiteData { recordedBy.map { .integer(Int($0)) } ?? .null }
    private func text(_ s: String?) -> SQLiteData { s.map { .text($0) } ?? .null }
    private func day(_ d: Day?) -> SQLiteData { d.map { .integer(Int($0.ordinal)) } ?? .null }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
