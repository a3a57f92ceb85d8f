import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// The agreement's life over real HTTP on both engines (issue 9, parts 2, 3, 5 and 7): a draft
/// saved and checked, signed by each of the five parties' coordinators in turn, revised; a
/// draft revision never reaches a report; the follow-up counts the activity hours. Every
/// expected value is written out by hand.
@Suite("The agreement's life over HTTP")
struct AgreementLifeTests {
    static let coordinators: [(String, Organisationsnummer)] = [
        ("samordnare.haninge@example.se", Org.haninge), ("samordnare.tyreso@example.se", Org.tyreso),
        ("samordnare.nynashamn@example.se", Org.nynashamn), ("samordnare.af@example.se", Org.employmentService),
        ("coordinator@example.se", Org.association),
    ]
    static let outsider = try! Organisationsnummer("212000-0134")

    /// A coordinator for each party, and one of an organisation that is no party.
    func addCoordinators(_ h: Harness) async throws {
        let hash = try await Services.hashPassword(Harness.password, cost: 4)
        let now = Date()
        try await h.store.addOrganisation(
            Organisation(number: Self.outsider, name: "Annan organisation", kind: .other, municipalityCode: nil),
            audit: AuditDraft(actor: "test", role: "operator", organisation: nil, action: "organisation", person: nil, channel: "test", detail: ""), at: now)
        let users = Self.coordinators.dropLast() + [("samordnare.annan@example.se", Self.outsider)]
        try await h.store.transaction { s in
            for (email, org) in users {
                _ = try await Rows.addUser(email: email, organisation: org, role: .coordinator, passwordHash: hash, now: now, in: s)
            }
        }
    }

    func caller(_ h: Harness, _ email: String) async throws -> Harness.Caller {
        let s = try await h.session(for: email)
        return .session(cookie: s.cookie, csrf: s.csrf)
    }

    /// The seed's agreement as a draft under another id, without signatures; `complete` adds
    /// what signing in Samspår asks for beyond the import's checks.
    func draft(complete: Bool) throws -> String {
        var a = try Agreement.parse(json: Caseload.ostraSodertornDocument).revision()
        a.id = "ostra-sodertorn-2019"
        a.validFrom = try Day(iso: "2019-01-01")
        if complete {
            for i in a.tracks.indices { a.tracks[i].responsible = a.parties[i % a.parties.count].orgNumber }
            a.perspectives = ["genderEquality": "Spåren följs upp per kön.", "childRights": "Barnen i familjerna berörs.", "publicHealth": "Arbete ger hälsa."]
            a.costs = [.init(track: "vard", orgNumber: Org.haninge, year: 2019, amount: 150_000, source: .stateGrant)]
        }
        return a.document.serialized()
    }

