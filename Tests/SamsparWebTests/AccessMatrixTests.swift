import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 7, part 9: who sees what, with several parties. Every expected status below is
/// written out by hand from SPEC §1 and §2, never computed from the code under test:
/// - any party registers any person; a party records only for people it registered itself;
/// - without consent a party sees only its own registration and records; a valid consent
///   recorded by another party opens that party's records to the one it names;
/// - a party's access log lists the acts on its own records only;
/// - a coordinator reads like a caseworker and writes no participant; analysts, auditors and
///   admins never see a participant; a refusal is the same `404` as for nobody at all.
@Suite("Who sees what, with several parties (issue 7)")
struct AccessMatrixTests {
    /// The people of the scenario (``setUp(_:)``), by how they relate to the parties.
    enum Person: String, CaseIterable {
        /// Registered by Haninge only; no consent.
        case own
        /// Registered by Haninge; consent for Tyresö, the samordningsförbund and Arbetsförmedlingen.
        case consented
        /// Registered by Haninge; the same consents, withdrawn on 2019-05-01.
        case withdrawn
        /// Registered by Haninge and by Arbetsförmedlingen, each with records of its own; no consent.
        case both
        /// Nobody registered them.
        case nobody

        var id: String {
            switch self {
            case .own: People.own
            case .consented: People.consented
            case .withdrawn: People.withdrawn
            case .both: People.both
            case .nobody: People.stranger
            }
        }
    }

    /// The endpoints, in the order of each row of ``expected``.
    enum Endpoint: CaseIterable {
        case read, listConsents, accessLog, update, recordStatus, giveConsent
    }

    /// Viewer → person → the statuses of read, consents, access log, update, record a
    /// status, give consent. Written by hand.
    static let expected: [String: [Person: [Int]]] = [
        "system Haninge": [
            .own: [200, 200, 200, 200, 201, 201], .consented: [200, 200, 200, 200, 201, 201], .withdrawn: [200, 200, 200, 200, 201, 201],
            .both: [200, 200, 200, 200, 201, 201], .nobody: [404, 404, 404, 404, 422, 404],
        ],
        "caseworker Haninge": [
            .own: [200, 200, 200, 200, 201, 201], .consented: [200, 200, 200, 200, 201, 201], .withdrawn: [200, 200, 200, 200, 201, 201],
            .both: [200, 200, 200, 200, 201, 201], .nobody: [404, 404, 404, 404, 422, 404],
        ],
        "system Tyresö": [
            .own: [404, 404, 404, 404, 422, 404], .consented: [200, 200, 404, 404, 422, 404], .withdrawn: [404, 404, 404, 404, 422, 404],
            .both: [404, 404, 404, 404, 422, 404], .nobody: [404, 404, 404, 404, 422, 404],
        ],
        "caseworker Tyresö": [
            .own: [404, 404, 404, 404, 422, 404], .consented: [200, 200, 404, 404, 422, 404], .withdrawn: [404, 404, 404, 404, 422, 404],
            .both: [404, 404, 404, 404, 422, 404], .nobody: [404, 404, 404, 404, 422, 404],
        ],
        "system Arbetsförmedlingen": [
            .own: [404, 404, 404, 404, 422, 404], .consented: [200, 200, 404, 404, 422, 404], .withdrawn: [404, 404, 404, 404, 422, 404],
            .both: [200, 200, 200, 200, 201, 201], .nobody: [404, 404, 404, 404, 422, 404],
        ],
        "coordinator": [
            .own: [404, 404, 404, 403, 403, 403], .consented: [200, 200, 404, 403, 403, 403], .withdrawn: [404, 404, 404, 403, 403, 403],
            .both: [404, 404, 404, 403, 403, 403], .nobody: [404, 404, 404, 403, 403, 403],
        ],
        "analyst": Dictionary(uniqueKeysWithValues: Person.allCases.map { ($0, [403, 403, 403, 403, 403, 403]) }),
        "auditor": Dictionary(uniqueKeysWithValues: Person.allCases.map { ($0, [403, 403, 403, 403, 403, 403]) }),
        "admin": Dictionary(uniqueKeysWithValues: Person.allCases.map { ($0, [403, 403, 403, 403, 403, 403]) }),
        "anonymous": Dictionary(uniqueKeysWithValues: Person.allCases.map { ($0, [401, 401, 401, 401, 401, 401]) }),
    ]

    struct Scenario {
        var haninge: String
        var employmentService: String
        var viewers: [(name: String, caller: Harness.Caller)]
    }

