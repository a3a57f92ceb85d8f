import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SamsparDomain

/// The PostgreSQL engine: the same tables, keys and behaviour as ``SQLiteStore``.
///
/// A store is either one connection, used by one operation at a time (each `samspar`
/// command opens one), or a pool of connections (`PostgresClient`), each operation on a
/// connection of its own: `samspar serve` opens a pool sized by `--db-pool` (issue 10,
/// part 4). Bulk imports stream every batch into a temporary staging table with
/// `COPY … FROM STDIN` and move the whole file into place with one `INSERT … SELECT … ON
/// CONFLICT DO UPDATE` in key order, inside one transaction: all or nothing, idempotent, and
/// safe beside another process importing an overlapping file (conflicts are resolved by the
/// upsert; the upsert phases of imports that write registrations are serialised with one
/// advisory lock, so two imports cannot deadlock: ``PackedFactsMigration/writersLock``).
public final class PostgreSQLStore: SamsparStore, SQLEngine {
    public var engine: StoreEngine { StoreEngine(sql: self) }

    enum Connections: Sendable {
        /// One connection; the gate lets one operation use it at a time.
        case one(PostgresConnection, SerialGate)
        /// A pool, and the task that runs it (cancelled on close).
        case pool(PostgresClient, Task<Void, Never>, size: Int)
    }

    let connections: Connections
    let logger: Logger
    public let location: DatabaseURL.PostgresLocation
    /// Chains the audit log (issue 7); `nil` only for tests of history written before keys.
    public let auditKey: AuditKey?
    private let isClosed = Locked(false)
    /// How many reports may read in two halves at once (half the pool; none on one connection).
    private let splitPermits: Locked<Int>

