import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 7: a database written by the version on main before registrations (commit
/// 64a196f, `scripts/make-v1-fixture.sh`) migrates without loss.
@Suite("Migrating a database written by main")
struct MigrationTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/main-v1.sqlite")

    static let haninge = try! Organisationsnummer("212000-0084")
    static let af = try! Organisationsnummer("202100-2114")

    @Test func everyParticipantBecomesARegistrationOfItsOwner() async throws {
        let path = TestFiles.directory.appendingPathComponent("v1-\(UUID().uuidString).sqlite").path
        try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: path)
        // The key chains what comes after main's history (as `samspar migrate` creates it).
        let probe = try await SQLiteStore.open(path: path)
        let oldHead = try await probe.auditHead()
        try await probe.close()
        let store = try await SQLiteStore.open(path: path, auditKey: AuditKey(hex: String(repeating: "5a", count: 32), keyedFrom: oldHead.count + 1))
        defer { Task { try? await store.close() } }
        let rows = try await store.read { s in
            try await s.query("SELECT person_id, org_number, given_name FROM registrations ORDER BY person_id, org_number")
        }
        let registrations = rows.map { "\($0["person_id"].int ?? 0) \($0["org_number"].int ?? 0) \($0["given_name"].text ?? "-")" }
        let orgs = try await store.read { try await Organisations.all(in: $0) }
        let tyreso = try #require(orgs.first { $0.municipalityCode?.description == "0138" }).number.value
        // By hand, from what the script wrote:
        #expect(
            registrations == [
                "199001012385 2120000084 Amina",  // command line, Haninge's resident
                "199009132391 2021002114 -",  // Arbetsförmedlingen recorded under consent: its own, without the name
                "199009132391 2120000084 Ali",
                "199105152392 \(tyreso) Omar",  // command line, Tyresö's resident
                "199201202398 0 Karim",  // Eskilstuna: no municipality organisation, kept under 0
                "200001012384 2021002114 -",  // registered by Arbetsförmedlingen through the API
            ])
        let records = try await store.read { s in
            (
                try await s.query("SELECT person_id, org_number, kind FROM track_events ORDER BY person_id, date").map {
                    "\($0["person_id"].int ?? 0) \($0["org_number"].int ?? 0) \($0["kind"].int ?? -1)"
                },
                try await s.query("SELECT person_id, org_number, status FROM status_changes ORDER BY person_id, date").map {
                    "\($0["person_id"].int ?? 0) \($0["org_number"].int ?? 0) \($0["status"].int ?? -1)"
                },
                try await s.query("SELECT person_id, org_number, kind FROM activities").map {
                    "\($0["person_id"].int ?? 0) \($0["org_number"].int ?? 0) \($0["kind"].text ?? "")"
                },
                try await s.query("SELECT id, person_id, org_number, party FROM consents").map {
                    "\($0["id"].int ?? 0) \($0["person_id"].int ?? 0) \($0["org_number"].int ?? 0) \($0["party"].int ?? 0)"
                }
            )
        }
        #expect(records.0 == ["199001012385 2120000084 0", "199001012385 2120000084 1"])
        #expect(records.1 == ["199001012385 2120000084 1", "199009132391 2021002114 3"])
        #expect(records.2 == ["199001012385 2120000084 sfi"])
        #expect(records.3 == ["1 199009132391 2120000084 2021002114"])
        // Accounts and tokens stay; so does the history, which verifies and goes on under the key.
        let (users, tokens) = try await store.read { (try await Rows.users(in: $0), try await Rows.tokens(in: $0)) }
        #expect(users.map(\.email) == ["cw@haninge.se"])
        #expect(tokens.map(\.name) == ["Haninge VS", "AF VS"])
        let before = try await store.read { try await AuditLog.verify(in: $0) }
        #expect(before.problem == nil && before.entries >= 10)
        try await store.transaction { s in
            try await AuditLog.append(
                [AuditDraft(actor: "x", role: "admin", organisation: nil, action: "test", person: nil, channel: "test")], at: Date(), in: s)
        }
        let after = try await store.read { try await AuditLog.verify(in: $0) }
        #expect(after.problem == nil && after.entries == before.entries + 1)
        // Arbetsförmedlingen's consent-era read and write show in its own access log of Ali;
        // Haninge's log shows its own acts and the read it allowed.
        let ali = Personnummer(storedValue: 199_009_132_391)
        let afLog = try await store.read { try await AuditLog.search(.init(person: ali, touching: Self.af), in: $0) }
        #expect(afLog.map(\.draft.actor) == ["token:AF VS"])
        let haningeLog = try await store.read { try await AuditLog.search(.init(person: ali, touching: Self.haninge), in: $0) }
        #expect(haningeLog.map(\.draft.action).contains("consent"))
        // The report counts every person once, as before.
        let (report, _) = try await store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: Day(year: 2019, month: 3, day: 31)!)
        #expect(report.participants.active == 4)  // Amina, Ali, Omar (exited mid-2018), and the API person in Nynäshamn
    }
}
