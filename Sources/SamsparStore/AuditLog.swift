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
    /// The registrations (person and party) whose records the act read or wrote: each party's
    /// access log of a person lists the entries that touched its own records (issue 7).
    public var subjects: [PersonParty]
    /// What a write changed, as it was before (a correction keeps it, SPEC §2): chained with the
    /// entry, removed with the registration by retention or erasure (its digest stays).
    public var previous: [PreviousValue] = []

    public init(
        actor: String, role: String, organisation: Organisationsnummer?, action: String, person: Personnummer?, channel: String, detail: String = "",
        subjects: [PersonParty] = []
    ) {
        self.actor = actor
        self.role = role
        self.organisation = organisation
        self.action = action
        self.person = person
        self.channel = channel
        self.detail = detail
        self.subjects = subjects
    }
}

/// The key of the audit chain (issue 7): entries are chained with HMAC-SHA-256 under a key
/// kept outside the database, so that someone who can write to the database cannot
/// recompute the chain after changing it. 32 random bytes, stored as 64 hex digits.
public struct AuditKey: Sendable {
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// The first entry the key chains: 1 for a log that had it from the start, the entry after
    /// the old head for a log from before keys. Every entry from here on must be keyed, so
    /// nobody can turn keyed entries back into plain SHA-256 ones and recompute those.
    public let keyedFrom: Int64

    /// `HEX` (64 hex digits), or `HEX from N` for a key that chains entries N and later.
    public init?(text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        if parts.count == 3, parts[1] == "from", let from = Int64(parts[2]), from >= 1 {
            self.init(hex: String(parts[0]), keyedFrom: from)
        } else if parts.count == 1 {
            self.init(hex: String(parts[0]))
        } else {
            return nil
        }
    }

    /// The key as `text`: what the key file holds.
    public var text: String { keyedFrom == 1 ? hex : "\(hex) from \(keyedFrom)" }

    public init?(hex: String, keyedFrom: Int64 = 1) {
        self.keyedFrom = keyedFrom
        let text = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.bytes = bytes
    }

    public static func random(keyedFrom: Int64 = 1) -> AuditKey {
        AuditKey(hex: Rows.hex(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }), keyedFrom: keyedFrom)!
    }

    public var hex: String { Rows.hex(bytes) }
}

/// An entry as stored: numbered, timed, and chained to the one before it.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var at: String
    public var draft: AuditDraft
    public var previousHash: String
    public var hash: String
    /// Chained with the installation's key (HMAC); false for entries written before it existed.
    public var keyed: Bool = false
    /// What the write changed, as it was, of the searching organisation's own registrations.
    public var previous: [PreviousValue] = []
}

/// The append-only, hash-chained audit log (issue 4, part 6). Each entry's hash is SHA-256
/// over the previous entry's hash and the entry's own fields, so changing or deleting any
/// entry breaks every hash after it, and ``verify(in:)`` names the first entry that no
/// longer fits. Appends take the chain lock inside the caller's transaction: the entry
/// commits with the write it records, or not at all.
public enum AuditLog {
    public static let genesis = String(repeating: "0", count: 64)

