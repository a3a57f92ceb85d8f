import Foundation
import VaporCSQLite

/// A connection to the embedded engine through SQLite's C API (issue 27, part 1): every
/// connection of ``SQLiteStore``, the writer and the readers alike.
///
/// sqlite-nio parses every statement anew, binds every value through an enum, and hops to its
/// thread pool and back for each statement; a participant's audited read is six statements,
/// and a national import a million multi-row inserts, so parsing and hopping were a third of
/// the server's time and half an import's (BENCHMARKS.md). A handle keeps each statement it
/// has prepared and reuses it, binds values straight, and runs where it is called: the store
/// runs a whole read or a whole write transaction as one job on ``SQLiteExecutor``.
///
/// Decided: sqlite-nio's own C module `VaporCSQLite` (SQLite 3.54.1, `sqlite_nio_`-prefixed
/// symbols; the package is pinned exactly) rather than a vendored amalgamation. It is the
/// copy of SQLite that sqlite-nio brings into the process anyway, so there is one copy and
/// one set of POSIX locks on the WAL; two copies in one process break each other's locks.
final class SQLiteHandle: @unchecked Sendable {
    enum Mode {
        /// Read-only, in multi-thread mode: the pool hands a reader to one read at a time, so
        /// SQLite's own per-connection mutex is not needed.
        case readOnly
        /// Read and write, creating the file, in serialized mode: the store's gate already
        /// lets one transaction at a time use it, and SQLite's mutex makes sure of it.
        case readWrite
    }

    private var handle: OpaquePointer?
    /// Prepared statements by SQL text. Statements built with a varying number of
    /// placeholders would grow it without end, so past ``cacheLimit`` it starts again.
    private var statements: [String: OpaquePointer] = [:]
    static let cacheLimit = 128
    /// The kept statements being stepped now (``forEach(_:_:rewrite:keep:_:)``,
    /// ``rows(_:_:_:)``): starting the cache again never finalizes one of these. Reads walked
    /// side by side prepare a statement while another is open (the one read of every
    /// registration); a reader that had run 128 other statements before would have stepped a
    /// finalized one.
    private var inUse: Set<OpaquePointer> = []
    var cachedStatements: Int { statements.count }
    /// How often SQLite prepared each kept statement again (`SQLITE_STMTSTATUS_REPREPARE`): a
    /// statement it expires on every use is parsed on every use, which keeping it was to avoid.
    var reprepared: [String: Int32] {
        statements.mapValues { sqlite_nio_sqlite3_stmt_status($0, SQLITE_STMTSTATUS_REPREPARE, 0) }
    }

