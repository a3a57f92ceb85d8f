import Dispatch
import Foundation
import VaporCSQLite

/// The read path of the embedded engine through SQLite's C API (issue 27, part 1).
///
/// sqlite-nio parses every statement anew and hops to its thread pool and back for each one;
/// a participant's audited read is six statements, so parsing and hopping were a third of the
/// server's time (BENCHMARKS.md). Here a read-only connection keeps each statement it has
/// prepared and reuses it, binds values straight from ``SQLValue``, and a whole read (its
/// `BEGIN`, its queries and its `COMMIT`) runs on one thread of ``SQLiteReadExecutor``: one
/// hop there and one back.
///
/// Decided: sqlite-nio's own C module `VaporCSQLite` (SQLite 3.54.1, `sqlite_nio_`-prefixed
/// symbols) rather than a vendored amalgamation. It is the same copy of SQLite as the writer's
/// in the same process, so the POSIX locks of the WAL stay one set; two copies would break
/// each other's locks. The writer and the report loader keep sqlite-nio.
final class SQLiteReader: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statements by SQL text. Statements built with a varying number of
    /// placeholders would grow it without end, so past ``cacheLimit`` it starts again.
    private var statements: [String: OpaquePointer] = [:]
    static let cacheLimit = 128
    var cachedStatements: Int { statements.count }

    /// Opens `path` read-only in multi-thread mode: the pool hands a connection to one read at
    /// a time, so SQLite's own per-connection mutex is not needed.
    init(path: String, cacheKiB: Int) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "status \(status)"
            if let db { sqlite_nio_sqlite3_close(db) }
            throw SQLiteReaderError(message: "cannot open \(path) to read: \(message)")
        }
        handle = db
        do {
            for pragma in ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000", "PRAGMA cache_size = -\(cacheKiB)"] { try execute(pragma) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    private func error(_ what: String) -> SQLiteReaderError {
        SQLiteReaderError(message: "\(what): \(handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed")")
    }

    /// A statement without results (`BEGIN`, `COMMIT`, a pragma), not kept.
    func execute(_ sql: String) throws {
        guard let handle else { throw SQLiteReaderError(message: "the connection is closed") }
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql) }
    }

    /// The statement of `sql`, prepared on first use; `rewrite` turns PostgreSQL's `$N` into
    /// SQLite's `?N` then, once (the cache is keyed by the text as written).
    private func prepared(_ sql: String, rewrite: Bool) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw SQLiteReaderError(message: "the connection is closed") }
        if statements.count >= Self.cacheLimit {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
        }
        var statement: OpaquePointer?
        let text = rewrite ? sqlitePlaceholders(sql) : sql
        guard sqlite_nio_sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw error("prepare")
        }
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `binds` and reads every row (`rewrite`: `sql` has PostgreSQL's `$N`).
    func query(_ sql: String, _ binds: [SQLValue], rewrite: Bool = false) throws -> [SQLRow] {
        let statement = try prepared(sql, rewrite: rewrite)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
            case .int(let v): status = sqlite_nio_sqlite3_bind_int64(statement, index, v)
            case .real(let v): status = sqlite_nio_sqlite3_bind_double(statement, index, v)
            case .text(let v):
                var text = v
                status = text.withUTF8 { bytes in
                    // An empty text is bound as "" (a null pointer would bind NULL).
                    bytes.withMemoryRebound(to: CChar.self) {
                        sqlite_nio_sqlite3_bind_text64(statement, index, $0.baseAddress ?? Self.empty, UInt64($0.count), Self.transient, UInt8(SQLITE_UTF8))
                    }
                }
            }
            guard status == SQLITE_OK else { throw error("bind \(index)") }
        }
        let count = Int(sqlite_nio_sqlite3_column_count(statement))
        let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, Int32($0))) }
        var rows: [SQLRow] = []
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error("step") }
            var values: [SQLValue] = []
            values.reserveCapacity(count)
            for column in 0..<Int32(count) {
                switch sqlite_nio_sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: values.append(.int(sqlite_nio_sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: values.append(.real(sqlite_nio_sqlite3_column_double(statement, column)))
                case SQLITE_NULL: values.append(.null)
                default:
                    // Text, and a blob read as text (as sqlite-nio's session did).
                    let bytes = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                    let text: String
                    if let pointer = sqlite_nio_sqlite3_column_blob(statement, column) {
                        text = String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes), as: UTF8.self)
                    } else {
                        text = ""
                    }
                    values.append(.text(text))
                }
            }
            rows.append(SQLRow(names: names, values: values))
        }
        return rows
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// A pointer to an empty C string, for binding "".
    nonisolated(unsafe) static let empty: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}

