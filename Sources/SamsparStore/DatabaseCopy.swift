import Foundation
import SamsparDomain

/// `samspar db copy`: moves an installation from one engine to another without loss (SPEC
/// §5, issue 7). Every table is copied row for row, in key order, inside one transaction on
/// the target: organisations, agreements with every version and its import time, tracks,
/// registrations, records with the party that made them, consents, users, API tokens (their
/// hashes), and the audit log with the registrations each entry touched, so that its chain
/// verifies on the target with the same head (given the same audit key). Sessions and
/// idempotency keys stay behind. Rows go from one database straight into the other: nothing
/// is written to disk in between. The target must be empty.
public enum DatabaseCopy {
    public struct Summary: Sendable {
        /// Rows copied per table, in copy order.
        public var rows: [(table: String, rows: Int)]
    }

    /// The tables in an order that keeps every foreign key satisfied, each with its key.
    static let tables: [(name: String, key: [String], identity: String?)] = [
        ("organisations", ["org_number"], nil),
        ("agreements", ["id"], nil),
        ("agreement_versions", ["agreement_id", "version"], nil),
        ("agreement_parties", ["agreement_id", "org_number"], nil),
        ("tracks", ["id"], "id"),
        ("registrations", ["person_id", "org_number"], nil),
        ("track_events", ["person_id", "org_number", "track_id", "kind", "date"], nil),
        ("status_changes", ["person_id", "org_number", "date"], nil),
        ("activities", ["person_id", "org_number", "kind", "start"], nil),
        ("consents", ["id"], "id"),
        ("users", ["id"], "id"),
        ("api_tokens", ["id"], "id"),
        ("recovery_codes", ["user_id", "code_hash"], nil),
        ("identity_providers", ["org_number"], nil),
        ("installation_marks", ["name"], nil),
        ("audit_log", ["seq"], nil),
        ("audit_subjects", ["person_id", "org_number", "seq"], nil),
        ("audit_removed_subjects", ["seq", "digest"], nil),
        ("audit_previous", ["seq", "person_id", "org_number", "salt"], nil),
        ("retention_effects", ["org_number", "ran_on", "first_year", "last_year"], nil),
        ("published_reports", ["id"], "id"),
        ("quarter_closes", ["agreement_id", "quarter"], nil),
        ("draft_members", ["agreement_id", "version", "org_number"], nil),
    ]

    public static func copy(from source: some SamsparStore, to target: some SamsparStore, pageSize: Int = 5000) async throws -> Summary {
        try await target.transaction { t in
            for (table, _, _) in tables {
                let n = try await t.query("SELECT count(*) AS n FROM \(table)").first?["n"].int ?? 0
                if n > 0 {
                    throw StoreError.cannotOpen("target", reason: "the target database is not empty (\(table) has \(n) rows); copy into a new database")
                }
            }
            return try await source.read { s in
                var summary = Summary(rows: [])
                for (table, key, identity) in tables {
                    var copied = 0
                    var last: [SQLValue]? = nil
                    while true {
                        var sql = "SELECT * FROM \(table)"
                        if let last {
                            let placeholders = (1...last.count).map { "$\($0)" }.joined(separator: ", ")
                            sql += " WHERE (\(key.joined(separator: ", "))) > (\(placeholders))"
                        }
                        sql += " ORDER BY \(key.joined(separator: ", ")) LIMIT \(pageSize)"
                        let rows = try await s.query(sql, last ?? [])
                        guard let first = rows.first else { break }
                        let columns = first.names
                        let perInsert = max(1, 900 / columns.count)
                        for chunk in rows.chunked(perInsert) {
                            var binds: [SQLValue] = []
                            var tuples: [String] = []
                            for row in chunk {
                                let base = binds.count
                                tuples.append("(" + (1...columns.count).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                                binds += row.values
                            }
                            try await t.query(
                                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))", binds)
                        }
                        copied += rows.count
                        last = key.map { rows.last![$0] }
                        if rows.count < pageSize { break }
                    }
                    if let identity { try await t.restartIdentity(table, column: identity) }
                    summary.rows.append((table, copied))
                }
                // The registrations' change counter (one row, made by the target's migration).
                let changes = try await s.query("SELECT n FROM registration_changes WHERE id = 1").first?["n"].int ?? 0
                try await t.query("UPDATE registration_changes SET n = $1 WHERE id = 1", [.int(changes)])
                return summary
            }
        }
    }
}