    init(path: String, mode: Mode = .readOnly, pragmas: [String]) throws {
        var db: OpaquePointer?
        let flags =
            switch mode {
            case .readOnly: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            case .readWrite: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
            }
        let status = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "status \(status)"
            if let db { sqlite_nio_sqlite3_close(db) }
            throw SQLiteFailure(message: "cannot open \(path): \(message)")
        }
        handle = db
        do {
            for pragma in pragmas { try execute(pragma) }
        } catch {
            close()
            throw error
        }
    }

    /// A read-only connection with its page cache (``SQLiteStore/PageCache``).
    convenience init(path: String, cacheKiB: Int) throws {
        try self.init(path: path, pragmas: ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000", "PRAGMA cache_size = -\(cacheKiB)"])
    }

    deinit { close() }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    fileprivate func error(_ what: String) -> SQLiteFailure {
        SQLiteFailure(message: "\(what): \(handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed")")
    }

    /// Statements without results and without values (`BEGIN`, `COMMIT`, a pragma), not kept.
    func execute(_ sql: String) throws {
        guard let handle else { throw SQLiteFailure(message: "the connection is closed") }
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql) }
    }

    /// The statement of `sql`, prepared on first use; `rewrite` turns PostgreSQL's `$N` into
    /// SQLite's `?N` then, once (the cache is keyed by the text as written).
    private func prepared(_ sql: String, rewrite: Bool) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw SQLiteFailure(message: "the connection is closed") }
        if statements.count >= Self.cacheLimit {
            var open: [String: OpaquePointer] = [:]
            for (text, statement) in statements {
                if inUse.contains(statement) { open[text] = statement } else { sqlite_nio_sqlite3_finalize(statement) }
            }
            statements = open
        }
        var statement: OpaquePointer?
        let text = rewrite ? sqlitePlaceholders(sql) : sql
        guard sqlite_nio_sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw error("prepare")
        }
        statements[sql] = statement
        return statement
    }

    /// A statement prepared for one use and finalized after it (schema changes, pragmas, the
    /// one-off statements of a migration or an import's last steps).
    private func once(_ sql: String) throws -> OpaquePointer {
        guard let handle else { throw SQLiteFailure(message: "the connection is closed") }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw error("prepare") }
        return statement
    }

    /// Binds `binds` in order. A kept statement still holds the values of its last use: when
    /// fewer are given than it has parameters, the rest are cleared to NULL first, as on a
    /// fresh statement. Clearing is not done otherwise: SQLite expires a statement whose plan
    /// looked at a bound value (a parameter equal to an `ORDER BY` column, say) when its
    /// bindings are cleared, and then prepares it again on the next step; clearing after every
    /// use made every statement of a participant's read be parsed anew on every read.
    private func bind(_ binds: [SQLValue], to statement: OpaquePointer) throws {
        if binds.count < Int(sqlite_nio_sqlite3_bind_parameter_count(statement)) { sqlite_nio_sqlite3_clear_bindings(statement) }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
            case .int(let v): status = sqlite_nio_sqlite3_bind_int64(statement, index, v)
            case .real(let v): status = sqlite_nio_sqlite3_bind_double(statement, index, v)
            case .text(let v): status = Self.bind(v, to: statement, at: index)
            }
            guard status == SQLITE_OK else { throw error("bind \(index)") }
        }
    }

    static func bind(_ text: String, to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // An empty text is bound as "" (a null pointer would bind NULL).
            bytes.withMemoryRebound(to: CChar.self) {
                sqlite_nio_sqlite3_bind_text64(statement, index, $0.baseAddress ?? Self.empty, UInt64($0.count), Self.transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    /// Runs `sql` with `binds` and reads every row (`rewrite`: `sql` has PostgreSQL's `$N`;
    /// `keep`: the statement is prepared once and kept for the next call).
    func query(_ sql: String, _ binds: [SQLValue], rewrite: Bool = false, keep: Bool = true) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        var names: [String]?
        try forEach(sql, binds, rewrite: rewrite, keep: keep) { row in
            if names == nil { names = row.names }
            rows.append(SQLRow(names: names ?? [], values: row.values))
        }
        return rows
    }

    /// Runs `sql` and hands each row to `body` as it comes, without gathering them (a million
    /// rows as ``SQLRow``s at once would be hundreds of MB).
    func forEach(_ sql: String, _ binds: [SQLValue], rewrite: Bool = false, keep: Bool = true, _ body: (SQLiteCursor) throws -> Void) throws {
        let statement = keep ? try prepared(sql, rewrite: rewrite) : try once(rewrite ? sqlitePlaceholders(sql) : sql)
        if keep { inUse.insert(statement) }
        defer {
            if keep {
                sqlite_nio_sqlite3_reset(statement)
                inUse.remove(statement)
            } else {
                sqlite_nio_sqlite3_finalize(statement)
            }
        }
        try bind(binds, to: statement)
        let cursor = SQLiteCursor(statement: statement)
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error("step") }
            try body(cursor)
        }
    }

    /// Runs `sql` (kept) with `binds` and hands `body` its rows to step through itself
    /// (``SQLiteRows/next()``), so that several statements can be walked side by side: a merge
    /// of reads each in key order (``SQLiteStore/reportInputs(forEach:asOf:)``).
    func rows<T>(_ sql: String, _ binds: [SQLValue], _ body: (inout SQLiteRows) throws -> T) throws -> T {
        let statement = try prepared(sql, rewrite: false)
        inUse.insert(statement)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            inUse.remove(statement)
        }
        try bind(binds, to: statement)
        var rows = SQLiteRows(statement: statement, connection: self)
        return try body(&rows)
    }

    /// Runs the one-row statement `sql` (kept) `count` times, `bind` giving row `i`'s values
    /// in order: the import's staging, one prepared insert stepped per row as `sqlite3
    /// .import` does it.
    func insert(_ sql: String, rows count: Int, _ bind: (inout SQLiteBinder, Int) -> Void) throws {
        let statement = try prepared(sql, rewrite: false)
        defer { sqlite_nio_sqlite3_clear_bindings(statement) }
        for i in 0..<count {
            var binder = SQLiteBinder(statement: statement)
            bind(&binder, i)
            guard binder.status == SQLITE_OK else {
                sqlite_nio_sqlite3_reset(statement)
                throw error("bind \(binder.index)")
            }
            let status = sqlite_nio_sqlite3_step(statement)
            sqlite_nio_sqlite3_reset(statement)
            guard status == SQLITE_DONE else { throw error("insert") }
        }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// A pointer to an empty C string, for binding "".
    nonisolated(unsafe) static let empty: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}

