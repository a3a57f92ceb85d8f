import Foundation
import SamsparDomain

/// Migration 9 (issue 22): the chain stops depending on the identities retention removes.
///
/// The columns and tables, then ``AuditLog/rechain(in:at:)`` in the same transaction:
/// - `audit_log.person_salt`: the salt of the entry's person (``Chain``);
/// - `audit_log.person_digest`: the person's digest, kept once the person is removed;
/// - `audit_log.legacy_hash`: the hash an entry had under chain version 1, which version 2
///   chains, so that a head kept from before still verifies;
/// - `audit_subjects.salt`, and `audit_removed_subjects` for the digests of registrations
///   removed since;
/// - each organisation's retention period and the reference of its decision (SPEC §5
///   `org update --retention-years/--retention-decision`).
enum RechainMigration {
    static let version = 9

    static func statements(bigint: String, withoutRowID: String) -> [String] {
        [
            "ALTER TABLE audit_log ADD COLUMN person_salt TEXT",
            "ALTER TABLE audit_log ADD COLUMN person_digest TEXT",
            "ALTER TABLE audit_log ADD COLUMN legacy_hash TEXT",
            "ALTER TABLE audit_subjects ADD COLUMN salt TEXT",
            """
            CREATE TABLE audit_removed_subjects (
                seq \(bigint) NOT NULL REFERENCES audit_log(seq),
                digest TEXT NOT NULL,
                PRIMARY KEY (seq, digest)
            )\(withoutRowID)
            """,
            // What a correction changed, as it was (issue 22, part 4), chained with its entry.
            """
            CREATE TABLE audit_previous (
                seq \(bigint) NOT NULL REFERENCES audit_log(seq),
                person_id \(bigint) NOT NULL,
                org_number \(bigint) NOT NULL,
                salt TEXT NOT NULL,
                content TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_previous_by_registration ON audit_previous (person_id, org_number)",
            "CREATE INDEX audit_previous_by_seq ON audit_previous (seq)",
            // Which years' live figures a run or an erasure changed (the dashboard says so).
            """
            CREATE TABLE retention_effects (
                org_number \(bigint) NOT NULL,
                ran_on INTEGER NOT NULL,
                first_year INTEGER NOT NULL,
                last_year INTEGER NOT NULL
            )
            """,
            "ALTER TABLE organisations ADD COLUMN retention_years INTEGER",
            "ALTER TABLE organisations ADD COLUMN retention_decision TEXT",
        ]
    }
}

/// Why a store cannot rechain its audit log.
public struct RechainError: Error, CustomStringConvertible {
    public let description: String
}

extension AuditLog {
    /// Verifies the chain as version 1 wrote it, gives every identity it names a salt, chains
    /// every entry anew under version 2 (keeping the hash each had, which version 2 chains),
    /// and records the old head in a new entry. Nothing changes if the old chain does not
    /// verify: the migration stops with the entry that does not fit.
    static func rechain(in s: any SQLSession, at now: Date) async throws {
        guard !(try await isEmpty(in: s)) else { return }
        let key = s.auditKey
        if key == nil, try await isKeyed(in: s) {
            throw RechainError(description: "migration 9 chains the audit log anew and needs the audit key to verify it first: give the key")
        }
        let old = try await verifyLegacy(in: s)
        if let problem = old.problem {
            throw RechainError(
                description:
                    "migration 9 chains the audit log anew, but the log does not verify (\(problem)); nothing was changed. Restore the log from a backup, or keep the previous samspar"
            )
        }
        let oldHead = try await head(in: s)
        try await s.lockAuditChain()
        try await s.query("UPDATE audit_log SET person_salt = \(s.randomSaltSQL) WHERE person_id IS NOT NULL")
        try await s.query("UPDATE audit_subjects SET salt = \(s.randomSaltSQL)")
        var previous = genesis
        var after: Int64 = 0
        while true {
            let page = try await s.query(
                """
                SELECT seq, at, actor, role, org_number, action, person_id, person_salt, channel, detail, prev_hash, hash, keyed
                FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000
                """, [.int(after)])
            guard let first = page.first?["seq"].int, let last = page.last?["seq"].int else { break }
            var subjects: [Int64: [Chain.Digest]] = [:]
            for row in try await s.query(
                "SELECT seq, person_id, org_number, salt FROM audit_subjects WHERE seq >= $1 AND seq <= $2", [.int(first), .int(last)])
            {
                if let seq = row["seq"].int, let person = row["person_id"].int, let org = row["org_number"].int,
                    let salt = row["salt"].text.flatMap(Chain.Salt.init(hex:))
                {
                    subjects[seq, default: []].append(Chain.subject(PersonParty(person: person, org: org), salt: salt))
                }
            }
            var tuples: [String] = []
            var binds: [SQLValue] = []
            for row in page {
                let e = entry(row)
                let person = e.draft.person.flatMap { id in row["person_salt"].text.flatMap(Chain.Salt.init(hex:)).map { Chain.person(id.value, salt: $0) } }
                let hash = chainHash(
                    previous: previous, seq: e.seq, at: e.at, draft: e.draft, person: person, subjects: subjects[e.seq] ?? [], legacyHash: e.hash, key: key)
                let base = binds.count
                tuples.append("(CAST($\(base + 1) AS BIGINT), CAST($\(base + 2) AS TEXT), CAST($\(base + 3) AS TEXT), CAST($\(base + 4) AS TEXT))")
                binds += [.int(e.seq), .text(previous), .text(hash), .text(e.hash)]
                previous = hash
                after = e.seq
                if tuples.count == 200 {
                    try await rewrite(tuples, binds, keyed: key != nil, in: s)
                    tuples = []
                    binds = []
                }
            }
            if !tuples.isEmpty { try await rewrite(tuples, binds, keyed: key != nil, in: s) }
        }
        try await append(
            [
                AuditDraft(
                    actor: "samspar", role: "operator", organisation: nil, action: "audit-rechain", person: nil, channel: "migration 9",
                    detail: "chain version 2: identities as salted digests; the head before was \(oldHead)")
            ], at: now, in: s)
    }

    private static func rewrite(_ tuples: [String], _ binds: [SQLValue], keyed: Bool, in s: any SQLSession) async throws {
        try await s.query(
            """
            UPDATE audit_log SET prev_hash = v.column2, hash = v.column3, legacy_hash = v.column4, keyed = \(keyed ? 1 : 0)
            FROM (VALUES \(tuples.joined(separator: ", "))) AS v
            WHERE audit_log.seq = v.column1
            """, binds)
    }
}
