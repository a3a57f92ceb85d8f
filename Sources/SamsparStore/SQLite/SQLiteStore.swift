import Foundation
import Logging
import SQLiteNIO
import SamsparDomain

/// The embedded default engine: one SQLite file in WAL mode with foreign keys on.
///
/// One connection, used by one operation at a time (the actor). Bulk imports stage the file
/// in a temporary table (on disk: `temp_store = FILE`, so a 10-million-row file does not
/// live in memory) and move it into place in key order, all inside one `BEGIN IMMEDIATE`
/// transaction, so a file is all-or-nothing and the WAL keeps readers going meanwhile.
public actor SQLiteStore: SamsparStore, SQLEngine {
    public nonisolated var engine: StoreEngine { StoreEngine(sql: self) }

    let connection: SQLiteConnection
    public let path: String
    /// Chains the audit log (issue 7); `nil` only for tests of history written before keys.
    public nonisolated let auditKey: AuditKey?
    private var isClosed = false
    /// One operation at a time on the one connection (the actor alone would interleave
    /// statements of two callers at every `await`).
    let gate = SerialGate()
    /// Read-only connections for ``read(_:)``, opened on first use.
    private var idleReaders: [SQLiteConnection] = []
    private var openReaders: [SQLiteConnection] = []
    private var readerWaiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    static let readerCount = 4
    /// The pages of the database this store keeps in memory (``PageCache``).
    public nonisolated let pageCache: PageCache
    /// The read-only connections of ``read(_:)`` (issue 27), opened on first use.
    nonisolated let readers: SQLiteReaderPool

    /// Opens (creating if needed) the file and applies pending migrations: the embedded
    /// default migrates itself on first use (STYLE §6).
    public static func open(
        path: String, migrate: Bool = true, auditKey: AuditKey? = nil, pageCache: PageCache = .standard,
        logger: Logger = Logger(label: "samspar.sqlite")
    ) async throws -> SQLiteStore {
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
        let store = SQLiteStore(connection: connection, path: path, auditKey: auditKey, pageCache: pageCache)
        do {
            for pragma in [
                "PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 5000",
                "PRAGMA cache_size = -\(pageCache.writerKiB)", "PRAGMA temp_store = FILE",
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

    init(connection: SQLiteConnection, path: String, auditKey: AuditKey?, pageCache: PageCache = .standard) {
        self.connection = connection
        self.path = path
        self.auditKey = auditKey
        self.pageCache = pageCache
        readers = SQLiteReaderPool(path: path, cacheKiB: pageCache.readerKiB, limit: Self.readerCount)
    }

    public func close() async throws {
        guard !isClosed else { return }
        isClosed = true
        readers.close()
        for reader in openReaders { try? await reader.close() }
        openReaders = []
        idleReaders = []
        try await connection.close()
    }

    /// Off the actor, through SQLite's C API (issue 27): a read checks out a connection of
    /// ``readers``, and its `BEGIN`, queries (each statement prepared once per connection and
    /// reused) and `COMMIT` run as one job on ``SQLiteReadExecutor``, in one read transaction
    /// (a consistent snapshot beside the writer).
    nonisolated func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let reader = try await readers.checkOut()
        defer { readers.checkIn(reader) }
        let session = SQLiteReaderSession(reader: reader, auditKey: auditKey)
        return try await withTaskExecutorPreference(SQLiteReadExecutor.shared) {
            try reader.execute("BEGIN")
            do {
                let result = try await body(session)
                try reader.execute("COMMIT")
                return result
            } catch {
                try? reader.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on a read-only connection of the pool, in one read transaction (a
    /// consistent snapshot beside the writer).
    nonisolated func withReader<T: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let reader = try await checkOutReader()
        do {
            _ = try await reader.query("BEGIN")
            let result = try await body(reader)
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
                for pragma in ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000", "PRAGMA cache_size = -\(pageCache.readerKiB)"] {
                    _ = try await reader.query(pragma)
                }
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

    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let session = SQLiteSession(connection: connection, auditKey: auditKey)
        return try await inTransaction { try await body(session) }
    }

    /// VACUUM rewrites every page of the file from the live rows (freed pages, freed cells
    /// and the keys interior B-tree pages kept of deleted rows all go), then a TRUNCATE
    /// checkpoint empties the write-ahead log. A reader of another process (serve) holding an
    /// old snapshot keeps the log from emptying; it is tried for 30 seconds.
    public func reclaimRemoved() async throws -> String {
        try await serially(gate) {
            if !Mutant.flips("retention.rewriteFile") { _ = try await query("VACUUM") }
            for attempt in 0..<300 {
                let row = try await query("PRAGMA wal_checkpoint(TRUNCATE)").first
                if row?.column("busy")?.integer == 0 {
                    return "the file was rewritten (VACUUM) and its write-ahead log emptied" + (attempt > 0 ? " after \(attempt / 10) s" : "")
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            throw StoreError.cannotOpen(
                path, reason: "the write-ahead log could not be emptied in 30 s while another process reads: stop `samspar serve` and run again")
        }
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [Int] { try await migrate(through: nil) }

    /// Applies the migrations up to `last` (all when `nil`): tests build a database as an
    /// earlier samspar left it.
    @discardableResult
    func migrate(through last: Int?) async throws -> [Int] {
        try await query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        return try await inTransaction {
            let applied = Set(try await query("SELECT version FROM schema_migrations").compactMap { $0.column("version")?.integer })
            let known = SQLiteMigrations.all.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known { throw StoreError.schemaTooNew(found: newest, known: known) }
            var done: [Int] = []
            for migration in SQLiteMigrations.all where !applied.contains(migration.version) && migration.version <= (last ?? .max) {
                for statement in migration.statements { try await query(statement) }
                if migration.version == RechainMigration.version {
                    try await AuditLog.rechain(in: SQLiteSession(connection: connection, auditKey: auditKey), at: Date())
                }
                try await query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(migration.version), .text(migration.name), .text(ISO8601DateFormatter().string(from: Date()))])
                done.append(migration.version)
            }
            return done
        }
    }

    // MARK: Bulk import

    public func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary {
        let importer = Importer(kind: kind, currentYear: currentYear, scope: scope, progress: progress)
        let session = SQLiteSession(connection: connection, auditKey: auditKey)
        let staging = SQLiteStaging(kind)
        return try await inTransaction {
            // A smaller page cache while a file goes in (its B-trees are written in key order,
            // so a small cache is enough), which keeps a national file near issue 10's 150 MB;
            // the sorter's memory is bounded by the same setting. Set back on the way out.
            try await query("PRAGMA cache_size = -\(pageCache.importKiB)")
            do {
                try await query(staging.drop)
                try await query(staging.create)
                let summary = try await importer.run(source: source, writer: SQLiteBulkWriter(store: self, staging: staging))
                let previous = try await session.query(
                    StoredTables.previous(staging.table, staging: "temp.\(staging.name)", distinct: "IS NOT", json: "json_object", text: ""), [])
                let marks =
                    kind == .participants ? try await session.query(ProtectedIdentityMigration.changes(staging: "temp.\(staging.name)"), []) : []
                try await query(staging.upsert)
                if kind == .participants { try await query(ProtectedIdentityMigration.clearEmpty) }
                try await query(staging.drop)
                try await scope.finish(
                    summary, previous: previous.compactMap(PreviousValue.captured), protection: marks.compactMap(ProtectionChange.init(row:)),
                    in: session)
                try await query("PRAGMA cache_size = -\(pageCache.writerKiB)")
                return summary
            } catch {
                _ = try? await query("PRAGMA cache_size = -\(pageCache.writerKiB)")
                throw error
            }
        }
    }

    /// Streamed row by row (a million rows as `SQLiteRow`s at once would be hundreds of MB).
    func registrantIndex(of organisation: Int64?) async throws -> RegistrantIndex {
        let collector = Collector<RegistrantIndex>()
        collector.append(RegistrantIndex())
        let filter = organisation.map { "WHERE org_number = \($0)" } ?? ""
        try await connection.query("SELECT person_id, org_number FROM registrations \(filter) ORDER BY person_id, org_number", []) { row in
            guard let person = row.column("person_id")?.integer, let org = row.column("org_number")?.integer else { return }
            collector.withFirst { $0.append(person: Int64(person), organisation: Int64(org)) }
        }
        return collector.items[0]
    }

    // MARK: Reports

    /// One row per participant of the agreement's municipalities, with that person's events
    /// of the agreement's tracks and status changes packed into integer lists
    /// (``PackedFacts``): one row instead of ten keeps the driver's per-row cost off the hot
    /// path. Facts dated after `asOf` are left out; the rules ignore them anyway. It runs on a
    /// read-only connection, so audited reads and writes never queue behind a report.
    ///
    /// The population is read in two halves (by identity number) on two reader connections
    /// at once, so one report uses both cores (issue 10). Each half is its own snapshot, so
    /// each first reads the head of the audit log, which every write moves in its own
    /// transaction: when the two heads differ a write landed between the two snapshots, and
    /// the halves are read again (after three tries, on one connection).
    public nonisolated func reportFacts(for agreement: Agreement, asOf: Day) async throws -> [RegisteredFacts] {
        for _ in 0..<3 {
            async let first = withReader { try await Self.loadHalf(0, of: agreement, asOf: asOf, on: $0) }
            async let second = withReader { try await Self.loadHalf(1, of: agreement, asOf: asOf, on: $0) }
            let (a, b) = try await (first, second)
            if a.head == b.head { return a.facts + b.facts }
        }
        return try await withReader { try await Self.loadReportFacts(for: agreement, asOf: asOf, on: $0) }
    }

    private static func loadHalf(_ part: Int, of agreement: Agreement, asOf: Day, on connection: SQLiteConnection) async throws -> (
        head: Int?, facts: [RegisteredFacts]
    ) {
        // The first statement of the transaction fixes its snapshot.
        let head = try await connection.query("SELECT max(seq) AS head FROM audit_log").first?.column("head")?.integer
        return (head, try await loadReportFacts(for: agreement, asOf: asOf, part: part, parts: 2, on: connection))
    }

    private static func loadReportFacts(
        for agreement: Agreement, asOf: Day, part: Int = 0, parts: Int = 1, on connection: SQLiteConnection
    ) async throws -> [RegisteredFacts] {
        let tracks = try await connection.query("SELECT id, code FROM tracks WHERE agreement_id = ?", [.text(agreement.id)])
        var trackIndexBuilder: [Int: Int] = [:]
        for row in tracks {
            if let id = row.column("id")?.integer, let code = row.column("code")?.string,
                let index = agreement.tracks.firstIndex(where: { $0.code == code })
            {
                trackIndexBuilder[id] = index
            }
        }
        let trackIndex = trackIndexBuilder
        let collector = Collector<PackedFacts.Builder>()
        collector.append(PackedFacts.Builder())
        try await connection.query(
            ReportQuery.sql(
                municipalities: agreement.municipalities,
                events: "group_concat(\(PackedFacts.eventSQL(track: "e.track_id", kind: "e.kind", date: "e.date")))",
                statuses: "group_concat(\(PackedFacts.statusSQL(status: "s.status", date: "s.date")))", asOf: "?1", part: part, parts: parts),
            [.integer(Int(asOf.ordinal))]
        ) { row in
            guard let id = row.column("person_id")?.integer, let org = row.column("org_number")?.integer else { return }
            let person = Personnummer(storedValue: Int64(id))
            let explicit = row.column("sex_explicit")?.integer == 1
            let registration = Registration(
                record: ParticipantRecord(
                    person: person, givenName: nil, familyName: nil,
                    explicitSex: explicit ? (row.column("sex")?.integer == 1 ? .male : .female) : nil,
                    municipality: Kommunkod(storedValue: Int16(row.column("municipality")?.integer ?? 0)),
                    firstPermitDate: Day(ordinal: Int32(row.column("first_permit_date")?.integer ?? 0)),
                    registeredOn: Day(ordinal: Int32(row.column("registered_on")?.integer ?? 0)),
                    exitedOn: row.column("exited_on")?.integer.map { Day(ordinal: Int32($0)) }, exitReason: nil,
                    upperSecondaryCompleted: row.column("upper_secondary_completed")?.integer == 1, educationLevel: nil),
                party: Organisationsnummer(storedValue: Int64(org)),
                partyKind: row.column("kind")?.string.flatMap(OrganisationKind.init(rawValue:)),
                changed: Int64(row.column("changed")?.integer ?? 0))
            collector.withFirst { builder in
                builder.add(registration, events: row.column("events")?.string, statuses: row.column("statuses")?.string, trackIndex: trackIndex)
            }
        }
        return collector.items[0].facts
    }
}

/// The store's connection seen through ``SQLSession``, inside a transaction the store opened.
struct SQLiteSession: SQLSession {
    let connection: SQLiteConnection
    let auditKey: AuditKey?

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
    func lock(_ name: String) async throws {}
    func restartIdentity(_ table: String, column: String) async throws {}

    /// As one JSON array of `[person, org]` per 100,000 rows, unpacked by `json_each`.
    func insertAuditSubjects(seq: Int64, _ subjects: [PersonParty], salts: [Chain.Salt]) async throws {
        for (chunk, saltChunk) in zip(subjects.chunked(100_000), salts.chunked(100_000)) {
            var json = "["
            json.reserveCapacity(chunk.count * 62)
            for (i, (subject, salt)) in zip(chunk, saltChunk).enumerated() {
                if i > 0 { json += "," }
                json += "[\(subject.person),\(subject.org),\"\(salt.hex)\"]"
            }
            json += "]"
            _ = try await connection.query(
                "INSERT INTO audit_subjects (seq, person_id, org_number, salt) SELECT ?1, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2)",
                [.integer(Int(seq)), .text(json)])
        }
    }

    var randomSaltSQL: String { "lower(hex(randomblob(16)))" }
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

extension SQLiteStore {
    /// How much of the database SQLite keeps in memory, in all: the writer's connection keeps
    /// half, each of the ``readerCount`` readers an eighth, and a bulk import lowers the writer's
    /// to at most 24 MiB while its file goes in (its B-trees are written in key order).
    ///
    /// The memory of a SQLite `serve` grows with its database until these caches are full, and
    /// then stays (the soak in BENCHMARKS.md measured it); an operator on a small machine lowers
    /// the total with `SAMSPAR_SQLITE_CACHE_MIB`, at the cost of reads that go to the file
    /// (or the operating system's cache) more often.
    public struct PageCache: Sendable, Equatable {
        /// In MiB, from 8 to 65,536.
        public let totalMiB: Int
        public static let standard = PageCache(totalMiB: 128)!
        public static let allowed = 8...65_536

        public init?(totalMiB: Int) {
            guard Self.allowed.contains(totalMiB) else { return nil }
            self.totalMiB = totalMiB
        }

        var writerKiB: Int { totalMiB * 1024 / 2 }
        var readerKiB: Int { totalMiB * 1024 / 8 }
        var importKiB: Int { min(24 * 1024, writerKiB) }
    }
}
