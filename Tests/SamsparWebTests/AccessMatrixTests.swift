import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@testable import SamsparWeb

/// Issue 4, part 5: every role × every participant endpoint × (own organisation, another
/// party with consent, another party without, consent withdrawn, nobody at all). The
/// expectations are written from SPEC §1/§2 and the issue, not from the code:
/// - a caseworker or case system reads and writes its own organisation's participants;
/// - another party's participant only while a valid consent covers the reader's organisation;
/// - a coordinator reads like a caseworker and writes no participant;
/// - analysts, auditors and admins never see a participant;
/// - a refusal for lack of consent looks exactly like "no such person".
@Suite("Who sees what (issue 4)")
struct AccessMatrixTests {
    enum Relation: String, CaseIterable {
        case own, withConsent, withoutConsent, consentWithdrawn, nonexistent
    }

    enum Endpoint: String, CaseIterable {
        case read, listConsents, accessLog, update, recordStatus, giveConsent
    }

    struct Viewer {
        var name: String
        var role: Role?
        var organisation: Organisationsnummer?
        var caller: Harness.Caller
    }

    /// The expected status, from the rules above.
    static func expected(_ role: Role?, _ relation: Relation, _ endpoint: Endpoint) -> Int {
        guard let role else { return 401 }
        let readable = relation == .own || relation == .withConsent
        switch endpoint {
        case .read, .listConsents:
            guard role.readsParticipants else { return 403 }
            return readable ? 200 : 404
        case .accessLog:
            guard role.readsParticipants else { return 403 }
            return relation == .own ? 200 : 404
        case .update:
            guard role.writesParticipants else { return 403 }
            return relation == .own ? 200 : 404
        case .recordStatus:
            guard role.writesParticipants else { return 403 }
            return readable ? 201 : 422
        case .giveConsent:
            guard role.writesParticipants else { return 403 }
            return relation == .own ? 201 : 404
        }
    }

