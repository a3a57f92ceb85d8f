import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// The embedded engine's read path through SQLite's C API (issue 27, part 1): what it reads
/// back, its statement cache, its snapshot, and reads waiting for a connection.
@Suite("SQLite's read path")
struct SQLiteReaderTests {
    func store() async throws -> SQLiteStore {
        let path = TestFiles.directory.appendingPathComponent("samspar-reader-\(UUID().uuidString).sqlite").path
        return try await SQLiteStore.open(path: path, auditKey: Engine.auditKey)
    }

    @Test func valuesComeBackAsTheyWereWritten() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        try await store.transaction { s in
            try await s.query("CREATE TABLE kinds (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)")
            try await s.query(
                "INSERT INTO kinds VALUES ($1, $2, $3, CAST($4 AS BLOB), $5)",
                [.int(9_007_199_254_740_993), .real(0.125), .text("Östra Södertörn – ”citat” \u{1F600}"), .text("blob as text"), .null])
        }
        let rows = try await store.read {
            try await $0.query("SELECT i, r, t, b, n, i + $1 AS more, $2 AS empty, $2 IS NULL AS wasNull FROM kinds", [.int(1), .text("")])
        }
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.names == ["i", "r", "t", "b", "n", "more", "empty", "wasNull"])
        // An empty text is bound as "", not as NULL.
        #expect(row["empty"] == .text("") && row["wasNull"] == .int(0))
        #expect(row["i"] == .int(9_007_199_254_740_993))
        #expect(row["r"] == .real(0.125))
        #expect(row["t"] == .text("Östra Södertörn – ”citat” \u{1F600}"))
        #expect(row["b"] == .text("blob as text"))
        #expect(row["n"] == .null)
        #expect(row["more"] == .int(9_007_199_254_740_994))
    }

    @Test func aStatementIsReusedWithNewValuesAndTheCacheIsBounded() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        let reader = try SQLiteHandle(path: await store.path, cacheKiB: 1024)
        defer { reader.close() }
        for n in 1...5 {
            let rows = try reader.query("SELECT $1 * 2 AS twice, $2 AS text", [.int(Int64(n)), .text("n\(n)")], rewrite: true)
            #expect(rows.map { $0["twice"] } == [.int(Int64(n * 2))])
            #expect(rows.map { $0["text"] } == [.text("n\(n)")])
        }
        // Fewer values than parameters: the rest are NULL, not the last use's values.
        let short = try reader.query("SELECT $1 * 2 AS twice, $2 AS text", [.int(7)], rewrite: true)
        #expect(short.map { $0["twice"] } == [.int(14)])
        #expect(short.map { $0["text"] } == [.null])
        // 200 different statements: the cache starts again past its limit, every answer right.
        for n in 0..<200 {
            let rows = try reader.query("SELECT \(n) AS n", [])
            #expect(rows.first?["n"] == .int(Int64(n)))
        }
        #expect(reader.cachedStatements <= SQLiteHandle.cacheLimit)
        #expect(throws: SQLiteFailure.self) { try reader.query("SELECT * FROM no_such_table", []) }
        // A read-only connection refuses to write.
        #expect(throws: SQLiteFailure.self) { try reader.query("CREATE TABLE t (x)", []) }
    }

    /// Reads walked side by side (the one read of every registration) prepare a statement while
    /// another is being stepped. On a reader whose cache is full, that preparation starts the
    /// cache again: the open statements must survive it, and go on from the row they were at.
    @Test func aFullCacheKeepsTheStatementsBeingStepped() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        let reader = try SQLiteHandle(path: await store.path, cacheKiB: 1024)
        defer { reader.close() }
        let outer = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) SELECT x FROM n"
        let inner = "WITH RECURSIVE n(x) AS (SELECT 10 UNION ALL SELECT x + 10 FROM n WHERE x < 30) SELECT x FROM n"
        let nested = "SELECT 100 AS x UNION ALL SELECT 200"
        var seen: [Int64] = []
        for round in 0..<2 {
            // Fill the cache to one short of its limit with statements of no use here.
            for n in 0..<(SQLiteHandle.cacheLimit - 1) { _ = try reader.query("SELECT \(n + round * 1000) AS filler", []) }
            try reader.rows(outer, []) { outerRows in
                #expect(try outerRows.next())
                seen.append(outerRows.cursor.int64(0))
                // Preparing these fills the cache and starts it again: `outer` is open.
                try reader.rows(inner, []) { innerRows in
                    while try innerRows.next() { seen.append(innerRows.cursor.int64(0)) }
                }
                try reader.forEach(nested, []) { row in seen.append(row.int64(0)) }
                while try outerRows.next() { seen.append(outerRows.cursor.int64(0)) }
            }
        }
        #expect(seen == [1, 10, 20, 30, 100, 200, 2, 3, 1, 10, 20, 30, 100, 200, 2, 3])
        #expect(reader.cachedStatements <= SQLiteHandle.cacheLimit)
    }

    /// A participant's read is the server's busiest path: its kept statements must not be
    /// prepared again on each use (SQLite does that to a statement whose plan depends on a
    /// value bound to it, which keeping it was to avoid).
    @Test func aParticipantsReadPreparesItsStatementsOnce() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        try await Fixtures.load(store)
        let reader = try SQLiteHandle(path: await store.path, cacheKiB: 1024)
        defer { reader.close() }
        let session = SQLiteSession(connection: reader, auditKey: nil)
        let haninge = try Organisationsnummer("212000-0084")
        for person in ["199001012385", "199009132391", "199001012385"] {
            try reader.execute("BEGIN")
            let view = try await Rows.participant(
                try Personnummer(person, currentYear: 2026), visibleTo: haninge, on: Day(year: 2019, month: 1, day: 1)!, in: session)
            try reader.execute("COMMIT")
            #expect(view?.person.value == Int64(person))
        }
        #expect(reader.cachedStatements == 5)
        #expect(reader.reprepared.values.sorted() == [0, 0, 0, 0, 0])
    }

    @Test func aReadSeesOneSnapshotWhileTheWriterCommits() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        try await store.transaction { s in
            try await s.query("CREATE TABLE counter (n INTEGER)")
            try await s.query("INSERT INTO counter VALUES (1)")
        }
        let (first, second) = try await store.read { s in
            let first = try await s.query("SELECT n FROM counter").first?["n"]
            // The writer commits in between; the read keeps its snapshot.
            _ = try await store.transaction { w in try await w.query("UPDATE counter SET n = 2") }
            let second = try await s.query("SELECT n FROM counter").first?["n"]
            return (first, second)
        }
        #expect(first == .int(1) && second == .int(1))
        #expect(try await store.read { try await $0.query("SELECT n FROM counter").first?["n"] } == .int(2))
    }

    @Test func moreReadsThanConnectionsAllFinish() async throws {
        let store = try await store()
        defer { Task { try? await store.close() } }
        let answers = try await withThrowingTaskGroup(of: Int64.self) { group in
            for n in 0..<64 {
                group.addTask { try await store.read { try await $0.query("SELECT $1 + 1 AS n", [.int(Int64(n))]).first?["n"].int ?? -1 } }
            }
            var all: [Int64] = []
            for try await answer in group { all.append(answer) }
            return all.sorted()
        }
        #expect(answers == (1...64).map(Int64.init))
    }
}
