import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 18 over real HTTP on both engines: a draft binds nobody, an invitation is answered,
/// a withdrawal is real. Every expected value is written out by hand.
@Suite struct DraftInvitationTests {
    static let eskilstuna = try! Organisationsnummer("212000-0340")

    /// Eskilstuna (a party to nothing) with a coordinator, and a coordinator for Haninge.
    static func harness(_ engine: Engine, day: String = "2019-06-30") async throws -> Harness {
        let h = try await Harness(engine: engine)
        h.setDay(day)
        try await h.store.addOrganisation(
            Organisation(number: eskilstuna, name: "Eskilstuna kommun", kind: .municipality, municipalityCode: try Kommunkod("0484")),
            audit: AuditDraft(actor: "test", role: "operator", organisation: nil, action: "organisation", person: nil, channel: "test"), at: Date())
        let hash = try await Services.hashPassword(Harness.password, cost: 4)
        try await h.store.transaction { s in
            for (email, org) in [("samordnare@eskilstuna.example.se", eskilstuna), ("samordnare@haninge.example.se", Org.haninge)] {
                _ = try await Rows.addUser(email: email, organisation: org, role: .coordinator, passwordHash: hash, now: Date(), in: s)
            }
        }
        return h
    }

    static func coordinator(_ h: Harness, _ email: String) async throws -> Harness.Caller {
        let s = try await h.session(for: email)
        return .session(cookie: s.cookie, csrf: s.csrf)
    }

    /// Eskilstuna's draft `aaa-evil`: Eskilstuna and Haninge as parties, Haninge's track code
    /// `vard`, and a target group of one month since the first permit.
    static func evilDraft() throws -> String {
        var a = try Agreement.parse(json: Caseload.ostraSodertornDocument).revision()
        a.id = "aaa-evil"
        a.title = "Eskilstunas utkast"
        a.area = "Eskilstuna"
        a.parties = [
            .init(orgNumber: eskilstuna, name: "Eskilstuna kommun", kind: .municipality, municipalityCode: try Kommunkod("0484")),
            .init(orgNumber: Org.haninge, name: "Haninge kommun", kind: .municipality, municipalityCode: try Kommunkod("0136")),
        ]
        a.costs = []
        a.grants = []
        a.decisions = []
        a.targetGroups.monthsSinceFirstPermit = 1
        return a.document.serialized()
    }