    /// Appends entries in order, in the caller's transaction, chained under the session's
    /// audit key (SHA-256 alone only where the store was opened without one: tests of the
    /// history before keys existed). Every identity an entry names enters the chain as a
    /// salted digest (``Chain``), its salt stored beside it, so that removing the identity and
    /// its salt later leaves a chain that still verifies (issue 22).
    static func append(_ drafts: [AuditDraft], at now: Date, in s: any SQLSession) async throws {
        guard !drafts.isEmpty else { return }
        let key = s.auditKey
        try await s.lockAuditChain()
        let head = try await s.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first
        var seq = head?["seq"].int ?? 0
        var previous = head?["hash"].text ?? genesis
        let at = Rows.timestamp(now)
        var salted: [AuditSubjects] = []
        var copies: [(seq: Int64, value: PreviousValue, salt: Chain.Salt)] = []
        // Multi-row inserts, 50 entries at a time (bound-parameter limits).
        for chunk in drafts.chunked(50) {
            var binds: [SQLValue] = []
            var tuples: [String] = []
            for draft in chunk {
                seq += 1
                let personSalt = draft.person.map { _ in Chain.Salt.random() }
                var personDigest: Chain.Digest? = nil
                if let person = draft.person, let personSalt { personDigest = Chain.person(person.value, salt: personSalt) }
                let subjects = Self.sortedUnique(draft.subjects)
                let salts = Chain.SubjectSalts()
                let previousSalts = draft.previous.map { _ in Chain.Salt.random() }
                // One array, sorted in place: a bulk write names a million subjects.
                var digests: [Chain.Digest] = []
                digests.reserveCapacity(subjects.count + draft.previous.count)
                for i in subjects.indices { digests.append(Chain.subject(subjects[i], salt: salts[i])) }
                for (value, salt) in zip(draft.previous, previousSalts) { digests.append(Chain.previous(value, salt: salt)) }
                Chain.sortInPlace(&digests)
                let hash = chainHash(previous: previous, seq: seq, at: at, draft: draft, person: personDigest, subjects: digests, legacyHash: nil, key: key)
                digests = []
                let base = binds.count
                tuples.append("(" + (1...13).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                binds += [
                    .int(seq), .text(at), .text(draft.actor), .text(draft.role), .optional(draft.organisation?.value), .text(draft.action),
                    .optional(draft.person?.value), .text(draft.channel), .text(draft.detail), .text(previous), .text(hash), .int(key == nil ? 0 : 1),
                    personSalt.map { .text($0.hex) } ?? .null,
                ]
                if !subjects.isEmpty { salted.append(AuditSubjects(seq: seq, subjects: subjects, salts: salts)) }
                for (value, salt) in zip(draft.previous, previousSalts) { copies.append((seq, value, salt)) }
                previous = hash
            }
            try await s.query(
                """
                INSERT INTO audit_log (seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash, keyed, person_salt)
                VALUES \(tuples.joined(separator: ", "))
                """, binds)
        }
        // Which registrations each entry touched (a bulk write names every one), each with its salt.
        if !salted.isEmpty { try await s.insertAuditSubjects(salted) }
        for chunk in copies.chunked(100) {
            var binds: [SQLValue] = []
            var tuples: [String] = []
            for copy in chunk {
                let base = binds.count
                tuples.append("(" + (1...5).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                binds += [
                    .int(copy.seq), .int(copy.value.registration.person), .int(copy.value.registration.org), .text(copy.salt.hex), .text(copy.value.content),
                ]
            }
            try await s.query(
                "INSERT INTO audit_previous (seq, person_id, org_number, salt, content) VALUES \(tuples.joined(separator: ", "))", binds)
        }
    }

    /// Sorted and without repeats; a bulk write's subjects arrive so already and are not copied.
    static func sortedUnique(_ subjects: [PersonParty]) -> [PersonParty] {
        if zip(subjects, subjects.dropFirst()).allSatisfy({ $0 < $1 }) { return subjects }
        return Set(subjects).sorted()
    }

    /// Chain version 2 (issue 22): every field of the entry, its person and the registrations
    /// it touched as salted digests (``Chain``; the subjects as one digest over their sorted
    /// digests, so that the order does not depend on identities that may go), and for an
    /// entry written before version 2 the hash it had then (``rechain(in:at:)``).
    public static func chainHash(
        previous: String, seq: Int64, at: String, draft: AuditDraft, person: Chain.Digest?, subjects: [Chain.Digest], legacyHash: String?, key: AuditKey?
    ) -> String {
        let fields: [String] = [
            "2", previous, String(seq), at, draft.actor, draft.role, draft.organisation.map { String($0.value) } ?? "", draft.action,
            person?.hex ?? "", draft.channel, draft.detail, Chain.combined(subjects), legacyHash ?? "",
        ]
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8) + [58] + utf8
        }
        if let key { return Rows.hex(HMAC<SHA256>.authenticationCode(for: bytes, using: key.key)) }
        return Rows.hex(SHA256.hash(data: bytes))
    }

