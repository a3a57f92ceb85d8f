import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 22, part 2: a run removes exactly what is due, whole, and nothing that identifies a
/// removed person remains in any table, column or (SQLite) byte of the file. Expected values
/// are counted by hand from `Fixtures` (Engines.swift):
///
/// | registration | latest date that counts | period | due |
/// | --- | --- | --- | --- |
/// | Amina, Haninge | status 2018-10-15 | 5 | 2024-01-01 |
/// | Ali, Haninge | status 2019-01-15 | 5 | 2025-01-01 |
/// | Omar, Tyresö | exit 2018-06-30 | 7 | 2026-01-01 |
@Suite("Retention: the plan and the run")
struct RetentionStoreTests {
    static let haninge = try! Organisationsnummer("212000-0084")
    static let tyreso = try! Organisationsnummer("212000-0092")
    static let nynashamn = try! Organisationsnummer("212000-0233")
    static let amina = Personnummer(storedValue: 199_001_012_385)
    static let ali = Personnummer(storedValue: 199_009_132_391)

    static func day(_ text: String) -> Day { try! Day(iso: text) }

    static func setUp(_ store: any SamsparStore) async throws {
        try await Fixtures.load(store)
        let operatorEntry = AuditDraft(actor: "cli:test", role: "operator", organisation: nil, action: "retention-setting", person: nil, channel: "test")
        try await store.setRetention(RetentionSetting(years: 5, decision: "KS 2024/118 § 12"), of: haninge, audit: operatorEntry, at: Date())
        try await store.setRetention(RetentionSetting(years: 7, decision: "BUN 2023/40"), of: tyreso, audit: operatorEntry, at: Date())
    }

    static func plan(_ store: any SamsparStore, _ today: String, _ org: Organisationsnummer) async throws -> [String] {
        let plan = try await store.retentionPlan(for: org, today: day(today), audit: { _ in nil }, at: Date())
        return plan.lines.flatMap { line in line.parts.map { "\($0.kind) \($0.count) \($0.oldest?.description ?? "-")" } }
    }

