import Foundation
import Logging
import SamsparDomain

/// The embedded default engine: one SQLite file in WAL mode with foreign keys on.
///
/// One writing connection, used by one operation at a time (the actor and its gate), and a
/// pool of read-only ones, all through SQLite's C API (``SQLiteHandle``). Bulk imports stage the file
/// in a temporary table (on disk: `temp_store = FILE`, so a 10-million-row file does not
/// live in memory) and move it into place in key order, all inside one `BEGIN IMMEDIATE`
/// transaction, so a file is all-or-nothing and the WAL keeps readers going meanwhile.
public actor SQLiteStore: SamsparStore, SQLEngine {
    public nonisolated var engine: StoreEngine { StoreEngine(sql: self) }

    /// The writer. Its calls block, so they run on ``SQLiteExecutor``: a transaction runs
    /// there whole (``inTransaction(_:)``).
    nonisolated let connection: SQLiteHandle
    public let path: String
    /// Chains the audit log (issue 7); `nil` only for tests of history written before keys.
    public nonisolated let auditKey: AuditKey?
    private var isClosed = false
    /// One operation at a time on the one connection (the actor alone would interleave
    /// statements of two callers at every `await`).
    let gate = SerialGate()
    static let readerCount = 4
    /// The pages of the database this store keeps in memory (``PageCache``).
    public nonisolated let pageCache: PageCache
    /// The read-only connections of ``read(_:)`` and of the reports (issue 27), opened on
    /// first use.
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
        let connection: SQLiteHandle
        do {
            connection = try await withTaskExecutorPreference(SQLiteExecutor.writer) {
                try SQLiteHandle(
                    path: path, mode: .readWrite,
                    pragmas: [
                        "PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL",
                        "PRAGMA cache_size = -\(pageCache.writerKiB)", "PRAGMA temp_store = FILE",
                    ])
            }
        } catch {
            throw StoreError.cannotOpen(path, reason: "\(error)")
        }
        let store = SQLiteStore(connection: connection, path: path, auditKey: auditKey, pageCache: pageCache)
        do {
            if migrate { try await store.migrate() }
        } catch {
            connection.close()
            throw StoreError.cannotOpen(path, reason: "\(error)")
        }
        return store
    }

    init(connection: SQLiteHandle, path: String, auditKey: AuditKey?, pageCache: PageCache = .standard) {
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
        connection.close()
    }

    /// The embedded engine has no round trips to save: one read as any other.
    nonisolated func readOneStatement<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await read(body)
    }

    /// Off the actor, through SQLite's C API (issue 27): a read checks out a connection of
    /// ``readers``, and its `BEGIN`, queries (each statement prepared once per connection and
    /// reused) and `COMMIT` run as one job on ``SQLiteExecutor``, in one read transaction
    /// (a consistent snapshot beside the writer).
    nonisolated func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let reader = try await readers.checkOut()
        defer { readers.checkIn(reader) }
        let session = SQLiteSession(connection: reader, auditKey: auditKey)
        return try await withTaskExecutorPreference(SQLiteExecutor.readers) {
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
    /// consistent snapshot beside the writer), on ``SQLiteExecutor``: the report's loader,
    /// which steps through its rows itself.
    nonisolated func withReader<T: Sendable>(_ body: @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        let reader = try await readers.checkOut()
        defer { readers.checkIn(reader) }
        return try await withTaskExecutorPreference(SQLiteExecutor.readers) {
            try reader.execute("BEGIN")
            do {
                let result = try body(reader)
                try reader.execute("COMMIT")
                return result
            } catch {
                try? reader.execute("ROLLBACK")
                throw error
            }
        }
    }

    // MARK: Helpers

    /// A statement on the writer, prepared for this one use (schema changes, pragmas, the
    /// import's one-off statements); ``SQLiteSession`` keeps its statements.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue] = []) throws -> [SQLRow] {
        try connection.query(sql, binds, keep: false)
    }

    /// One write transaction, holding the gate, run whole on ``SQLiteExecutor`` (the actor
    /// runs on a task's preferred executor): the writer's calls block there, not on Swift's
    /// cooperative threads.
    /// `afterwards` runs on the writer once the transaction has ended, committed or not,
    /// before the next write may begin.
    func inTransaction<T>(afterwards: (() -> Void)? = nil, _ body: () async throws -> T) async throws -> T {
        try await serially(gate) {
            try await withTaskExecutorPreference(SQLiteExecutor.writer) {
                defer { afterwards?() }
                try connection.execute("BEGIN IMMEDIATE")
                do {
                    let result = try await body()
                    try connection.execute("COMMIT")
                    return result
                } catch {
                    try? connection.execute("ROLLBACK")
                    throw error
                }
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
            if !Mutant.flips("retention.rewriteFile") { _ = try await withTaskExecutorPreference(SQLiteExecutor.writer) { try query("VACUUM") } }
            for attempt in 0..<300 {
                let row = try await withTaskExecutorPreference(SQLiteExecutor.writer) { try query("PRAGMA wal_checkpoint(TRUNCATE)").first }
                if row?["busy"] == .int(0) {
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
        _ = try await withTaskExecutorPreference(SQLiteExecutor.writer) {
            try query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        }
        return try await inTransaction {
            let applied = Set(try query("SELECT version FROM schema_migrations").compactMap { $0["version"].int.map(Int.init) })
            let known = SQLiteMigrations.all.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known { throw StoreError.schemaTooNew(found: newest, known: known) }
            var done: [Int] = []
            for migration in SQLiteMigrations.all where !applied.contains(migration.version) && migration.version <= (last ?? .max) {
                for statement in migration.statements { try query(statement) }
                if migration.version == RechainMigration.version {
                    try await AuditLog.rechain(in: SQLiteSession(connection: connection, auditKey: auditKey), at: Date())
                }
                try query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.int(migration.version), .text(migration.name), .text(ISO8601DateFormatter().string(from: Date()))])
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
        return try await inTransaction(afterwards: { SQLiteStaging.discard(on: self.connection) }) {
            // A smaller page cache while a file goes in (its B-trees are written in key order,
            // so a small cache is enough), which keeps a national file near issue 10's 150 MB;
            // the sorter's memory is bounded by the same setting. Set back on the way out.
            try query("PRAGMA cache_size = -\(pageCache.importKiB)")
            do {
                try query(staging.drop)
                try query(staging.create)
                try query(SQLiteStaging.transient)
                // The file is read and checked on Swift's own threads; each batch's rows go to
                // the writer's thread in one job (SQLiteBulkWriter).
                let writer = SQLiteBulkWriter(connection: connection, staging: staging)
                let summary = try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    try await importer.run(source: source, writer: writer)
                }
                let previous = try await session.query(
                    StoredTables.previous(staging.table, staging: "temp.\(staging.name)", distinct: "IS NOT", json: "json_object", text: ""), [])
                let marks =
                    kind == .participants ? try await session.query(ProtectedIdentityMigration.changes(staging: "temp.\(staging.name)"), []) : []
                // The audit entry before the rows it records (one transaction: both or neither).
                // Its digests (32 MB for a national file) are made and freed before the
                // upsert's sorter takes its memory, so the two peaks do not add up (issue 27).
                try await scope.finish(
                    summary, previous: previous.compactMap(PreviousValue.captured), protection: marks.compactMap(ProtectionChange.init(row:)),
                    in: session)
                if let packed = PackedFactsMigration.packed(for: kind) {
                    // Each registration the file named is packed once, after the upsert, not
                    // once per row by the triggers (``PackedFactsMigration/deferred``).
                    try query("INSERT INTO \(PackedFactsMigration.deferred) (importing) VALUES (1)")
                    try query(staging.upsert)
                    try query(PackedFactsMigration.repackStaged(packed, staging: "temp.\(staging.name)"))
                    try query("DELETE FROM \(PackedFactsMigration.deferred)")
                } else {
                    try query(staging.upsert)
                }
                if kind == .participants { try query(ProtectedIdentityMigration.clearEmpty) }
                try query(staging.drop)
                try query("PRAGMA cache_size = -\(pageCache.writerKiB)")
                return summary
            } catch {
                _ = try? query("PRAGMA cache_size = -\(pageCache.writerKiB)")
                throw error
            }
        }
    }

    /// Streamed row by row (a million rows as ``SQLRow``s at once would be hundreds of MB), on
    /// the writer inside the import's transaction.
    static func registrantIndex(of organisation: Int64?, on connection: SQLiteHandle) throws -> RegistrantIndex {
        var index = RegistrantIndex()
        let filter = organisation.map { "WHERE org_number = \($0)" } ?? ""
        try connection.forEach("SELECT person_id, org_number FROM registrations \(filter) ORDER BY person_id, org_number", [], keep: false) { row in
            guard let person = row.int(0), let org = row.int(1) else { return }
            index.append(person: person, organisation: org)
        }
        return index
    }

    // MARK: Reports

    /// One row per participant of the agreement's municipalities, with that person's events
    /// of the agreement's tracks and status changes packed into integer lists
    /// (``PackedFacts``): one row instead of ten keeps the per-row cost off the hot path.
    /// Facts dated after `asOf` are left out; the rules ignore them anyway. It runs on a
    /// read-only connection, so audited reads and writes never queue behind a report.
    ///
    /// The population is read in two halves (by identity number) on two reader connections
    /// at once, so one report uses both cores (issue 10). Each half is its own snapshot, so
    /// each first reads the head of the audit log, which every write moves in its own
    /// transaction: when the two heads differ a write landed between the two snapshots, and
    /// the halves are read again (after three tries, on one connection).
    public nonisolated func reportFacts(for agreement: Agreement, asOf: Day) async throws -> [RegisteredFacts] {
        for _ in 0..<3 {
            async let first = withReader { try Self.loadHalf(0, of: agreement, asOf: asOf, on: $0) }
            async let second = withReader { try Self.loadHalf(1, of: agreement, asOf: asOf, on: $0) }
            let (a, b) = try await (first, second)
            if a.head == b.head { return RegisteredFacts.inPersonOrder(a.facts, b.facts) }
        }
        return try await withReader { try Self.loadReportFacts(for: agreement, asOf: asOf, on: $0) }
    }

    /// Every agreement's report input as of `asOf`, from one read of every registration
    /// (issue 27, part 3) in key order, each with the facts it carries, instead of a report's
    /// index seeks per person. Two reader
    /// connections each read half of the identity numbers, checked to be one snapshot as in
    /// ``reportFacts(for:asOf:)``.
    public nonisolated func reportInputs(forEach agreements: [Agreement], asOf: Day) async throws -> [ReportInput] {
        for _ in 0..<3 {
            // The identity number half of the registrations come before (the primary key's
            // order; counted on the smallest index).
            let middle = try await withReader { connection in
                try connection.query(
                    "SELECT person_id FROM registrations ORDER BY person_id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM registrations)", []
                ).first?["person_id"].int ?? Int64.max
            }
            async let first = withReader { try Self.loadEvery(agreements, asOf: asOf, from: Int64.min, to: middle, on: $0) }
            async let second = withReader { try Self.loadEvery(agreements, asOf: asOf, from: middle, to: Int64.max, on: $0) }
            let (a, b) = try await (first, second)
            if a.head == b.head {
                var inputs = a.inputs
                for i in inputs.indices { inputs[i].append(b.inputs[i]) }
                return inputs
            }
        }
        return try await withReader { try Self.loadEvery(agreements, asOf: asOf, from: Int64.min, to: Int64.max, on: $0).inputs }
    }

    /// The people with identity numbers in `from..<to`: their registrations made by `asOf`,
    /// each with its events and status changes dated by then.
    private static func loadEvery(_ agreements: [Agreement], asOf: Day, from: Int64, to: Int64, on connection: SQLiteHandle) throws -> (
        head: Int64?, inputs: [ReportInput]
    ) {
        // The first statement of the transaction fixes its snapshot.
        let head = try connection.query("SELECT max(seq) AS head FROM audit_log", []).first?["head"].int
        let kinds = try organisationKinds(on: connection)
        let trackRows = try connection.query("SELECT id, agreement_id, code FROM tracks", []).compactMap { row -> (id: Int, agreement: String, code: String)? in
            guard let id = row["id"].int, let agreement = row["agreement_id"].text, let code = row["code"].text else { return nil }
            return (Int(id), agreement, code)
        }
        var builder = EveryReportBuilder(Populations(agreements), asOf: asOf, trackRows: trackRows)
        let binds: [SQLValue] = [.int(Int64(asOf.ordinal)), .int(from), .int(to)]
        try connection.forEach(EveryReportQuery.registrations, binds) { row in
            let (person, org) = (row.int64(0), row.int64(1))
            let registration = Registration.reportRow(
                person: person, org: org, sexExplicit: row.int64(2) == 1, male: row.int64(3) == 1, municipality: row.int64(4),
                firstPermit: row.int64(5), registeredOn: row.int64(6), exitedOn: row.int(7), upperSecondary: row.int64(8) == 1,
                kind: kinds[org], changed: row.int64(9))
            row.withBytes(10) { events in row.withBytes(11) { builder.add(registration, packedEvents: events, packedStatuses: $0) } }
        }
        return (head, builder.finish())
    }

    /// Each organisation's kind, by organisation number: the reports look it up here rather
    /// than joining it to every registration (``ReportQuery``).
    private static func organisationKinds(on connection: SQLiteHandle) throws -> [Int64: OrganisationKind] {
        var kinds: [Int64: OrganisationKind] = [:]
        for row in try connection.query("SELECT org_number, kind FROM organisations", []) {
            if let org = row["org_number"].int, let kind = row["kind"].text.flatMap(OrganisationKind.init(rawValue:)) { kinds[org] = kind }
        }
        return kinds
    }

    private static func loadHalf(_ part: Int, of agreement: Agreement, asOf: Day, on connection: SQLiteHandle) throws -> (
        head: Int64?, facts: [RegisteredFacts]
    ) {
        // The first statement of the transaction fixes its snapshot.
        let head = try connection.query("SELECT max(seq) AS head FROM audit_log", []).first?["head"].int
        return (head, try loadReportFacts(for: agreement, asOf: asOf, part: part, parts: 2, on: connection))
    }

    private static func loadReportFacts(
        for agreement: Agreement, asOf: Day, part: Int = 0, parts: Int = 1, on connection: SQLiteHandle
    ) throws -> [RegisteredFacts] {
        var trackIndex: [Int: Int] = [:]
        for row in try connection.query("SELECT id, code FROM tracks WHERE agreement_id = ?", [.text(agreement.id)]) {
            if let id = row["id"].int, let code = row["code"].text, let index = agreement.tracks.firstIndex(where: { $0.code == code }) {
                trackIndex[Int(id)] = index
            }
        }
        let kinds = try organisationKinds(on: connection)
        var builder = PackedFacts.Builder(asOf: asOf)
        var columns: [Int32]?
        let names = [
            "person_id", "org_number", "sex_explicit", "sex", "municipality", "first_permit_date", "registered_on", "exited_on",
            "upper_secondary_completed", "changed", "events", "statuses",
        ]
        try connection.forEach(
            ReportQuery.sql(municipalities: agreement.municipalities, asOf: "?1", part: part, parts: parts),
            [.int(Int64(asOf.ordinal))]
        ) { row in
            if columns == nil { columns = names.map { row.index(of: $0) ?? -1 } }
            let c = columns ?? []
            guard let id = row.int(c[0]), let org = row.int(c[1]) else { return }
            let registration = Registration.reportRow(
                person: id, org: org, sexExplicit: row.int(c[2]) == 1, male: row.int(c[3]) == 1, municipality: row.int(c[4]) ?? 0,
                firstPermit: row.int(c[5]) ?? 0, registeredOn: row.int(c[6]) ?? 0, exitedOn: row.int(c[7]), upperSecondary: row.int(c[8]) == 1,
                kind: kinds[org], changed: row.int(c[9]) ?? 0)
            row.withBytes(c[10]) { events in row.withBytes(c[11]) { builder.add(registration, events: events, statuses: $0, trackIndex: trackIndex) } }
        }
        return builder.facts
    }
}

/// A connection of the store seen through ``SQLSession``, inside a transaction the store
/// opened: the writer's, or a reader's (which SQLite itself keeps from writing,
/// `query_only`). Its statements are prepared once and kept, and run where they are called.
struct SQLiteSession: SQLSession {
    let connection: SQLiteHandle
    let auditKey: AuditKey?

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try connection.query(sql, binds, rewrite: true)
    }

    func forEachRow(_ sql: String, _ binds: [SQLValue], _ body: (SQLColumns) throws -> Void) async throws {
        try connection.forEach(sql, binds, rewrite: true) { try body(SQLColumns(cursor: $0)) }
    }

    func inOneProcess() async throws {}
    func lockAuditChain() async throws {}
    func lock(_ name: String) async throws {}
    func restartIdentity(_ table: String, column: String) async throws {}

    /// As one JSON array of `[person, org]` per 100,000 rows, unpacked by `json_each`.
    /// Entry by entry: each step costs no round trip here.
    func insertAuditSubjects(_ entries: [AuditSubjects]) async throws {
        for entry in entries {
            let (seq, subjects, salts) = (entry.seq, entry.subjects, entry.salts)
            for chunk in subjects.chunked(100_000) {
                var json = "["
                json.reserveCapacity(chunk.count * 62)
                for i in chunk.indices {
                    if i > chunk.startIndex { json += "," }
                    json += "[\(chunk[i].person),\(chunk[i].org),\"\(salts[i].hex)\"]"
                }
                json += "]"
                _ = try connection.query(
                    "INSERT INTO audit_subjects (seq, person_id, org_number, salt) SELECT ?1, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2)",
                    [.int(seq), .text(json)])
            }
        }
    }

    var randomSaltSQL: String { "lower(hex(randomblob(16)))" }
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
