import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SamsparDomain

/// The PostgreSQL engine: the same tables, keys and behaviour as ``SQLiteStore``.
///
/// One connection per store, used by one operation at a time (the actor); each `samspar`
/// command opens one. Bulk imports stream every batch into a temporary staging table with
/// `COPY … FROM STDIN` and move the whole file into place with one `INSERT … SELECT … ON
/// CONFLICT DO UPDATE` in key order, inside one transaction: all or nothing, idempotent, and
/// safe beside another process importing an overlapping file (conflicts are resolved by the
/// upsert; the upsert phase of one table is serialised with an advisory lock, so two imports
/// cannot deadlock).
public actor PostgreSQLStore: SamsparStore {
    let connection: PostgresConnection
    let logger: Logger
    public let location: DatabaseURL.PostgresLocation
    private var isClosed = false
    /// One operation at a time on the one connection.
    let gate = SerialGate()

    /// Connects (failing within `connectTimeout` with one clear line when the server is
    /// unreachable or refuses the credentials) and, by default, applies pending migrations.
    public static func open(
        _ location: DatabaseURL.PostgresLocation, migrate: Bool = true, connectTimeout: TimeAmount = .seconds(5),
        logger: Logger = Logger(label: "samspar.postgres")
    ) async throws -> PostgreSQLStore {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = connectTimeout
        let what = DatabaseURL.postgres(location).description
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw StoreError.cannotOpen(what, reason: PostgreSQLStore.describe(error))
        }
        let store = PostgreSQLStore(connection: connection, location: location, logger: logger)
        if migrate {
            do { try await store.migrate() } catch {
                try? await connection.close()
                throw StoreError.cannotOpen(what, reason: PostgreSQLStore.describe(error))
            }
        }
        return store
    }

    /// Creates an empty database on the server (provisioning, and a fresh database per test).
    /// The name must be a plain identifier: lower-case letters, digits and `_`.
    public static func createDatabase(named name: String, on server: DatabaseURL.PostgresLocation) async throws {
        guard let first = name.first, first.isLetter, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw StoreError.badURL(name, reason: "a database name must be lower-case letters, digits and _")
        }
        let admin = try await open(server, migrate: false)
        do {
            try await admin.execute("CREATE DATABASE \(name)")
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
    }

    init(connection: PostgresConnection, location: DatabaseURL.PostgresLocation, logger: Logger) {
        self.connection = connection
        self.location = location
        self.logger = logger
    }

    public func close() async throws {
        guard !isClosed else { return }
        isClosed = true
        try await connection.close()
    }

    /// A one-line reason from a driver error (the server's own message when there is one).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
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

    func inTransaction<T>(_ body: () async throws -> T) async throws -> T {
        try await serially(gate) {
            try await execute("BEGIN")
            do {
                let result = try await body()
                try await execute("COMMIT")
                return result
            } catch {
                try? await execute("ROLLBACK")
                throw error
            }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let session = PostgresSession(store: self)
        return try await inTransaction { try await body(session) }
    }

    /// One connection per store: reads take their turn like everything else.
    public func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await transaction(body)
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
    public func migrate() async throws -> [Int] {
        try await inTransaction {
            try await execute("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            let applied = Set(try await rows("SELECT version FROM schema_migrations").map { try $0.decode(Int.self) })
            let known = PostgreSQLMigrations.all.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known { throw StoreError.schemaTooNew(found: newest, known: known) }
            var done: [Int] = []
            for migration in PostgreSQLMigrations.all where !applied.contains(migration.version) {
                for statement in migration.statements { try await execute(statement) }
                try await execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    Self.binds([migration.version, migration.name, ISO8601DateFormatter().string(from: Date())]))
                done.append(migration.version)
            }
            return done
        }
    }

    static let migrationLock = 7_263_772_001
    static let importLock = 7_263_772_100
    static let auditLock = 7_263_772_200

    // MARK: Agreements

    public func importAgreement(_ agreement: Agreement, document: Data, importedAt: Date) async throws -> AgreementImportResult {
        try await inTransaction {
            // Serialise concurrent imports of the same agreement (version numbers).
            try await execute("SELECT pg_advisory_xact_lock(hashtext($1))", Self.binds([agreement.id]))
            let versions = try await agreementVersions(id: agreement.id)
            if let newest = versions.last, newest.agreement == agreement {
                return AgreementImportResult(id: agreement.id, version: newest.version, change: .unchanged)
            }
            let version = (versions.last?.version ?? 0) + 1
            try await execute(
                "INSERT INTO agreements (id, current_version) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET current_version = excluded.current_version",
                Self.binds([agreement.id, version]))
            try await execute(
                "INSERT INTO agreement_versions (agreement_id, version, valid_from, document, imported_at) VALUES ($1, $2, $3, $4, $5)",
                Self.binds([
                    agreement.id, version, Int(agreement.validFrom.ordinal), String(decoding: document, as: UTF8.self),
                    ISO8601DateFormatter().string(from: importedAt),
                ]))
            for party in agreement.parties {
                try await execute(
                    """
                    INSERT INTO organisations (org_number, name, kind, municipality_code) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (org_number) DO UPDATE SET name = excluded.name, kind = excluded.kind, municipality_code = excluded.municipality_code
                    """,
                    Self.binds([Int(party.orgNumber.value), party.name, party.kind.rawValue, party.municipalityCode.map { Int($0.value) }]))
                try await execute(
                    "INSERT INTO agreement_parties (agreement_id, org_number) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    Self.binds([agreement.id, Int(party.orgNumber.value)]))
            }
            for track in agreement.tracks {
                try await execute(
                    "INSERT INTO tracks (agreement_id, code, name) VALUES ($1, $2, $3) ON CONFLICT (agreement_id, code) DO UPDATE SET name = excluded.name",
                    Self.binds([agreement.id, track.code, track.name]))
            }
            return AgreementImportResult(id: agreement.id, version: version, change: versions.isEmpty ? .created : .revised)
        }
    }

    public func agreementVersions(id: String) async throws -> [StoredAgreement] {
        let documents = try await rows(
            "SELECT version, document FROM agreement_versions WHERE agreement_id = $1 ORDER BY version", Self.binds([id]))
        var result: [StoredAgreement] = []
        for row in documents {
            let (version, document) = try row.decode((Int, String).self)
            result.append(StoredAgreement(agreement: try parseStored(document), version: version))
        }
        return result
    }

    public func agreementIDs() async throws -> [String] {
        try await rows("SELECT id FROM agreements ORDER BY id").map { try $0.decode(String.self) }
    }

    public func agreementHistory() async throws -> [(id: String, version: Int, document: Data)] {
        try await rows("SELECT agreement_id, version, document FROM agreement_versions ORDER BY agreement_id, version").map { row in
            let (id, version, document) = try row.decode((String, Int, String).self)
            return (id, version, Data(document.utf8))
        }
    }

    // MARK: Bulk import

    public func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary {
        let importer = Importer(batchSize: 20_000, kind: kind, currentYear: currentYear, scope: scope, progress: progress)
        let session = PostgresSession(store: self)
        let table = PostgresStaging.table(for: kind)
        return try await inTransaction {
            try await execute("CREATE TEMP TABLE IF NOT EXISTS \(table.staging) (LIKE \(table.name)) ON COMMIT DROP")
            try await execute("ALTER TABLE \(table.staging) ADD COLUMN IF NOT EXISTS seq BIGSERIAL")
            let summary = try await importer.run(source: source, writer: PostgresBulkWriter(store: self, kind: kind, recordedBy: scope.organisation))
            // One table's upserts run one process at a time; COPY into staging ran in parallel.
            try await execute("SELECT pg_advisory_xact_lock(\(Self.importLock + ImportKind.allCases.firstIndex(of: kind)!))")
            try await execute(table.upsert)
            try await scope.beforeCommit?(session, summary)
            return summary
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

    // MARK: Reports

    public func reportInput(for agreement: Agreement, asOf: Day) async throws -> ReportInput {
        try await serially(gate) { try await loadReportInput(for: agreement, asOf: asOf) }
    }

    private func loadReportInput(for agreement: Agreement, asOf: Day) async throws -> ReportInput {
        var trackIndexBuilder: [Int: Int] = [:]
        for row in try await rows("SELECT id, code FROM tracks WHERE agreement_id = $1", Self.binds([agreement.id])) {
            let (id, code) = try row.decode((Int, String).self)
            if let index = agreement.tracks.firstIndex(where: { $0.code == code }) { trackIndexBuilder[id] = index }
        }
        let municipalities = agreement.municipalities.map { String($0.value) }.joined(separator: ",")
        var builder = PackedFacts.Builder()
        let sql = """
            SELECT p.person_id, p.sex, p.municipality, p.first_permit_date, p.registered_on, p.exited_on, p.upper_secondary_completed,
              (SELECT string_agg((\(PackedFacts.eventSQL(track: "e.track_id", kind: "e.kind", date: "e.date")))::text, ',')
                 FROM track_events e WHERE e.person_id = p.person_id AND e.date <= $1) AS events,
              (SELECT string_agg((\(PackedFacts.statusSQL(status: "s.status", date: "s.date")))::text, ',' ORDER BY s.date)
                 FROM status_changes s WHERE s.person_id = p.person_id AND s.date <= $1) AS statuses
            FROM participants p
            WHERE p.municipality IN (\(municipalities.isEmpty ? "NULL" : municipalities)) AND p.registered_on <= $1
            """
        for row in try await rows(sql, Self.binds([Int(asOf.ordinal)])) {
            let (id, sex, municipality, permit, registered, exited, upper, events, statuses) =
                try row.decode((Int, Int, Int, Int, Int, Int?, Int, String?, String?).self)
            let person = Personnummer(storedValue: Int64(id))
            builder.participants.append(
                ParticipantFacts(
                    person: person, sex: sex == 1 ? .male : .female, municipality: Kommunkod(storedValue: Int16(municipality)),
                    firstPermitDate: Day(ordinal: Int32(permit)), registeredOn: Day(ordinal: Int32(registered)),
                    exitedOn: exited.map { Day(ordinal: Int32($0)) }, upperSecondaryCompleted: upper == 1))
            if let events { builder.addEvents(events, person: person, trackIndex: trackIndexBuilder) }
            if let statuses { builder.addStatuses(statuses, person: person) }
        }
        return builder.input
    }

    // MARK: Export and counts

    public func export(_ kind: ImportKind, line: @escaping @Sendable (String) -> Void) async throws {
        try await serially(gate) { try await exportRows(kind, line: line) }
    }

    private func exportRows(_ kind: ImportKind, line: @escaping @Sendable (String) -> Void) async throws {
        line(ExportFormat.header(kind))
        switch kind {
        case .participants:
            let sql = """
                SELECT person_id, given_name, family_name, sex, sex_explicit, municipality, first_permit_date, registered_on,
                       exited_on, exit_reason, upper_secondary_completed, education_level
                FROM participants ORDER BY person_id
                """
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                let (person, given, family, sex, explicit, municipality, permit, registered, exited, reason, upper, education) =
                    try row.decode((Int, String?, String?, Int, Int, Int, Int, Int, Int?, String?, Int, String?).self)
                line(
                    ExportFormat.participant(
                        person: person, givenName: given, familyName: family, sex: sex, sexExplicit: explicit == 1,
                        municipality: municipality, firstPermit: permit, registered: registered, exited: exited, exitReason: reason,
                        upperSecondary: upper == 1, education: education))
            }
        case .events:
            let sql = """
                SELECT e.person_id, t.code, t.agreement_id, e.kind, e.date, e.reason
                FROM track_events e JOIN tracks t ON t.id = e.track_id ORDER BY e.person_id
                """
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                let (person, code, agreement, kind, date, reason) = try row.decode((Int, String, String, Int, Int, String?).self)
                line(ExportFormat.event(person: person, track: code, kind: kind, date: date, reason: reason, agreement: agreement))
            }
        case .statuses:
            let sql = "SELECT person_id, status, date FROM status_changes ORDER BY person_id, date"
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                let (person, status, date) = try row.decode((Int, Int, Int).self)
                line(ExportFormat.status(person: person, status: status, date: date))
            }
        case .activities:
            let sql = "SELECT person_id, kind, start, end_date, hours_per_week, provider FROM activities ORDER BY person_id"
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                let (person, kind, start, end, hours, provider) = try row.decode((Int, String, Int, Int?, Double?, String?).self)
                line(ExportFormat.activity(person: person, kind: kind, start: start, end: end, hours: hours, provider: provider))
            }
        }
    }

    public func counts() async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for table in ["agreements", "participants", "track_events", "status_changes", "activities"] {
            result[table] = try await rows("SELECT count(*) FROM \(table)").first?.decode(Int.self) ?? 0
        }
        return result
    }
}

