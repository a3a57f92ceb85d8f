import Foundation
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 10, part 4: `serve` on PostgreSQL uses a pool of connections (`PostgresClient`),
/// sized in the configuration; the command line keeps one connection.
@Suite("PostgreSQL connection pool")
struct PostgresPoolTests {
    static let enabled = ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] != nil

    /// The server process of each of `count` reads started together, each holding its
    /// connection for a moment.
    static func backends(_ store: PostgreSQLStore, count: Int) async throws -> [Int64] {
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await store.read { s in
                        try await s.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.3)::text AS slept", []).first?["pid"].int ?? -1
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test(.enabled(if: enabled, "needs scripts/with-postgres.sh's cluster"))
    func aPoolServesReadsOnSeveralConnectionsAndOneConnectionOneAtATime() async throws {
        let location = try await PostgresTestDatabase.makeLocation()
        let pooled = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey, poolSize: 3)
        let pooledBackends = try await Self.backends(pooled, count: 3)
        try await pooled.close()
        // Three reads at once on a pool of three: three server processes.
        #expect(Set(pooledBackends).count == 3, "\(pooledBackends)")

        let single = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey)
        let singleBackends = try await Self.backends(single, count: 3)
        try await single.close()
        #expect(Set(singleBackends).count == 1, "\(singleBackends)")
    }

    @Test(.enabled(if: enabled, "needs scripts/with-postgres.sh's cluster"))
    func aPoolNeverOpensMoreThanItsSize() async throws {
        let location = try await PostgresTestDatabase.makeLocation()
        let pooled = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey, poolSize: 2)
        let backends = try await Self.backends(pooled, count: 6)
        try await pooled.close()
        #expect(backends.count == 6)
        #expect(Set(backends).count <= 2, "\(backends)")
    }

    @Test(.enabled(if: enabled && PostgresTLSTests.ca != nil, "needs scripts/with-postgres.sh's cluster with its certificate"))
    func aPooledConnectionVerifiesTheServer() async throws {
        var location = try await PostgresTestDatabase.makeLocation()
        location.tls = .verifyFull
        location.rootCertificate = PostgresTLSTests.ca
        let pooled = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey, poolSize: 2)
        #expect(try await PostgresTLSTests().encrypted(pooled) == "true")
        try await pooled.close()
    }
}