    /// Chain version 1 (issues 4 and 7), which named identities in the clear: only
    /// ``rechain(in:at:)`` still computes it, to check the chain it replaces. Keyed entries
    /// also chained the registrations they touched, as one digest.
    static func legacyChainHash(previous: String, seq: Int64, at: String, draft: AuditDraft, key: AuditKey?) -> String {
        var fields: [String] = [
            previous, String(seq), at, draft.actor, draft.role, draft.organisation.map { String($0.value) } ?? "", draft.action,
            draft.person.map { String($0.value) } ?? "", draft.channel, draft.detail,
        ]
        if key != nil { fields.append(subjectsDigest(draft.subjects)) }
        // Length-prefixed fields: no separator inside a field can shift a boundary.
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8) + [58] + utf8
        }
        if let key { return Rows.hex(HMAC<SHA256>.authenticationCode(for: bytes, using: key.key)) }
        return Rows.hex(SHA256.hash(data: bytes))
    }

    static func subjectsDigest(_ subjects: [PersonParty]) -> String {
        guard !subjects.isEmpty else { return "" }
        // "person:org;" for each, written into one buffer hashed 64 kB at a time (the same
        // bytes as a string per subject, without a million strings).
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        for s in sortedUnique(subjects) {
            appendDecimal(s.person, to: &buffer)
            buffer.append(58)
            appendDecimal(s.org, to: &buffer)
            buffer.append(59)
            if buffer.count >= (1 << 16) - 64 {
                hasher.update(data: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(data: buffer)
        return Rows.hex(hasher.finalize())
    }

    static func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
        guard value > 0 else {
            buffer += Array(String(value).utf8)
            return
        }
        var digits:
            (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { bytes in
            while rest > 0 {
                bytes[count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { buffer.append(bytes[i]) }
        }
    }

    /// What a search may filter on; `nil` means any.
    public struct Query: Sendable {
        public var person: Personnummer?
        public var actor: String?
        public var organisation: Organisationsnummer?
        public var action: String?
        public var after: Int64
        public var limit: Int
        /// Only entries by this organisation's users and tokens, or that touched this
        /// organisation's records (an auditor sees their own organisation's share of the log).
        public var visibleTo: Organisationsnummer?
        /// Only entries that touched this party's records of ``person`` (a party's access log).
        public var touching: Organisationsnummer?
        /// The newest entries first (the pages' "latest 50"); `after` still bounds from below.
        public var newestFirst = false
        /// Only entries before this one (the page's "older entries").
        public var before: Int64? = nil
        /// Only entries made at or after this time, and before that one (timestamps as `at`).
        public var fromAt: String? = nil
        public var beforeAt: String? = nil
        /// Only entries that touched one of this organisation's registrations that are marked
        /// protected now (SPEC §2: the auditor sees every look at a protected person).
        public var protectedOf: Organisationsnummer? = nil

        public init(
            person: Personnummer? = nil, actor: String? = nil, organisation: Organisationsnummer? = nil, action: String? = nil, after: Int64 = 0,
            limit: Int = 100, visibleTo: Organisationsnummer? = nil, touching: Organisationsnummer? = nil
        ) {
            self.person = person
            self.actor = actor
            self.organisation = organisation
            self.action = action
            self.after = after
            self.limit = limit
            self.visibleTo = visibleTo
            self.touching = touching
        }
    }

    static func search(_ q: Query, in s: any SQLSession) async throws -> [AuditEntry] {
        var conditions = ["seq > $1"]
        var binds: [SQLValue] = [.int(q.after)]
        if let person = q.person, q.touching == nil {
            // An entry names one person, or (a bulk write) lists every person it touched.
            binds.append(.int(person.value))
            conditions.append("(person_id = $\(binds.count) OR seq IN (SELECT x.seq FROM audit_subjects x WHERE x.person_id = $\(binds.count)))")
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
        if let org = q.visibleTo, !Mutant.flips("audit.visibleTo") {
            binds.append(.int(org.value))
            conditions.append(
                "(org_number = $\(binds.count) OR EXISTS (SELECT 1 FROM audit_subjects x WHERE x.seq = audit_log.seq AND x.org_number = $\(binds.count)))")
        }
        if let org = q.touching, let person = q.person, !Mutant.flips("audit.touching") {
            binds.append(.int(person.value))
            binds.append(.int(org.value))
            conditions.append(
                "seq IN (SELECT x.seq FROM audit_subjects x WHERE x.person_id = $\(binds.count - 1) AND x.org_number = $\(binds.count))")
        }
        if let org = q.protectedOf {
            binds.append(.int(org.value))
            conditions.append(
                """
                EXISTS (SELECT 1 FROM audit_subjects x JOIN registrations r ON r.person_id = x.person_id AND r.org_number = x.org_number \
                WHERE x.seq = audit_log.seq AND x.org_number = $\(binds.count) AND r.protected_ref IS NOT NULL)
                """)
        }
        if let before = q.before {
            binds.append(.int(before))
            conditions.append("seq < $\(binds.count)")
        }
        if let from = q.fromAt {
            binds.append(.text(from))
            conditions.append("at >= $\(binds.count)")
        }
        if let before = q.beforeAt {
            binds.append(.text(before))
            conditions.append("at < $\(binds.count)")
        }
        binds.append(.int(q.limit))
        let rows = try await s.query(
            """
            SELECT seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash, keyed FROM audit_log
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq\(q.newestFirst ? " DESC" : "") LIMIT $\(binds.count)
            """, binds)
        var entries = rows.map(entry)
        // A correction's kept values, of the searching organisation's own registrations only.
        if let org = q.visibleTo, !entries.isEmpty {
            let list = entries.map { String($0.seq) }.joined(separator: ", ")
            var kept: [Int64: [PreviousValue]] = [:]
            for row in try await s.query(
                "SELECT seq, person_id, org_number, content FROM audit_previous WHERE org_number = $1 AND seq IN (\(list)) ORDER BY seq, person_id",
                [.int(org.value)])
            {
                if let seq = row["seq"].int, let value = PreviousValue(row: row) { kept[seq, default: []].append(value) }
            }
            for i in entries.indices { entries[i].previous = kept[entries[i].seq] ?? [] }
        }
        return entries
    }

    static func entry(_ r: SQLRow) -> AuditEntry {
        AuditEntry(
            seq: r["seq"].int ?? 0, at: r["at"].text ?? "",
            draft: AuditDraft(
                actor: r["actor"].text ?? "", role: r["role"].text ?? "", organisation: r["org_number"].int.map(Organisationsnummer.init(storedValue:)),
                action: r["action"].text ?? "", person: r["person_id"].int.map(Personnummer.init(storedValue:)), channel: r["channel"].text ?? "",
                detail: r["detail"].text ?? ""),
            previousHash: r["prev_hash"].text ?? "", hash: r["hash"].text ?? "", keyed: r["keyed"].int == 1)
    }

    /// The outcome of walking the whole chain.
    public struct Verification: Sendable, Equatable {
        public var entries: Int
        /// The first entry that no longer fits, and why; `nil` when the chain is whole.
        public var problem: String?
    }

    /// The chain's length and its last hash, to keep somewhere else: with it, ``verify(head:in:)``
    /// also finds entries cut off the end, which the chain alone cannot show.
    /// The actions that change no fact a report or a close counts: reads, searches, exports,
    /// refusals, sign-ins, the log's own reads, and the closes and publications themselves.
    public static let changesNoFact: Set<String> = [
        "read", "read-access-log", "search", "export", "refused", "audit-search", "audit-verify", "audit-read", "read-joint-figures",
        "sign-in", "close", "publish", "backup",
    ]

    public struct Head: Sendable, Equatable, CustomStringConvertible {
        public var count: Int64
        public var hash: String

        public init(count: Int64, hash: String) {
            self.count = count
            self.hash = hash
        }

        /// `COUNT:HASH`, as `samspar audit head` prints it and `--head` takes it.
        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let count = Int64(parts[0]), count >= 0, parts[1].count == 64,
                parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else { return nil }
            self.count = count
            self.hash = String(parts[1])
        }

        public var description: String { "\(count):\(hash)" }
    }

    static func head(in s: any SQLSession) async throws -> Head {
        let row = try await s.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first
        return Head(count: row?["seq"].int ?? 0, hash: row?["hash"].text ?? genesis)
    }

    /// Whether any entry is chained with a key (then the key is required from now on).
    static func isKeyed(in s: any SQLSession) async throws -> Bool {
        !(try await s.query("SELECT 1 AS x FROM audit_log WHERE keyed = 1 LIMIT 1").isEmpty)
    }

    /// Whether the log has any entry at all.
    static func isEmpty(in s: any SQLSession) async throws -> Bool {
        try await s.query("SELECT 1 AS x FROM audit_log LIMIT 1").isEmpty
    }

    /// Walks the chain and, given a head kept elsewhere, checks that the log still reaches it
    /// with the same hash there (entries cut off the end, or a rewritten tail).
    /// A head kept from before the log was rechained (migration 9) is accepted through the hash
    /// the entry had then, which version 2 chains (``rechain(in:at:)``).
    static func verify(head: Head, in s: any SQLSession) async throws -> Verification {
        var result = try await verify(in: s)
        guard result.problem == nil else { return result }
        if Int64(result.entries) < head.count {
            result.problem = "the log ends at entry \(result.entries) but the kept head is entry \(head.count): entries were cut off the end"
            return result
        }
        if head.count > 0 {
            let row = try await s.query("SELECT hash, legacy_hash FROM audit_log WHERE seq = $1", [.int(head.count)]).first
            if row?["hash"].text != head.hash && row?["legacy_hash"].text != head.hash {
                result.problem = "entry \(head.count) does not have the kept head's hash: the log was rewritten up to there"
            }
        }
        return result
    }

    /// Walks the chain from the first entry, a page at a time. Entries chained with the key
    /// need it: without it they cannot be checked, which is a problem too. An identity still
    /// held is checked through its salt; one removed by retention or erasure enters as the
    /// digest kept in its place.
    static func verify(in s: any SQLSession) async throws -> Verification {
        let key = s.auditKey
        var previous = genesis
        var expectedSeq: Int64 = 1
        var count = 0
        while true {
            let page = try await s.query(
                """
                SELECT seq, at, actor, role, org_number, action, person_id, person_salt, person_digest, channel, detail, prev_hash, hash, keyed,
                       legacy_hash
                FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 5000
                """, [.int(expectedSeq)])
            guard let first = page.first?["seq"].int, let last = page.last?["seq"].int else { return Verification(entries: count, problem: nil) }
            let (subjects, unsalted) = try await chainInputs(from: first, through: last, in: s)
            for row in page {
                let e = entry(row)
                if e.seq != expectedSeq {
                    return Verification(entries: count, problem: "entry \(expectedSeq) is missing (the next entry is \(e.seq))")
                }
                if e.previousHash != previous {
                    return Verification(entries: count, problem: "entry \(e.seq) does not follow entry \(e.seq - 1): its link was changed")
                }
                if e.keyed && key == nil {
                    return Verification(entries: count, problem: "entry \(e.seq) is chained with the audit key, which was not given")
                }
                if let key, !e.keyed, e.seq >= key.keyedFrom {
                    return Verification(
                        entries: count, problem: "entry \(e.seq) is not chained with the audit key, which chains every entry from \(key.keyedFrom)")
                }
                let person: Chain.Digest?
                if let id = e.draft.person {
                    guard let salt = row["person_salt"].text.flatMap(Chain.Salt.init(hex:)) else {
                        return Verification(entries: count, problem: "entry \(e.seq) was changed after it was written")
                    }
                    person = Chain.person(id.value, salt: salt)
                } else {
                    person = row["person_digest"].text.flatMap(Chain.Digest.init(hex:))
                }
                let hash = chainHash(
                    previous: previous, seq: e.seq, at: e.at, draft: e.draft, person: person, subjects: subjects[e.seq] ?? [],
                    legacyHash: row["legacy_hash"].text, key: e.keyed ? key : nil)
                if hash != e.hash || unsalted.contains(e.seq) {
                    return Verification(entries: count, problem: "entry \(e.seq) was changed after it was written")
                }
                previous = e.hash
                expectedSeq += 1
                count += 1
            }
        }
    }

    /// What the chain hashes of entries `first` through `last` besides their own columns: each
    /// entry's subjects as salted digests, the old values a correction kept, and the digests
    /// retention left in place of removed identities; and the entries with a subject whose salt
    /// is gone (which no longer verify).
    static func chainInputs(from first: Int64, through last: Int64, in s: any SQLSession) async throws -> (
        subjects: [Int64: [Chain.Digest]], unsalted: Set<Int64>
    ) {
        var subjects: [Int64: [Chain.Digest]] = [:]
        var unsalted: Set<Int64> = []
        for row in try await s.query(
            "SELECT seq, person_id, org_number, salt FROM audit_subjects WHERE seq >= $1 AND seq <= $2", [.int(first), .int(last)])
        {
            guard let seq = row["seq"].int, let person = row["person_id"].int, let org = row["org_number"].int else { continue }
            guard let salt = row["salt"].text.flatMap(Chain.Salt.init(hex:)) else {
                unsalted.insert(seq)
                continue
            }
            subjects[seq, default: []].append(Chain.subject(PersonParty(person: person, org: org), salt: salt))
        }
        for row in try await s.query(
            "SELECT seq, person_id, org_number, salt, content FROM audit_previous WHERE seq >= $1 AND seq <= $2", [.int(first), .int(last)])
        {
            guard let seq = row["seq"].int, let value = PreviousValue(row: row) else { continue }
            guard let salt = row["salt"].text.flatMap(Chain.Salt.init(hex:)) else {
                unsalted.insert(seq)
                continue
            }
            subjects[seq, default: []].append(Chain.previous(value, salt: salt))
        }
        for row in try await s.query("SELECT seq, digest FROM audit_removed_subjects WHERE seq >= $1 AND seq <= $2", [.int(first), .int(last)]) {
            guard let seq = row["seq"].int, let digest = row["digest"].text.flatMap(Chain.Digest.init(hex:)) else { continue }
            subjects[seq, default: []].append(digest)
        }
        return (subjects, unsalted)
    }

    /// A new chain after the audit key was lost (SPEC §5 `samspar audit rekey`, issue 24): every
    /// entry is chained anew with the session's key, in order, keeping its columns, its salts
    /// and its kept hash from before migration 9; nothing can check the entries against the
    /// lost key, so the `audit-rekey` entry (`draft`, whose detail gets the old head) records
    /// where the old chain ended. Returns the old head.
    static func rekey(_ draft: AuditDraft, in s: any SQLSession, at now: Date) async throws -> Head {
        guard let key = s.auditKey else { throw RechainError(description: "a new chain needs the new key") }
        try await s.lockAuditChain()
        let old = try await head(in: s)
        var previous = genesis
        var after: Int64 = 0
        while true {
            let page = try await s.query(
                """
                SELECT seq, at, actor, role, org_number, action, person_id, person_salt, person_digest, channel, detail, prev_hash, hash, keyed,
                       legacy_hash
                FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000
                """, [.int(after)])
            guard let first = page.first?["seq"].int, let last = page.last?["seq"].int else { break }
            let (subjects, _) = try await chainInputs(from: first, through: last, in: s)
            var tuples: [String] = []
            var binds: [SQLValue] = []
            for row in page {
                let e = entry(row)
                let person =
                    e.draft.person.flatMap { id in row["person_salt"].text.flatMap(Chain.Salt.init(hex:)).map { Chain.person(id.value, salt: $0) } }
                    ?? row["person_digest"].text.flatMap(Chain.Digest.init(hex:))
                let hash = chainHash(
                    previous: previous, seq: e.seq, at: e.at, draft: e.draft, person: person, subjects: subjects[e.seq] ?? [],
                    legacyHash: row["legacy_hash"].text, key: key)
                let base = binds.count
                tuples.append("(CAST($\(base + 1) AS BIGINT), CAST($\(base + 2) AS TEXT), CAST($\(base + 3) AS TEXT))")
                binds += [.int(e.seq), .text(previous), .text(hash)]
                previous = hash
                after = e.seq
                if tuples.count == 200 {
                    try await rewriteKeyed(tuples, binds, in: s)
                    (tuples, binds) = ([], [])
                }
            }
            if !tuples.isEmpty { try await rewriteKeyed(tuples, binds, in: s) }
        }
        var entry = draft
        entry.detail = (draft.detail.isEmpty ? "" : draft.detail + "; ") + "the head of the chain under the lost key was \(old)"
        try await append([entry], at: now, in: s)
        return old
    }

    private static func rewriteKeyed(_ tuples: [String], _ binds: [SQLValue], in s: any SQLSession) async throws {
        try await s.query(
            """
            UPDATE audit_log SET prev_hash = v.column2, hash = v.column3, keyed = 1
            FROM (VALUES \(tuples.joined(separator: ", "))) AS v
            WHERE audit_log.seq = v.column1
            """, binds)
    }

    /// Walks a chain of version 1 (before migration 9), as ``verify(in:)`` did then.
    static func verifyLegacy(in s: any SQLSession) async throws -> Verification {
        let key = s.auditKey
        var previous = genesis
        var expectedSeq: Int64 = 1
        var count = 0
        while true {
            let page = try await search(Query(after: expectedSeq - 1, limit: 5000), in: s)
            if page.isEmpty { return Verification(entries: count, problem: nil) }
            var subjects: [Int64: [PersonParty]] = [:]
            for row in try await s.query(
                "SELECT seq, person_id, org_number FROM audit_subjects WHERE seq >= $1 AND seq <= $2", [.int(page.first!.seq), .int(page.last!.seq)])
            {
                if let seq = row["seq"].int, let person = row["person_id"].int, let org = row["org_number"].int {
                    subjects[seq, default: []].append(PersonParty(person: person, org: org))
                }
            }
            for e in page {
                if e.seq != expectedSeq {
                    return Verification(entries: count, problem: "entry \(expectedSeq) is missing (the next entry is \(e.seq))")
                }
                if e.previousHash != previous {
                    return Verification(entries: count, problem: "entry \(e.seq) does not follow entry \(e.seq - 1): its link was changed")
                }
                if e.keyed && key == nil {
                    return Verification(entries: count, problem: "entry \(e.seq) is chained with the audit key, which was not given")
                }
                if let key, !e.keyed, e.seq >= key.keyedFrom {
                    return Verification(
                        entries: count, problem: "entry \(e.seq) is not chained with the audit key, which chains every entry from \(key.keyedFrom)")
                }
                var draft = e.draft
                if e.keyed { draft.subjects = subjects[e.seq] ?? [] }
                if legacyChainHash(previous: previous, seq: e.seq, at: e.at, draft: draft, key: e.keyed ? key : nil) != e.hash {
                    return Verification(entries: count, problem: "entry \(e.seq) was changed after it was written")
                }
                previous = e.hash
                expectedSeq += 1
                count += 1
            }
        }
    }
}

/// A registration's values (or one record's) as they were before a write changed them.
public struct PreviousValue: Sendable, Equatable {
    public var registration: PersonParty
    /// The old values as one JSON object, column by column.
    public var content: String

    public init(registration: PersonParty, content: String) {
        self.registration = registration
        self.content = content
    }

    init?(row: SQLRow) {
        guard let person = row["person_id"].int, let org = row["org_number"].int, let content = row["content"].text else { return nil }
        self.init(registration: PersonParty(person: person, org: org), content: content)
    }

    /// As captured from an import: the engine's JSON written one way (keys sorted, no spaces),
    /// so both engines keep the same text of the same values.
    static func captured(_ row: SQLRow) -> PreviousValue? {
        guard var value = PreviousValue(row: row) else { return nil }
        if let object = try? JSONSerialization.jsonObject(with: Data(value.content.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        {
            value.content = String(decoding: data, as: UTF8.self)
        }
        return value
    }
}