/// Reads back a stored agreement document (validated when it was imported).
/// A plain function: the optimiser crashed on typed throws inside an async closure here.
func parseStored(_ document: String) throws -> Agreement {
    do {
        return try Agreement.parse(json: Data(document.utf8))
    } catch {
        throw error as any Error
    }
}

/// The store's connection seen through ``SQLSession``, inside a transaction the store opened.
struct PostgresSession: SQLSession {
    let store: PostgreSQLStore

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        var b = PostgresBindings()
        for value in binds {
            switch value {
            case .null: b.appendNull()
            case .int(let v): b.append(Int(v))
            case .real(let v): b.append(v)
            case .text(let v): b.append(v)
            }
        }
        return try await store.rows(sql, b).map { row in
            var names: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                names.append(cell.columnName)
                guard cell.bytes != nil else {
                    values.append(.null)
                    continue
                }
                switch cell.dataType {
                case .int2, .int4, .int8: values.append(.int(Int64(try cell.decode(Int.self))))
                case .float4, .float8, .numeric: values.append(.real(try cell.decode(Double.self)))
                case .bool: values.append(.int(try cell.decode(Bool.self) ? 1 : 0))
                default: values.append(.text(try cell.decode(String.self)))
                }
            }
            return SQLRow(names: names, values: values)
        }
    }

    func lockAuditChain() async throws {
        try await store.execute("SELECT pg_advisory_xact_lock(\(PostgreSQLStore.auditLock))")
    }
}

