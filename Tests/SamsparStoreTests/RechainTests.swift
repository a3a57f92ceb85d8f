import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 22, part 1: the chain must not depend on the identities retention removes. A log
/// written under chain version 1 (identities in the clear) is verified, rechained under
/// version 2 (salted digests) by migration 9, and still accepts the head kept from before;
/// removing a registration afterwards leaves a chain that verifies.
@Suite("Rechaining the audit log (migration 9)")
struct RechainTests {
    static let amina: Int64 = 199_001_012_385
    static let ali: Int64 = 199_009_132_391
    static let haninge: Int64 = 2_120_000_084
    static let af: Int64 = 2_021_002_114

    /// A store as samspar left it at migration 8, with registrations and five entries written
    /// as version 1 wrote them (HMAC under the key over the identities themselves).
    static func storeAtMigration8(_ engine: Engine) async throws -> any SamsparStore {
        let store: any SamsparStore
        switch engine {
        case .sqlite:
            let path = TestFiles.directory.appendingPathComponent("rechain-\(UUID().uuidString).sqlite").path
            let s = try await SQLiteStore.open(path: path, migrate: false, auditKey: Engine.auditKey)
            try await s.migrate(through: 8)
            store = s
        case .postgres:
            let s = try await PostgreSQLStore.open(try await PostgresTestDatabase.makeLocation(), migrate: false, auditKey: Engine.auditKey)
            try await s.migrate(through: 8)
            store = s
        }
        try await store.transaction { s in
            try await s.query(
                "INSERT INTO organisations (org_number, name, kind, municipality_code) VALUES (2120000084, 'Haninge kommun', 'municipality', 136)")
            try await s.query("INSERT INTO organisations (org_number, name, kind) VALUES (2021002114, 'Arbetsförmedlingen', 'employment_service')")
            for (person, org) in [(amina, haninge), (ali, haninge), (amina, af)] {
                try await s.query(
                    """
                    INSERT INTO registrations (person_id, org_number, given_name, family_name, sex, sex_explicit, municipality, first_permit_date,
                                               registered_on, upper_secondary_completed)
                    VALUES ($1, $2, 'Amina', 'Testsson', 0, 0, 136, 17000, 17200, 0)
                    """, [.int(person), .int(org)])
            }
            let entries: [(AuditDraft, [PersonParty])] = [
                (draft("cli:op", "operator", nil, "import", nil), [PersonParty(person: amina, org: haninge), PersonParty(person: ali, org: haninge)]),
                (draft("token:AF VS", "case_system", af, "create", amina), [PersonParty(person: amina, org: af)]),
                (draft("token:Haninge VS", "case_system", haninge, "read", amina), [PersonParty(person: amina, org: haninge)]),
                (draft("token:AF VS", "case_system", af, "read", amina), [PersonParty(person: amina, org: af), PersonParty(person: amina, org: haninge)]),
                (draft("token:Haninge VS", "case_system", haninge, "refused", ali), []),
            ]
            var previous = AuditLog.genesis
            for (i, (entry, subjects)) in entries.enumerated() {
                let seq = Int64(i + 1)
                var chained = entry
                chained.subjects = subjects
                let hash = AuditLog.legacyChainHash(previous: previous, seq: seq, at: "2026-01-0\(i + 1)T10:00:00.000Z", draft: chained, key: Engine.auditKey)
                try await s.query(
                    """
                    INSERT INTO audit_log (seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash, keyed)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, 'test', '', $8, $9, 1)
                    """,
                    [
                        .int(seq), .text("2026-01-0\(i + 1)T10:00:00.000Z"), .text(entry.actor), .text(entry.role), .optional(entry.organisation?.value),
                        .text(entry.action), .optional(entry.person?.value), .text(previous), .text(hash),
                    ])
                for subject in subjects {
                    try await s.query(
                        "INSERT INTO audit_subjects (seq, person_id, org_number) VALUES ($1, $2, $3)", [.int(seq), .int(subject.person), .int(subject.org)])
                }
                previous = hash
            }
        }
        return store
    }

    static func draft(_ actor: String, _ role: String, _ org: Int64?, _ action: String, _ person: Int64?) -> AuditDraft {
        AuditDraft(
            actor: actor, role: role, organisation: org.map(Organisationsnummer.init(storedValue:)), action: action,
            person: person.map(Personnummer.init(storedValue:)), channel: "test")
    }

    static func migrate(_ store: any SamsparStore) async throws {
        if let s = store as? SQLiteStore { try await s.migrate() } else { try await (store as! PostgreSQLStore).migrate() }
    }