    /// Haninge registers four people and Arbetsförmedlingen one of them as well; the consents
    /// are Haninge's (they open Haninge's records).
    static func setUp(_ h: Harness) async throws -> Scenario {
        h.setDay("2019-06-08")
        let haninge = try await h.token(for: Org.haninge, name: "Haninge VS")
        let af = try await h.token(for: Org.employmentService, name: "AF VS")
        for id in [People.own, People.consented, People.withdrawn, People.both] {
            let r = try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: People.participantJSON(id))
            #expect(r.status == .created, "\(r.text)")
        }
        let r = try await h.request(.post, "/api/v1/participants", as: .token(af), json: People.participantJSON(People.both, given: "Af-namn"))
        #expect(r.status == .created, "\(r.text)")
        #expect(
            try await h.request(.post, "/api/v1/participants/\(People.both)/statuses", as: .token(af), json: #"{"status": "work", "date": "2019-03-01"}"#)
                .status == .created)
        for party in [Org.tyreso, Org.association, Org.employmentService] {
            for id in [People.consented, People.withdrawn] {
                let r = try await h.request(
                    .post, "/api/v1/participants/\(id)/consents", as: .token(haninge), json: #"{"party": "\#(party)", "validFrom": "2019-01-01"}"#)
                #expect(r.status == .created, "\(r.text)")
                if id == People.withdrawn, let consentID = r.json["id"] as? Int {
                    let w = try await h.request(
                        .post, "/api/v1/participants/\(id)/consents/\(consentID)/withdraw", as: .token(haninge), json: #"{"date": "2019-05-01"}"#)
                    #expect(w.status == .ok, "\(w.text)")
                }
            }
        }
        var viewers: [(String, Harness.Caller)] = [
            ("system Haninge", .token(haninge)), ("system Tyresö", .token(try await h.token(for: Org.tyreso))),
            ("system Arbetsförmedlingen", .token(af)), ("anonymous", .anonymous),
        ]
        for (name, email) in [
            ("caseworker Haninge", "cw.haninge@example.se"), ("caseworker Tyresö", "cw.tyreso@example.se"), ("coordinator", "coordinator@example.se"),
            ("analyst", "analyst@example.se"), ("auditor", "auditor@example.se"), ("admin", "admin@example.se"),
        ] {
            let s = try await h.session(for: email)
            viewers.append((name, .session(cookie: s.cookie, csrf: s.csrf)))
        }
        return Scenario(haninge: haninge, employmentService: af, viewers: viewers)
    }

    static func call(_ h: Harness, _ endpoint: Endpoint, _ id: String, as caller: Harness.Caller) async throws -> Harness.Reply {
        switch endpoint {
        case .read: try await h.request(.get, "/api/v1/participants/\(id)", as: caller)
        case .listConsents: try await h.request(.get, "/api/v1/participants/\(id)/consents", as: caller)
        case .accessLog: try await h.request(.get, "/api/v1/participants/\(id)/access-log", as: caller)
        case .update: try await h.request(.put, "/api/v1/participants/\(id)", as: caller, json: People.participantJSON(id, given: "Ändrad"))
        case .recordStatus:
            try await h.request(.post, "/api/v1/participants/\(id)/statuses", as: caller, json: #"{"status": "work", "date": "2019-06-01"}"#)
        case .giveConsent: try await h.request(.post, "/api/v1/participants/\(id)/consents", as: caller, json: #"{"party": "\#(Org.nynashamn)"}"#)
        }
    }

    @Test(arguments: Engine.available)
    func everyViewerEveryPersonEveryEndpoint(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        var checked = 0
        for (name, caller) in scenario.viewers {
            let rows = try #require(Self.expected[name], "no row for \(name)")
            for person in Person.allCases {
                let want = try #require(rows[person])
                for (endpoint, status) in zip(Endpoint.allCases, want) {
                    let reply = try await Self.call(h, endpoint, person.id, as: caller)
                    #expect(Int(reply.status.code) == status, "\(name) \(endpoint) \(person): \(reply.text)")
                    #expect(reply.errorCode != nil || reply.status.code < 400, "errors are JSON: \(reply.text)")
                    checked += 1
                }
            }
        }
        #expect(checked == 10 * 5 * 6)
    }

    @Test(arguments: Engine.available)
    func aRefusalLooksExactlyLikeNoSuchPerson(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await Self.setUp(h)
        let tyreso = try await h.token(for: Org.tyreso)
        let existing = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso))
        let missing = try await h.request(.get, "/api/v1/participants/\(People.stranger)", as: .token(tyreso))
        let nonsense = try await h.request(.get, "/api/v1/participants/not-a-number", as: .token(tyreso))
        #expect(existing.status == .notFound)
        #expect(existing.text == missing.text && missing.text == nonsense.text)
        // Writes for someone another party registered: one message, as for nobody.
        let write1 = try await h.request(
            .post, "/api/v1/participants/\(People.own)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "2019-06-01"}"#)
        let write2 = try await h.request(
            .post, "/api/v1/participants/\(People.stranger)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "2019-06-01"}"#)
        #expect(write1.status == .unprocessableContent && write2.status == .unprocessableContent)
        #expect(write1.text.replacing("19900101-2385", with: "X") == write2.text.replacing("20000101-2384", with: "X"))
        // A bulk file naming another party's person: the same words as for nobody.
        let csv1 = try await h.request(.post, "/api/v1/imports/statuses", as: .token(tyreso), csv: "person_id;status;date\n199001012385;work;2019-06-01\n")
        let csv2 = try await h.request(.post, "/api/v1/imports/statuses", as: .token(tyreso), csv: "person_id;status;date\n200001012384;work;2019-06-01\n")
        #expect(csv1.status == .unprocessableContent)
        #expect(csv1.text.replacing("19900101-2385", with: "X") == csv2.text.replacing("20000101-2384", with: "X"))
        // A search never lists them either.
        let search = try await h.request(.get, "/api/v1/participants?name=Person", as: .token(tyreso))
        let items = search.json["items"] as? [[String: Any]] ?? []
        #expect(items.map { $0["personId"] as? String } == ["19900913-2391"])
    }

    /// Registering is the same for everyone: Arbetsförmedlingen registering a person Haninge
    /// holds gets exactly the answer it gets for a person nobody holds (SPEC §2).
    @Test(arguments: Engine.available)
    func registeringSucceedsTheSameWhoeverElseHoldsThePerson(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        let held = try await h.request(.post, "/api/v1/participants", as: .token(scenario.employmentService), json: People.participantJSON(People.own))
        let free = try await h.request(.post, "/api/v1/participants", as: .token(scenario.employmentService), json: People.participantJSON(People.stranger))
        #expect(held.status == .created && free.status == .created)
        #expect(held.text.replacing("19900101-2385", with: "X") == free.text.replacing("20000101-2384", with: "X"))
        // A malformed registration is refused with the same words in both cases too.
        let bad1 = try await h.request(
            .post, "/api/v1/participants", as: .token(scenario.employmentService),
            json: People.participantJSON(People.withdrawn).replacing("2017-01-01", with: "2017-13-01"))
        let bad2 = try await h.request(
            .post, "/api/v1/participants", as: .token(scenario.employmentService),
            json: People.participantJSON("200002012383").replacing("2017-01-01", with: "2017-13-01"))
        #expect(bad1.status == .unprocessableContent && bad2.status == .unprocessableContent)
        #expect(bad1.text == bad2.text)
        // Its registration is its own: Haninge's name for the person is unchanged, and
        // Arbetsförmedlingen sees only its own registration.
        let haningeView = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(scenario.haninge))
        #expect((haningeView.json["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == [Org.haninge.description])
        let afView = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(scenario.employmentService))
        #expect((afView.json["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == [Org.employmentService.description])
    }

    /// Consent is recorded and withdrawn only by the party whose records it opens.
    @Test func onlyTheOpeningPartyRecordsOrWithdrawsConsent() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        let consents = try await h.request(.get, "/api/v1/participants/\(People.consented)/consents", as: .token(scenario.haninge))
        let ids = (consents.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        // A mutant that hides them ends the test here, not in an index out of range.
        try #require(ids.count == 3)
        // Arbetsförmedlingen sees Haninge's consents (they are Haninge's records it may see)
        // but cannot withdraw one, nor record one for Haninge's records.
        let w = try await h.request(.post, "/api/v1/participants/\(People.consented)/consents/\(ids[0])/withdraw", as: .token(scenario.employmentService))
        #expect(w.status == .notFound)
        let give = try await h.request(
            .post, "/api/v1/participants/\(People.consented)/consents", as: .token(scenario.employmentService), json: #"{"party": "\#(Org.tyreso)"}"#)
        #expect(give.status == .notFound)
        let still = try await h.request(.get, "/api/v1/participants/\(People.consented)/consents", as: .token(scenario.haninge))
        #expect((still.json["items"] as? [[String: Any]] ?? []).allSatisfy { $0["withdrawnOn"] is NSNull })
        // Both registered `both`; Haninge's consent there is Haninge's alone to withdraw.
        let mine = try await h.request(
            .post, "/api/v1/participants/\(People.both)/consents", as: .token(scenario.haninge), json: #"{"party": "\#(Org.tyreso)"}"#)
        let mineID = try #require(mine.json["id"] as? Int)
        let theirs = try await h.request(.post, "/api/v1/participants/\(People.both)/consents/\(mineID)/withdraw", as: .token(scenario.employmentService))
        #expect(theirs.status == .notFound)
        #expect(
            try await h.store.read { try await $0.query("SELECT withdrawn_on FROM consents WHERE id = $1", [.int(mineID)]) }.first?["withdrawn_on"] == .null)
    }

    @Test func consentOpensTheOtherPartysRecordsOnlyWhileValid() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        let haninge = scenario.haninge
        let tyreso = try await h.token(for: Org.tyreso)
        let full = try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .token(tyreso))
        #expect(full.status == .ok && full.json["givenName"] as? String == "Test")
        let consents = try await h.request(.get, "/api/v1/participants/\(People.consented)/consents", as: .token(haninge))
        let tyresoConsent = (consents.json["items"] as? [[String: Any]] ?? []).first { $0["party"] as? String == Org.tyreso.description }
        let id = try #require(tyresoConsent?["id"] as? Int)
        #expect(try await h.request(.post, "/api/v1/participants/\(People.consented)/consents/\(id)/withdraw", as: .token(haninge)).status == .ok)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .token(tyreso)).status == .notFound)
        // A consent that has not started yet opens nothing until its first day.
        let future = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(haninge), json: #"{"party": "\#(Org.tyreso)", "validFrom": "2019-07-01"}"#)
        #expect(future.status == .created)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .notFound)
        h.setDay("2019-07-01")
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .ok)
    }

    /// A party's access log lists every act on its own records, by anyone; never another
    /// party's acts on that party's own records.
    @Test func anAccessLogShowsTheActsOnTheCallersOwnRecordsOnly() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .session(cookie: tyreso.cookie, csrf: nil)).status == .ok)
        let log = try await h.request(.get, "/api/v1/participants/\(People.consented)/access-log", as: .token(scenario.haninge))
        #expect(log.status == .ok)
        let items = log.json["items"] as? [[String: Any]] ?? []
        let read = items.first { $0["action"] as? String == "read" && $0["actor"] as? String == "cw.tyreso@example.se" }
        #expect(read?["organisation"] as? String == Org.tyreso.description)
        #expect(read?["channel"] as? String == "GET /api/v1/participants/{personId}")
        #expect(items.contains { $0["action"] as? String == "create" && $0["actor"] as? String == "token:Haninge VS" })
        #expect(items.filter { $0["action"] as? String == "consent" }.count == 3)
        // Both registered `both`: Haninge's log does not show Arbetsförmedlingen's own acts,
        // and it does show Haninge's bulk file that touched the person.
        let bulk = try await h.request(
            .post, "/api/v1/imports/statuses", as: .token(scenario.haninge), csv: "person_id;status;date\n\(People.both);studies;2019-04-01\n")
        #expect(bulk.status == .ok)
        let haningeLog = try await h.request(.get, "/api/v1/participants/\(People.both)/access-log", as: .token(scenario.haninge))
        let haningeItems = haningeLog.json["items"] as? [[String: Any]] ?? []
        #expect(Set(haningeItems.compactMap { $0["actor"] as? String }) == ["token:Haninge VS"])
        #expect(haningeItems.map { $0["action"] as? String } == ["create", "import"])
        let afLog = try await h.request(.get, "/api/v1/participants/\(People.both)/access-log", as: .token(scenario.employmentService))
        let afActions = (afLog.json["items"] as? [[String: Any]] ?? []).map { "\($0["actor"] as? String ?? "") \($0["action"] as? String ?? "")" }
        #expect(afActions == ["token:AF VS create", "token:AF VS record"])
    }

    /// Every refused read or write is in the audit log: who, which person, why.
    @Test func refusalsAreAudited() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let scenario = try await Self.setUp(h)
        _ = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(scenario.employmentService))
        _ = try await h.request(
            .post, "/api/v1/participants/\(People.own)/statuses", as: .token(scenario.employmentService), json: #"{"status": "work", "date": "2019-06-01"}"#)
        let analyst = try await h.session(for: "analyst@example.se")
        _ = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .session(cookie: analyst.cookie, csrf: nil))
        _ = try await h.request(
            .post, "/api/v1/imports/statuses", as: .token(scenario.employmentService),
            csv: "person_id;status;date\n\(People.own);work;2019-06-01\n\(People.stranger);work;2019-06-01\n")
        let refused = try await h.store.read { try await AuditLog.search(.init(action: "refused"), in: $0) }
        let summary = refused.map { "\($0.draft.actor) \($0.draft.person?.description ?? "-") \($0.draft.channel) \($0.draft.detail)" }
        #expect(
            summary == [
                "token:AF VS 19900101-2385 GET /api/v1/participants/{personId} not theirs or does not exist",
                "token:AF VS 19900101-2385 POST /api/v1/participants/{personId}/statuses not theirs or does not exist",
                "analyst@example.se 19900101-2385 GET /api/v1/participants/{personId} the role analyst may not read participants",
                "token:AF VS 19900101-2385 POST /api/v1/imports/{kind} not theirs or does not exist",
                "token:AF VS 20000101-2384 POST /api/v1/imports/{kind} not theirs or does not exist",
            ])
    }
}

