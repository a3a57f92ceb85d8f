import Foundation
import SamsparDomain

/// Migration 5 (issue 10, part 5): failed sign-ins in the database, so that every `serve`
/// instance on one database counts the same failures (N instances must not allow N× the
/// guesses). Keys are `a:<e-mail>` per account and `i:<address>` per client address.
enum SignInFailureMigration {
    static func statements(bigint: String) -> [String] {
        [
            "CREATE TABLE sign_in_failures (key TEXT NOT NULL, failed_at \(bigint) NOT NULL)",
            "CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, failed_at)",
        ]
    }
}

extension SamsparStore {
    /// The failures of each key at or after `since` (Unix seconds): how many, and the first.
    public func signInFailures(keys: [String], since: Int64) async throws -> [String: (count: Int, first: Int64)] {
        try await read { s in
            var result: [String: (count: Int, first: Int64)] = [:]
            for key in keys {
                let rows = try await s.query(
                    "SELECT count(*) AS n, min(failed_at) AS first FROM sign_in_failures WHERE key = $1 AND failed_at >= $2", [.text(key), .int(since)])
                if let n = rows.first?["n"].int, n > 0, let first = rows.first?["first"].int { result[key] = (Int(n), first) }
            }
            return result
        }
    }

    /// Records a failure under each key, and forgets failures older than `forgetBefore`.
    public func recordSignInFailure(keys: [String], at: Int64, forgetBefore: Int64) async throws {
        try await transaction { s in
            try await s.query("DELETE FROM sign_in_failures WHERE failed_at < $1", [.int(forgetBefore)])
            for key in keys { try await s.query("INSERT INTO sign_in_failures (key, failed_at) VALUES ($1, $2)", [.text(key), .int(at)]) }
        }
    }

    /// Forgets a key's failures (after a successful sign-in to the account).
    public func clearSignInFailures(key: String) async throws {
        _ = try await transaction { s in try await s.query("DELETE FROM sign_in_failures WHERE key = $1", [.text(key)]) }
    }
}
