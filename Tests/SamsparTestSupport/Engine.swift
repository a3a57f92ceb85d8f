import Foundation
import SamsparStore

/// The engines the store and web tests run on (STYLE §4: the same suite on both engines).
/// SQLite always; PostgreSQL when `SAMSPAR_TEST_POSTGRES_URL` names a server
/// (`scripts/with-postgres.sh` starts a throwaway one and sets it).
public enum Engine: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    public var description: String { rawValue }

    public static var available: [Engine] {
        ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The audit key of every test store (issue 7: the chain is an HMAC under a key kept
    /// outside the database).
    public static let auditKey = AuditKey(hex: String(repeating: "5a", count: 32))!

    /// A fresh, empty, migrated database of this engine, its audit log keyed with ``auditKey``
    /// (or with `nil`, the SHA-256 chain of entries written before keys existed).
    public func makeStore(auditKey: AuditKey? = Engine.auditKey) async throws -> any SamsparStore {
        switch self {
        case .sqlite:
            let path = TestFiles.directory.appendingPathComponent("samspar-test-\(UUID().uuidString).sqlite").path
            return try await SQLiteStore.open(path: path, auditKey: auditKey)
        case .postgres:
            return try await PostgreSQLStore.open(try await PostgresTestDatabase.makeLocation(), auditKey: auditKey)
        }
    }
}

/// A fresh database on the test cluster for each test; the cluster is thrown away after the run.
public enum PostgresTestDatabase {
    public static var serverURL: DatabaseURL.PostgresLocation {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"],
                case .postgres(let location) = try DatabaseURL(text)
            else { throw StoreError.badURL("SAMSPAR_TEST_POSTGRES_URL", reason: "not set to a postgres:// URL") }
            return location
        }
    }

    public static func makeLocation() async throws -> DatabaseURL.PostgresLocation {
        let server = try serverURL
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgreSQLStore.createDatabase(named: name, on: server)
        var location = server
        location.database = name
        return location
    }
}