    /// Connects (failing within `connectTimeout` with one clear line when the server is
    /// unreachable or refuses the credentials) and, by default, applies pending migrations.
    /// With `poolSize`, the store then serves from a pool of at most that many connections;
    /// the first connection, which checked the server and migrated, is closed.
    public static func open(
        _ location: DatabaseURL.PostgresLocation, migrate: Bool = true, auditKey: AuditKey? = nil, connectTimeout: TimeAmount = .seconds(5),
        poolSize: Int? = nil, logger: Logger = Logger(label: "samspar.postgres")
    ) async throws -> PostgreSQLStore {
        let what = DatabaseURL.postgres(location).description
        let tls: PostgresConnection.Configuration.TLS
        do { tls = try Self.tls(location) } catch { throw StoreError.cannotOpen(what, reason: "TLS: \(error)") }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw StoreError.cannotOpen(what, reason: PostgreSQLStore.describe(error))
        }
        let single = PostgreSQLStore(connections: .one(connection, SerialGate()), location: location, auditKey: auditKey, logger: logger)
        if migrate {
            do { try await single.migrate() } catch {
                try? await connection.close()
                throw StoreError.cannotOpen(what, reason: PostgreSQLStore.describe(error))
            }
        }
        guard let poolSize else { return single }
        try? await connection.close()
        var pooled = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password, database: location.database,
            tls: try Self.clientTLS(location))
        pooled.options.maximumConnections = max(1, poolSize)
        pooled.options.minimumConnections = 0
        pooled.options.connectTimeout = .nanoseconds(connectTimeout.nanoseconds)
        let client = PostgresClient(configuration: pooled, backgroundLogger: logger)
        // Returns once the pool's task has started, so the first lease finds it running.
        let (started, didStart) = AsyncStream<Void>.makeStream()
        let running = Task {
            didStart.finish()
            await client.run()
        }
        for await _ in started {}
        return PostgreSQLStore(connections: .pool(client, running, size: max(1, poolSize)), location: location, auditKey: auditKey, logger: logger)
    }

    /// The TLS of a connection (issue 10, part 4): `require` encrypts without checking the
    /// certificate; `verify-full` checks it against `sslrootcert` (or the system's
    /// authorities) and the host name or address in the URL. `nil`: plain.
    static func tlsConfiguration(_ location: DatabaseURL.PostgresLocation) throws -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return nil
        case .require: configuration.certificateVerification = .none
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            if let path = location.rootCertificate {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            }
        }
        return configuration
    }

    /// The one connection's TLS (a context made from ``tlsConfiguration(_:)``).
    static func tls(_ location: DatabaseURL.PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = try tlsConfiguration(location) else { return .disable }
        return .require(try NIOSSLContext(configuration: configuration))
    }

    /// The pool's TLS, which takes the configuration itself.
    static func clientTLS(_ location: DatabaseURL.PostgresLocation) throws -> PostgresClient.Configuration.TLS {
        guard let configuration = try tlsConfiguration(location) else { return .disable }
        return .require(configuration)
    }

    /// Creates an empty database on the server (provisioning, and a fresh database per test).
    /// The name must be a plain identifier: lower-case letters, digits and `_`.
    public static func createDatabase(named name: String, on server: DatabaseURL.PostgresLocation) async throws {
        guard let first = name.first, first.isLetter, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw StoreError.badURL(name, reason: "a database name must be lower-case letters, digits and _")
        }
        let admin = try await open(server, migrate: false)
        do {
            try await admin.lease { try await $0.execute("CREATE DATABASE \(name)") }
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
    }

    init(connections: Connections, location: DatabaseURL.PostgresLocation, auditKey: AuditKey?, logger: Logger) {
        self.connections = connections
        if case .pool(_, _, let size) = connections { splitPermits = Locked(size / 2) } else { splitPermits = Locked(0) }
        self.location = location
        self.auditKey = auditKey
        self.logger = logger
    }

    public func close() async throws {
        guard
            isClosed.withLock({ closed in
                defer { closed = true }; return !closed
            })
        else { return }
        switch connections {
        case .one(let connection, _): try await connection.close()
        case .pool(_, let running, _):
            running.cancel()
            await running.value
        }
    }

    /// A connection for `body` alone: the one connection when it is free, or one of the pool.
    func lease<T>(_ body: (PostgresLink) async throws -> T) async throws -> T {
        switch connections {
        case .one(let connection, let gate):
            return try await serially(gate) { try await body(PostgresLink(connection: connection, logger: logger)) }
        case .pool(let client, _, _):
            do {
                return try await client.withConnection { try await body(PostgresLink(connection: $0, logger: logger)) }
            } catch let error as PSQLError {
                throw PostgresFailure(message: PostgreSQLStore.describe(error), sqlState: error.serverInfo?[.sqlState])
            }
        }
    }

    /// A one-line reason from a driver error (the server's own message when there is one).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                // 40P01: PostgreSQL stopped this transaction to let another go on. Nothing of it
                // was written, and sent again it goes in (the reader is told so, not only why).
                if error.serverInfo?[.sqlState] == "40P01" {
                    return "another write of the same records ran at the same time and the database stopped this one (\(message)); send it again"
                }
                return message
            }
            if let underlying = error.underlying { return describe(underlying) }
            if error.code == .serverClosedConnection { return "the server closed the connection (is it a PostgreSQL server?)" }
            return "\(error.code)"
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve the host name \(error.host)" }
            if let first = error.connectionErrors.first {
                if let io = first.error as? IOError, io.errnoCode == ECONNREFUSED {
                    return "connection refused by \(error.host):\(error.port) (is the server running?)"
                }
                return "cannot connect to \(error.host):\(error.port): \(first.error)"
            }
        }
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "no answer within \(amount.nanoseconds / 1_000_000_000) s"
        }
        return "\(error)"
    }

    // MARK: Helpers

    func inTransaction<T>(begin: String = "BEGIN", _ body: (PostgresLink) async throws -> T) async throws -> T {
        try await lease { link in
            try await link.execute(begin)
            do {
                let result = try await body(link)
                try await link.execute("COMMIT")
                return result
            } catch {
                try? await link.execute("ROLLBACK")
                throw error
            }
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await inTransaction { try await body(PostgresSession(link: $0, auditKey: auditKey)) }
    }

    /// Each read on one snapshot (`REPEATABLE READ`), so that a long read such as `db copy`
    /// sees one state.
    func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await inTransaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try await body(PostgresSession(link: $0, auditKey: auditKey)) }
    }

    /// One statement is its own snapshot in PostgreSQL: no `BEGIN`, no `COMMIT`, one round trip
    /// for a participant's read (issue 27, part 2). The session refuses a second statement, so
    /// that nothing read here can come from two snapshots.
    func readOneStatement<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await lease { try await body(PostgresSession(link: $0, auditKey: auditKey, statements: StatementCount())) }
    }

    static func binds(_ values: [(any PostgresThrowingDynamicTypeEncodable)?]) -> PostgresBindings {
        var b = PostgresBindings()
        for value in values {
            if let value { try! b.append(value) } else { b.appendNull() }
        }
        return b
    }

    // MARK: Migrations

    /// Safe to run from several instances at once: the whole migration runs in one
    /// transaction holding an advisory lock.
    @discardableResult
    public func migrate() async throws -> [Int] { try await migrate(through: nil) }

    /// Applies the migrations up to `last` (all when `nil`): tests build a database as an
    /// earlier samspar left it.
    @discardableResult
    func migrate(through last: Int?) async throws -> [Int] {
        try await inTransaction { link in
            try await link.execute("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await link.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            let applied = Set(try await link.rows("SELECT version FROM schema_migrations").map { try $0.decode(Int.self) })
            let known = PostgreSQLMigrations.all.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known { throw StoreError.schemaTooNew(found: newest, known: known) }
            var done: [Int] = []
            for migration in PostgreSQLMigrations.all where !applied.contains(migration.version) && migration.version <= (last ?? .max) {
                for statement in migration.statements { try await link.execute(statement) }
                if migration.version == RechainMigration.version {
                    try await AuditLog.rechain(in: PostgresSession(link: link, auditKey: auditKey), at: Date())
                }
                try await link.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    Self.binds([migration.version, migration.name, ISO8601DateFormatter().string(from: Date())]))
                done.append(migration.version)
            }
            return done
        }
    }

    /// VACUUM (outside a transaction) of every table a removal touches: their dead rows'
    /// space is marked free for reuse and the visibility map updated.
    public func reclaimRemoved() async throws -> String {
        try await lease { link in
            for table in removalTables { try await link.execute("VACUUM \(table)") }
        }
        return "the tables \(removalTables.joined(separator: ", ")) were vacuumed"
    }

    static let migrationLock = 7_263_772_001
    static let importLock = 7_263_772_100
    static let auditLock = 7_263_772_200

    // MARK: Bulk import

    public func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary {
        let importer = Importer(batchSize: 20_000, kind: kind, currentYear: currentYear, scope: scope, progress: progress)
        let table = PostgresStaging.table(for: kind)
        return try await inTransaction { link in
            try await link.execute("CREATE TEMP TABLE IF NOT EXISTS \(table.staging) (LIKE \(table.name)) ON COMMIT DROP")
            try await link.execute("ALTER TABLE \(table.staging) ADD COLUMN IF NOT EXISTS seq BIGSERIAL")
            let summary = try await importer.run(source: source, writer: PostgresBulkWriter(link: link, kind: kind))
            // Upserts run one process at a time (COPY into staging ran in parallel): those that
            // write registrations, their facts included, one after another whatever their kind
            // (``PackedFactsMigration/writersLock``), the activities' among themselves.
            let session = PostgresSession(link: link, auditKey: auditKey)
            if kind == .activities {
                try await link.execute("SELECT pg_advisory_xact_lock(\(Self.importLock + ImportKind.allCases.firstIndex(of: kind)!))")
            } else {
                try await session.lock(PackedFactsMigration.writersLock)
            }
            let previous = try await session.query(
                StoredTables.previous(
                    StoredTables.table(for: kind), staging: table.staging, distinct: "IS DISTINCT FROM", json: "json_build_object", text: "::text"), [])
            let marks = kind == .participants ? try await session.query(ProtectedIdentityMigration.changes(staging: table.staging), []) : []
            do {
                try await Self.moveIntoPlace(table, on: link)
            } catch let failure as PostgresFailure where failure.sqlState == "23503" {
                throw Self.removedWhileRead(failure)
            }
            if kind == .participants { try await link.execute(ProtectedIdentityMigration.clearEmpty) }
            try await scope.finish(
                summary, previous: previous.compactMap(PreviousValue.captured), protection: marks.compactMap(ProtectionChange.init(row:)), in: session)
            return summary
        }
    }

    /// The staged rows into their table, the last row of each key winning: as a plain insert
    /// when none of the file's registrations has a row there (a first file: no speculative
    /// insert per row), else as an upsert. A key that another writer (a caseworker's single
    /// record of the same registration) stores after the look-up fails the insert with 23505;
    /// the insert is then undone to its savepoint and the rows go in by the upsert, as they
    /// always did, so the file's row still wins. Every key begins with the row's own
    /// registration (person and party), so neither the look-up nor a 23505 ever depends on
    /// another party's records: the import's path and time tell nothing of them.
    static func moveIntoPlace(_ table: PostgresStaging.Table, on link: PostgresLink) async throws {
        guard try await link.rows(table.anyStored).isEmpty else {
            try await link.execute(table.upsert)
            return
        }
        try await link.execute("SAVEPOINT samspar_insert_new")
        do {
            try await link.execute(table.insertNew)
        } catch let failure as PostgresFailure where failure.sqlState == "23505" {
            try await link.execute("ROLLBACK TO SAVEPOINT samspar_insert_new")
            try await link.execute(table.upsert)
        }
        try await link.execute("RELEASE SAVEPOINT samspar_insert_new")
    }

    /// A foreign key that fails at an import's write: the importer found everything each row
    /// names (its registration, its track, its organisation) when it read the file, so what is
    /// gone was removed since: a registration by a retention run or an erasure that held the
    /// writers' lock while this import read its file (``PackedFactsMigration/writersLock``), or
    /// a track with its draft. The constraint in PostgreSQL's words says which. Sent again, the
    /// file's rows that name nothing are listed by line.
    static func removedWhileRead(_ failure: PostgresFailure) -> PostgresFailure {
        PostgresFailure(
            message: "something the file names was removed while the file was read (a registration by retention or erasure, or a draft with its tracks); "
                + "send it again to see which rows name nothing (\(failure.message))",
            sqlState: failure.sqlState)
    }

    // MARK: Reports

    /// With a pool of two or more, the population is read in two halves (by identity number)
    /// on two connections at once, the second in the first's exported snapshot (`SET
    /// TRANSACTION SNAPSHOT`), so both halves see one state (issue 10: one report, both cores).
    public func reportFacts(for agreement: Agreement, asOf: Day) async throws -> [RegisteredFacts] {
        try await inHalves(
            whole: { try await Self.loadReportFacts(for: agreement, asOf: asOf, on: $0) },
            halves: { first, second in
                async let secondHalf = Self.loadReportFacts(for: agreement, asOf: asOf, part: 1, parts: 2, on: second)
                let firstHalf = try await Self.loadReportFacts(for: agreement, asOf: asOf, part: 0, parts: 2, on: first)
                return RegisteredFacts.inPersonOrder(firstHalf, try await secondHalf)
            })
    }

    /// Every agreement's report input from one read of every registration in key order
    /// (issue 27, part 3), each registration with the events and statuses it carries
    /// (``PackedFactsMigration``); with a pool, the lower and upper halves of the
    /// identity numbers on two connections in one snapshot.
    public func reportInputs(forEach agreements: [Agreement], asOf: Day) async throws -> [ReportInput] {
        try await inHalves(
            whole: { try await Self.loadEvery(agreements, asOf: asOf, from: Int.min, to: Int.max, on: $0) },
            halves: { first, second in
                let middle = try await first.rows(Self.middlePerson).first?.decode(Int?.self) ?? Int.max
                async let upper = Self.loadEvery(agreements, asOf: asOf, from: middle, to: Int.max, on: second)
                var inputs = try await Self.loadEvery(agreements, asOf: asOf, from: Int.min, to: middle, on: first)
                let later = try await upper
                for i in inputs.indices { inputs[i].append(later[i]) }
                return inputs
            })
    }

    /// Where the read of every report splits the identity numbers in two
    /// (``reportInputs(forEach:asOf:)``): the middle of the planner's histogram of
    /// `registrations.person_id` (`ANALYZE` draws it from rows at random), else, where the
    /// table was never analysed, the exact middle. Any number gives the same reports, since
    /// each person is whole in one half; it decides only how evenly the two cores share the
    /// work. The exact middle counted every registration first, 150 ms nationally before
    /// either half began; a sample of the table's pages was 3-36 ms but 4-7% off, since
    /// pages hold rows in the order they were imported.
    static let middlePerson = """
        SELECT COALESCE(
          (SELECT (histogram_bounds::text::bigint[])[array_length(histogram_bounds::text::bigint[], 1) / 2 + 1]
           FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'registrations' AND attname = 'person_id'),
          (SELECT person_id FROM registrations ORDER BY person_id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM registrations))) AS middle
        """

    /// A report's read: `whole` on one connection, or with a pool of two or more `halves` on
    /// two connections at once, the second in the first's exported snapshot (`SET TRANSACTION
    /// SNAPSHOT`), so both halves see one state (issue 10: one report, both cores).
    private func inHalves<T: Sendable>(
        whole: (PostgresLink) async throws -> T, halves: (PostgresLink, PostgresLink) async throws -> T
    ) async throws -> T {
        let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        // A split report holds one connection while it waits for a second: at most half the
        // pool does that at once, so the rest always frees up (no report waits on another).
        let split = splitPermits.withLock { permits -> Bool in
            guard permits > 0 else { return false }
            permits -= 1
            return true
        }
        guard split else { return try await inTransaction(begin: begin) { try await whole($0) } }
        defer { splitPermits.withLock { $0 += 1 } }
        return try await inTransaction(begin: begin) { first in
            let snapshot = try await first.rows("SELECT pg_export_snapshot()").first?.decode(String.self) ?? ""
            return try await inTransaction(begin: begin) { second in
                try await second.execute("SET TRANSACTION SNAPSHOT " + Self.literal(snapshot))
                return try await halves(first, second)
            }
        }
    }

    /// Each organisation's kind, by organisation number: the reports look it up here rather
    /// than joining it to every registration (``ReportQuery``).
    private static func organisationKinds(on link: PostgresLink) async throws -> [Int: OrganisationKind] {
        var kinds: [Int: OrganisationKind] = [:]
        for row in try await link.rows("SELECT org_number, kind FROM organisations") {
            let (org, kind) = try row.decode((Int, String).self)
            kinds[org] = OrganisationKind(rawValue: kind)
        }
        return kinds
    }

    private static func loadEvery(_ agreements: [Agreement], asOf: Day, from: Int, to: Int, on link: PostgresLink) async throws -> [ReportInput] {
        let kinds = try await organisationKinds(on: link)
        let trackRows = try await link.rows("SELECT id, agreement_id, code FROM tracks").map { row -> (id: Int, agreement: String, code: String) in
            let (id, agreement, code) = try row.decode((Int, String, String).self)
            return (id, agreement, code)
        }
        var builder = EveryReportBuilder(Populations(agreements), asOf: asOf, trackRows: trackRows)
        // Each registration carries its own events and statuses (``PackedFactsMigration``):
        // one scan of the registrations, where it was three, two of them aggregated by the server.
        let range = "person_id >= $2 AND person_id < $3"
        // The small values travel two to a cell (postgres-nio builds an object per cell, a
        // third of the client's time for a million rows): the two dates as the high and low
        // 32 bits of one number, the municipality with the three yes-or-no columns as its low
        // bits (unpacked below).
        let sql = """
            SELECT person_id, org_number,
                   (first_permit_date::bigint << 32) | (registered_on::bigint & 4294967295),
                   municipality::bigint * 8 + (sex_explicit = 1)::int * 4 + (sex = 1)::int * 2 + (upper_secondary_completed = 1)::int,
                   exited_on, changed, packed_events, packed_statuses
            FROM registrations WHERE \(range) AND registered_on <= $1
            ORDER BY person_id, org_number
            """
        // In key order from the primary key, not sorted: the planner chose a parallel scan of
        // the table and a sort that spilled to disk, so the first row came only when the whole
        // half was read and sorted (230 ms nationally), three processes on two cores. By the
        // key the rows stream from the first millisecond while Swift builds the inputs. Only
        // for this transaction (`SET LOCAL`): it reads nothing else.
        try await link.execute("SET LOCAL enable_sort = off")
        var ints = [Int64?](repeating: nil, count: 6)
        try await link.forEachRow(sql, Self.binds([Int(asOf.ordinal), from, to])) { row in
            // Cell by cell from their bytes: postgres-nio's decoding of a twelve-value tuple looked
            // up generic metadata for every value, most of the client's time in a million rows.
            // The packed facts are read where they lie in the row's buffer, as SQLite's are: two
            // strings a row were a million allocations of each half.
            var (events, statuses): (ByteBuffer?, ByteBuffer?) = (nil, nil)
            for (i, cell) in row.enumerated() {
                switch i {
                case 0..<6: ints[i] = try RawCell.int(cell)
                case 6: events = cell.bytes
                default: statuses = cell.bytes
                }
            }
            guard let person = ints[0], let org = ints[1], let dates = ints[2], let place = ints[3] else { return }
            let registration = Registration.reportRow(
                person: person, org: org, sexExplicit: place & 4 != 0, male: place & 2 != 0, municipality: place >> 3,
                firstPermit: Int64(Int32(truncatingIfNeeded: dates >> 32)), registeredOn: Int64(Int32(truncatingIfNeeded: dates)),
                exitedOn: ints[4], upperSecondary: place & 1 != 0, kind: kinds[Int(org)], changed: ints[5] ?? 0)
            RawCell.withBytes(events) { e in RawCell.withBytes(statuses) { builder.add(registration, packedEvents: e, packedStatuses: $0) } }
        }
        return builder.finish()
    }

    /// A string as an SQL literal (a snapshot id is digits and dashes; quoted all the same).
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    private static func loadReportFacts(
        for agreement: Agreement, asOf: Day, part: Int = 0, parts: Int = 1, on link: PostgresLink
    ) async throws -> [RegisteredFacts] {
        var trackIndexBuilder: [Int: Int] = [:]
        for row in try await link.rows("SELECT id, code FROM tracks WHERE agreement_id = $1", Self.binds([agreement.id])) {
            let (id, code) = try row.decode((Int, String).self)
            if let index = agreement.tracks.firstIndex(where: { $0.code == code }) { trackIndexBuilder[id] = index }
        }
        let kinds = try await organisationKinds(on: link)
        // Each person of the population by the key, never by a hash join: the planner, costing
        // random reads as four sequential ones, scanned every registration in the country to
        // find an agreement's 10,000 people (three processes, 0.22 s, 0.6 s of CPU, nationally;
        // 97 times at a first start's closes) where their keys take one process 0.09 s; 0.24 s
        // against 0.29 s on three for an agreement of 34,000 (issue 27, eleventh step). A read
        // in two halves was already planned by the key (the planner expects few people of
        // `person_id % 2`), so both ways now read alike: work that grows with the agreement's
        // population, not with the country's. Only this transaction (`SET LOCAL`): it reads
        // nothing else.
        try await link.execute("SET LOCAL enable_hashjoin = off")
        try await link.execute("SET LOCAL enable_mergejoin = off")
        var builder = PackedFacts.Builder(asOf: asOf)
        let sql = ReportQuery.sql(municipalities: agreement.municipalities, asOf: "$1", part: part, parts: parts)
        // Cell by cell from their bytes, as the one read of every report does: postgres-nio's
        // decoding of a twelve-value tuple looks up generic metadata for every value.
        var ints = [Int64?](repeating: nil, count: 10)
        try await link.forEachRow(sql, Self.binds([Int(asOf.ordinal)])) { row in
            var (events, statuses): (ByteBuffer?, ByteBuffer?) = (nil, nil)
            for (i, cell) in row.enumerated() {
                switch i {
                case 0..<10: ints[i] = try RawCell.int(cell)
                case 10: events = cell.bytes
                default: statuses = cell.bytes
                }
            }
            guard let person = ints[0], let org = ints[1] else { return }
            let registration = Registration.reportRow(
                person: person, org: org, sexExplicit: ints[4] == 1, male: ints[3] == 1, municipality: ints[5] ?? 0, firstPermit: ints[6] ?? 0,
                registeredOn: ints[7] ?? 0, exitedOn: ints[8], upperSecondary: ints[9] == 1, kind: kinds[Int(org)], changed: ints[2] ?? 0)
            RawCell.withBytes(events) { e in RawCell.withBytes(statuses) { builder.add(registration, events: e, statuses: $0, trackIndex: trackIndexBuilder) } }
        }
        return builder.facts
    }
}