    @Test(arguments: Engine.available)
    func dueExactlyAtTheBoundaries(engine: Engine) async throws {
        try await withStore(engine) { store in
            try await Self.setUp(store)
            let none = ["registrations 0 -", "track events 0 -", "status changes 0 -", "activities 0 -", "consents 0 -"]
            #expect(try await Self.plan(store, "2023-12-31", Self.haninge) == none)
            #expect(
                try await Self.plan(store, "2024-01-01", Self.haninge) == [
                    "registrations 1 2017-01-10", "track events 5 2018-01-15", "status changes 2 2017-01-10", "activities 2 2017-01-15", "consents 0 -",
                ])
            #expect(
                try await Self.plan(store, "2025-01-01", Self.haninge) == [
                    "registrations 2 2017-01-10", "track events 8 2018-01-15", "status changes 3 2017-01-10", "activities 2 2017-01-15", "consents 0 -",
                ])
            // Omar's exit decides his year.
            #expect(try await Self.plan(store, "2025-12-31", Self.tyreso) == none)
            #expect(
                try await Self.plan(store, "2026-01-01", Self.tyreso) == [
                    "registrations 1 2016-06-01", "track events 0 -", "status changes 1 2015-01-31", "activities 0 -", "consents 0 -",
                ])
            // An organisation without a decision is never weeded, and the plan says so.
            let unset = try await store.retentionPlan(for: Self.nynashamn, today: Self.day("2099-01-01"), audit: { _ in nil }, at: Date())
            #expect(unset.lines.count == 1 && unset.lines[0].setting == nil && unset.lines[0].parts.isEmpty)
            // An activity without a last day keeps Ali (it counts as today).
            let open = "person_id;activity;start;end;hours_per_week;provider\n199009132391;sfi;2019-02-01;;10;Haninge vuxenutbildning\n"
            _ = try await store.importFile(.activities, from: .bytes(Array(open.utf8)), currentYear: 2026, progress: nil)
            #expect(try await Self.plan(store, "2030-01-01", Self.haninge).first == "registrations 1 2017-01-10")
        }
    }

    @Test(arguments: Engine.available)
    func aPlanChangesNothingButTheLog(engine: Engine) async throws {
        try await withStore(engine) { store in
            try await Self.setUp(store)
            let before = try await store.counts()
            let head = try await store.auditHead()
            let plan = try await store.retentionPlan(
                for: nil, today: Self.day("2030-01-01"),
                audit: {
                    AuditDraft(
                        actor: "cli:test", role: "operator", organisation: nil, action: "retention-plan", person: nil, channel: "test",
                        detail: "\($0.organisation)")
                },
                at: Date())
            #expect(plan.lines.map(\.registrations) == [0, 2, 1, 0, 0, 0])
            #expect(try await store.counts() == before)
            // One entry per organisation, after the head from before.
            #expect(try await store.auditHead().count == head.count + 6)
            #expect(try await store.verifyAudit(head: head).problem == nil)
        }
    }

    @Test(arguments: Engine.available)
    func aRunRemovesWhatIsDueAndNothingIdentifiesThemAfter(engine: Engine) async throws {
        try await withStore(engine) { store in
            try await Self.setUp(store)
            // Acts that name Amina and Ali, and a stored idempotent answer naming Amina.
            try await store.appendAudit(
                [
                    AuditDraft(
                        actor: "token:Haninge VS", role: "case_system", organisation: Self.haninge, action: "read", person: Self.amina, channel: "test",
                        subjects: [PersonParty(person: Self.amina.value, org: Self.haninge.value)]),
                    AuditDraft(actor: "token:AF VS", role: "case_system", organisation: nil, action: "refused", person: Self.ali, channel: "test"),
                ], at: Date())
            try await store.transaction { s in
                try await s.query(
                    "INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at) VALUES ('token:Haninge VS', 'k1', 'f', 201, $1, $2)",
                    [.text("{\"personId\":\"19900101-2385\",\"givenName\":\"Amina\"}"), .text("2026-12-05T10:00:00.000Z")])
            }
            let head = try await store.auditHead()
            let list = RemovalList(
                path: TestFiles.directory.appendingPathComponent("removed-\(UUID().uuidString)").path, key: Engine.auditKey)
            let done = try await store.retentionRun(
                for: nil, today: Self.day("2025-01-01"), beforeCommit: { try list.append($0) }, audit: { _, _ in nil }, at: Date())
            let haninge = try #require(done.first { $0.0.organisation == Self.haninge }?.1)
            let counts: [Int] = [
                haninge.registrations, haninge.trackEvents, haninge.statusChanges, haninge.activities, haninge.consents, haninge.storedAnswers,
            ]
            #expect(counts == [2, 8, 3, 2, 0, 1])
            #expect(done.filter { $0.0.organisation != Self.haninge }.allSatisfy { $0.1 == Removal() })
            // The removal list names the two registrations, under the key.
            #expect(
                try list.lines() == [
                    list.line(PersonParty(person: Self.amina.value, org: Self.haninge.value)),
                    list.line(PersonParty(person: Self.ali.value, org: Self.haninge.value)),
                ])
            #expect(try list.lines().allSatisfy { $0.count == 64 && !$0.contains("199001012385") })
            try? FileManager.default.removeItem(atPath: list.path)
            // What remains: Omar, Sara and Karim; the chain verifies through the head before.
            let left = try await store.read { s in
                try await s.query("SELECT person_id, org_number FROM registrations ORDER BY person_id", []).map {
                    "\($0["person_id"].int!) \($0["org_number"].int!)"
                }
            }
            #expect(left == ["199105152392 2120000092", "199201202398 2120000282", "200001012384 2120000233"])
            #expect(try await store.verifyAudit(head: head).problem == nil)

            _ = try await store.reclaimRemoved()
            let traces = ["199001012385", "19900101-2385", "900101-2385", "Testsson", "199009132391", "19900913-2391", "Provsson"]
            #expect(try await Self.tablesNaming(traces, in: store) == [String]())
            if let sqlite = store as? SQLiteStore {
                let path = await sqlite.path
                #expect(try Self.bytesNaming(traces, ids: [Self.amina.value, Self.ali.value], path: path) == [String]())
            }
        }
    }

    /// Part 4: a correction keeps what was there before, chained with its entry, and the
    /// registration's removal takes that copy too (its digest stays).
    @Test(arguments: Engine.available)
    func aCorrectionKeepsWhatWasThereAndRetentionTakesIt(engine: Engine) async throws {
        try await withStore(engine) { store in
            try await Self.setUp(store)
            let entry: @Sendable (ImportSummary) -> AuditDraft = { _ in
                AuditDraft(actor: "token:Haninge VS", role: "system", organisation: Self.haninge, action: "update", person: nil, channel: "test")
            }
            let scope = ImportScope(organisation: Self.haninge.value, today: Self.day("2026-12-05"), audit: entry, now: Date())
            // Amina's family name and one status are corrected; Ali's row is sent again unchanged.
            let people = """
                person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
                199001012385;Amina;Rättad;;0136;2016-03-01;2017-01-10;;;yes;3
                199009132391;Ali;Provsson;;0136;2017-05-15;2018-02-01;;;no;2
                """
            _ = try await store.importFile(.participants, from: .bytes(Array(people.utf8)), currentYear: 2026, scope: scope, progress: nil)
            let statuses = "person_id;status;date\n199001012385;studies;2018-10-15\n199001012385;work;2020-01-01\n"
            _ = try await store.importFile(.statuses, from: .bytes(Array(statuses.utf8)), currentYear: 2026, scope: scope, progress: nil)
            let kept = try await store.read { s in
                try await s.query("SELECT person_id, org_number, content FROM audit_previous ORDER BY seq", []).map {
                    "\($0["person_id"].int!) \($0["org_number"].int!) \($0["content"].text!)"
                }
            }
            #expect(kept.count == 2, "\(kept)")
            #expect(kept.first?.hasPrefix("199001012385 2120000084 ") == true && kept.first?.contains("\"family_name\":\"Testsson\"") == true, "\(kept)")
            #expect(kept.last?.hasPrefix("199001012385 2120000084 ") == true && kept.last?.contains("\"status\":1") == true, "\(kept)")
            #expect(try await store.verifyAudit().problem == nil)
            // The copy is chained: changing it breaks the chain at its entry.
            let seq = try await store.read { try await $0.query("SELECT min(seq) AS s FROM audit_previous", []).first?["s"].int }!
            try await store.transaction { try await $0.query("UPDATE audit_previous SET content = 'x' WHERE seq = $1", [.int(seq)]) }
            #expect(try await store.verifyAudit().problem == "entry \(seq) was changed after it was written")
            try await store.transaction {
                try await $0.query(
                    "UPDATE audit_previous SET content = $1 WHERE seq = $2", [.text(String(kept[0].split(separator: " ", maxSplits: 2)[2])), .int(seq)])
            }
            #expect(try await store.verifyAudit().problem == nil)
            // Erasing Amina's registration takes the copies; the chain still verifies.
            let erased = try await store.erase(
                Self.amina, of: Self.haninge, today: Self.day("2026-12-05"), beforeCommit: { _ in },
                audit: { _ in AuditDraft(actor: "cli:test", role: "operator", organisation: nil, action: "erase", person: nil, channel: "test") }, at: Date())
            #expect(erased?.registrations == 1)
            #expect(try await store.read { try await $0.query("SELECT count(*) AS n FROM audit_previous", []).first?["n"].int } == 0)
            #expect(try await store.verifyAudit().problem == nil)
            #expect(try await Self.tablesNaming(["Testsson", "Rättad", "199001012385"], in: store) == [String]())
        }
    }

    /// ASVS 8.3.8: what is kept only for a while goes with every run.
    @Test(arguments: Engine.available)
    func expiredSessionsAndOldAnswersAreForgotten(engine: Engine) async throws {
        try await withStore(engine) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
            try await store.transaction { s in
                try await s.query(
                    "INSERT INTO users (id, email, org_number, role, password_hash, created_at) VALUES (1, 'a@example.se', 2120000084, 'caseworker', 'x', 'x')")
                for (token, expires) in [("gone", 1_799_999_999), ("ends-now", 1_800_000_000), ("live", 1_800_000_001)] {
                    try await s.query(
                        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, 1, 'c', 'x', $2)",
                        [.text(token), .int(Int64(expires))])
                }
                for (key, at) in [("old", "2027-01-14T07:59:59.999Z"), ("day", "2027-01-14T08:00:00.000Z"), ("new", "2027-01-15T07:00:00.000Z")] {
                    try await s.query(
                        "INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at) VALUES ('p', $1, 'f', 201, '{}', $2)",
                        [.text(key), .text(at)])
                }
            }
            let forgotten = try await store.forgetExpired(
                now: now,
                audit: {
                    AuditDraft(
                        actor: "cli:test", role: "operator", organisation: nil, action: "forget-expired", person: nil, channel: "test", detail: "\($0) \($1)")
                })
            #expect(forgotten.sessions == 2 && forgotten.answers == 1)
            let left = try await store.read { s in
                (
                    try await s.query("SELECT token_hash FROM sessions ORDER BY token_hash", []).compactMap { $0["token_hash"].text },
                    try await s.query("SELECT key FROM idempotency_keys ORDER BY key", []).compactMap { $0["key"].text }
                )
            }
            #expect(left.0 == ["live"] && left.1 == ["day", "new"])
            #expect(try await store.searchAudit(.init(action: "forget-expired")).map(\.draft.detail) == ["2 1"])
        }
    }

    /// At the demo's scale some removed identity numbers sit as keys in interior B-tree pages,
    /// which deleting the rows (even with SQLite's secure delete) leaves in the file: the run
    /// rewrites the file. (The small fixture above has no interior pages; this one has.)
    @Test func noRemovedNumberStaysInAFileOfTheDemosSize() async throws {
        let store = try await Engine.sqlite.makeStore()
        defer { Task { try? await store.close() } }
        let today = Self.day("2026-12-05")
        let agreement = try Fixtures.agreement
        let directory = TestFiles.directory.appendingPathComponent("retention-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try DemoLoader.writeFiles(Caseload.ostraSodertorn(agreement: agreement, today: today), to: directory.path)
        _ = try await DemoLoader.load(agreements: [agreement], files: files, into: store, currentYear: 2026, now: Date())
        let entry = AuditDraft(actor: "cli:test", role: "operator", organisation: nil, action: "retention-setting", person: nil, channel: "test")
        for org in [Self.haninge, Self.tyreso, Self.nynashamn] {
            try await store.setRetention(RetentionSetting(years: 1, decision: "KS 1"), of: org, audit: entry, at: Date())
        }
        let people: @Sendable (any SQLSession) async throws -> Set<Int64> = { s in
            Set(try await s.query("SELECT DISTINCT person_id FROM registrations", []).compactMap { $0["person_id"].int })
        }
        let before = try await store.read(people)
        _ = try await store.retentionRun(for: nil, today: today, beforeCommit: { _ in }, audit: { _, _ in nil }, at: Date())
        _ = try await store.reclaimRemoved()
        let gone = before.subtracting(try await store.read(people))
        #expect(gone.count > 100)
        let path = await (store as! SQLiteStore).path
        #expect(try Self.bytesNaming([], ids: Array(gone), path: path) == [String]())
        #expect(try await store.verifyAudit().problem == nil)
    }

    /// Every table and column (as text) that contains one of `traces`.
    static func tablesNaming(_ traces: [String], in store: any SamsparStore) async throws -> [String] {
        try await store.read { s in
            let columns: [(String, String)]
            if store is SQLiteStore {
                var found: [(String, String)] = []
                for table in try await s.query("SELECT name FROM sqlite_master WHERE type = 'table'", []).compactMap({ $0["name"].text }) {
                    for column in try await s.query("SELECT name FROM pragma_table_info($1)", [.text(table)]) { found.append((table, column["name"].text!)) }
                }
                columns = found
            } else {
                columns = try await s.query(
                    "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = current_schema()", []
                ).map { ($0["t"].text!, $0["c"].text!) }
            }
            var hits: [String] = []
            for (table, column) in columns {
                for trace in traces {
                    let n = try await s.query("SELECT count(*) AS n FROM \(table) WHERE CAST(\(column) AS TEXT) LIKE $1", [.text("%\(trace)%")]).first?["n"].int
                    if (n ?? 0) > 0 { hits.append("\(table).\(column): \(trace)") }
                }
            }
            return hits
        }
    }

    /// Which of `traces` (as UTF-8) or of `ids` (as SQLite stores an integer of that size: six
    /// bytes, big-endian) occur anywhere in the file or its write-ahead log.
    static func bytesNaming(_ traces: [String], ids: [Int64], path: String) throws -> [String] {
        var hits: [String] = []
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for trace in traces where bytes.range(of: Data(trace.utf8)) != nil { hits.append("\(file): \(trace)") }
            for id in ids {
                let six = Data((0..<6).map { UInt8(truncatingIfNeeded: id >> (8 * (5 - $0))) })
                if bytes.range(of: six) != nil { hits.append("\(file): \(id) as an integer") }
            }
        }
        return hits
    }
}
