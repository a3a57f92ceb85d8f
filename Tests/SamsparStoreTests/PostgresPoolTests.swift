import Foundation
import SamsparDomain
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

    /// With a pool, a report reads its population in two halves on two connections in one
    /// exported snapshot: the figures are those of `reportFromTheStoreFollowsTheRules`.
    @Test(.enabled(if: enabled, "needs scripts/with-postgres.sh's cluster"))
    func aReportReadInTwoHalvesCountsEveryoneOnce() async throws {
        let pooled = try await PostgreSQLStore.open(try await PostgresTestDatabase.makeLocation(), auditKey: Engine.auditKey, poolSize: 4)
        do {
            try await Fixtures.load(pooled)
            let (report, _) = try await pooled.report(agreementID: "ostra-sodertorn", year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!)
            #expect(report.participants.active == 4)
            #expect(report.participants.female == 2)
            #expect(report.participants.male == 2)
            #expect(report.tracks[0].count(.completed) == 1)
            #expect(report.tracks[0].outcome == Ratio(1, of: 1))
            #expect(report.recruitment == Ratio(2, of: 4))
            try await pooled.close()
        } catch {
            try? await pooled.close()
            throw error
        }
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