/// The store's connection seen through ``SQLSession``, inside a transaction the store opened.
struct PostgresSession: SQLSession {
    let link: PostgresLink
    let auditKey: AuditKey?
    /// Set in ``PostgreSQLStore/readOneStatement(_:)``: the session refuses a second statement.
    var statements: StatementCount? = nil

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try countStatement()
        return try await link.rows(sql, Self.bindings(binds)).map { row in
            var names: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                names.append(cell.columnName)
                values.append(try RawCell.value(cell))
            }
            return SQLRow(names: names, values: values)
        }
    }

    /// Each row as it arrives, its cells read from their bytes into one array used again for
    /// every row: no ``SQLRow`` (with its names) per row, and no array of all of them. Through
    /// ``query(_:_:)`` a close's activities (100,000 rows an agreement nationally, 97 at a
    /// first start) took 3% of the two cores (issue 27, eleventh step).
    func forEachRow(_ sql: String, _ binds: [SQLValue], _ body: (SQLColumns) throws -> Void) async throws {
        try countStatement()
        var values: [SQLValue] = []
        try await link.forEachRow(sql, Self.bindings(binds)) { row in
            values.removeAll(keepingCapacity: true)
            for cell in row { values.append(try RawCell.value(cell)) }
            try body(SQLColumns(values: values))
        }
    }

    /// In a read of one statement (``PostgreSQLStore/readOneStatement(_:)``), a second one is refused.
    private func countStatement() throws {
        if let statements, statements.next() > 1 {
            throw PostgresFailure(message: "a read of one statement ran a second one (a read that needs one snapshot across statements uses read)")
        }
    }

    static func bindings(_ binds: [SQLValue]) -> PostgresBindings {
        var b = PostgresBindings()
        for value in binds {
            switch value {
            case .null: b.appendNull()
            case .int(let v): b.append(Int(v))
            case .real(let v): b.append(v)
            case .text(let v): b.append(v)
            }
        }
        return b
    }

    /// Prepared once per connection under a name made from the statement's text
    /// (`PREPARE samspar_…`), then `EXECUTE`d with the values. A prepared statement belongs to
    /// the connection, not to a transaction: a rollback keeps it. PostgreSQL plans it for the
    /// values of its first five uses and then keeps one generic plan when that costs no more
    /// (`plan_cache_mode = auto`), which a lookup by identity number does.
    ///
    /// Decided: the statements are named here, not through postgres-nio's
    /// `PostgresPreparedStatement`, which takes its text from a type (one type per statement);
    /// these texts are built at run time from ``AccessSQL/visible(_:viewer:day:)``. A schema
    /// change under a running server (a migration by a newer instance) can make `EXECUTE` fail
    /// once with "cached plan must not change result type"; that read fails, as any read does
    /// when its tables change under it.
    func queryKept(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        // Text is bound, never written into a statement: such a statement is not kept.
        if binds.contains(where: { if case .text = $0 { true } else { false } }) { return try await query(sql, binds) }
        return try await query(try await executing(sql, binds), [])
    }

    /// `EXECUTE` of `sql` with `binds` (numbers or NULL), prepared on this connection first
    /// when it is not yet.
    private func executing(_ sql: String, _ binds: [SQLValue]) async throws -> String {
        let name = "samspar_" + Digest.sha256(sql).prefix(24)
        if PreparedStatements.shared.needs(name, on: link.connection) {
            do {
                try await link.execute("PREPARE \(name) AS \(sql)")
            } catch let failure as PostgresFailure where failure.sqlState == "42P05" {
                // Prepared already (an earlier PREPARE whose answer never reached us): this read
                // fails with its transaction, the next on this connection runs it.
                PreparedStatements.shared.prepared(name, on: link.connection)
                throw failure
            }
            PreparedStatements.shared.prepared(name, on: link.connection)
        }
        // `EXECUTE` is a utility statement, which takes no bound parameters: the values, all
        // numbers or NULL here, are written into it as Swift writes them. Its text is new each
        // time, but parsing it plans nothing.
        let arguments = binds.map { value -> String in
            switch value {
            case .int(let v): String(v)
            case .real(let v): v.isFinite ? "\(v)::float8" : "NULL"
            case .null, .text: "NULL"
            }
        }
        return binds.isEmpty ? "EXECUTE \(name)" : "EXECUTE \(name)(\(arguments.joined(separator: ", ")))"
    }

    /// One statement for every part, kept: each part's columns in a range of their own (NULL in
    /// the other parts' rows), the part's number first, ordered by the part's number and then by
    /// each part's own order, so that the rows come back part by part, each in its order.
    /// Another part's columns are NULLs of their own types (PostgreSQL matches a union's columns
    /// branch by branch, and a bare NULL would be text). The statement is built once per
    /// process (``PartsStatement``); of each row only its part's cells are decoded.
    func queryParts(visible cte: String, _ parts: [SQLPart], _ binds: [SQLValue]) async throws -> [[SQLRow]] {
        let statement = PartsStatement.of(visible: cte, parts)
        guard !binds.contains(where: { if case .text = $0 { true } else { false } }) else {
            return try Self.split(try await query(statement.sql, binds).map { row in row.values }, statement)
        }
        try countStatement()
        var answers = [[SQLRow]](repeating: [], count: parts.count)
        try await link.forEachRow(try await executing(statement.sql, binds), PostgresBindings()) { row in
            var cells = row.makeIterator()
            guard let first = cells.next(), let part = try RawCell.int(first).map(Int.init), answers.indices.contains(part) else {
                throw PostgresFailure(message: "a part of a read came back without its number")
            }
            let columns = statement.columns[part]
            var values: [SQLValue] = []
            values.reserveCapacity(columns.count)
            var index = 1
            while index < columns.upperBound, let cell = cells.next() {
                if index >= columns.lowerBound { values.append(try RawCell.value(cell)) }
                index += 1
            }
            guard values.count == columns.count else { throw PostgresFailure(message: "a part of a read came back short of its columns") }
            answers[part].append(SQLRow(names: statement.names[part], values: values))
        }
        return answers
    }

    /// The rows of a parts statement, each given to its part (a read with text among its values,
    /// which is not kept; no read of the code's has one).
    private static func split(_ rows: [[SQLValue]], _ statement: PartsStatement) throws -> [[SQLRow]] {
        var answers = [[SQLRow]](repeating: [], count: statement.names.count)
        for values in rows {
            guard let part = values.first?.int.map(Int.init), answers.indices.contains(part) else {
                throw PostgresFailure(message: "a part of a read came back without its number")
            }
            answers[part].append(SQLRow(names: statement.names[part], values: Array(values[statement.columns[part]])))
        }
        return answers
    }

    func inOneProcess() async throws {
        try await link.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    }

    func lockAuditChain() async throws {
        try await link.execute("SELECT pg_advisory_xact_lock(\(PostgreSQLStore.auditLock))")
    }

    func lock(_ name: String) async throws {
        try await link.execute("SELECT pg_advisory_xact_lock(hashtext($1))", PostgreSQLStore.binds([name]))
    }

    /// As four arrays per 100,000 rows, unpacked by `unnest`: the entries of a group commit
    /// share one statement (a read's entry names a few subjects; a bulk write's a million).
    func insertAuditSubjects(_ entries: [AuditSubjects]) async throws {
        var (seqs, persons, orgs, salts) = ([Int](), [Int](), [Int](), [String]())
        func send() async throws {
            guard !seqs.isEmpty else { return }
            var binds = PostgresBindings()
            binds.append(seqs)
            binds.append(persons)
            binds.append(orgs)
            binds.append(salts)
            try await link.execute(
                """
                INSERT INTO audit_subjects (seq, person_id, org_number, salt)
                SELECT s, p, o, x FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u(s, p, o, x)
                """, binds)
            (seqs, persons, orgs, salts) = ([], [], [], [])
        }
        for entry in entries {
            for i in entry.subjects.indices {
                seqs.append(Int(entry.seq))
                persons.append(Int(entry.subjects[i].person))
                orgs.append(Int(entry.subjects[i].org))
                salts.append(entry.salts[i].hex)
                if seqs.count == 100_000 { try await send() }
            }
        }
        try await send()
    }

    /// `gen_random_uuid()` draws from the server's strong random source (PostgreSQL 13 and later).
    var randomSaltSQL: String { "replace(gen_random_uuid()::text, '-', '')" }

    func restartIdentity(_ table: String, column: String) async throws {
        try await link.execute(
            "SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), COALESCE((SELECT max(\(column)) FROM \(table)), 0) + 1, false)")
    }
}

