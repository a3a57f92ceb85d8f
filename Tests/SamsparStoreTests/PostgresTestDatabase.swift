import Foundation
import SamsparStore

/// A fresh PostgreSQL database for one test (filled in with the PostgreSQL engine).
enum PostgresTestDatabase {
    static func makeStore() async throws -> any SamsparStore {
        throw StoreError.cannotOpen("postgres", reason: "the PostgreSQL engine is not built yet")
    }
}
