import Foundation
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 10, part 4: TLS to PostgreSQL, as libpq's `sslmode` says it, against the test
/// cluster with its self-signed certificate (`scripts/with-postgres.sh`).
@Suite("PostgreSQL over TLS")
struct PostgresTLSTests {
    @Test func theURLSaysHowToUseTLS() throws {
        #expect(try DatabaseURL("postgres://u:p@db:5432/samspar") == .postgres(.init(host: "db", port: 5432, user: "u", password: "p", database: "samspar")))
        guard case .postgres(let required) = try DatabaseURL("postgres://u@db/samspar?sslmode=require") else { throw StoreError.badURL("", reason: "") }
        #expect(required.tls == .require && required.rootCertificate == nil)
        guard case .postgres(let verified) = try DatabaseURL("postgres://u@db/samspar?sslmode=verify-full&sslrootcert=/etc/ca.pem") else {
            throw StoreError.badURL("", reason: "")
        }
        #expect(verified.tls == .verifyFull && verified.rootCertificate == "/etc/ca.pem")
        #expect(throws: StoreError.self) { try DatabaseURL("postgres://u@db/samspar?sslmode=prefer") }
        #expect(throws: StoreError.self) { try DatabaseURL("postgres://u@db/samspar?sslmod=require") }
        #expect(throws: StoreError.self) { try DatabaseURL("postgres://u@db/samspar?sslmode=require&sslrootcert=/etc/ca.pem") }
        #expect(DatabaseURL.postgres(required).description == "postgres://u@db:5432/samspar?sslmode=require")
    }

    static let ca = ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_CA"]

    /// Whether this store's own connection is encrypted, as the server sees it.
    func encrypted(_ store: PostgreSQLStore) async throws -> String? {
        try await store.read { try await $0.query("SELECT ssl::text AS ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []).first?["ssl"].text }
    }

    @Test(.enabled(if: ca != nil, "needs scripts/with-postgres.sh's cluster with its certificate"))
    func requireAndVerifyFullConnectEncrypted() async throws {
        var location = try await PostgresTestDatabase.makeLocation()
        let plain = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey)
        #expect(try await encrypted(plain) == "false")
        try await plain.close()

        location.tls = .require
        let required = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey)
        #expect(try await encrypted(required) == "true")
        try await required.close()

        location.tls = .verifyFull
        location.rootCertificate = try #require(Self.ca)
        let verified = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey)
        #expect(try await encrypted(verified) == "true")
        try await verified.close()

        // The self-signed certificate is not one of the system's authorities: refused, saying why.
        location.rootCertificate = nil
        do {
            let unverified = try await PostgreSQLStore.open(location, auditKey: Engine.auditKey)
            try? await unverified.close()
            Issue.record("a certificate no authority signed was accepted")
        } catch let error as StoreError {
            #expect(error.description.contains("sslmode=verify-full"), "\(error)")
        }
    }
}