    func missingPaths(_ reply: Harness.Reply, _ key: String? = "check") -> [String] {
        let object = key.map { reply.json[$0] as? [String: Any] ?? [:] } ?? reply.json
        return (object["missing"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }

    @Test(arguments: Engine.available)
    func draftedCheckedSignedByEachPartyAndRevised(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2018-11-20")
        try await addCoordinators(h)
        var haninge = try await caller(h, "samordnare.haninge@example.se")
        let path = "/api/v1/agreements/ostra-sodertorn-2019"

        // A draft with what the import asks for, but not what signing in Samspår asks for.
        let first = try await h.request(.put, path + "/draft", as: haninge, json: try draft(complete: false))
        #expect(first.status == .created, "\(first.text)")
        #expect(
            missingPaths(first) == [
                "tracks.vard.responsible", "tracks.barn.responsible", "tracks.bygg.responsible", "tracks.unga.responsible",
                "perspectives.genderEquality", "perspectives.childRights", "perspectives.publicHealth", "costs",
            ])
        // Signing is refused while something is missing, with every item listed.
        let early = try await h.request(.post, path + "/signatures", as: haninge, json: #"{"place": "Haninge", "date": "2018-11-20", "name": "Meeri Wasberg"}"#)
        #expect(early.status == .unprocessableContent)
        #expect((early.json["errors"] as? [[String: Any]])?.count == 8)

        // Saved again, complete: the same version (a draft is saved over itself).
        let second = try await h.request(.put, path + "/draft", as: haninge, json: try draft(complete: true))
        #expect(second.status == .ok)
        #expect(second.json["version"] as? Int == 1)
        #expect(missingPaths(second) == [])
        let check = try await h.request(.get, path + "/check", as: haninge)
        #expect(check.json["status"] as? String == "draft")
        #expect(check.json["unsigned"] as? [String] == ["202100-2114", "222000-2162", "212000-0084", "212000-0233", "212000-0092"])

        // An organisation that is no party signs nothing; the refusal is audited.
        let outsider = try await caller(h, "samordnare.annan@example.se")
        let refused = try await h.request(.post, path + "/signatures", as: outsider, json: #"{"date": "2018-11-20", "name": "Någon"}"#)
        #expect(refused.status == .forbidden)
        var refusals = AuditLog.Query()
        refusals.action = "refused"
        #expect(try await h.store.searchAudit(refusals).contains { $0.draft.channel == "POST /api/v1/agreements/{id}/signatures" })

        // Not dated after today.
        let future = try await h.request(.post, path + "/signatures", as: haninge, json: #"{"date": "2018-11-21", "name": "Meeri Wasberg"}"#)
        #expect(future.status == .unprocessableContent)
        // A signature counts for the text it signed: Haninge signs, the text changes, the
        // signature is gone; saved unchanged, it stays.
        #expect(try await h.request(.post, path + "/signatures", as: haninge, json: #"{"date": "2018-11-20", "name": "Meeri Wasberg"}"#).status == .created)
        let unchanged = try await h.request(.put, path + "/draft", as: haninge, json: try draft(complete: true))
        #expect((unchanged.json["check"] as? [String: Any])?["unsigned"] as? [String] == ["202100-2114", "222000-2162", "212000-0233", "212000-0092"])
        var changed = try Agreement.parse(json: Data(try draft(complete: true).utf8))
        changed.purpose = "Ett ändrat syfte."
        let edited = try await h.request(.put, path + "/draft", as: haninge, json: changed.document.serialized())
        #expect(((edited.json["check"] as? [String: Any])?["unsigned"] as? [String])?.count == 5)
        #expect(try await h.request(.put, path + "/draft", as: haninge, json: try draft(complete: true)).status == .ok)

        // Each party's coordinator signs for their own organisation; the last makes it signed.
        for (i, (email, _)) in Self.coordinators.enumerated() {
            let c = try await caller(h, email)
            let signed = try await h.request(.post, path + "/signatures", as: c, json: #"{"place": "Haninge", "date": "2018-11-1\#(i)", "name": "Namn \#(i)"}"#)
            #expect(signed.status == .created, "\(email): \(signed.text)")
            #expect(signed.json["status"] as? String == (i == Self.coordinators.count - 1 ? "signed" : "draft"))
            if i == 0 {
                let twice = try await h.request(.post, path + "/signatures", as: c, json: #"{"date": "2018-11-20", "name": "Namn"}"#)
                #expect(twice.status == .conflict)
            }
        }
        let afterSigning = try await h.request(.get, path + "/check", as: haninge)
        #expect(afterSigning.json["status"] as? String == "signed")
        #expect(afterSigning.json["unsigned"] as? [String] == [])
        // A signed version does not change: a draft saved over it is refused.
        #expect(try await h.request(.put, path + "/draft", as: haninge, json: try draft(complete: true)).status == .conflict)

        // Tyresö gives notice from 2019-05-02: the agreement holds through 2019-12-31 (its
        // period), then has expired. The notice is a version of its own; no second notice.
        let tyreso = try await caller(h, "samordnare.tyreso@example.se")
        let notice = try await h.request(.post, path + "/termination", as: tyreso, json: #"{"date": "2019-05-02"}"#)
        #expect(notice.status == .created, "\(notice.text)")
        #expect(notice.json["version"] as? Int == 2)
        #expect(try await h.request(.post, path + "/termination", as: haninge, json: #"{"date": "2019-06-01"}"#).status == .conflict)
        let ended = try #require(try await h.store.agreementVersions(id: "ostra-sodertorn-2019").last?.agreement)
        #expect(ended.termination == .init(orgNumber: Org.tyreso, date: try Day(iso: "2019-05-02")))
        #expect(ended.lifecycle(on: try Day(iso: "2019-12-31")).status == .active)
        #expect(ended.lifecycle(on: try Day(iso: "2020-01-01")).status == .expired)
        let page = try await h.request(.get, "/avtal/ostra-sodertorn-2019", as: haninge)
        #expect(page.text.contains("uppsagt av Tyresö kommun den 2019-05-02, gäller till och med 2019-12-31"))

        // A year later: a revision is a new draft version; the signed one stays readable and in force.
        h.setDay("2019-11-01")
        haninge = try await caller(h, "samordnare.haninge@example.se")
        let revision = try await h.request(.post, path + "/revisions", as: haninge)
        #expect(revision.status == .created)
        #expect(revision.json["version"] as? Int == 3)
        #expect(try await h.request(.post, path + "/revisions", as: haninge).status == .conflict)
        let v1 = try await h.request(.get, path + "?version=1", as: haninge)
        #expect(((v1.json["agreement"] as? [String: Any])?["signatures"] as? [Any])?.count == 5)
        let v3 = try await h.request(.get, path + "?version=3", as: haninge)
        #expect(((v3.json["agreement"] as? [String: Any])?["signatures"] as? [Any])?.count == 0)
        #expect((v3.json["agreement"] as? [String: Any])?["status"] as? String == "draft")
        // The report for 2019 still uses version 2 (signed, with the notice): a draft is not in force.
        let report = try await h.request(.get, path + "/report?year=2019&asOf=2019-10-31", as: haninge)
        #expect(report.json["agreementVersion"] as? Int == 2)
        // The two versions side by side, in Swedish.
        var next = try #require(try await h.store.agreementVersions(id: "ostra-sodertorn-2019").last?.agreement)
        next.nextRevision = try Day(iso: "2019-11-30")
        #expect(try await h.request(.put, path + "/draft", as: haninge, json: next.document.serialized()).status == .ok)
        let compare = try await h.request(.get, "/avtal/ostra-sodertorn-2019/jamfor?fran=2&till=3", as: haninge)
        #expect(compare.text.contains("<th scope=\"row\">Nästa revidering</th><td>2018-11-30</td><td>2019-11-30</td>"))
        #expect(compare.text.contains("<th scope=\"row\">Underskrift 212000-0084 › Datum</th><td>2018-11-10</td><td>–</td>"))
        #expect(!compare.text.contains("nextRevision"))
        // The revision shows on the start page as a missing signature of every party.
        let home = try await h.request(.get, "/", as: haninge)
        #expect(home.text.contains("underskrift saknas från"))
    }

    /// What a read-through found (each fails without its rule): one party cannot drop the
    /// others in a revision, nor assert their signatures; a draft is not published; a notice
    /// is not backdated; a non-party is refused (and audited) before any other answer.
    @Test(arguments: Engine.available)
    func onePartyCannotActForTheOthers(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        try await addCoordinators(h)
        let tyreso = try await caller(h, "samordnare.tyreso@example.se")
        let path = "/api/v1/agreements/ostra-sodertorn"
        // Tyresö revises Östra Södertörn and tries to leave the other four out.
        #expect(try await h.request(.post, path + "/revisions", as: tyreso).status == .created)
        var alone = try #require(try await h.store.agreementVersions(id: "ostra-sodertorn").last?.agreement)
        alone.parties.removeAll { $0.orgNumber != Org.tyreso }
        let dropped = try await h.request(.put, path + "/draft", as: tyreso, json: alone.document.serialized())
        #expect(dropped.status == .unprocessableContent)
        #expect(dropped.text.contains("is a party to the signed agreement: a revision keeps it"))
        // Nor through the editor's remove button.
        let s = try await h.session(for: "samordnare.tyreso@example.se")
        let removed = try await h.request(
            .post, "/avtal/ostra-sodertorn/redigera/ta-bort", as: .session(cookie: s.cookie, csrf: nil),
            headers: [.contentType: "application/x-www-form-urlencoded"], body: "_csrf=\(s.csrf)&vad=part&nyckel=212000-0084")
        #expect(removed.status == .unprocessableContent)
        #expect(try await h.store.agreementVersions(id: "ostra-sodertorn").last?.agreement.parties.count == 5)
        // Nor by a document that claims everybody signed.
        var claimed = try #require(try await h.store.agreementVersions(id: "ostra-sodertorn").first?.agreement)
        claimed.nextRevision = try Day(iso: "2019-11-30")
        let forged = try await h.request(.put, path, as: tyreso, json: claimed.document.serialized())
        #expect(forged.status == .unprocessableContent)
        // A notice dated years back is refused; 30 days back is accepted once the draft is gone.
        let outsider = try await caller(h, "samordnare.annan@example.se")
        let refused = try await h.request(.post, path + "/revisions", as: outsider)
        #expect(refused.status == .forbidden, "a non-party hears 'not a party', not 'a draft is open'")
        var refusals = AuditLog.Query()
        refusals.action = "refused"
        #expect(try await h.store.searchAudit(refusals).contains { $0.draft.channel == "POST /api/v1/agreements/{id}/revisions" })

        // A draft-only agreement's follow-up is not published.
        let haninge = try await caller(h, "samordnare.haninge@example.se")
        var fresh = try Agreement.parse(json: Caseload.ostraSodertornDocument).revision()
        fresh.id = "bara-utkast"
        #expect(try await h.request(.put, "/api/v1/agreements/bara-utkast/draft", as: haninge, json: fresh.document.serialized()).status == .created)
        let published = try await h.request(.post, "/api/v1/agreements/bara-utkast/published", as: haninge, json: #"{"quarter": "2018-Q4"}"#)
        #expect(published.status == .conflict)
    }

    /// The sign and notice forms keep what was typed and say what is wrong, in Swedish, at the
    /// field; a signature goes to the text its signatory read, not to a later edit.
    @Test func theFormsSayWhatIsWrongWhereItIs() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2018-11-20")
        try await addCoordinators(h)
        let haninge = try await caller(h, "samordnare.haninge@example.se")
        #expect(try await h.request(.put, "/api/v1/agreements/ostra-sodertorn-2019/draft", as: haninge, json: try draft(complete: true)).status == .created)
        let s = try await h.session(for: "samordnare.haninge@example.se")
        func post(_ path: String, _ fields: [(String, String)]) async throws -> Harness.Reply {
            let body = ([("_csrf", s.csrf)] + fields).map { "\($0.0)=\(SiteURL.encode($0.1))" }.joined(separator: "&")
            return try await h.request(
                .post, path, as: .session(cookie: s.cookie, csrf: nil), headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
        }
        let page = try await h.request(.get, "/avtal/ostra-sodertorn-2019", as: .session(cookie: s.cookie, csrf: nil))
        let read = try #require(page.text.firstMatch(of: /name="text" value="([0-9a-f]{64})"/)?.1).description

        // A date after today: said at the date field; the place typed is kept.
        let future = try await post(
            "/avtal/ostra-sodertorn-2019/underteckna", [("place", "Handen"), ("date", "2018-11-21"), ("name", "Meeri Wasberg"), ("text", read)])
        #expect(future.status == .unprocessableContent)
        #expect(future.text.contains("<p class=\"error\" id=\"underteckna-date-error\">Datumet kan inte vara senare än i dag.</p>"))
        #expect(future.text.contains("value=\"Handen\""))

        // The purpose changes after the signatory opened the page (through the API, by another
        // of Haninge's coordinators' sessions; Haninge owns the draft, issue 18): the signature
        // is refused. Tyresö, invited and not yet accepted, may change nothing.
        let tyreso = try await caller(h, "samordnare.tyreso@example.se")
        var changed = try Agreement.parse(json: Data(try draft(complete: true).utf8))
        changed.purpose = "Ett syfte Haninge inte har läst."
        #expect(
            try await h.request(.put, "/api/v1/agreements/ostra-sodertorn-2019/draft", as: tyreso, json: changed.document.serialized()).status == .forbidden)
        #expect(try await h.request(.put, "/api/v1/agreements/ostra-sodertorn-2019/draft", as: haninge, json: changed.document.serialized()).status == .ok)
        let stale = try await post(
            "/avtal/ostra-sodertorn-2019/underteckna", [("place", "Handen"), ("date", "2018-11-20"), ("name", "Meeri Wasberg"), ("text", read)])
        #expect(stale.text.contains("Utkastet har ändrats sedan du öppnade sidan. Läs det igen innan du skriver under."))
        #expect(try await h.store.agreementVersions(id: "ostra-sodertorn-2019").last?.agreement.signatures.isEmpty == true)

        // The editor says a number out of range at its field, in Swedish.
        let months = try await post("/avtal/ostra-sodertorn-2019/redigera/grund", [("title", "Ö"), ("validFrom", "2019-01-01"), ("periodMonths", "999")])
        #expect(months.status == .unprocessableContent)
        #expect(months.text.contains("<p class=\"error\" id=\"grund-periodMonths-error\">Skriv ett tal från 1 till 120.</p>"))
        // A party still named by a track is not removed behind the coordinator's back.
        let inUse = try await post("/avtal/ostra-sodertorn-2019/redigera/ta-bort", [("vad", "part"), ("nyckel", "202100-2114")])
        #expect(inUse.status == .unprocessableContent)
        #expect(inUse.text.contains("är ansvarig för ett spår"))
        let nothing = try await post("/avtal/ostra-sodertorn-2019/redigera/ta-bort", [("vad", "kostnad"), ("nyckel", "7")])
        #expect(nothing.text.contains("Det finns inget sådant att ta bort."))
    }

    @Test func aNoticeFormSaysAWrongDateAtItsField() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        try await addCoordinators(h)
        let s = try await h.session(for: "samordnare.tyreso@example.se")
        let body = "_csrf=\(s.csrf)&date=2019-02-30"
        let reply = try await h.request(
            .post, "/avtal/ostra-sodertorn/uppsagning", as: .session(cookie: s.cookie, csrf: nil),
            headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
        #expect(reply.status == .unprocessableContent)
        #expect(reply.text.contains("id=\"uppsagning-date-error\""))
        #expect(reply.text.contains("value=\"2019-02-30\""))
        let early = try await h.request(
            .post, "/avtal/ostra-sodertorn/uppsagning", as: .session(cookie: s.cookie, csrf: nil),
            headers: [.contentType: "application/x-www-form-urlencoded"], body: "_csrf=\(s.csrf)&date=2018-01-01")
        #expect(early.text.contains("Uppsägningen kan inte dateras före 2019-05-31"))
    }

    /// SPEC §2: a report uses the version in force on the dates it covers. Decided: a version
    /// is in force only once every party has signed it; one that says "signed" while a party's
    /// signature is missing is not (and an agreement nobody has fully signed has no figures).
    @Test(arguments: Engine.available)
    func aVersionSomeoneHasNotSignedIsNotInForce(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        var second = try Agreement.parse(json: Caseload.ostraSodertornDocument)
        second.validFrom = try Day(iso: "2018-06-01")
        second.signatures.removeLast()
        let document = Data(second.document.serialized().utf8)
        #expect(try await h.store.importAgreement(second, document: document, importedAt: Date()).version == 2)
        let (_, stored) = try await h.store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: try Day(iso: "2018-12-31"))
        #expect(stored.version == 1)
        // Signed by all five, version 3 is in force from its first day.
        var third = second
        third.signatures = try Agreement.parse(json: Caseload.ostraSodertornDocument).signatures
        _ = try await h.store.importAgreement(third, document: Data(third.document.serialized().utf8), importedAt: Date())
        #expect(try await h.store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: try Day(iso: "2018-12-31")).1.version == 3)
        #expect(try await h.store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: try Day(iso: "2018-05-31")).1.version == 1)
        // Nothing signed in full: a draft has no figures, not even a preview (issue 18).
        var draft = try Agreement.parse(json: Caseload.ostraSodertornDocument).revision()
        draft.id = "bara-utkast"
        _ = try await h.store.importAgreement(draft, document: Data(draft.document.serialized().utf8), importedAt: Date())
        await #expect(throws: StoreError.notSignedByAll("bara-utkast")) {
            try await h.store.report(agreementID: "bara-utkast", year: 2018, asOf: try Day(iso: "2018-12-31"))
        }
    }

    @Test func aNoticeIsNotBackdated() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        try await addCoordinators(h)
        let tyreso = try await caller(h, "samordnare.tyreso@example.se")
        let path = "/api/v1/agreements/ostra-sodertorn/termination"
        // 2019-05-30 is 31 days before 2019-06-30; 2019-05-31 is 30.
        #expect(try await h.request(.post, path, as: tyreso, json: #"{"date": "1901-01-01"}"#).status == .unprocessableContent)
        #expect(try await h.request(.post, path, as: tyreso, json: #"{"date": "2019-05-30"}"#).status == .unprocessableContent)
        #expect(try await h.request(.post, path, as: tyreso, json: #"{"date": "2019-05-31"}"#).status == .created)
    }

    @Test(arguments: Engine.available)
    func theFollowUpCountsActivityHoursAndCosts(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        // 2018-02-01 … 2018-02-28 at 14 hours a week: 28 days, 56 hours.
        let activity = #"{"personId": "\#(People.own)", "activity": "sfi", "start": "2018-02-01", "end": "2018-02-28", "hoursPerWeek": 14}"#
        let recorded = try await h.request(.post, "/api/v1/participants/\(People.own)/activities", as: .token(token), json: activity)
        #expect(recorded.status == .created, "\(recorded.text)")
        // Arbetsförmedlingen's own activity is not the municipality's volume.
        let af = try await h.token(for: Org.employmentService)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(af), json: People.participantJSON(People.own)).status == .created)
        let afActivity = #"{"personId": "\#(People.own)", "activity": "sfi", "start": "2018-03-01", "end": "2018-03-31", "hoursPerWeek": 40}"#
        #expect(try await h.request(.post, "/api/v1/participants/\(People.own)/activities", as: .token(af), json: afActivity).status == .created)

        let stored = try #require(try await h.store.agreement(id: "ostra-sodertorn", inForceOn: nil))
        let spans = try await h.store.activitySpans(for: stored.agreement, year: 2018, asOf: try Day(iso: "2018-12-31"))
        #expect(FollowUp.volume(spans, year: 2018, asOf: try Day(iso: "2018-12-31")) == [.init(kind: "sfi", people: 1, hours: 56)])

        let coordinator = try await h.session(for: "coordinator@example.se")
        let page = try await h.request(
            .get, "/avtal/ostra-sodertorn/uppfoljning?ar=2018&per=2018-12-31", as: .session(cookie: coordinator.cookie, csrf: nil))
        #expect(page.status == .ok)
        #expect(page.text.contains("<th scope=\"row\">sfi</th><td class=\"n\">1</td><td class=\"n\">56,0</td>"))
        // The quarter's close hides the hours of one person with the count, which Haninge alone
        // fills (`..`, issue 17); the analyst reads it, and it is what is published.
        _ = try await FigureOperations.makeCloses(nil, quarter: nil, .operator("test", on: .command("close")), h.services)
        // Beside the live figures: the latest close's counts, and every quarter closed to
        // publish, newest first (read without every close's documents since issue 27).
        let live = try await h.request(
            .get, "/avtal/ostra-sodertorn/uppfoljning?ar=2018&per=2018-12-31", as: .session(cookie: coordinator.cookie, csrf: nil))
        #expect(live.text.contains("<h2>Senaste kvartalsbokslut, alla parter gemensamt: 2019-Q1</h2>"))
        #expect(
            live.text.contains(
                #"<select id="publish-quarter" name="kvartal"><option value="2019-Q1">2019-Q1</option><option value="2018-Q4">2018-Q4</option>"#
                    + #"<option value="2018-Q3">2018-Q3</option><option value="2018-Q2">2018-Q2</option><option value="2018-Q1">2018-Q1</option></select>"#
            ))
        let analyst = try await h.session(for: "analyst@example.se")
        let suppressed = try await h.request(
            .get, "/avtal/ostra-sodertorn/uppfoljning?kvartal=2018-Q4", as: .session(cookie: analyst.cookie, csrf: nil))
        #expect(suppressed.text.contains("<th scope=\"row\">sfi</th><td class=\"n\">..</td><td class=\"n\">–</td>"))

        let published = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/published", as: .session(cookie: coordinator.cookie, csrf: coordinator.csrf),
            json: #"{"quarter": "2018-Q4"}"#)
        #expect(published.status == .created)
        let id = try #require(published.json["id"] as? Int)
        let document = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published/\(id)", as: .session(cookie: coordinator.cookie, csrf: nil))
        let followUp = try #require(document.json["followUp"] as? [String: Any])
        let volume = try #require(followUp["activities"] as? [[String: Any]])
        #expect(volume.count == 1)
        #expect(volume.first?["participants"] as? String == "..")
        #expect(volume.first?["hours"] is NSNull)
    }

    @Test func theEditorChecksEachSectionAndSavesNothingWrong() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2018-11-20")
        try await addCoordinators(h)
        let s = try await h.session(for: "samordnare.haninge@example.se")
        let haninge = Harness.Caller.session(cookie: s.cookie, csrf: nil)
        func post(_ path: String, _ fields: [(String, String)], as session: (cookie: String, csrf: String)? = nil) async throws -> Harness.Reply {
            let who = session ?? s
            let body = ([("_csrf", who.csrf)] + fields).map { "\($0.0)=\(SiteURL.encode($0.1))" }.joined(separator: "&")
            return try await h.request(
                .post, path, as: .session(cookie: who.cookie, csrf: nil), headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
        }
        // A new empty draft: Haninge is its one party.
        let created = try await post("/avtal/nytt", [("id", "ny-samverkan"), ("title", "Överenskommelse"), ("validFrom", "2019-01-01"), ("fran", "")])
        #expect(created.status == .seeOther)
        #expect(created.headers[.location] == "/avtal/ny-samverkan/redigera?sparat=1")
        let taken = try await post("/avtal/nytt", [("id", "ny-samverkan"), ("title", "X"), ("validFrom", "2019-01-01")])
        #expect(taken.status == .unprocessableContent)
        #expect(taken.text.contains("Det finns redan en överenskommelse med det namnet."))
        let editor = try await h.request(.get, "/avtal/ny-samverkan/redigera", as: haninge)
        #expect(editor.status == .ok)
        #expect(editor.text.contains("Minst tre lokala spår behövs. Nu finns 0."))
        #expect(editor.text.contains("Jämställdhetsperspektivet saknar en skriftlig bedömning."))

        // A track with an occupation that does not exist: shown at its field, nothing saved.
        let before = try await h.store.agreementVersions(id: "ny-samverkan")
        let bad = try await post(
            "/avtal/ny-samverkan/redigera/spar",
            [("code", "vard"), ("name", "Vård"), ("kind", "vocational"), ("ssyk", "5330 9999"), ("responsible", "212000-0084")])
        #expect(bad.status == .unprocessableContent)
        #expect(bad.text.contains("<p class=\"error\" id=\"spar-ssyk-error\">9999 är inte en yrkeskod i SSYK 2012.</p>"))
        #expect(bad.text.contains("value=\"5330 9999\""))
        // The top of the page leads to the form that needs correcting.
        #expect(bad.text.contains("<a href=\"#spar-heading\">Något behöver rättas i ”Lägg till eller ändra ett spår”. Gå dit.</a>"))
        #expect(try await h.store.agreementVersions(id: "ny-samverkan").map(\.agreement) == before.map(\.agreement))
        let good = try await post(
            "/avtal/ny-samverkan/redigera/spar",
            [
                ("code", "vard"), ("name", "Vård"), ("kind", "vocational"), ("ssyk", "5330 5343"), ("responsible", "212000-0084"), ("genderSex", "male"),
                ("genderShare", "40"),
            ])
        #expect(good.status == .seeOther)
        let saved = try #require(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement)
        #expect(
            saved.tracks == [
                .init(
                    code: "vard", name: "Vård", kind: .vocational, ssyk: [try SSYKCode("5330"), try SSYKCode("5343")],
                    genderGoal: .init(sex: .male, minShare: 0.4), responsible: Org.haninge)
            ])

        // A grant above the round's cap is kept, and warned of: 250 people, cap 200 000 kr.
        let grant = try await post(
            "/avtal/ny-samverkan/redigera/bidrag",
            [("org", "212000-0084"), ("round", "dua-2017-overenskommelse"), ("basis", "250"), ("purpose", "Ta fram överenskommelsen"), ("applied", "300 000")])
        #expect(grant.status == .seeOther)
        let warned = try await h.request(.get, "/avtal/ny-samverkan/redigera", as: haninge)
        #expect(warned.text.contains("Haninge kommun har sökt 300\u{00A0}000\u{00A0}kr, mer än taket 200\u{00A0}000\u{00A0}kr för omgången."))

        // The agreement's own wording and a time plan (issue 26): saved as typed, an empty
        // field giving the section back its standard sentence; a milestone without a date is
        // refused at its field.
        let worded = try await post(
            "/avtal/ny-samverkan/redigera/texter", [("localGoals", "Lokala mål för 2019"), ("duration", "Fr.o.m. 1 januari 2019 och ett år i taget.")])
        #expect(worded.status == .seeOther)
        let undated = try await post("/avtal/ny-samverkan/redigera/tidplan", [("milestoneDate", ""), ("milestone", "Parterna undertecknar")])
        #expect(undated.status == .unprocessableContent)
        for (date, what) in [("2018-12-20", "Parterna undertecknar"), ("2018-11-30", "Till nämnderna")] {
            #expect(try await post("/avtal/ny-samverkan/redigera/tidplan", [("milestoneDate", date), ("milestone", what)]).status == .seeOther)
        }
        let planned = try #require(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement)
        #expect(planned.texts == .init(localGoals: "Lokala mål för 2019", duration: "Fr.o.m. 1 januari 2019 och ett år i taget."))
        #expect(planned.timePlan.map { "\($0.date) \($0.milestone)" } == ["2018-11-30 Till nämnderna", "2018-12-20 Parterna undertecknar"])
        let listed = try await h.request(.get, "/avtal/ny-samverkan/redigera", as: haninge)
        #expect(listed.text.contains("<tr><th scope=\"row\">2018-11-30</th><td>Till nämnderna</td>"))
        // The agreement page shows the plan too, in date order.
        let shown = try await h.request(.get, "/avtal/ny-samverkan", as: haninge).text
        #expect(
            shown.contains(
                "<tbody><tr><th scope=\"row\">2018-11-30</th><td>Till nämnderna</td></tr>\n<tr><th scope=\"row\">2018-12-20</th><td>Parterna undertecknar</td></tr>"
            ))
        #expect(try await post("/avtal/ny-samverkan/redigera/ta-bort", [("vad", "tidplan"), ("nyckel", "0")]).status == .seeOther)
        #expect(
            try await post("/avtal/ny-samverkan/redigera/texter", [("localGoals", ""), ("duration", "Fr.o.m. 1 januari 2019 och ett år i taget.")]).status
                == .seeOther)
        let after = try #require(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement)
        #expect(after.timePlan.map(\.milestone) == ["Parterna undertecknar"])
        #expect(after.texts.localGoals == nil)

        // Nobody takes their own organisation out of the draft.
        let own = try await post("/avtal/ny-samverkan/redigera/ta-bort", [("vad", "part"), ("nyckel", "212000-0084")])
        #expect(own.status == .unprocessableContent)
        #expect(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement.parties.count == 1)

        // Without the form's CSRF token nothing is written.
        let forged = try await h.request(
            .post, "/avtal/ny-samverkan/redigera/grund", as: haninge, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: "title=Kapad&validFrom=2019-01-01")
        #expect(forged.status == .forbidden)
        #expect(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement.title == "Överenskommelse")

        // A coordinator of an organisation that is no party does not see the editor: to it the
        // draft does not exist (issue 18), and its post changes nothing.
        let outsider = try await h.session(for: "samordnare.annan@example.se")
        let refused = try await h.request(.get, "/avtal/ny-samverkan/redigera", as: .session(cookie: outsider.cookie, csrf: nil))
        #expect(refused.status == .notFound)
        let refusedPost = try await post("/avtal/ny-samverkan/redigera/grund", [("title", "Kapad"), ("validFrom", "2019-01-01")], as: outsider)
        #expect(refusedPost.status == .notFound)
        #expect(try await h.store.agreementVersions(id: "ny-samverkan").last?.agreement.title == "Överenskommelse")
    }
}