/// A result cell read straight from its bytes (the one read of every registration,
/// ``PostgreSQLStore/reportInputs(forEach:asOf:)``).
enum RawCell {
    /// An integer column: binary `int8`, `int4` or `int2` as sent (big-endian), anything else
    /// through postgres-nio's decoder; `nil` for NULL.
    static func int(_ cell: PostgresCell) throws -> Int64? {
        guard var bytes = cell.bytes else { return nil }
        guard cell.format == .binary else { return Int64(try cell.decode(Int.self)) }
        switch bytes.readableBytes {
        case 8: return bytes.readInteger(as: Int64.self)
        case 4: return bytes.readInteger(as: Int32.self).map(Int64.init)
        case 2: return bytes.readInteger(as: Int16.self).map(Int64.init)
        default: return Int64(try cell.decode(Int.self))
        }
    }

    /// A cell's bytes in place (none for NULL), without making a string of them.
    static func withBytes<T>(_ bytes: ByteBuffer?, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        guard let bytes else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try bytes.withUnsafeReadableBytes(body)
    }

    /// Any cell as ``SQLValue``: integers, `float8`, booleans and text read from their binary
    /// bytes as sent; any other type or format through postgres-nio's decoders.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        if cell.format == .binary {
            switch (cell.dataType, bytes.readableBytes) {
            case (.int8, 8): return .int(bytes.readInteger(as: Int64.self)!)
            case (.int4, 4): return .int(Int64(bytes.readInteger(as: Int32.self)!))
            case (.int2, 2): return .int(Int64(bytes.readInteger(as: Int16.self)!))
            case (.float8, 8): return .real(Double(bitPattern: bytes.readInteger(as: UInt64.self)!))
            case (.bool, 1): return .int(bytes.readInteger(as: UInt8.self)! == 0 ? 0 : 1)
            case (.text, _), (.varchar, _), (.bpchar, _), (.name, _): return .text(String(buffer: bytes))
            default: break
            }
        }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(Int64(try cell.decode(Int.self)))
        case .float4, .float8, .numeric: return .real(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// One leased connection and the statements run on it.
struct PostgresLink: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func rows(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> [PostgresRow] {
        do {
            var result: [PostgresRow] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                result.append(row)
            }
            return result
        } catch let error as PSQLError {
            throw PostgresFailure(message: PostgreSQLStore.describe(error), sqlState: error.serverInfo?[.sqlState])
        }
    }

    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws {
        try await rows(sql, binds)
    }

    /// Hands each row of `sql` to `body` as it arrives, without gathering them (a read of every
    /// registration, ``PostgreSQLStore/reportInputs(forEach:asOf:)``).
    func forEachRow(_ sql: String, _ binds: PostgresBindings, _ body: (PostgresRow) throws -> Void) async throws {
        do {
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) { try body(row) }
        } catch let error as PSQLError {
            throw PostgresFailure(message: PostgreSQLStore.describe(error), sqlState: error.serverInfo?[.sqlState])
        }
    }

    /// `COPY` of one batch into the staging table, in text format.
    func copy(into staging: String, columns: [String], text: ByteBuffer) async throws {
        do {
            try await connection.copyFrom(table: staging, columns: columns, format: .text(.init()), logger: logger) { writer in
                try await writer.write(text)
            }
        } catch let error as PSQLError {
            throw PostgresFailure(message: PostgreSQLStore.describe(error), sqlState: error.serverInfo?[.sqlState])
        }
    }
}