/// A server error, worded by the server; `sqlState` tells deadlocks and the like apart.
public struct PostgresFailure: Error, CustomStringConvertible {
    public var message: String
    public var sqlState: String?
    public var description: String { message }
}

/// Staging tables and the statements that move a file's rows into place, last row of each
/// key winning (`DISTINCT ON … ORDER BY key, seq DESC`), in key order.
enum PostgresStaging {
    struct Table {
        var name: String
        var staging: String
        var columns: [String]
        var key: [String]
        var update: [String]

        var upsert: String {
            let cols = columns.joined(separator: ", ")
            let keys = key.joined(separator: ", ")
            let action = "DO UPDATE SET " + update.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
            return """
                INSERT INTO \(name) (\(cols))
                SELECT \(cols) FROM (SELECT DISTINCT ON (\(keys)) \(cols) FROM \(staging) ORDER BY \(keys), seq DESC) AS latest
                ORDER BY \(keys)
                ON CONFLICT (\(keys)) \(action)
                """
        }
    }

    static func table(for kind: ImportKind) -> Table {
        switch kind {
        case .participants:
            let columns = [
                "person_id", "given_name", "family_name", "sex", "sex_explicit", "municipality", "first_permit_date",
                "registered_on", "exited_on", "exit_reason", "upper_secondary_completed", "education_level", "registered_by",
            ]
            // The registering organisation never changes on update.
            return Table(
                name: "participants", staging: "staging_participants", columns: columns, key: ["person_id"],
                update: Array(columns.dropFirst().dropLast()))
        case .events:
            return Table(
                name: "track_events", staging: "staging_track_events", columns: ["person_id", "track_id", "kind", "date", "reason", "recorded_by"],
                key: ["person_id", "track_id", "kind", "date"], update: ["reason"])
        case .statuses:
            return Table(
                name: "status_changes", staging: "staging_status_changes", columns: ["person_id", "date", "status", "recorded_by"],
                key: ["person_id", "date"], update: ["status"])
        case .activities:
            return Table(
                name: "activities", staging: "staging_activities",
                columns: ["person_id", "kind", "start", "end_date", "hours_per_week", "provider", "recorded_by"], key: ["person_id", "kind", "start"],
                update: ["end_date", "hours_per_week", "provider"])
        }
    }
}