    /// Haninge registers three participants; one has consent for every other party, one had
    /// it and withdrew it, one never gave it.
    static func setUp(_ h: Harness) async throws -> String {
        h.setDay("2019-06-08")
        let haninge = try await h.token(for: Org.haninge, name: "Haninge VS")
        for id in [People.own, People.consented, People.withdrawn] {
            let r = try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: People.participantJSON(id))
            #expect(r.status == .created, "\(r.text)")
        }
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
        return haninge
    }

    static func viewers(_ h: Harness, haningeToken: String) async throws -> [Viewer] {
        var result: [Viewer] = [
            Viewer(name: "system Haninge", role: .system, organisation: Org.haninge, caller: .token(haningeToken)),
            Viewer(name: "system Tyresö", role: .system, organisation: Org.tyreso, caller: .token(try await h.token(for: Org.tyreso))),
            Viewer(name: "anonymous", role: nil, organisation: nil, caller: .anonymous),
        ]
        let users: [(String, Role, Organisationsnummer)] = [
            ("cw.haninge@example.se", .caseworker, Org.haninge), ("cw.tyreso@example.se", .caseworker, Org.tyreso),
            ("coordinator@example.se", .coordinator, Org.association), ("analyst@example.se", .analyst, Org.association),
            ("auditor@example.se", .auditor, Org.haninge), ("admin@example.se", .admin, Org.haninge),
        ]
        for (email, role, org) in users {
            let s = try await h.session(for: email)
            result.append(Viewer(name: "\(role.rawValue) \(email)", role: role, organisation: org, caller: .session(cookie: s.cookie, csrf: s.csrf)))
        }
        return result
    }

    static func person(_ relation: Relation, viewer: Organisationsnummer?) -> String {
        switch relation {
        case .own: People.own
        case .withConsent: People.consented
        case .withoutConsent: People.own
        case .consentWithdrawn: People.withdrawn
        case .nonexistent: People.stranger
        }
    }

    @Test(arguments: Engine.available)
    func everyRoleEveryEndpointEveryRelation(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let haninge = try await Self.setUp(h)
        var checked = 0
        for viewer in try await Self.viewers(h, haningeToken: haninge) {
            let isHaninge = viewer.organisation == Org.haninge
            for relation in Relation.allCases {
                // Haninge owns all three; for everyone else they are another party's.
                if isHaninge && (relation == .withConsent || relation == .withoutConsent || relation == .consentWithdrawn) { continue }
                if !isHaninge && relation == .own && viewer.organisation != nil { continue }
                let id = Self.person(relation, viewer: viewer.organisation)
                for endpoint in Endpoint.allCases {
                    let reply: Harness.Reply
                    switch endpoint {
                    case .read: reply = try await h.request(.get, "/api/v1/participants/\(id)", as: viewer.caller)
                    case .listConsents: reply = try await h.request(.get, "/api/v1/participants/\(id)/consents", as: viewer.caller)
                    case .accessLog: reply = try await h.request(.get, "/api/v1/participants/\(id)/access-log", as: viewer.caller)
                    case .update:
                        reply = try await h.request(.put, "/api/v1/participants/\(id)", as: viewer.caller, json: People.participantJSON(id, given: "Ändrad"))
                    case .recordStatus:
                        reply = try await h.request(
                            .post, "/api/v1/participants/\(id)/statuses", as: viewer.caller, json: #"{"status": "work", "date": "2019-06-01"}"#)
                    case .giveConsent:
                        reply = try await h.request(.post, "/api/v1/participants/\(id)/consents", as: viewer.caller, json: #"{"party": "\#(Org.nynashamn)"}"#)
                    }
                    let want = Self.expected(viewer.role, relation, endpoint)
                    #expect(Int(reply.status.code) == want, "\(viewer.name) \(endpoint) \(relation): \(reply.text)")
                    #expect(reply.errorCode != nil || reply.status.code < 400, "errors are JSON: \(reply.text)")
                    checked += 1
                }
            }
        }
        #expect(checked == 174)
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
        // Writes under someone else's participant: one message for both.
        let write1 = try await h.request(
            .post, "/api/v1/participants/\(People.own)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "2019-06-01"}"#)
        let write2 = try await h.request(
            .post, "/api/v1/participants/\(People.stranger)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "2019-06-01"}"#)
        #expect(write1.status == .unprocessableContent && write2.status == .unprocessableContent)
        #expect(write1.text.replacing(People.own, with: "X").replacing("19900101-2385", with: "X") == write2.text.replacing("20000101-2384", with: "X"))
        // A search never lists them either.
        let search = try await h.request(.get, "/api/v1/participants?name=Person", as: .token(tyreso))
        let items = search.json["items"] as? [[String: Any]] ?? []
        #expect(items.map { $0["personId"] as? String } == ["19900913-2391"])
    }

    @Test func consentOpensOnlyTheOtherPartysViewAndOnlyWhileValid() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let haninge = try await Self.setUp(h)
        let tyreso = try await h.token(for: Org.tyreso)
        // Tyresö records an outcome under consent, then the consent ends: Tyresö keeps seeing
        // only its own record, without the person's name.
        let r = try await h.request(
            .post, "/api/v1/participants/\(People.consented)/statuses", as: .token(tyreso), json: #"{"status": "studies", "date": "2019-06-02"}"#)
        #expect(r.status == .created)
        let full = try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .token(tyreso))
        #expect(full.json["access"] as? String == "full" && full.json["givenName"] as? String == "Test")
        let consents = try await h.request(.get, "/api/v1/participants/\(People.consented)/consents", as: .token(haninge))
        let tyresoConsent = (consents.json["items"] as? [[String: Any]] ?? []).first { $0["party"] as? String == Org.tyreso.description }
        let id = try #require(tyresoConsent?["id"] as? Int)
        let w = try await h.request(.post, "/api/v1/participants/\(People.consented)/consents/\(id)/withdraw", as: .token(haninge))
        #expect(w.status == .ok)
        let after = try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .token(tyreso))
        #expect(after.status == .ok)
        #expect(after.json["access"] as? String == "ownRecordsOnly")
        #expect(after.json["givenName"] == nil)
        #expect((after.json["statuses"] as? [[String: Any]])?.count == 1)
        #expect((after.json["events"] as? [Any])?.isEmpty == true)
        // A consent that has not started yet, or has ended, opens nothing.
        let future = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(haninge), json: #"{"party": "\#(Org.tyreso)", "validFrom": "2019-07-01"}"#)
        #expect(future.status == .created)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .notFound)
        h.setDay("2019-07-01")
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .ok)
    }

    @Test func theOwnersCaseworkerSeesWhoHasLooked() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let haninge = try await Self.setUp(h)
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .session(cookie: tyreso.cookie, csrf: nil)).status == .ok)
        let log = try await h.request(.get, "/api/v1/participants/\(People.consented)/access-log", as: .token(haninge))
        #expect(log.status == .ok)
        let items = log.json["items"] as? [[String: Any]] ?? []
        let read = items.first { $0["action"] as? String == "read" && $0["actor"] as? String == "cw.tyreso@example.se" }
        #expect(read?["organisation"] as? String == Org.tyreso.description)
        #expect(read?["channel"] as? String == "GET /api/v1/participants/{personId}")
        // The writes are there too: registration and the consents.
        #expect(items.contains { $0["action"] as? String == "create" && $0["actor"] as? String == "token:Haninge VS" })
        #expect(items.filter { $0["action"] as? String == "consent" }.count == 3)
    }
}

/// Consent validity is decided in two places: in Swift for a read (``Consent/isValid(on:)``)
/// and in SQL for searches and for writes under consent (``RecordOwnership``). On each
/// boundary day both must agree.
@Suite("Consent boundaries agree everywhere")
struct ConsentBoundaryTests {
    @Test(arguments: Engine.available)
    func readSearchAndWriteAgreeOnEveryBoundaryDay(engine: Engine) async throws {
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
        #expect(
            try await h.request(
                .post, "/api/v1/participants/\(People.consented)/consents/\(withdrawnID)/withdraw", as: .token(haninge), json: #"{"date": "2019-04-15"}"#
            ).status == .ok)
        let cases: [(String, String, Bool)] = [
            (People.own, "2019-02-28", false), (People.own, "2019-03-01", true), (People.own, "2019-05-31", true), (People.own, "2019-06-01", false),
            (People.consented, "2019-04-14", true), (People.consented, "2019-04-15", false),
        ]
        for (id, day, open) in cases {
            h.setDay(day)
            let read = try await h.request(.get, "/api/v1/participants/\(id)", as: .token(tyreso))
            let search = try await h.request(.get, "/api/v1/participants?personId=\(id)", as: .token(tyreso))
            let write = try await h.request(.post, "/api/v1/participants/\(id)/statuses", as: .token(tyreso), json: #"{"status": "work", "date": "\#(day)"}"#)
            // Once Tyresö has written under consent it has records of its own, so a read
            // without consent still answers, but only with those: never the person.
            let full = read.status == .ok && read.json["access"] as? String == "full"
            #expect(full == open, "read \(id) on \(day): \(read.text)")
            #expect(((search.json["items"] as? [Any])?.count == 1) == open, "search \(id) on \(day)")
            #expect((write.status == .created) == open, "write \(id) on \(day): \(write.text)")
        }
    }
}
