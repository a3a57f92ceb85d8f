import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 23, part 2: protected identity (SPEC §2), over real HTTP on both engines. The world is
/// AccessMatrixTests.setUp's (Haninge registers four people; Arbetsförmedlingen registers
/// People.both as "Af-namn"; Haninge consents People.consented to Tyresö, the
/// samordningsförbund and Arbetsförmedlingen). Haninge then names People.consented "Hemlig
/// Namnsson", exits them with a reason that names a place, and records an event with a reason
/// and an activity with a provider that name places too. Every expectation is written out by
/// hand.
@Suite("Protected identity")
struct ProtectedIdentityTests {
    static let person = People.consented
    static let shown = "19900913-2391"
    static let place = "Handens bibliotek"
    static let provider = "Komvux Brandbergen"
    static let exitPlace = "flyttade till Jordbro"

    /// A form as the browser sends it, with the session's CSRF token (PageTests' helper).
    func post(_ h: Harness, _ uri: String, as session: (cookie: String, csrf: String), _ fields: [(String, String)]) async throws -> Harness.Reply {
        try await PageTests().post(h, uri, as: session, [("_csrf", session.csrf)] + fields)
    }

    static func participant(marked: Bool?) -> String {
        let mark = marked.map { #", "protected": \#($0)"# } ?? ""
        return """
            {"personId": "\(person)", "givenName": "Hemlig", "familyName": "Namnsson", "municipality": "0136", "firstPermitDate": "2017-01-01",
             "registeredOn": "2018-01-15", "exitedOn": "2019-05-31", "exitReason": "\(exitPlace)", "upperSecondaryCompleted": false\(mark)}
            """
    }

    /// The world, with People.consented's records; `marked` sets Haninge's mark.
    static func world(_ h: Harness, marked: Bool) async throws -> AccessMatrixTests.Scenario {
        let scenario = try await AccessMatrixTests.setUp(h)
        let haninge = Harness.Caller.token(scenario.haninge)
        #expect(try await h.request(.put, "/api/v1/participants/\(person)", as: haninge, json: participant(marked: marked)).status == .ok)
        for json in [
            #"{"track": "vard", "event": "attended", "date": "2019-02-01", "reason": "\#(place)"}"#,
            #"{"track": "vard", "event": "started", "date": "2019-03-01"}"#,
        ] {
            #expect(try await h.request(.post, "/api/v1/participants/\(person)/events", as: haninge, json: json).status == .created)
        }
        #expect(
            try await h.request(
                .post, "/api/v1/participants/\(person)/activities", as: haninge,
                json: #"{"activity": "sfi", "start": "2019-01-10", "end": "2019-04-30", "hoursPerWeek": 10, "provider": "\#(provider)"}"#
            ).status == .created)
        return scenario
    }

    static func ref(in html: String) -> String? {
        guard let range = html.range(of: #"/deltagare/skyddad/[0-9a-f]{32}"#, options: .regularExpression) else { return nil }
        return String(html[range].suffix(32))
    }

    // MARK: Marking

    @Test(arguments: Engine.available)
    func onlyNoRemovesTheMarkAndEveryChangeOfItIsAudited(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-08")
        let token = Harness.Caller.token(try await h.token(for: Org.haninge))
        func marked() async throws -> Bool? { try await h.request(.get, "/api/v1/participants/\(People.own)", as: token).json["protected"] as? Bool }
        func importing(_ csv: String) async throws -> Harness.Reply { try await h.request(.post, "/api/v1/imports/participants", as: token, csv: csv) }
        let header = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"
        let row = "\(People.own);0136;2017-01-01;2018-01-15;no"

        #expect(try await importing("\(header);protected\n\(row);yes\n").status == .ok)
        #expect(try await marked() == true)
        // A file without the column, an empty cell, and a request without the field keep it.
        #expect(try await importing("\(header)\n\(row)\n").status == .ok)
        #expect(try await marked() == true)
        #expect(try await importing("\(header);protected\n\(row);\n").status == .ok)
        #expect(try await marked() == true)
        #expect(try await h.request(.put, "/api/v1/participants/\(People.own)", as: token, json: People.participantJSON(People.own)).status == .ok)
        #expect(try await marked() == true)
        // A value that is neither is refused where it stands, and nothing is written.
        let bad = try await importing("\(header);protected\n\(row);kanske\n")
        #expect(bad.status == .unprocessableContent)
        let problems = try #require(bad.json["errors"] as? [[String: Any]])
        #expect(problems.map { "\($0["line"] ?? "") \($0["column"] ?? "")" } == ["2 protected"])
        #expect(try await marked() == true)
        // Only `no` removes it.
        #expect(try await importing("\(header);protected\n\(row);no\n").status == .ok)
        #expect(try await marked() == false)
        #expect(
            try await h.request(
                .put, "/api/v1/participants/\(People.own)", as: token,
                json:
                    #"{"personId": "\#(People.own)", "municipality": "0136", "firstPermitDate": "2017-01-01", "registeredOn": "2018-01-15", "upperSecondaryCompleted": false, "protected": true}"#
            ).status == .ok)
        #expect(try await marked() == true)

        let entries = try await h.store.searchAudit(.init(person: try Personnummer(People.own, currentYear: 2026)))
        #expect(entries.map(\.draft.action).filter { $0 == "protect" || $0 == "unprotect" } == ["protect", "unprotect", "protect"])
    }