struct SQLiteReaderError: Error, CustomStringConvertible {
    var message: String
    var description: String { "SQLite: \(message)" }
}

/// Where a read runs (issue 27): a whole read is one job on this executor's threads, which
/// may block in SQLite without holding up Swift's cooperative threads.
final class SQLiteReadExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = SQLiteReadExecutor()
    private let queue = DispatchQueue(label: "samspar.sqlite.read", qos: .userInitiated, attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.async { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// The read-only connections of ``SQLiteReader``, handed out one read at a time: at most
/// `limit` open, the rest of the reads wait their turn in order.
final class SQLiteReaderPool: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private let cacheKiB: Int
    private let limit: Int
    private var idle: [SQLiteReader] = []
    private var open = 0
    private var waiters: [CheckedContinuation<SQLiteReader, any Error>] = []
    private var closed = false

    init(path: String, cacheKiB: Int, limit: Int) {
        self.path = path
        self.cacheKiB = cacheKiB
        self.limit = limit
    }

    private enum Take {
        case reader(SQLiteReader)
        case openNew
        case wait
    }

    func checkOut() async throws -> SQLiteReader {
        let take: Take = lock.withLock {
            if let reader = idle.popLast() { return .reader(reader) }
            if open < limit {
                open += 1
                return .openNew
            }
            return .wait
        }
        switch take {
        case .reader(let reader): return reader
        case .openNew:
            do {
                return try SQLiteReader(path: path, cacheKiB: cacheKiB)
            } catch {
                lock.withLock { open -= 1 }
                throw error
            }
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let reader: SQLiteReader? = lock.withLock {
                    // A reader may have come back between the two locks.
                    if let reader = idle.popLast() { return reader }
                    waiters.append(continuation)
                    return nil
                }
                if let reader { continuation.resume(returning: reader) }
            }
        }
    }

    func checkIn(_ reader: SQLiteReader) {
        let waiter: CheckedContinuation<SQLiteReader, any Error>? = lock.withLock {
            if closed {
                reader.close()
                return nil
            }
            if waiters.isEmpty {
                idle.append(reader)
                return nil
            }
            return waiters.removeFirst()
        }
        waiter?.resume(returning: reader)
    }

    func close() {
        let readers = lock.withLock {
            closed = true
            defer { idle = [] }
            return idle
        }
        for reader in readers { reader.close() }
    }
}

/// ``SQLSession`` over a ``SQLiteReader``: its queries run where it is called, with no hop.
struct SQLiteReaderSession: SQLSession {
    let reader: SQLiteReader
    let auditKey: AuditKey?

    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try reader.query(sql, binds, rewrite: true)
    }

    func lockAuditChain() async throws {}
    func lock(_ name: String) async throws {}
    func restartIdentity(_ table: String, column: String) async throws {}

    func insertAuditSubjects(seq: Int64, _ subjects: [PersonParty], salts: [Chain.Salt]) async throws {
        throw SQLiteReaderError(message: "a read does not write audit subjects")
    }

    var randomSaltSQL: String { "lower(hex(randomblob(16)))" }
}