    @Test(arguments: Engine.available)
    func aVersion1ChainIsRechainedAndItsOldHeadStillVerifies(engine: Engine) async throws {
        let store = try await Self.storeAtMigration8(engine)
        defer { Task { try? await store.close() } }
        let oldHead = try await store.auditHead()
        #expect(oldHead.count == 5)
        try await Self.migrate(store)
        #expect(try await store.appliedMigrations().suffix(10) == [9, 10, 11, 12, 13, 14, 15, 16, 17, 18])

        // The whole chain verifies, through the head kept from before and the one after.
        let verified = try await store.verifyAudit(head: oldHead)
        #expect(verified.problem == nil && verified.entries == 6, "\(verified)")
        let rechained = try await store.searchAudit(.init(action: "audit-rechain")).first
        #expect(rechained?.seq == 6)
        #expect(rechained?.draft.detail.hasSuffix("the head before was \(oldHead)") == true, "\(rechained?.draft.detail ?? "")")
        #expect(try await store.verifyAudit(head: try await store.auditHead()).problem == nil)
        // A head that was never the log's is refused, old or new.
        let forged = AuditLog.Head(count: 3, hash: String(repeating: "ab", count: 32))
        #expect(try await store.verifyAudit(head: forged).problem == "entry 3 does not have the kept head's hash: the log was rewritten up to there")

        // Haninge's registration of Amina goes: the entries that touched only it lose her,
        // the one that also touched Arbetsförmedlingen's keeps her, and the chain verifies.
        // Stored answers naming Amina: Haninge's goes with its registration; Arbetsförmedlingen's,
        // which still holds her, stays.
        try await store.transaction { s in
            for principal in ["token:H@212000-0084", "token:AF@202100-2114"] {
                try await s.query(
                    "INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at) VALUES ($1, 'k', 'f', 201, $2, 'x')",
                    [.text(principal), .text("{\"personId\":\"19900101-2385\"}")])
            }
        }
        let removal = try await store.transaction { s in
            try await RetentionRows.remove([PersonParty(person: Self.amina, org: Self.haninge)], today: try Day(iso: "2026-12-05"), in: s)
        }
        #expect(removal.registrations == 1 && removal.auditSubjects == 3 && removal.auditPeople == 1, "\(removal)")
        #expect(removal.storedAnswers == 1)
        #expect(
            try await store.read { try await $0.query("SELECT principal FROM idempotency_keys", []).compactMap { $0["principal"].text } } == [
                "token:AF@202100-2114"
            ])
        let people = try await store.read { s in
            try await s.query("SELECT seq, person_id, person_digest IS NOT NULL AS digest FROM audit_log ORDER BY seq", []).map {
                "\($0["seq"].int!) \($0["person_id"].int.map(String.init) ?? "-") \($0["digest"].int!)"
            }
        }
        #expect(people == ["1 - 0", "2 199001012385 0", "3 - 1", "4 199001012385 0", "5 199009132391 0", "6 - 0"])
        let subjects = try await store.read { s in
            try await s.query("SELECT seq, person_id, org_number FROM audit_subjects ORDER BY seq, person_id, org_number", []).map {
                "\($0["seq"].int!) \($0["person_id"].int!) \($0["org_number"].int!)"
            }
        }
        #expect(subjects == ["1 199009132391 2120000084", "2 199001012385 2021002114", "4 199001012385 2021002114"])
        #expect(try await store.verifyAudit(head: oldHead).problem == nil)

        // What stays in their place is chained: changing a kept digest breaks the chain there.
        try await store.transaction { try await $0.query("UPDATE audit_log SET person_digest = $1 WHERE seq = 3", [.text(String(repeating: "0", count: 64))]) }
        #expect(try await store.verifyAudit().problem == "entry 3 was changed after it was written")
    }

    @Test(arguments: Engine.available)
    func aRemovedSubjectsDigestIsChained(engine: Engine) async throws {
        let store = try await Self.storeAtMigration8(engine)
        defer { Task { try? await store.close() } }
        try await Self.migrate(store)
        _ = try await store.transaction {
            try await RetentionRows.remove([PersonParty(person: Self.ali, org: Self.haninge)], today: try Day(iso: "2026-12-05"), in: $0)
        }
        #expect(try await store.verifyAudit().problem == nil)
        // Ali is held by nobody now: no entry and no subject names him.
        let named = try await store.read { s in
            try await s.query(
                "SELECT (SELECT count(*) FROM audit_log WHERE person_id = $1) + (SELECT count(*) FROM audit_subjects WHERE person_id = $1) AS n",
                [.int(Self.ali)]
            ).first?["n"].int
        }
        #expect(named == 0)
        try await store.transaction {
            try await $0.query("UPDATE audit_removed_subjects SET digest = $1 WHERE seq = 1", [.text(String(repeating: "1", count: 64))])
        }
        #expect(try await store.verifyAudit().problem == "entry 1 was changed after it was written")
    }

    /// A log that does not verify is not rechained: the migration stops, naming the entry,
    /// and leaves the database as it was.
    @Test(arguments: Engine.available)
    func aBrokenVersion1ChainIsNotRechained(engine: Engine) async throws {
        let store = try await Self.storeAtMigration8(engine)
        defer { Task { try? await store.close() } }
        try await store.transaction { try await $0.query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2") }
        await #expect {
            try await Self.migrate(store)
        } throws: { error in
            "\(error)".contains("entry 2 was changed after it was written") && "\(error)".contains("nothing was changed")
        }
        #expect(try await store.appliedMigrations().last == 8)
    }
}