    @Test(arguments: Engine.available)
    func theParticipantPageSetsAndRemovesTheMark(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-08")
        let token = Harness.Caller.token(try await h.token(for: Org.haninge))
        #expect(try await h.request(.post, "/api/v1/participants", as: token, json: People.participantJSON(People.own, given: "Sara")).status == .created)
        let cw = try await h.session(for: "cw.haninge@example.se")
        let page = try await h.request(.get, "/deltagare/\(People.own)", as: .session(cookie: cw.cookie, csrf: nil))
        #expect(page.text.contains(#"action="/deltagare/19900101-2385/skydd""#))
        let set = try await post(h, "/deltagare/19900101-2385/skydd", as: cw, [("protected", "yes")])
        #expect(set.status == .seeOther)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: token).json["protected"] as? Bool == true)
        let list = try await h.request(.get, "/deltagare", as: .session(cookie: cw.cookie, csrf: nil))
        #expect(!list.text.contains("19900101-2385") && !list.text.contains("Sara"))
        #expect(list.text.contains("Skyddad identitet"))
        let removed = try await post(h, "/deltagare/19900101-2385/skydd", as: cw, [("protected", "no")])
        #expect(removed.status == .seeOther)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: token).json["protected"] as? Bool == false)
        #expect(try await h.request(.get, "/deltagare", as: .session(cookie: cw.cookie, csrf: nil)).text.contains("19900101-2385"))
        // Another party's caseworker may not mark Haninge's registration: to Tyresö it does not exist.
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await post(h, "/deltagare/19900101-2385/skydd", as: tyreso, [("protected", "yes")]).status == .notFound)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: token).json["protected"] as? Bool == false)
        let entries = try await h.store.searchAudit(.init(person: try Personnummer(People.own, currentYear: 2026)))
        #expect(
            entries.filter { ["protect", "unprotect"].contains($0.draft.action) }.map { "\($0.draft.actor) \($0.draft.action)" } == [
                "cw.haninge@example.se protect", "cw.haninge@example.se unprotect",
            ])
        // The registration form marks a new person.
        let registered = try await post(
            h, "/deltagare/ny", as: cw,
            [
                ("personId", People.withdrawn), ("municipality", "0136"), ("firstPermitDate", "2017-01-01"), ("registeredOn", "2019-01-01"),
                ("upperSecondaryCompleted", "no"), ("protected", "yes"),
            ])
        #expect(registered.status == .seeOther)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.withdrawn)", as: token).json["protected"] as? Bool == true)
    }

    // MARK: The party's own users

    @Test(arguments: Engine.available)
    func ownUsersSeeTheNameAndNumberOnlyAfterGivingAReason(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let scenario = try await Self.world(h, marked: true)
        let cw = try await h.session(for: "cw.haninge@example.se")
        let session = Harness.Caller.session(cookie: cw.cookie, csrf: nil)

        // Lists, the export and the drill-down: "Skyddad identitet", never the number or the name.
        let list = try await h.request(.get, "/deltagare", as: session)
        #expect(list.text.contains("Skyddad identitet"))
        #expect(list.text.contains("19900101-2385"))
        let ref = try #require(Self.ref(in: list.text))
        let drill = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning/personer?ar=2019&per=2019-06-08&figur=active", as: session)
        #expect(drill.status == .ok)
        #expect(drill.text.contains("Skyddad identitet") && drill.text.contains("/deltagare/skyddad/\(ref)"))
        let csv = try await h.request(.get, "/deltagare/export.csv", as: session)
        #expect(csv.status == .ok && csv.text.contains("19900101-2385"))
        for reply in [list, drill, csv, try await h.request(.get, "/", as: session)] {
            #expect(!reply.text.contains(Self.shown) && !reply.text.contains(Self.person) && !reply.text.contains("Hemlig"))
        }
        #expect(!csv.text.contains("Skyddad identitet"))
        // Searching the list for the name finds nobody; for the number, the person without it.
        #expect(!(try await h.request(.get, "/deltagare?q=Hemlig", as: session)).text.contains("/deltagare/skyddad/"))

        // The page by reference: records, no name, no number, no forms; a reason shows them.
        let hidden = try await h.request(.get, "/deltagare/skyddad/\(ref)", as: session)
        #expect(hidden.status == .ok)
        #expect(!hidden.text.contains(Self.shown) && !hidden.text.contains("Hemlig") && !hidden.text.contains("/handelser"))
        #expect(hidden.text.contains(Self.place) && hidden.text.contains(#"id="form-reveal""#))
        let noReason = try await post(h, "/deltagare/skyddad/\(ref)", as: cw, [("reason", "  ")])
        #expect(noReason.status == .unprocessableContent)
        #expect(!noReason.text.contains(Self.shown) && !noReason.text.contains("Hemlig"))
        let revealed = try await post(h, "/deltagare/skyddad/\(ref)", as: cw, [("reason", "Ringa inför mötet 10 juni")])
        #expect(revealed.status == .ok)
        #expect(revealed.text.contains("Hemlig Namnsson") && revealed.text.contains(Self.shown) && revealed.text.contains(#"id="protected-notice""#))
        // Another organisation's user cannot open Haninge's reference.
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await h.request(.get, "/deltagare/skyddad/\(ref)", as: .session(cookie: tyreso.cookie, csrf: nil)).status == .notFound)

        // The API: a person's session needs `reason`; the case system's token reads without one.
        let plain = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .session(cookie: cw.cookie, csrf: cw.csrf))
        #expect(plain.json["givenName"] is NSNull && plain.json["identityHidden"] as? Bool == true && plain.json["protected"] as? Bool == true)
        let why = try await h.request(.get, "/api/v1/participants/\(Self.person)?reason=Kontroll", as: .session(cookie: cw.cookie, csrf: cw.csrf))
        #expect(why.json["givenName"] as? String == "Hemlig" && why.json["identityHidden"] as? Bool == false)
        let byToken = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(scenario.haninge))
        #expect(byToken.json["givenName"] as? String == "Hemlig" && byToken.json["identityHidden"] as? Bool == false)
        let byName = try await h.request(.get, "/api/v1/participants?name=hemlig", as: .session(cookie: cw.cookie, csrf: cw.csrf))
        #expect((byName.json["items"] as? [Any])?.count == 0)
        let everyone = try await h.request(.get, "/api/v1/participants", as: .session(cookie: cw.cookie, csrf: cw.csrf))
        #expect(!everyone.text.contains(Self.shown) && everyone.text.contains(#""identityHidden":true"#))
        #expect((try await h.request(.get, "/api/v1/participants?name=hemlig", as: .token(scenario.haninge)).json["items"] as? [Any])?.count == 1)

        // Each look that showed them is in the log with its reason.
        let looks = try await h.store.searchAudit(.init(person: try Personnummer(Self.person, currentYear: 2026), action: "read-protected"))
        #expect(
            looks.map { "\($0.draft.actor) \($0.draft.detail)" } == [
                "cw.haninge@example.se reason: Ringa inför mötet 10 juni", "cw.haninge@example.se reason: Kontroll", "token:Haninge VS case system (token)",
            ])
    }

    // MARK: Another party under consent

    @Test(arguments: Engine.available)
    func anotherPartyGetsTheRecordsButNothingOfWhereThePersonLivesOrSpendsTheirDays(engine: Engine) async throws {
        for marked in [false, true] {
            let h = try await Harness(engine: engine)
            defer { Task { try? await h.close() } }
            _ = try await Self.world(h, marked: marked)
            let tyreso = Harness.Caller.token(try await h.token(for: Org.tyreso, name: "Tyresö VS"))
            let read = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: tyreso)
            #expect(read.status == .ok)
            let registration = try #require((read.json["registrations"] as? [[String: Any]])?.first)
            let events = try #require(read.json["events"] as? [[String: Any]])
            let activity = try #require((read.json["activities"] as? [[String: Any]])?.first)
            // The records come either way: the dates, the track, the activity and its hours.
            #expect(events.map { "\($0["date"] ?? "") \($0["event"] ?? "")" } == ["2019-02-01 attended", "2019-03-01 started"])
            #expect(activity["start"] as? String == "2019-01-10" && activity["hoursPerWeek"] as? Double == 10)
            #expect(registration["firstPermitDate"] as? String == "2017-01-01" && registration["exitedOn"] as? String == "2019-05-31")
            #expect(registration["withheld"] as? Bool == marked && registration["protected"] as? Bool == marked)
            if marked {
                #expect(read.json["givenName"] is NSNull && read.json["municipality"] is NSNull && read.json["exitReason"] is NSNull)
                #expect(registration["familyName"] is NSNull && registration["municipality"] is NSNull && registration["exitReason"] is NSNull)
                #expect(activity["provider"] is NSNull && events.allSatisfy { $0["reason"] is NSNull })
                for text in ["Hemlig", "Namnsson", Self.place, Self.provider, Self.exitPlace, "\"0136\""] { #expect(!read.text.contains(text), "\(text)") }
            } else {
                #expect(read.json["givenName"] as? String == "Hemlig" && read.json["municipality"] as? String == "0136")
                #expect(activity["provider"] as? String == Self.provider && read.text.contains(Self.place) && read.text.contains(Self.exitPlace))
            }
            // The caseworker's page says the same.
            let cw = try await h.session(for: "cw.tyreso@example.se")
            let page = try await h.request(.get, "/deltagare/\(Self.person)", as: .session(cookie: cw.cookie, csrf: nil))
            #expect(page.status == .ok)
            for text in ["Hemlig", Self.place, Self.provider, "Haninge (0136)"] { #expect(page.text.contains(text) == !marked, "\(text)") }
            // The mark is Haninge's: it never reaches Tyresö's own registration of another person.
            #expect(page.text.contains("skyddad identitet: namn, hemkommun") == marked)
        }
    }

    /// The coordinator's list of disagreements: Haninge's protected registration gives no name
    /// or municipality to compare, so only what consent may carry is there.
    @Test(arguments: Engine.available)
    func theDisagreementListWithholdsTheProtectedRegistration(engine: Engine) async throws {
        for marked in [false, true] {
            let h = try await Harness(engine: engine)
            defer { Task { try? await h.close() } }
            let scenario = try await AccessMatrixTests.setUp(h)
            let haninge = Harness.Caller.token(scenario.haninge)
            let af = Harness.Caller.token(scenario.employmentService)
            #expect(
                try await h.request(
                    .put, "/api/v1/participants/\(People.both)", as: haninge,
                    json: People.participantJSON(People.both, municipality: "0136", given: "Hemlig").replacingOccurrences(
                        of: "}", with: #", "protected": \#(marked)}"#)
                ).status == .ok)
            #expect(
                try await h.request(
                    .put, "/api/v1/participants/\(People.both)", as: af, json: People.participantJSON(People.both, municipality: "0138", given: "Af-namn")
                )
                .status == .ok)
            for token in [haninge, af] {
                #expect(
                    try await h.request(
                        .post, "/api/v1/participants/\(People.both)/consents", as: token, json: #"{"party": "\#(Org.association)", "validFrom": "2019-01-01"}"#
                    ).status == .created)
            }
            let coordinator = try await h.session(for: "coordinator@example.se")
            let list = try await h.request(.get, "/api/v1/disagreements", as: .session(cookie: coordinator.cookie, csrf: coordinator.csrf))
            #expect(list.status == .ok)
            let attributes = (list.json["items"] as? [[String: Any]] ?? []).filter { $0["personId"] as? String == "19920213-2396" }.compactMap {
                $0["attribute"] as? String
            }
            #expect(attributes == (marked ? [] : ["givenName", "municipality"]))
            #expect(list.text.contains("Hemlig") == !marked)
            // The mark is Haninge's alone: Arbetsförmedlingen's own registration is not marked, and
            // Arbetsförmedlingen (without Haninge's consent) reads it as before.
            let own = try await h.request(.get, "/api/v1/participants/\(People.both)", as: af)
            #expect(own.json["protected"] as? Bool == false && own.json["givenName"] as? String == "Af-namn" && own.json["municipality"] as? String == "0138")
            #expect((own.json["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == ["202100-2114"])
        }
    }

    // MARK: The auditor and the figures

    @Test(arguments: Engine.available)
    func theAuditorSeesEveryLookAtAProtectedPerson(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await Self.world(h, marked: true)
        let cw = try await h.session(for: "cw.haninge@example.se")
        let ref = try #require(Self.ref(in: try await h.request(.get, "/deltagare", as: .session(cookie: cw.cookie, csrf: nil)).text))
        _ = try await post(h, "/deltagare/skyddad/\(ref)", as: cw, [("reason", "Boka tolk")])
        _ = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(try await h.token(for: Org.tyreso, name: "Tyresö VS")))
        let auditor = try await h.session(for: "auditor@example.se")
        let page = try await h.request(.get, "/granskning?skyddade=1", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(page.status == .ok)
        #expect(page.text.contains("reason: Boka tolk") && page.text.contains("token:Tyresö VS") && page.text.contains("markerade skyddad identitet"))
        // People who are not protected are not on this list.
        #expect(!page.text.contains("19900101-2385") && !page.text.contains("19910515-2392"))
        let api = try await h.request(.get, "/api/v1/audit?protected=true&limit=1000", as: .session(cookie: auditor.cookie, csrf: auditor.csrf))
        let people = Set((api.json["items"] as? [[String: Any]] ?? []).compactMap { $0["personId"] as? String })
        #expect(people == [Self.shown])
    }

    /// Figures are the same with the mark and without it: the report every reader gets, byte
    /// for byte, and the count behind a drill-down.
    @Test(arguments: Engine.available)
    func theFiguresAreUnchangedByTheMark(engine: Engine) async throws {
        var answers: [[String]] = []
        for marked in [false, true] {
            let h = try await Harness(engine: engine)
            defer { Task { try? await h.close() } }
            let scenario = try await Self.world(h, marked: marked)
            let coordinator = try await h.session(for: "coordinator@example.se")
            let cw = try await h.session(for: "cw.haninge@example.se")
            var texts: [String] = []
            for caller in [
                Harness.Caller.token(scenario.haninge), .token(scenario.employmentService), .session(cookie: coordinator.cookie, csrf: coordinator.csrf),
            ] {
                let report = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=2019&asOf=2019-06-08", as: caller)
                #expect(report.status == .ok)
                texts.append(report.text)
            }
            let drill = try await h.request(
                .get, "/avtal/ostra-sodertorn/uppfoljning/personer?ar=2019&per=2019-06-08&figur=active", as: .session(cookie: cw.cookie, csrf: nil))
            texts.append(String(drill.text.firstMatch(of: /<h1>[^<]*<\/h1>/)?.output ?? ""))
            answers.append(texts)
        }
        #expect(answers[0] == answers[1])
        #expect(answers[1][3].contains("4"), "\(answers[1][3])")
    }
}