/// The statements each connection has prepared (``PostgresSession/queryKept(_:_:)``). A
/// connection is known by its object; the entry holds it weakly, so a new connection that
/// happens to get a closed one's address starts with nothing prepared.
final class PreparedStatements: @unchecked Sendable {
    static let shared = PreparedStatements()

    private final class Entry {
        weak var connection: PostgresConnection?
        var names: Set<String> = []
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    /// Guards `entries`, the only state.
    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    func needs(_ name: String, on connection: PostgresConnection) -> Bool {
        lock.withLock {
            guard let entry = entries[ObjectIdentifier(connection)], entry.connection === connection else { return true }
            return !entry.names.contains(name)
        }
    }

    func prepared(_ name: String, on connection: PostgresConnection) {
        lock.withLock {
            let key = ObjectIdentifier(connection)
            if entries[key]?.connection !== connection {
                // Entries of closed connections go when a new one comes (a pool opens few).
                entries = entries.filter { $0.value.connection != nil }
                entries[key] = Entry(connection)
            }
            entries[key]!.names.insert(name)
        }
    }
}

/// A server error, worded by the server; `sqlState` tells deadlocks and the like apart.
public struct PostgresFailure: Error, CustomStringConvertible {
    public var message: String
    public var sqlState: String?
    public var description: String { message }
}

/// Counts a session's statements (``PostgreSQLStore/readOneStatement(_:)``).
final class StatementCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}

