import Foundation

@testable import SamsparStore

/// (The same helper as SamsparStoreTests': test targets cannot share sources.)
/// A fresh database on the test cluster for each test (`scripts/with-postgres.sh` sets
/// `SAMSPAR_TEST_POSTGRES_URL`); the cluster is thrown away after the run.
enum PostgresTestDatabase {
    static var serverURL: DatabaseURL.PostgresLocation {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"],
                case .postgres(let location) = try DatabaseURL(text)
            else { throw StoreError.badURL("SAMSPAR_TEST_POSTGRES_URL", reason: "not set to a postgres:// URL") }
            return location
        }
    }

    static func makeLocation() async throws -> DatabaseURL.PostgresLocation {
        let server = try serverURL
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try await PostgreSQLStore.open(server, migrate: false)
        do {
            try await admin.execute("CREATE DATABASE \(name)")
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
        var location = server
        location.database = name
        return location
    }

    static func makeStore() async throws -> any SamsparStore {
        try await PostgreSQLStore.open(try await makeLocation())
    }
}