/// The current row of a statement being stepped (``SQLiteHandle/forEach(_:_:rewrite:keep:_:)``),
/// valid only inside the call it is handed to.
struct SQLiteCursor {
    let statement: OpaquePointer

    var count: Int32 { sqlite_nio_sqlite3_column_count(statement) }
    var names: [String] { (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) } }
    var values: [SQLValue] { (0..<count).map { self[$0] } }

    /// The column's number by name (look it up once, outside the loop over rows).
    func index(of name: String) -> Int32? { (0..<count).first { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) == name } }

    func isNull(_ column: Int32) -> Bool { sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int64? { isNull(column) ? nil : sqlite_nio_sqlite3_column_int64(statement, column) }
    /// A column that is never NULL (a key, a `NOT NULL` column): no check of its type.
    func int64(_ column: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(statement, column) }

    /// Text, and a blob read as text (as sqlite-nio's rows were).
    func text(_ column: Int32) -> String? {
        guard !isNull(column) else { return nil }
        let bytes = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
        guard let pointer = sqlite_nio_sqlite3_column_blob(statement, column) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes), as: UTF8.self)
    }

    /// A text or blob column's bytes, valid only inside `body` (empty for NULL).
    func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let pointer = sqlite_nio_sqlite3_column_blob(statement, column)
        let bytes = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
        return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : bytes))
    }

    subscript(_ column: Int32) -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: .int(sqlite_nio_sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: .real(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_NULL: .null
        default: .text(text(column) ?? "")
        }
    }
}

/// A statement's rows stepped one at a time (``SQLiteHandle/rows(_:_:_:)``).
struct SQLiteRows {
    let statement: OpaquePointer
    let connection: SQLiteHandle
    /// True once the last row has been stepped past.
    private(set) var done = false

    /// The current row, after ``next()`` answered `true`.
    var cursor: SQLiteCursor { SQLiteCursor(statement: statement) }

    /// Steps to the next row: `false` when there is none.
    mutating func next() throws -> Bool {
        guard !done else { return false }
        let status = sqlite_nio_sqlite3_step(statement)
        if status == SQLITE_ROW { return true }
        done = true
        guard status == SQLITE_DONE else { throw connection.error("step") }
        return false
    }
}

/// Binds one row's values in column order (``SQLiteHandle/insert(_:rows:_:)``); the first
/// failure is kept in `status`.
struct SQLiteBinder {
    let statement: OpaquePointer
    private(set) var index: Int32 = 0
    private(set) var status = SQLITE_OK

