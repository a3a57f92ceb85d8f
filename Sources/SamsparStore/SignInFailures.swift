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

    /// Migration 8 (issue 20): each row names the attempt that wrote it. An attempt's rows are
    /// written before its password is checked, and removed again if it succeeds.
    static let attempts = [
        "ALTER TABLE sign_in_failures ADD COLUMN attempt TEXT",
        "CREATE INDEX sign_in_failures_by_attempt ON sign_in_failures (attempt)",
    ]
}

/// A sign-in limit: the attempt is refused when each key of one rule has at least its limit
/// of failures (or attempts under way) in the window.
public struct SignInRule: Sendable {
    public var keys: [(key: String, limit: Int)]
    public init(_ keys: [(key: String, limit: Int)]) { self.keys = keys }
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

    /// Reserves one sign-in attempt before its password is checked (issue 20): in one
    /// transaction, under one lock shared by every instance, it counts the failures of the
    /// window (`since` on) and, unless a rule refuses, writes a row under each of `record`
    /// named `attempt`. So however many attempts arrive at once, at most a limit's worth are
    /// checked. A failed attempt leaves its rows as its failures; ``signInSucceeded(attempt:clearing:)``
    /// removes a successful one's. Returns the first failure time of the refusing rule's
    /// first key, or nil when the attempt was reserved.
    public func reserveSignInAttempt(rules: [SignInRule], record: [String], attempt: String, since: Int64, at: Int64) async throws -> Int64? {
        try await transaction { s in
            try await s.lock("sign-in-limits")
            try await s.query("DELETE FROM sign_in_failures WHERE failed_at < $1", [.int(since)])
            var recent: [String: (count: Int, first: Int64)] = [:]
            for key in Set(rules.flatMap { $0.keys.map(\.key) }) {
                let rows = try await s.query("SELECT count(*) AS n, min(failed_at) AS first FROM sign_in_failures WHERE key = $1", [.text(key)])
                recent[key] = (Int(rows.first?["n"].int ?? 0), rows.first?["first"].int ?? at)
            }
            for rule in rules where rule.keys.allSatisfy({ (recent[$0.key]?.count ?? 0) >= $0.limit }) {
                return recent[rule.keys[0].key]?.first ?? at
            }
            for key in record {
                try await s.query("INSERT INTO sign_in_failures (key, failed_at, attempt) VALUES ($1, $2, $3)", [.text(key), .int(at), .text(attempt)])
            }
            return nil
        }
    }

    /// A reserved attempt succeeded: its rows go, and so do the failures of `clearing` (the account's).
    public func signInSucceeded(attempt: String, clearing key: String) async throws {
        try await transaction { s in
            try await s.query("DELETE FROM sign_in_failures WHERE attempt = $1", [.text(attempt)])
            try await s.query("DELETE FROM sign_in_failures WHERE key = $1", [.text(key)])
        }
    }

    /// Forgets a key's failures (after a successful sign-in to the account).
    public func clearSignInFailures(key: String) async throws {
        _ = try await transaction { s in try await s.query("DELETE FROM sign_in_failures WHERE key = $1", [.text(key)]) }
    }
}