/// Consent validity is written twice: in SQL, where every read and search applies it
/// (`AccessSQL.visible`), and in Swift (``Consent/isValid(on:)``). On each boundary day both
/// must agree, and with the hand-written answer.
@Suite("Consent boundaries agree everywhere")
struct ConsentBoundaryTests {
    @Test(arguments: Engine.available)
    func readSearchAndTheSwiftRuleAgreeOnEveryBoundaryDay(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-01-01")
        let haninge = try await h.token(for: Org.haninge)
        let tyreso = try await h.token(for: Org.tyreso)
        for id in [People.own, People.consented] {
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: People.participantJSON(id)).status == .created)
        }
        // From 1 March through 31 May; and one from 1 March withdrawn on 15 April.
        let bounded = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(haninge),
            json: #"{"party": "\#(Org.tyreso)", "validFrom": "2019-03-01", "validUntil": "2019-05-31"}"#)
        let withdrawn = try await h.request(
            .post, "/api/v1/participants/\(People.consented)/consents", as: .token(haninge),
            json: #"{"party": "\#(Org.tyreso)", "validFrom": "2019-03-01"}"#)
        let withdrawnID = try #require(withdrawn.json["id"] as? Int)
        #expect(bounded.status == .created)
        // A withdrawal is recorded on its day or later, never ahead (issue 18): on 15 April.
        #expect(
            try await h.request(
                .post, "/api/v1/participants/\(People.consented)/consents/\(withdrawnID)/withdraw", as: .token(haninge), json: #"{"date": "2019-04-15"}"#
            ).status == .unprocessableContent)
        h.setDay("2019-04-15")
        #expect(
            try await h.request(
                .post, "/api/v1/participants/\(People.consented)/consents/\(withdrawnID)/withdraw", as: .token(haninge), json: #"{"date": "2019-04-15"}"#
            ).status == .ok)
        let swift: [String: Consent] = [
            People.own: Consent(
                id: 1, person: Personnummer(storedValue: Int64(People.own)!), party: Org.tyreso, validFrom: try Day(iso: "2019-03-01"),
                validUntil: try Day(iso: "2019-05-31"), withdrawnOn: nil, recordedBy: Org.haninge),
            People.consented: Consent(
                id: 2, person: Personnummer(storedValue: Int64(People.consented)!), party: Org.tyreso, validFrom: try Day(iso: "2019-03-01"), validUntil: nil,
                withdrawnOn: try Day(iso: "2019-04-15"), recordedBy: Org.haninge),
        ]
        let cases: [(String, String, Bool)] = [
            (People.own, "2019-02-28", false), (People.own, "2019-03-01", true), (People.own, "2019-05-31", true), (People.own, "2019-06-01", false),
            (People.consented, "2019-04-14", true), (People.consented, "2019-04-15", false),
        ]
        for (id, day, open) in cases {
            h.setDay(day)
            let read = try await h.request(.get, "/api/v1/participants/\(id)", as: .token(tyreso))
            let search = try await h.request(.get, "/api/v1/participants?personId=\(id)", as: .token(tyreso))
            #expect((read.status == .ok) == open, "read \(id) on \(day): \(read.text)")
            #expect(((search.json["items"] as? [Any])?.count == 1) == open, "search \(id) on \(day)")
            #expect(swift[id]!.isValid(on: try Day(iso: day)) == open, "Consent.isValid \(id) on \(day)")
            // Consent lets Tyresö see, never write: it has not registered the person.
            let write = try await h.request(.post, "/api/v1/participants/\(id)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "\#(day)"}"#)
            #expect(write.status == .unprocessableContent, "write \(id) on \(day): \(write.text)")
        }
    }
}
