import Foundation

/// A value bound to or read from SQL that both engines share.
enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)

    var int: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    var text: String? {
        if case .text(let v) = self { return v }
        return nil
    }

    var real: Double? {
        switch self {
        case .real(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }

    static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func optional(_ value: Int64?) -> SQLValue { value.map { .int($0) } ?? .null }
}

/// One row of a result, read by column name.
struct SQLRow: Sendable {
    var names: [String]
    var values: [SQLValue]

    subscript(_ name: String) -> SQLValue {
        guard let index = names.firstIndex(of: name) else { return .null }
        return values[index]
    }
}

/// The SQL both engines understand, for the small, row-at-a-time work of the server
/// (accounts, sessions, consent, the audit log, one participant at a time). Bulk imports and
/// report loading keep their engine-specific paths.
///
/// Statements use PostgreSQL's numbered placeholders (`$1`, `$2`, …); SQLite receives them as
/// `?1`, `?2`, … . Portable SQL only: `INSERT … RETURNING`, `ON CONFLICT`, no `ILIKE`.
protocol SQLSession: Sendable {
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]

    /// ``query(_:_:)`` of a statement the server should plan once per connection and keep: the
    /// participant read's, run thousands of times a second with new values. SQLite keeps every
    /// statement anyway; PostgreSQL prepares it by name (issue 27: planning was 84% of the
    /// server's time in a read).
    func queryKept(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]

    /// Runs `sql` and hands `body` each row's columns by position as the row comes, without a
    /// ``SQLRow`` per row: for reads of tens of thousands of rows (a close's activities, 50,000
    /// an agreement at national scale, 97 agreements at a first start; issue 27).
    func forEachRow(_ sql: String, _ binds: [SQLValue], _ body: (SQLColumns) throws -> Void) async throws

    /// The rest of the transaction's statements each run in one process (PostgreSQL: no
    /// parallel workers; SQLite has none): for reads made several at once on every core
    /// already, where workers only add their start, their gathering and a sort each.
    func inOneProcess() async throws

    /// Serialises appends to the audit chain across every instance sharing the database
    /// (SQLite's write transaction already does; PostgreSQL takes an advisory lock).
    func lockAuditChain() async throws

    /// Serialises writers of one named thing (an agreement's versions) until the transaction
    /// ends (SQLite's write transaction already does; PostgreSQL takes an advisory lock).
    func lock(_ name: String) async throws

    /// After rows were inserted with explicit ids: the next generated id follows the largest
    /// (PostgreSQL's identity sequences; SQLite's rowid needs nothing).
    func restartIdentity(_ table: String, column: String) async throws

    /// The installation's audit key (``AuditKey``), which the store was opened with.
    var auditKey: AuditKey? { get }

    /// Inserts the subjects of audit entries (a bulk write may name a million): one statement
    /// per large chunk, in each engine's own way of taking a list. PostgreSQL takes every
    /// entry's subjects in the same statement, so that a group commit of many reads' entries
    /// costs one round trip for its subjects, not one per read (issue 27).
    func insertAuditSubjects(_ entries: [AuditSubjects]) async throws

    /// An SQL expression that gives 16 random bytes as 32 hex digits, a new value per row
    /// (a salt of ``Chain`` made in the database, for the rechaining migration).
    var randomSaltSQL: String { get }

    /// The rows of each of `parts`, in each part's own order, all bound to `binds`; every part
    /// may read the common table `visible` that `cte` defines (a participant's read). SQLite
    /// runs them one by one, each statement kept (a step costs no round trip); PostgreSQL
    /// sends them as one statement, so that a read is one round trip (issue 27, part 2).
    func queryParts(visible cte: String, _ parts: [SQLPart], _ binds: [SQLValue]) async throws -> [[SQLRow]]
}

/// The registrations one audit entry touched, sorted, each with its salt.
struct AuditSubjects {
    var seq: Int64
    var subjects: [PersonParty]
    var salts: Chain.SubjectSalts
}

/// One `SELECT` of a personal read (``Rows/recordParts``): `order` names its own output columns.
struct SQLPart: Sendable {
    var select: String
    var from: String
    var `where`: String?
    var order: String

    init(select: String, from: String, where condition: String? = nil, order: String) {
        self.select = select
        self.from = from
        self.where = condition
        self.order = order
    }

    func restricted(to condition: String) -> SQLPart {
        var part = self
        part.where = self.where.map { "(\($0)) AND \(condition)" } ?? condition
        return part
    }

    var body: String { "SELECT \(select) FROM \(from)" + (self.where.map { " WHERE \($0)" } ?? "") }
    var sql: String { body + " ORDER BY \(order)" }

    /// The names of the columns `select` gives, in order: each item is a column (`x.date`) whose
    /// name is what follows its last dot.
    var columnNames: [String] {
        select.split(separator: ",").map { item in
            let column = item.trimmingCharacters(in: .whitespaces)
            precondition(
                column.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." },
                "a part selects plain columns (alias.column), not \(column)")
            return String(column.split(separator: ".").last ?? Substring(column))
        }
    }