    /// What Haninge's case system, caseworker and coordinator see in one world: events with
    /// `vard` (one at a time and in a file), the caseworker's "Att göra" and lists, the report.
    static func haningeWorld(_ engine: Engine, withEvilDraft: Bool) async throws -> [String] {
        let h = try await harness(engine)
        defer { Task { try? await h.close() } }
        if withEvilDraft {
            let eskilstuna = try await coordinator(h, "samordnare@eskilstuna.example.se")
            let saved = try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: eskilstuna, json: try evilDraft())
            #expect(saved.status == .created, "\(saved.text)")
        }
        var answers: [String] = []
        let token = try await h.token(for: Org.haninge)
        func note(_ label: String, _ reply: Harness.Reply) { answers.append("\(label) \(reply.status.code) \(FigureSecrecyTests.blanked(reply.text))") }
        note("register", try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)))
        note(
            "event",
            try await h.request(
                .post, "/api/v1/participants/\(People.own)/events", as: .token(token), json: #"{"track": "vard", "event": "attended", "date": "2019-03-01"}"#))
        note(
            "file",
            try await h.request(.post, "/api/v1/imports/events", as: .token(token), csv: "person_id;track;event;date\n\(People.own);vard;accepted;2019-03-05\n")
        )
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        for path in [
            "/", "/deltagare", "/deltagare/\(People.own)", "/avtal", "/api/v1/agreements",
            "/avtal/aaa-evil/uppfoljning/personer?ar=2019&per=2019-06-30&figur=active",
        ] {
            note(path, try await h.request(.get, path, as: .session(cookie: caseworker.cookie, csrf: nil)))
        }
        note("report", try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=2019&asOf=2019-06-30", as: .token(token)))
        note("draft", try await h.request(.get, "/api/v1/agreements/aaa-evil", as: .token(token)))
        note("draft report", try await h.request(.get, "/api/v1/agreements/aaa-evil/report?year=2019", as: .token(token)))
        return answers
    }

    @Test(arguments: Engine.available)
    func anotherOrganisationsDraftChangesNothingHaningeSees(engine: Engine) async throws {
        let without = try await Self.haningeWorld(engine, withEvilDraft: false)
        let with = try await Self.haningeWorld(engine, withEvilDraft: true)
        #expect(without.count == with.count)
        for (a, b) in zip(without, with) { #expect(a == b) }
        // Real answers: the event and the file were written.
        #expect(with[1].hasPrefix("event 201"))
        #expect(with[2].hasPrefix("file 200"))
        #expect(with.last?.hasPrefix("draft report 404") == true)
    }

    @Test(arguments: Engine.available)
    func haningeSeesTheInvitationAndDeclinesIt(engine: Engine) async throws {
        let h = try await Self.harness(engine)
        defer { Task { try? await h.close() } }
        let eskilstuna = try await Self.coordinator(h, "samordnare@eskilstuna.example.se")
        let haninge = try await Self.coordinator(h, "samordnare@haninge.example.se")
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: eskilstuna, json: try Self.evilDraft()).status == .created)
        // Tyresö (not named) does not see it; Haninge's coordinator does, as an invitation.
        #expect(try await h.request(.get, "/api/v1/agreements/aaa-evil", as: .session(cookie: tyreso.cookie, csrf: nil)).status == .notFound)
        let invitations = try await h.request(.get, "/api/v1/invitations", as: haninge)
        #expect((invitations.json["items"] as? [[String: Any]])?.map { "\($0["id"]!) \($0["standing"]!)" } == ["aaa-evil invited"])
        let read = try await h.request(.get, "/api/v1/agreements/aaa-evil", as: haninge)
        #expect(read.json["draftStanding"] as? String == "invited")
        let home = try await h.request(.get, "/", as: haninge)
        #expect(home.text.contains("id=\"invitations\"") && home.text.contains("Eskilstuna: inbjudan till utkast"))
        // Not accepted yet: Haninge edits nothing.
        var edited = try Agreement.parse(json: Data(try Self.evilDraft().utf8))
        edited.parties[1].signatory = "Haninges namn"
        #expect(try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: haninge, json: edited.document.serialized()).status == .forbidden)
        // An organisation that was not invited hears "no such draft".
        let tyresoCoordinator = try await h.session(for: "coordinator@example.se")
        for verb in ["accept", "decline"] {
            let reply = try await h.request(
                .post, "/api/v1/agreements/aaa-evil/draft/\(verb)", as: .session(cookie: tyresoCoordinator.cookie, csrf: tyresoCoordinator.csrf))
            #expect(reply.status == .notFound, "\(verb)")
        }
        // Haninge accepts, edits its own signatory, but not the title.
        #expect(try await h.request(.post, "/api/v1/agreements/aaa-evil/draft/accept", as: haninge).status == .ok)
        #expect(try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: haninge, json: edited.document.serialized()).status == .ok)
        edited.title = "Haninges titel"
        #expect(try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: haninge, json: edited.document.serialized()).status == .forbidden)
        // Haninge declines: off the draft, which it no longer sees; audited.
        #expect(try await h.request(.post, "/api/v1/agreements/aaa-evil/draft/decline", as: haninge).status == .ok)
        #expect(try await h.request(.get, "/api/v1/agreements/aaa-evil", as: haninge).status == .notFound)
        let left = try #require(try await h.store.agreementVersions(id: "aaa-evil").last?.agreement)
        #expect(left.parties.map(\.orgNumber) == [Self.eskilstuna])
        var query = AuditLog.Query()
        query.action = "agreement"
        #expect(try await h.store.searchAudit(query).map(\.draft.detail).contains("aaa-evil draft declined"))
        #expect((try await h.request(.get, "/api/v1/invitations", as: haninge).json["items"] as? [Any])?.isEmpty == true)
        // Eskilstuna deletes its draft; the number is not reused and is listed as deleted.
        #expect(try await h.request(.delete, "/api/v1/agreements/aaa-evil/draft", as: haninge).status == .notFound)
        #expect(try await h.request(.delete, "/api/v1/agreements/aaa-evil/draft", as: eskilstuna).status == .ok)
        #expect(try await h.request(.get, "/api/v1/agreements/aaa-evil", as: eskilstuna).status == .notFound)
        #expect(try await h.store.deletedVersions(of: "aaa-evil") == [1])
        let again = try await h.request(.put, "/api/v1/agreements/aaa-evil/draft", as: eskilstuna, json: try Self.evilDraft())
        #expect(again.json["version"] as? Int == 2)
        let listed = try await h.request(.get, "/api/v1/agreements/aaa-evil", as: eskilstuna)
        #expect((listed.json["deletedVersions"] as? [Int]) == [1])
        // A version signed by every party is not deleted.
        #expect(try await h.request(.delete, "/api/v1/agreements/ostra-sodertorn/draft", as: haninge).status == .conflict)
    }

    /// SPEC §4: a track code resolves only among the agreements the writing party is a party
    /// to, in a version signed by every party. Eskilstuna's own signed agreement has a track
    /// `vard` too: Haninge's `vard` is still Östra Södertörn's, and naming Eskilstuna's
    /// agreement is refused as unknown.
    @Test(arguments: Engine.available)
    func aTrackCodeResolvesAmongTheWritersSignedAgreementsOnly(engine: Engine) async throws {
        let h = try await Self.harness(engine)
        defer { Task { try? await h.close() } }
        var other = try Agreement.parse(json: Caseload.ostraSodertornDocument)
        other.id = "eskilstuna"
        other.parties = [.init(orgNumber: Self.eskilstuna, name: "Eskilstuna kommun", kind: .municipality, municipalityCode: try Kommunkod("0484"))]
        other.signatures = [.init(orgNumber: Self.eskilstuna, place: "Eskilstuna", date: try Day(iso: "2018-01-10"), name: "Namn", title: nil)]
        (other.costs, other.grants, other.decisions) = ([], [], [])
        _ = try await h.store.importAgreement(other, document: Data(other.document.serialized().utf8), importedAt: Date())
        #expect(try await h.store.agreement(id: "eskilstuna", inForceOn: nil)?.agreement.signedByAll == true)
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        let file = try await h.request(
            .post, "/api/v1/imports/events", as: .token(token), csv: "person_id;track;event;date\n\(People.own);vard;invited;2019-03-01\n")
        #expect(file.status == .ok, "\(file.text)")
        let named = try await h.request(
            .post, "/api/v1/imports/events", as: .token(token), csv: "person_id;track;event;date;agreement\n\(People.own);vard;attended;2019-03-02;eskilstuna\n"
        )
        #expect(named.status == .unprocessableContent)
        let problem = (named.json["errors"] as? [[String: Any]])?.first
        #expect(problem?["column"] as? String == "agreement")
        #expect(problem?["reason"] as? String == "'eskilstuna' is not an agreement your organisation is a party to, signed by every party")
    }

    /// SPEC §2: a withdrawal is dated from the consent's first day through today; a later date
    /// answers 422 at `date`; it takes effect at once; it can be moved earlier, never undone.
    @Test(arguments: Engine.available)
    func aWithdrawalIsReal(engine: Engine) async throws {
        let h = try await Self.harness(engine, day: "2019-06-10")
        defer { Task { try? await h.close() } }
        let haninge = try await h.token(for: Org.haninge)
        let tyreso = try await h.token(for: Org.tyreso)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: People.participantJSON(People.own)).status == .created)
        let consent = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(haninge), json: #"{"party": "\#(Org.tyreso)", "validFrom": "2019-06-01"}"#)
        let id = try #require(consent.json["id"] as? Int)
        let path = "/api/v1/participants/\(People.own)/consents/\(id)/withdraw"
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .ok)
        for (date, reason) in [
            ("2019-06-11", "is after today, 2019-06-10: a withdrawal is dated no later than the day it is recorded"),
            ("2099-12-31", "is after today, 2019-06-10: a withdrawal is dated no later than the day it is recorded"),
            ("2019-05-31", "is before the consent's first day, 2019-06-01"),
        ] {
            let refused = try await h.request(.post, path, as: .token(haninge), json: #"{"date": "\#(date)"}"#)
            #expect(refused.status == .unprocessableContent, "\(date)")
            let problem = (refused.json["errors"] as? [[String: Any]])?.first
            #expect(problem?["column"] as? String == "date" && problem?["reason"] as? String == reason, "\(date): \(refused.text)")
        }
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .ok)
        // Dated today: Tyresö no longer sees the person, at once.
        #expect(try await h.request(.post, path, as: .token(haninge), json: #"{"date": "2019-06-10"}"#).status == .ok)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(tyreso)).status == .notFound)
        // Moved earlier: yes; undone or moved later: never.
        #expect(try await h.request(.post, path, as: .token(haninge), json: #"{"date": "2019-06-05"}"#).status == .ok)
        let later = try await h.request(.post, path, as: .token(haninge), json: #"{"date": "2019-06-08"}"#)
        #expect(later.status == .unprocessableContent)
        #expect(later.text.contains("can be moved earlier, never undone"))
        let consents = try await h.request(.get, "/api/v1/participants/\(People.own)/consents", as: .token(haninge))
        #expect((consents.json["items"] as? [[String: Any]])?.first?["withdrawnOn"] as? String == "2019-06-05")
    }

    /// SPEC §2: a notice is one party's own act. A revision being drafted does not stop it; the
    /// notice is copied into the draft and cannot be removed there; a draft carries no other
    /// party's notice.
    @Test(arguments: Engine.available)
    func aNoticeIsGivenWhileARevisionIsDrafted(engine: Engine) async throws {
        let h = try await Self.harness(engine)
        defer { Task { try? await h.close() } }
        let haninge = try await Self.coordinator(h, "samordnare@haninge.example.se")
        let association = try await h.session(for: "coordinator@example.se")
        let revised = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/revisions", as: haninge)
        #expect(revised.status == .created, "\(revised.text)")
        // A draft that carries a notice naming another party is refused.
        var draft = try #require(try await h.store.agreementVersions(id: "ostra-sodertorn").last?.agreement)
        draft.termination = .init(orgNumber: Org.tyreso, date: try Day(iso: "2019-06-30"))
        let forged = try await h.request(.put, "/api/v1/agreements/ostra-sodertorn/draft", as: haninge, json: draft.document.serialized())
        #expect(forged.status == .unprocessableContent)
        #expect((forged.json["errors"] as? [[String: Any]])?.first?["column"] as? String == "termination")
        // The samordningsförbund gives notice while the revision is open.
        let notice = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/termination", as: .session(cookie: association.cookie, csrf: association.csrf),
            json: #"{"date": "2019-06-30"}"#)
        #expect(notice.status == .created, "\(notice.text)")
        let versions = try await h.store.agreementVersions(id: "ostra-sodertorn")
        // 1 signed, 2 the open draft (now deleted), 3 signed with the notice, 4 the draft with it.
        #expect(versions.map(\.version) == [1, 3, 4])
        #expect(try await h.store.deletedVersions(of: "ostra-sodertorn") == [2])
        #expect(versions[1].agreement.signedByAll && versions[1].agreement.termination?.orgNumber == Org.association)
        #expect(!versions[2].agreement.signedByAll && versions[2].agreement.termination?.orgNumber == Org.association)
        // The notice cannot be removed from the draft.
        var removed = versions[2].agreement
        removed.termination = nil
        let reply = try await h.request(.put, "/api/v1/agreements/ostra-sodertorn/draft", as: haninge, json: removed.document.serialized())
        #expect(reply.status == .unprocessableContent)
    }

    @Test func aUserNameMayNotPassForACaseSystem() async throws {
        let h = try await Self.harness(.sqlite)
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")
        for email in ["token:sys-212000-0084@example.se", "cli:root@example.se"] {
            let reply = try await h.request(
                .post, "/api/v1/users", as: .session(cookie: admin.cookie, csrf: admin.csrf),
                json: #"{"email": "\#(email)", "role": "caseworker", "password": "a long enough password"}"#)
            #expect(reply.status == .unprocessableContent, "\(email)")
            #expect((reply.json["errors"] as? [[String: Any]])?.first?["column"] as? String == "email")
        }
    }
}