/// Batches as `COPY` text into the staging table of the open import transaction.
struct PostgresBulkWriter: BulkWriter, Sendable {
    let store: PostgreSQLStore
    let kind: ImportKind
    let recordedBy: Int64?

    func access(_ persons: [Int64], for organisation: Int64, on day: Day) async throws -> [Int64: PersonAccess] {
        var binds = PostgresBindings()
        binds.append(Int(organisation))
        binds.append(Int(day.ordinal))
        binds.append(persons.map { Int($0) })
        let sql = """
            SELECT p.person_id, CASE WHEN \(RecordOwnership.ownerSQL("p")) = $1 THEN 1 ELSE 0 END,
                   \(RecordOwnership.consentSQL(person: "p.person_id", party: "$1", day: "$2"))
            FROM participants p WHERE p.person_id = ANY($3)
            """
        var result: [Int64: PersonAccess] = [:]
        for row in try await store.rows(sql, binds) {
            let (id, own, consented) = try row.decode((Int, Int, Int).self)
            result[Int64(id)] = PersonAccess(own: own == 1, consented: consented == 1)
        }
        return result
    }

    func existingPersons(_ persons: [Int64]) async throws -> Set<Int64> {
        var found = Set<Int64>()
        var binds = PostgresBindings()
        binds.append(persons.map { Int($0) })
        for row in try await store.rows("SELECT person_id FROM participants WHERE person_id = ANY($1)", binds) {
            found.insert(Int64(try row.decode(Int.self)))
        }
        return found
    }