/// The one statement of ``PostgresSession/queryParts(visible:_:_:)`` for one list of parts,
/// with each part's column names and where its columns are in a row; built once per process
/// and kept (building it for every read, splitting and trimming the parts' text, was a quarter
/// of the server's time in a read, issue 27).
struct PartsStatement: Sendable {
    let sql: String
    let names: [[String]]
    let columns: [Range<Int>]

    private static let built = Locked<[String: PartsStatement]>([:])

    static func of(visible cte: String, _ parts: [SQLPart]) -> PartsStatement {
        let key = ([cte] + parts.map(\.sql)).joined(separator: "\u{0}")
        if let statement = built.withLock({ $0[key] }) { return statement }
        let statement = PartsStatement(visible: cte, parts)
        built.withLock { $0[key] = statement }
        return statement
    }

    init(visible cte: String, _ parts: [SQLPart]) {
        let names = parts.map(\.columnNames)
        let nulls = parts.flatMap(\.typedNulls)
        var branches: [String] = []
        var columns: [Range<Int>] = []
        // The part's number first; then each part's own order, by the positions of its own
        // columns. In a part's rows the other parts' columns are all NULL and tie, so each
        // part comes back in its own order (one sort; a window per part cost PostgreSQL 18%
        // of a read, measured with pgbench).
        var keys = ["1"]
        var offset = 0
        for (i, part) in parts.enumerated() {
            var selected = nulls
            for (j, name) in names[i].enumerated() { selected[offset + j] = "q." + name }
            branches.append("SELECT \(i)\(i == 0 ? " AS part" : ""), \(selected.joined(separator: ", ")) FROM (\(part.body)) q")
            for item in part.order.split(separator: ",") {
                let words = item.split(separator: " ").map(String.init)
                guard let name = words.first, let j = names[i].firstIndex(of: name) else {
                    preconditionFailure("a part orders by its own columns, not \(item)")
                }
                // Columns count from 1, and the part's number is the first.
                keys.append(([String(offset + j + 2)] + words.dropFirst()).joined(separator: " "))
            }
            columns.append((1 + offset)..<(1 + offset + names[i].count))
            offset += names[i].count
        }
        self.sql = "WITH visible AS (\(cte)) " + branches.joined(separator: " UNION ALL ") + " ORDER BY " + keys.joined(separator: ", ")
        self.names = names
        self.columns = columns
    }
}
