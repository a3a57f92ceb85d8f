import Crypto
import Foundation
import SamsparDomain

/// One look at personal data or one write, as it goes into the audit log.
public struct AuditDraft: Sendable, Equatable {
    /// `email` of a user, `token:NAME` of a case system, `cli:USER` of the command line.
    public var actor: String
    public var role: String
    public var organisation: Organisationsnummer?
    /// `read`, `create`, `update`, `import`, `consent`, `withdraw`, `sign-in`, …
    public var action: String
    public var person: Personnummer?
    /// `GET /api/v1/participants/{personId}`, `samspar import events`, …
    public var channel: String
    /// What else an auditor needs (never a name).
    public var detail: String

    public init(
        actor: String, role: String, organisation: Organisationsnummer?, action: String, person: Personnummer?, channel: String, detail: String = ""
    ) {
        self.actor = actor
        self.role = role
        self.organisation = organisation
        self.action = action
        self.person = person
        self.channel = channel
        self.detail = detail
    }
}

/// An entry as stored: numbered, timed, and chained to the one before it.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var at: String
    public var draft: AuditDraft
    public var previousHash: String
    public var hash: String
}

/// The append-only, hash-chained audit log (issue 4, part 6). Each entry's hash is SHA-256
/// over the previous entry's hash and the entry's own fields, so changing or deleting any
/// entry breaks every hash after it, and ``verify(in:)`` names the first entry that no
/// longer fits. Appends take the chain lock inside the caller's transaction: the entry
/// commits with the write it records, or not at all.
public enum AuditLog {
    public static let genesis = String(repeating: "0", count: 64)

    /// Appends entries in order, in the caller's transaction.
    public static func append(_ drafts: [AuditDraft], at now: Date, in s: any SQLSession) async throws {
        guard !drafts.isEmpty else { return }
        try await s.lockAuditChain()
        let head = try await s.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first
        var seq = head?["seq"].int ?? 0
        var previous = head?["hash"].text ?? genesis
        let at = Registry.timestamp(now)
        // Multi-row inserts, 50 entries at a time (bound-parameter limits).
        for chunk in drafts.chunked(50) {
            var binds: [SQLValue] = []
            var tuples: [String] = []
            for draft in chunk {
                seq += 1
                let hash = chainHash(previous: previous, seq: seq, at: at, draft: draft)
                let base = binds.count
                tuples.append("(" + (1...11).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                binds += [
                    .int(seq), .text(at), .text(draft.actor), .text(draft.role), .optional(draft.organisation?.value), .text(draft.action),
                    .optional(draft.person?.value), .text(draft.channel), .text(draft.detail), .text(previous), .text(hash),
                ]
                previous = hash
            }
            try await s.query(
                """
                INSERT INTO audit_log (seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash)
                VALUES \(tuples.joined(separator: ", "))
                """, binds)
        }
    }

    public static func chainHash(previous: String, seq: Int64, at: String, draft: AuditDraft) -> String {
        let fields: [String] = [
            previous, String(seq), at, draft.actor, draft.role, draft.organisation.map { String($0.value) } ?? "", draft.action,
            draft.person.map { String($0.value) } ?? "", draft.channel, draft.detail,
        ]
        // Length-prefixed fields: no separator inside a field can shift a boundary.
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8) + [58] + utf8
        }
        return Registry.hex(SHA256.hash(data: bytes))
    }

    /// What a search may filter on; `nil` means any.
    public struct Query: Sendable {
        public var person: Personnummer?
        public var actor: String?
        public var organisation: Organisationsnummer?
        public var action: String?
        public var after: Int64
        public var limit: Int

        public init(
            person: Personnummer? = nil, actor: String? = nil, organisation: Organisationsnummer? = nil, action: String? = nil, after: Int64 = 0,
            limit: Int = 100
        ) {
            self.person = person
            self.actor = actor
            self.organisation = organisation
            self.action = action
            self.after = after
            self.limit = limit
        }
    }

    public static func search(_ q: Query, in s: any SQLSession) async throws -> [AuditEntry] {
        var conditions = ["seq > $1"]
        var binds: [SQLValue] = [.int(q.after)]
        if let person = q.person {
            binds.append(.int(person.value))
            conditions.append("person_id = $\(binds.count)")
        }
        if let actor = q.actor {
            binds.append(.text(actor))
            conditions.append("actor = $\(binds.count)")
        }
        if let organisation = q.organisation {
            binds.append(.int(organisation.value))
            conditions.append("org_number = $\(binds.count)")
        }
        if let action = q.action {
            binds.append(.text(action))
            conditions.append("action = $\(binds.count)")
        }
        binds.append(.int(q.limit))
        let rows = try await s.query(
            """
            SELECT seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash FROM audit_log
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT $\(binds.count)
            """, binds)
        return rows.map(entry)
    }

    static func entry(_ r: SQLRow) -> AuditEntry {
        AuditEntry(
            seq: r["seq"].int ?? 0, at: r["at"].text ?? "",
            draft: AuditDraft(
                actor: r["actor"].text ?? "", role: r["role"].text ?? "", organisation: r["org_number"].int.map(Organisationsnummer.init(storedValue:)),
                action: r["action"].text ?? "", person: r["person_id"].int.map(Personnummer.init(storedValue:)), channel: r["channel"].text ?? "",
                detail: r["detail"].text ?? ""),
            previousHash: r["prev_hash"].text ?? "", hash: r["hash"].text ?? "")
    }

    /// The outcome of walking the whole chain.
    public struct Verification: Sendable, Equatable {
        public var entries: Int
        /// The first entry that no longer fits, and why; `nil` when the chain is whole.
        public var problem: String?
    }

    /// Walks the chain from the first entry, a page at a time.
    public static func verify(in s: any SQLSession) async throws -> Verification {
        var previous = genesis
        var expectedSeq: Int64 = 1
        var count = 0
        while true {
            let page = try await search(Query(after: expectedSeq - 1, limit: 5000), in: s)
            if page.isEmpty { return Verification(entries: count, problem: nil) }
            for e in page {
                if e.seq != expectedSeq {
                    return Verification(entries: count, problem: "entry \(expectedSeq) is missing (the next entry is \(e.seq))")
                }
                if e.previousHash != previous {
                    return Verification(entries: count, problem: "entry \(e.seq) does not follow entry \(e.seq - 1): its link was changed")
                }
                if chainHash(previous: previous, seq: e.seq, at: e.at, draft: e.draft) != e.hash {
                    return Verification(entries: count, problem: "entry \(e.seq) was changed after it was written")
                }
                previous = e.hash
                expectedSeq += 1
                count += 1
            }
        }
    }
}