    func tracks() async throws -> [TrackRef] {
        try await store.rows("SELECT id, agreement_id, code FROM tracks").map { row in
            let (id, agreement, code) = try row.decode((Int, String, String).self)
            return TrackRef(agreement: agreement, code: code, id: Int64(id))
        }
    }

    private func send(_ buffer: ByteBuffer) async throws {
        let table = PostgresStaging.table(for: kind)
        try await store.copy(into: table.staging, columns: table.columns, text: buffer)
    }

    func write(participants: [ParticipantRecord]) async throws {
        var b = CopyText(capacity: participants.count * 96)
        for p in participants {
            b.int(Int(p.person.value))
            b.text(p.givenName)
            b.text(p.familyName)
            b.int(p.sex == .male ? 1 : 0)
            b.int(p.explicitSex == nil ? 0 : 1)
            b.int(Int(p.municipality.value))
            b.day(p.firstPermitDate)
            b.day(p.registeredOn)
            b.day(p.exitedOn)
            b.text(p.exitReason)
            b.int(p.upperSecondaryCompleted ? 1 : 0)
            b.text(p.educationLevel)
            b.owner(recordedBy)
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(events: [(record: EventRecord, track: Int64)]) async throws {
        var b = CopyText(capacity: events.count * 40)
        for (e, track) in events {
            b.int(Int(e.person.value))
            b.int(Int(track))
            b.int(Int(e.kind.code))
            b.day(e.date)
            b.text(e.reason)
            b.owner(recordedBy)
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(statuses: [StatusRecord]) async throws {
        var b = CopyText(capacity: statuses.count * 28)
        for s in statuses {
            b.int(Int(s.person.value))
            b.day(s.date)
            b.int(Int(s.status.code))
            b.owner(recordedBy)
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(activities: [ActivityRecord]) async throws {
        var b = CopyText(capacity: activities.count * 72)
        for a in activities {
            b.int(Int(a.person.value))
            b.text(a.activity.rawValue)
            b.day(a.start)
            b.day(a.end)
            b.text(a.hoursPerWeek.map { String($0) })
            b.text(a.provider)
            b.owner(recordedBy)
            b.endRow()
        }
        try await send(b.buffer)
    }
}

/// Rows in `COPY`'s text format, written straight into one buffer: a tab between cells,
/// `\N` for null, and backslash, tab and line breaks escaped.
struct CopyText {
    var buffer: ByteBuffer
    private var atRowStart = true

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private mutating func separate() {
        if !atRowStart { buffer.writeInteger(UInt8(ascii: "\t")) }
        atRowStart = false
    }

    mutating func int(_ value: Int) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func day(_ value: Day?) {
        separate()
        if let value { buffer.writeString(String(value.ordinal)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func text(_ value: String?) {
        separate()
        guard let value else {
            buffer.writeStaticString("\\N")
            return
        }
        guard value.utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else {
            buffer.writeString(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 92: buffer.writeStaticString("\\\\")
            case 9: buffer.writeStaticString("\\t")
            case 10: buffer.writeStaticString("\\n")
            case 13: buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    mutating func owner(_ value: Int64?) {
        separate()
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        atRowStart = true
    }
}
