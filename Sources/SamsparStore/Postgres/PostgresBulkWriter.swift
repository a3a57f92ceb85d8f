import NIOCore
import PostgresNIO
import SamsparDomain

/// Staging tables and the statements that move a file's rows into place, last row of each
/// key winning (`DISTINCT ON … ORDER BY key, seq DESC`), in key order.
enum PostgresStaging {
    struct Table {
        var name: String
        var staging: String
        var columns: [String]
        var key: [String]
        var update: [String]
        var stored: StoredTables.Table

        var upsert: String { insert(onConflict: "ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET " + stored.assignments) }

        /// The file's rows when none of its registrations has a row in the table
        /// (``anyStored``): a plain insert.
        /// PostgreSQL's `ON CONFLICT` inserts each row speculatively (a look-up before, a
        /// second write of the row after); a national activities file took 38.5 s that way
        /// and 22.6 s as a plain insert (issue 27, fourteenth step). A key another writer
        /// stores meanwhile fails the insert (23505), and the caller then upserts.
        var insertNew: String { insert(onConflict: "") }

        private func insert(onConflict: String) -> String {
            let cols = columns.joined(separator: ", ")
            let keys = key.joined(separator: ", ")
            return """
                INSERT INTO \(name) (\(cols))
                SELECT \(cols) FROM (SELECT DISTINCT ON (\(keys)) \(cols) FROM \(staging) ORDER BY \(keys), seq DESC) AS latest
                ORDER BY \(keys)
                \(onConflict)
                """
        }

        /// One row when a registration the file names has a row stored in the table already
        /// (a file sent again, a correction, a later file of the same people): then the rows go
        /// in by ``upsert``; when none has, no key of the file can be stored (every key begins
        /// with its registration). The registrations are looked up once each, not row by row: a
        /// first file of 4.9 million activities into a table of 4.9 million other rows took
        /// 54.2 s with a look-up per staged row against 47.5 s by the upsert (issue 27,
        /// fourteenth step).
        var anyStored: String {
            """
            SELECT 1 FROM (SELECT DISTINCT person_id, org_number FROM \(staging)) s
            WHERE EXISTS (SELECT 1 FROM \(name) t WHERE t.person_id = s.person_id AND t.org_number = s.org_number) LIMIT 1
            """
        }
    }

    static func table(for kind: ImportKind) -> Table {
        let t = StoredTables.table(for: kind)
        return Table(name: t.name, staging: "staging_\(t.name)", columns: t.columns, key: t.key, update: t.update, stored: t)
    }
}

/// Batches as `COPY` text into the staging table of the open import transaction.
struct PostgresBulkWriter: BulkWriter, Sendable {
    let link: PostgresLink
    let kind: ImportKind

    func registrants(_ persons: [Int64]) async throws -> [Int64: [Int64]] {
        var binds = PostgresBindings()
        binds.append(persons.map { Int($0) })
        var found: [Int64: [Int64]] = [:]
        for row in try await link.rows("SELECT person_id, org_number FROM registrations WHERE person_id = ANY($1)", binds) {
            let (id, org) = try row.decode((Int, Int).self)
            found[Int64(id), default: []].append(Int64(org))
        }
        return found
    }

    func allRegistrants(of organisation: Int64?) async throws -> RegistrantIndex {
        var index = RegistrantIndex()
        let filter = organisation.map { "WHERE org_number = \($0)" } ?? ""
        do {
            let sql = "SELECT person_id, org_number FROM registrations \(filter) ORDER BY person_id, org_number"
            for try await row in try await link.connection.query(PostgresQuery(unsafeSQL: sql), logger: link.logger) {
                let (person, org) = try row.decode((Int, Int).self)
                index.append(person: Int64(person), organisation: Int64(org))
            }
        } catch let error as PSQLError {
            throw PostgresFailure(message: PostgreSQLStore.describe(error), sqlState: error.serverInfo?[.sqlState])
        }
        return index
    }

    func municipalityOrganisations() async throws -> [Int16: [Int64]] {
        var result: [Int16: [Int64]] = [:]
        for row in try await link.rows("SELECT org_number, municipality_code FROM organisations WHERE kind = 'municipality'") {
            let (org, code) = try row.decode((Int, Int?).self)
            if let code { result[Int16(code), default: []].append(Int64(org)) }
        }
        return result
    }

    func nextChange() async throws -> Int64 {
        Int64(try await link.rows("UPDATE registration_changes SET n = n + 1 WHERE id = 1 RETURNING n").first?.decode(Int.self) ?? 1)
    }

    func agreementDocuments() async throws -> [String] {
        try await link.rows("SELECT document FROM agreement_versions WHERE deleted_at IS NULL").map { try $0.decode(String.self) }
    }

    func tracks() async throws -> [TrackRef] {
        try await link.rows("SELECT id, agreement_id, code FROM tracks").map { row in
            let (id, agreement, code) = try row.decode((Int, String, String).self)
            return TrackRef(agreement: agreement, code: code, id: Int64(id))
        }
    }

    private func send(_ buffer: ByteBuffer) async throws {
        let table = PostgresStaging.table(for: kind)
        try await link.copy(into: table.staging, columns: table.columns, text: buffer)
    }

    func write(participants: [Owned<ParticipantRecord>], changed: Int64) async throws {
        var b = CopyText(capacity: participants.count * 110)
        for owned in participants {
            let p = owned.value
            b.int(Int(p.person.value))
            b.int(Int(owned.org))
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
            b.int(Int(changed))
            b.text(ProtectedIdentityMigration.staged(p.protected))
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(events: [Owned<TrackedEvent>]) async throws {
        var b = CopyText(capacity: events.count * 52)
        for owned in events {
            let e = owned.value.record
            b.int(Int(e.person.value))
            b.int(Int(owned.org))
            b.int(Int(owned.value.track))
            b.int(Int(e.kind.code))
            b.day(e.date)
            b.text(e.reason)
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(statuses: [Owned<StatusRecord>]) async throws {
        var b = CopyText(capacity: statuses.count * 40)
        for owned in statuses {
            let s = owned.value
            b.int(Int(s.person.value))
            b.int(Int(owned.org))
            b.day(s.date)
            b.int(Int(s.status.code))
            b.endRow()
        }
        try await send(b.buffer)
    }

    func write(activities: [Owned<ActivityRecord>]) async throws {
        var b = CopyText(capacity: activities.count * 84)
        for owned in activities {
            let a = owned.value
            b.int(Int(a.person.value))
            b.int(Int(owned.org))
            b.text(a.activity.rawValue)
            b.day(a.start)
            b.day(a.end)
            b.text(a.hoursPerWeek.map { String($0) })
            b.text(a.provider)
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

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        atRowStart = true
    }
}