/// The PDFs a coordinator downloads from the pages (issue 9, parts 6 and 7): printed by
/// headless Chromium, read back with `pdftotext`.
@Suite("PDF downloads")
struct PDFDownloadTests {
    static let printable =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext")
        && ProcessInfo.processInfo.environment["SAMSPAR_SKIP_BROWSER"] != "1"

    static func text(of pdf: [UInt8]) throws -> String {
        let file = TestFiles.directory.appendingPathComponent("samspar-test-\(UUID().uuidString).pdf")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(pdf).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [file.path, "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).replacing("\u{00A0}", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theAgreementAndTheFollowUpAsPDF() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let session = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: session.cookie, csrf: nil)
        let document = try await h.request(.get, "/avtal/ostra-sodertorn/dokument.pdf?version=1", as: caller)
        #expect(document.status == .ok)
        #expect(document.headers[.contentType] == "application/pdf")
        #expect(document.headers[.contentDisposition] == "attachment; filename=\"overenskommelse-ostra-sodertorn-version-1.pdf\"")
        let agreement = try Self.text(of: document.bytes)
        for phrase in ["1. Parter", "3. Mål", "7. Underskrifter", "Haninge kommun, 212000-0084, Meeri Wasberg, Kommunstyrelseordförande"] {
            #expect(agreement.contains(phrase), "the PDF lacks \(phrase)")
        }
        let report = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning/export.pdf?ar=2018&per=2019-03-31", as: caller)
        #expect(report.status == .ok)
        #expect(report.headers[.contentType] == "application/pdf")
        let followUp = try Self.text(of: report.bytes)
        for phrase in ["Uppföljning 2018", "Målen mot målvärdena", "Insatser", "Kostnader", "Etablering (det övergripande målet)"] {
            #expect(followUp.contains(phrase), "the follow-up PDF lacks \(phrase)")
        }
    }

    /// Issue 26 over HTTP: a party's own figures are headed as such; the decision memo is
    /// a municipality's alone (422 and why for another party); a publication prints as the
    /// follow-up for the nämnd from its stored document.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func ownFiguresTheMemoAndAPublicationAsPDF() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        let haninge = Harness.Caller.session(cookie: caseworker.cookie, csrf: nil)
        let own = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning/export.pdf?ar=2018&per=2019-03-31", as: haninge)
        #expect(own.status == .ok)
        let ownText = try Self.text(of: own.bytes)
        #expect(ownText.hasPrefix("Endast det Haninge kommun får se Uppföljning 2018"), "\(ownText.prefix(200))")

        let memo = try await h.request(.get, "/avtal/ostra-sodertorn/tjansteskrivelse?org=212000-0084", as: haninge)
        #expect(memo.status == .ok)
        #expect(memo.text.contains("<h2>Förslag till beslut</h2>"))
        let memoPDF = try await h.request(.get, "/avtal/ostra-sodertorn/tjansteskrivelse.pdf?org=212000-0084", as: haninge)
        #expect(memoPDF.headers[.contentType] == "application/pdf")
        #expect(try Self.text(of: memoPDF.bytes).contains("Ekonomiska konsekvenser"))
        let refused = try await h.request(.get, "/avtal/ostra-sodertorn/tjansteskrivelse?org=222000-2162", as: haninge)
        #expect(refused.status == .unprocessableContent)
        #expect(refused.text.contains("är inte en kommun, och en tjänsteskrivelse skrivs till en kommunal nämnd"))
        let noOrg = try await h.request(.get, "/avtal/ostra-sodertorn/tjansteskrivelse", as: haninge)
        #expect(noOrg.status == .badRequest)
        // The agreement page links each municipal party's memo.
        let page = try await h.request(.get, "/avtal/ostra-sodertorn", as: haninge)
        #expect(page.text.contains("/avtal/ostra-sodertorn/tjansteskrivelse.pdf?org=212000-0084&amp;version=1"))

        _ = try await FigureOperations.makeCloses(nil, quarter: nil, .operator("test", on: .command("close")), h.services)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let published = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/published", as: .session(cookie: coordinator.cookie, csrf: coordinator.csrf),
            json: #"{"quarter": "2018-Q4"}"#)
        #expect(published.status == .created)
        let id = try #require(published.json["id"] as? Int)
        let analyst = try await h.session(for: "analyst@example.se")
        let printed = try await h.request(.get, "/avtal/ostra-sodertorn/publicerad/\(id).pdf", as: .session(cookie: analyst.cookie, csrf: nil))
        #expect(printed.status == .ok)
        #expect(printed.headers[.contentType] == "application/pdf")
        let text = try Self.text(of: printed.bytes)
        #expect(text.contains("Uppföljning 2018"))
        #expect(text.contains("Publicerad uppföljning: ett avslutat kvartal, som aldrig ändras."))
        #expect(!text.contains("Endast det"))
        let unknown = try await h.request(.get, "/avtal/ostra-sodertorn/publicerad/999.pdf", as: .session(cookie: analyst.cookie, csrf: nil))
        #expect(unknown.status == .notFound)
    }
}
