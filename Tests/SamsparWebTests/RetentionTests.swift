import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 22 through the operations layer and over HTTP, on both engines: only the operator
/// weeds and erases; a run leaves stored closes and publications as they were; each
/// organisation's auditor sees its own plans, runs and erasures, and no entry names a removed
/// person.
@Suite("Retention and erasure: who, and what stays")
struct RetentionTests {
    static let operatorCaller = Caller.operator("test", on: .command("retention run"))

    static func list() -> RemovalList {
        RemovalList(path: TestFiles.directory.appendingPathComponent("removed-\(UUID().uuidString)").path, key: Engine.auditKey)
    }

    @Test(arguments: Engine.available)
    func onlyTheOperatorWeedsAndErases(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let today = try Day(iso: "2030-01-01")
        let person = try Personnummer(People.own, currentYear: 2026)
        for role in Role.allCases {
            let caller = try Caller.signedIn(Principal(actor: "someone", role: role, organisation: Org.haninge), on: .command("test"))
            await #expect(throws: APIError.self) {
                try await RetentionOperations.setRetention(years: 1, decision: "KS 1", of: Org.haninge, caller, h.services)
            }
            await #expect(throws: APIError.self) { try await RetentionOperations.plan(for: nil, today: today, caller, h.services) }
            await #expect(throws: APIError.self) {
                try await RetentionOperations.run(for: nil, today: today, removalList: Self.list(), caller, h.services)
            }
            await #expect(throws: APIError.self) {
                try await RetentionOperations.erase(person, of: Org.haninge, reason: "KS 1", removalList: Self.list(), caller, h.services)
            }
        }
        // The operator may; a period out of range or a decision without words is refused.
        try await RetentionOperations.setRetention(years: 1, decision: "KS 2024/118 § 12", of: Org.haninge, Self.operatorCaller, h.services)
        #expect(try await h.store.retentionSetting(of: Org.haninge) == RetentionSetting(years: 1, decision: "KS 2024/118 § 12"))
        for (years, decision) in [(0, "KS 1"), (101, "KS 1"), (5, "  "), (5, "KS 1\nKS 2"), (5, String(repeating: "x", count: 201))] {
            await #expect(throws: APIError.self) {
                try await RetentionOperations.setRetention(years: years, decision: decision, of: Org.haninge, Self.operatorCaller, h.services)
            }
        }
        await #expect(throws: APIError.self) {
            try await RetentionOperations.erase(person, of: Org.haninge, reason: " ", removalList: Self.list(), Self.operatorCaller, h.services)
        }
    }

    @Test(arguments: Engine.available)
    func aRunLeavesClosesAndPublicationsAndTheAuditorSeesIt(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        let registered = try await h.request(
            .post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own, given: "Amina", family: "Testsson"))
        #expect(registered.status == .created)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(token)).status == .ok)
        _ = try await FigureOperations.makeCloses("ostra-sodertorn", quarter: nil, Self.operatorCaller, h.services)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        let published = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"quarter": "2019-Q1"}"#)
        #expect(published.status == .created)
        let id = try #require(published.json["id"] as? Int)
        let publication = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published/\(id)", as: caller)
        let closes = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/closes", as: caller)
        #expect(closes.status == .ok)

        try await RetentionOperations.setRetention(years: 1, decision: "KS 2024/118 § 12", of: Org.haninge, Self.operatorCaller, h.services)
        let list = Self.list()
        defer { try? FileManager.default.removeItem(atPath: list.path) }
        let done = try await RetentionOperations.run(for: Org.haninge, today: try Day(iso: "2030-01-01"), removalList: list, Self.operatorCaller, h.services)
        #expect(done.map(\.1.registrations) == [1])
        // Stored closes and the publication are byte for byte what they were.
        #expect(try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published/\(id)", as: caller).text == publication.text)
        #expect(try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/closes", as: caller).text == closes.text)

        // Haninge's auditor sees the setting and the run; no entry names the removed person.
        let auditor = try await h.session(for: "auditor@example.se")
        let log = try await h.request(.get, "/api/v1/audit?limit=500", as: .session(cookie: auditor.cookie, csrf: nil))
        let items = try #require(log.json["items"] as? [[String: Any]])
        let actions = items.compactMap { $0["action"] as? String }
        #expect(actions.filter { $0.hasPrefix("retention") } == ["retention-setting", "retention-run"])
        #expect(!log.text.contains(People.own) && !log.text.contains("19900101-2385"))
        #expect(try await h.request(.get, "/api/v1/audit/verify", as: .session(cookie: auditor.cookie, csrf: nil)).json["intact"] as? Bool == true)
        // …and on the auditor's page, in words, found by the action.
        let page = try await h.request(.get, "/granskning?handling=retention-run", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(page.status == .ok && page.text.contains("gallrade") && page.text.contains("212000-0084 as of 2030-01-01, 1 year under KS 2024/118 § 12"))
        // The dashboard says which live figures a run changed: to joint figures every party's
        // runs, to a party's own figures only its own (Tyresö weeded nothing).
        let notice = "Gallring den 2030-01-01 tog bort uppgifter som räknades för 2019."
        let joint = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning?ar=2019", as: caller)
        #expect(joint.status == .ok && joint.text.contains(notice), "\(joint.status)")
        let haninge = try await h.session(for: "cw.haninge@example.se")
        #expect(try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning?ar=2019", as: .session(cookie: haninge.cookie, csrf: nil)).text.contains(notice))
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        let tyresoPage = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning?ar=2019", as: .session(cookie: tyreso.cookie, csrf: nil))
        #expect(tyresoPage.status == .ok && !tyresoPage.text.contains("Gallring den"))
        // A year before the person was registered was not touched.
        #expect(!(try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning?ar=2017", as: caller)).text.contains("Gallring den"))
        // The person is gone (asking for them is a new act, refused and audited as such).
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(token)).status == .notFound)
    }

    /// Part 4 over HTTP: a correction's entry shows the registration's auditor what was there.
    @Test(arguments: Engine.available)
    func theAuditorSeesWhatACorrectionChanged(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        let corrected = try await h.request(
            .put, "/api/v1/participants/\(People.own)", as: .token(token), json: People.participantJSON(People.own, given: "Ändrad"))
        #expect(corrected.status == .ok, "\(corrected.text)")
        let auditor = try await h.session(for: "auditor@example.se")
        let log = try await h.request(.get, "/api/v1/audit?action=update", as: .session(cookie: auditor.cookie, csrf: nil))
        let items = try #require(log.json["items"] as? [[String: Any]])
        #expect(items.count == 1)
        let previous = try #require(items.first?["previous"] as? [[String: Any]])
        #expect(previous.count == 1)
        #expect(previous.first?["personId"] as? String == "19900101-2385")
        #expect(previous.first?["organisation"] as? String == "212000-0084")
        let before = try #require(previous.first?["before"] as? [String: Any])
        #expect(before["given_name"] as? String == "Test" && before["family_name"] as? String == "Person")
        #expect(before["registered_on"] != nil)
        // Registering is no correction: nothing was there before.
        let created = try await h.request(.get, "/api/v1/audit?action=create", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(((created.json["items"] as? [[String: Any]])?.first?["previous"] as? [Any])?.isEmpty == true)
    }

    /// Erasing a person the organisation does not hold answers alike whether another party
    /// holds them or nobody does, and the entry names nobody.
    @Test(arguments: Engine.available)
    func erasingWhatIsNotHeldAnswersAlike(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let tyreso = try await h.token(for: Org.tyreso)
        #expect(
            try await h.request(.post, "/api/v1/participants", as: .token(tyreso), json: People.participantJSON(People.withdrawn, municipality: "0138"))
                .status == .created)
        let list = Self.list()
        defer { try? FileManager.default.removeItem(atPath: list.path) }
        let heldElsewhere = try await RetentionOperations.erase(
            try Personnummer(People.withdrawn, currentYear: 2026), of: Org.haninge, reason: "KS 1", removalList: list, Self.operatorCaller, h.services)
        let heldByNobody = try await RetentionOperations.erase(
            try Personnummer(People.stranger, currentYear: 2026), of: Org.haninge, reason: "KS 1", removalList: list, Self.operatorCaller, h.services)
        #expect(heldElsewhere == nil && heldByNobody == nil)
        let entries = try await h.store.searchAudit(.init(action: "erase"))
        #expect(
            entries.map(\.draft.detail) == [
                "212000-0084: nothing erased (no such registration); reason: KS 1", "212000-0084: nothing erased (no such registration); reason: KS 1",
            ])
        #expect(entries.allSatisfy { $0.draft.person == nil })
        #expect(try list.lines().isEmpty)
        // Tyresö's registration is untouched; erasing it removes it.
        let erased = try await RetentionOperations.erase(
            try Personnummer(People.withdrawn, currentYear: 2026), of: Org.tyreso, reason: "BUN 2026/3", removalList: list, Self.operatorCaller,
            h.services)
        #expect(erased?.registrations == 1)
        #expect(try list.lines().count == 1)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.withdrawn)", as: .token(tyreso)).status == .notFound)
    }
}