    init(statement: OpaquePointer) { self.statement = statement }

    /// The next column's number.
    private mutating func next() -> Int32 {
        index += 1
        return index
    }

    private mutating func keep(_ result: Int32) { if status == SQLITE_OK { status = result } }

    mutating func int(_ value: Int64) {
        let i = next()
        keep(sqlite_nio_sqlite3_bind_int64(statement, i, value))
    }

    mutating func int(_ value: Int64?) {
        guard let value else { return null() }
        int(value)
    }

    mutating func real(_ value: Double?) {
        guard let value else { return null() }
        let i = next()
        keep(sqlite_nio_sqlite3_bind_double(statement, i, value))
    }

    mutating func text(_ value: String?) {
        guard let value else { return null() }
        let i = next()
        keep(SQLiteHandle.bind(value, to: statement, at: i))
    }

    mutating func null() {
        let i = next()
        keep(sqlite_nio_sqlite3_bind_null(statement, i))
    }
}

struct SQLiteFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { "SQLite: \(message)" }
}

/// Where the embedded engine's work runs (issue 27): threads of its own, on which a whole
/// read, or a whole write transaction, runs and may block in SQLite (on the disk, or waiting
/// for another process's lock) without holding up Swift's cooperative threads or
/// libdispatch's.
///
/// A concurrent dispatch queue for both (the first step) is the wrong home for calls that
/// block: libdispatch on Linux adds a worker only when a core is idle, so the writer's jobs
/// (the audit log's group commits) waited behind reads. Measured on the national database with
/// the closes running beside the reads in both runs: 2,462 reads/s and a half-load p99 of
/// 74.7 ms on the queue, 2,852/s and 13.9 ms on these threads (BENCHMARKS.md). The writer has
/// one thread (writes are one at a time anyway, ``SQLiteStore/gate``) and the readers one
/// each, so neither waits for the other.
final class SQLiteExecutor: TaskExecutor, @unchecked Sendable {
    static let writer = SQLiteExecutor(name: "samspar.sqlite.writer", threads: 1)
    static let readers = SQLiteExecutor(name: "samspar.sqlite.reader", threads: SQLiteStore.readerCount)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    init(name: String, threads: Int) {
        for i in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = threads == 1 ? name : "\(name).\(i + 1)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func next() -> UnownedJob {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count { condition.wait() }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }

    private func work() {
        while true { next().runSynchronously(on: asUnownedTaskExecutor()) }
    }
}

/// The read-only connections of ``SQLiteHandle``, handed out one read at a time: at most
/// `limit` open, the rest of the reads wait their turn in order.
final class SQLiteReaderPool: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private let cacheKiB: Int
    private let limit: Int
    private var idle: [SQLiteHandle] = []
    private var open = 0
    private var waiters: [CheckedContinuation<SQLiteHandle, any Error>] = []
    private var closed = false

    init(path: String, cacheKiB: Int, limit: Int) {
        self.path = path
        self.cacheKiB = cacheKiB
        self.limit = limit
    }

    private enum Take {
        case reader(SQLiteHandle)
        case openNew
        case wait
    }

    func checkOut() async throws -> SQLiteHandle {
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
                return try SQLiteHandle(path: path, cacheKiB: cacheKiB)
            } catch {
                lock.withLock { open -= 1 }
                throw error
            }
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let reader: SQLiteHandle? = lock.withLock {
                    // A reader may have come back between the two locks.
                    if let reader = idle.popLast() { return reader }
                    waiters.append(continuation)
                    return nil
                }
                if let reader { continuation.resume(returning: reader) }
            }
        }
    }

    func checkIn(_ reader: SQLiteHandle) {
        let waiter: CheckedContinuation<SQLiteHandle, any Error>? = lock.withLock {
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