    /// Each column of `select` as a NULL of its own type (`(NULL::tracks).code` for `t.code`
    /// where `from` reads `tracks t`), for a statement that puts several parts' columns side by
    /// side (``SQLSession/queryParts(visible:_:_:)``).
    var typedNulls: [String] {
        // `from` names each table before its alias: `registrations r LEFT JOIN organisations o ON …`.
        let words = from.split(separator: " ").map(String.init)
        var tables: [String: String] = [:]
        for (i, word) in words.enumerated() where i + 1 < words.count && (i == 0 || words[i - 1] == "JOIN") {
            tables[words[i + 1]] = word
        }
        return select.split(separator: ",").map { item in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
            guard parts.count == 2, let table = tables[parts[0]] else { preconditionFailure("a part's column names its table's alias: \(item)") }
            return "(NULL::\(table)).\(parts[1])"
        }
    }
}

extension SQLSession {
    @discardableResult
    func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }

    func queryKept(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try await query(sql, binds) }

    /// One kept statement per part (``queryParts(visible:_:_:)``).
    func queryParts(visible cte: String, _ parts: [SQLPart], _ binds: [SQLValue]) async throws -> [[SQLRow]] {
        var answers: [[SQLRow]] = []
        for part in parts { answers.append(try await queryKept("WITH visible AS (\(cte)) " + part.sql, binds)) }
        return answers
    }

    /// Through ``query(_:_:)``: an engine without a way of its own.
    func forEachRow(_ sql: String, _ binds: [SQLValue], _ body: (SQLColumns) throws -> Void) async throws {
        for row in try await query(sql, binds) { try body(SQLColumns(row: row)) }
    }
}

/// One row's columns by position (``SQLSession/forEachRow(_:_:_:)``): SQLite's statement as it
/// is stepped, or a row already read. Valid only inside the call it is handed to.
struct SQLColumns {
    let cursor: SQLiteCursor?
    let values: [SQLValue]

    init(cursor: SQLiteCursor) { (self.cursor, self.values) = (cursor, []) }
    init(row: SQLRow) { (self.cursor, self.values) = (nil, row.values) }
    /// A row's values by position, as a PostgreSQL session reads them.
    init(values: [SQLValue]) { (self.cursor, self.values) = (nil, values) }

    private func value(_ column: Int32) -> SQLValue {
        guard Int(column) < values.count else { return .null }
        return values[Int(column)]
    }

    func int(_ column: Int32) -> Int64? { cursor.map { $0.int(column) } ?? value(column).int }
    func text(_ column: Int32) -> String? { cursor.map { $0.text(column) } ?? value(column).text }
    func real(_ column: Int32) -> Double? {
        guard let cursor else { return value(column).real }
        return cursor.isNull(column) ? nil : cursor[column].real
    }
}

/// What an engine gives the store's own code, and nothing above it (issue 16: the store's
/// boundary is the compiler's): one transaction, or one consistent read, over ``SQLSession``.
protocol SQLEngine: Sendable {
    /// Runs `body` in one transaction: all of it or none of it, and no other operation of this
    /// store in between.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// Runs `body`, which only reads, on a consistent snapshot. SQLite serves reads from a
    /// small pool of read-only connections beside the writer, so they neither wait for writes
    /// nor for each other.
    func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// ``read(_:)`` for a `body` of one statement, which is a snapshot of its own: PostgreSQL
    /// then needs no `BEGIN` and `COMMIT` (two round trips of three for a participant's read,
    /// issue 27); a second statement in `body` is refused there. SQLite reads as any read.
    func readOneStatement<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T
}

/// An engine as the public protocol hands it out: a type others can name and hold, with
/// nothing in it they can use. Only this module reaches the sessions.
public struct StoreEngine: Sendable {
    let sql: any SQLEngine
}

extension SamsparStore {
    /// One transaction on this store's engine (this module's code only).
    @discardableResult
    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await engine.sql.transaction(body)
    }

    /// One consistent read on this store's engine (this module's code only).
    func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await engine.sql.read(body)
    }

    /// One read of one statement on this store's engine (this module's code only).
    func readOneStatement<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await engine.sql.readOneStatement(body)
    }
}

/// Runs one operation at a time, in arrival order: a store's single connection must not see
/// one caller's statements inside another's transaction.
actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs `body` holding `gate`, on the caller's actor.
func serially<T>(_ gate: SerialGate, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
    await gate.acquire()
    do {
        let result = try await body()
        await gate.release()
        return result
    } catch {
        await gate.release()
        throw error
    }
}

/// `$1` → `?1`, for SQLite.
func sqlitePlaceholders(_ sql: String) -> String {
    // On UTF-8 bytes: every statement of an audited read passes here (issue 10 measured the
    // Character-by-Character version at 7% of a read's time).
    var bytes = Array(sql.utf8)
    guard bytes.count > 1, bytes.contains(UInt8(ascii: "$")) else { return sql }
    for i in 0..<(bytes.count - 1) where bytes[i] == UInt8(ascii: "$") && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 1]) {
        bytes[i] = UInt8(ascii: "?")
    }
    return String(decoding: bytes, as: UTF8.self)
}
