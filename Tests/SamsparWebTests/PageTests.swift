import Foundation
import HTTPTypes
import SamsparTestSupport
import Testing

@testable import SamsparDomain
@testable import SamsparStore
@testable import SamsparWeb

/// The web pages over real HTTP (issue 8): escaping, the language tables, CSRF on forms, and
/// refusals that are audited as the API's are.
@Suite("Web pages")
struct PageTests {
    static let hostile = "\"'<>&<script>alert(1)</script>"

    func form(_ fields: [(String, String)]) -> String {
        fields.map { "\(SiteURL.encode($0.0))=\(SiteURL.encode($0.1))" }.joined(separator: "&")
    }

    func post(_ h: Harness, _ uri: String, as session: (cookie: String, csrf: String), _ fields: [(String, String)]) async throws -> Harness.Reply {
        try await h.request(
            .post, uri, as: .session(cookie: session.cookie, csrf: nil), headers: [.contentType: "application/x-www-form-urlencoded"],
            body: form(fields))
    }

    /// Every string a person can type reaches the pages escaped: the markup is the templates'.
    @Test func hostileTextIsEscapedOnEveryPageThatShowsIt() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2026-11-25")
        let token = try await h.token(for: Org.haninge)
        let created = try await h.request(
            .post, "/api/v1/participants", as: .token(token),
            json: People.participantJSON(People.own, given: JSONValue.string(Self.hostile).serialized().dropFirst().dropLast().description, family: "X"))
        #expect(created.status == .created)
        let session = try await h.session(for: "cw.haninge@example.se")
        let caller = Harness.Caller.session(cookie: session.cookie, csrf: nil)
        for page in ["/", "/deltagare", "/deltagare?q=\(SiteURL.encode(Self.hostile))", "/deltagare/19900101-2385", "/avtal/ostra-sodertorn"] {
            let reply = try await h.request(.get, page, as: caller)
            #expect(reply.status == .ok, "\(page)")
            #expect(!reply.text.contains("<script>alert"), "\(page) shows markup from data")
            #expect(!reply.text.contains("'<>"), "\(page)")
        }
        let person = try await h.request(.get, "/deltagare/19900101-2385", as: caller)
        #expect(person.text.contains("&quot;&#39;&lt;&gt;&amp;&lt;script&gt;"))
        // A form sent back with an error keeps what was typed, escaped, in its value attribute.
        let again = try await post(
            h, "/deltagare/ny", as: session,
            [("_csrf", session.csrf), ("personId", "19900101-2386"), ("givenName", Self.hostile), ("municipality", "0136")])
        #expect(again.status == .unprocessableContent)
        #expect(!again.text.contains("<script>alert"))
        #expect(again.text.contains("value=\"&quot;&#39;&lt;&gt;&amp;&lt;script&gt;alert(1)&lt;/script&gt;\""))
        #expect(again.text.contains("aria-describedby=\"register-personId-hint register-personId-error register-personId-check\""))
        #expect(again.text.contains("Kontrollsiffran stämmer inte"))
    }

    /// A page form without the session's token is refused and writes nothing.
    @Test func aFormWithoutItsCSRFTokenWritesNothing() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2026-11-25")
        let session = try await h.session(for: "cw.haninge@example.se")
        let fields = [
            ("personId", "19900101-2385"), ("municipality", "0136"), ("firstPermitDate", "2025-01-01"), ("registeredOn", "2026-11-01"),
        ]
        let refused = try await post(h, "/deltagare/ny", as: session, fields)
        #expect(refused.status == .forbidden)
        let wrong = try await post(h, "/deltagare/ny", as: session, fields + [("_csrf", "not-the-token")])
        #expect(wrong.status == .forbidden)
        #expect(try await h.store.caseload(visibleTo: Org.haninge, on: h.services.today).isEmpty)
        let accepted = try await post(h, "/deltagare/ny", as: session, fields + [("_csrf", session.csrf)])
        #expect(accepted.status == .seeOther)
        #expect(accepted.headers[.location] == "/deltagare/19900101-2385?sparat=registrering")
        #expect(try await h.store.caseload(visibleTo: Org.haninge, on: h.services.today).map(\.person.description) == ["19900101-2385"])
    }

    /// Another party's person is "not found" on the page too, and the refusal is in the log.
    @Test func aPageRefusalIsAuditedLikeTheAPIs() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2026-11-25")
        let token = try await h.token(for: Org.haninge)
        _ = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own))
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        let reply = try await h.request(.get, "/deltagare/19900101-2385", as: .session(cookie: tyreso.cookie, csrf: nil))
        #expect(reply.status == .notFound)
        #expect(reply.text.contains("Sidan finns inte"))
        let refused = try await h.store.searchAudit(.init(actor: "cw.tyreso@example.se", action: "refused"))
        #expect(refused.map(\.draft.channel) == ["GET /deltagare/{personId}"])
    }

    /// Signed out, a page sends you to sign-in and back; an ended session says so.
    @Test func signInReturnsToThePage() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let anonymous = try await h.request(.get, "/deltagare?kommun=0136", as: .anonymous)
        #expect(anonymous.status == .seeOther)
        #expect(anonymous.headers[.location] == "/logga-in?till=%2Fdeltagare%3Fkommun%3D0136")
        let ended = try await h.request(.get, "/deltagare", as: .session(cookie: "\(Services.sessionCookie)=gone", csrf: nil))
        #expect(ended.headers[.location] == "/logga-in?till=%2Fdeltagare&utgangen=1")
    }

    /// Swedish first; `Accept-Language` decides until the reader chooses, and the choice persists.
    @Test func theLanguageSwitchPersists() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let swedish = try await h.request(.get, "/tillganglighet", as: .anonymous)
        #expect(swedish.text.contains("<html lang=\"sv\">") && swedish.text.contains("<h1>Tillgänglighetsredogörelse</h1>"))
        let asked = try await h.request(.get, "/tillganglighet", as: .anonymous, headers: [.acceptLanguage: "en-GB,en;q=0.9"])
        #expect(asked.text.contains("<h1>Accessibility statement</h1>"))
        let chosen = try await h.request(.get, "/sprak?till=en&tillbaka=%2Ftillganglighet", as: .anonymous)
        #expect(chosen.status == .seeOther)
        #expect(chosen.headers[.location] == "/tillganglighet")
        let cookie = try #require(chosen.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        #expect(cookie == "samspar_lang=en")
        // The cookie wins over a browser that asks for Swedish.
        let kept = try await h.request(.get, "/tillganglighet", as: .anonymous, headers: [.cookie: cookie, .acceptLanguage: "sv-SE"])
        #expect(kept.text.contains("<html lang=\"en\">") && kept.text.contains("<h1>Accessibility statement</h1>"))
        // Only a local path is a place to return to.
        let elsewhere = try await h.request(.get, "/sprak?till=sv&tillbaka=%2F%2Fevil.example", as: .anonymous)
        #expect(elsewhere.headers[.location] == "/")
    }

    /// The agreement page says where the agreement stands, and links its document, which the
    /// API serves as the same HTML (issue 9).
    @Test func theAgreementPageShowsItsStatusAndDocument() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let session = try await h.session(for: "coordinator@example.se")
        let page = try await h.request(.get, "/avtal/ostra-sodertorn", as: .session(cookie: session.cookie, csrf: nil))
        #expect(page.text.contains("<strong>Läge:</strong> gäller – perioden 2019-01-01 till 2019-12-31"))
        #expect(!page.text.contains("id=\"missing\""))
        // The revision date of the seed's agreement (2018-11-30) has passed: the coordinator's
        // start page says it is late (issue 19), the analyst's says nothing.
        let home = try await h.request(.get, "/", as: .session(cookie: session.cookie, csrf: nil))
        #expect(
            home.text.contains(
                "<li><a href=\"/avtal/ostra-sodertorn\">Östra Södertörn: revideringen skulle ha gjorts senast 2018-11-30 och är försenad. Påbörja en revidering.</a></li>"
            ))
        let analyst = try await h.session(for: "analyst@example.se")
        #expect(!(try await h.request(.get, "/", as: .session(cookie: analyst.cookie, csrf: nil))).text.contains("Påminnelser"))
        #expect(page.text.contains("href=\"/avtal/ostra-sodertorn/dokument?version=1\""))
        let document = try await h.request(.get, "/avtal/ostra-sodertorn/dokument?version=1", as: .session(cookie: session.cookie, csrf: nil))
        let api = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/document?version=1", as: .session(cookie: session.cookie, csrf: nil))
        #expect(document.status == .ok && api.status == .ok)
        #expect(document.text == api.text)
        #expect(api.text.contains("<h2>7. Underskrifter</h2>"))
        #expect(api.headers[.contentType] == "text/html; charset=utf-8")
        let none = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/document?version=9", as: .session(cookie: session.cookie, csrf: nil))
        #expect(none.status == .notFound)
    }

    /// A revision is a new version; both stay readable, side by side (issue 9, part 5).
    @Test func twoVersionsSideBySide() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        var document = try #require(try JSONSerialization.jsonObject(with: Caseload.ostraSodertornDocument) as? [String: Any])
        document["nextRevision"] = "2019-11-30"
        var tracks = try #require(document["tracks"] as? [[String: Any]])
        tracks[0]["genderGoal"] = ["sex": "male", "minShare": 0.45]
        document["tracks"] = tracks.reversed() as [[String: Any]]  // another order is no difference
        let revised = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
        // Signed on paper and imported by the operator (a coordinator's document carries no signatures).
        let result = try await h.store.importAgreement(try Agreement.parse(json: Data(revised.utf8)), document: Data(revised.utf8), importedAt: Date())
        #expect(result.version == 2)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: nil)
        let page = try await h.request(.get, "/avtal/ostra-sodertorn", as: caller)
        #expect(page.text.contains("href=\"/avtal/ostra-sodertorn/jamfor?fran=1&amp;till=2\""))
        let compare = try await h.request(.get, "/avtal/ostra-sodertorn/jamfor?fran=1&till=2", as: caller)
        // Exactly two fields differ; everything else, the reordered tracks included, is the same.
        // Said in Swedish: the field by its name, a share with a decimal comma.
        #expect(compare.text.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 2)
        #expect(compare.text.contains("<th scope=\"row\">Nästa revidering</th><td>2018-11-30</td><td>2019-11-30</td></tr>"))
        #expect(compare.text.contains("<th scope=\"row\">Spår vard › Jämställdhetsmål › Minsta andel</th><td>0,4</td><td>0,45</td></tr>"))
        let first = try await h.request(.get, "/avtal/ostra-sodertorn?version=1", as: caller)
        #expect(first.text.contains("2018-11-30"))
    }

    /// Every `{{t.key}}` of every template has a text in both languages, the languages have the
    /// same keys, and the only unescaped output is the server-drawn SVG.
    @Test func templatesAndLanguagesHoldTogether() throws {
        #expect(Set(Strings.sv.keys) == Set(Strings.en.keys))
        let names = Templates.names
        #expect(names.count >= 15)
        let key = try Regex("\\{\\{[#^/]?t\\.([A-Za-z0-9_.\\-]+)\\}\\}")
        let raw = try Regex("\\{\\{\\{([^}]*)\\}\\}\\}")
        for name in names {
            let source = try #require(Templates.source(name))
            for match in source.matches(of: key) {
                let k = String(source[match.output[1].range!])
                #expect(Strings.sv[k] != nil, "\(name): t.\(k) has no Swedish text")
            }
            for match in source.matches(of: raw) {
                #expect(String(source[match.output[1].range!]) == "svg", "\(name) writes something unescaped")
            }
            #expect(!source.contains("{{&"), "\(name) writes something unescaped")
        }
    }

    @Test func swedishNumbers() {
        #expect(NumberText.integer(1_234_567, .sv) == "1\u{00A0}234\u{00A0}567")
        #expect(NumberText.integer(-1234, .sv) == "\u{2212}1\u{00A0}234")
        #expect(NumberText.percent(0.42, .sv) == "42\u{00A0}%")
        #expect(NumberText.percent(0.425, .en) == "43%")
        #expect(NumberText.decimal(1234.5, digits: 1, .sv) == "1\u{00A0}234,5")
        #expect(NumberText.percent(nil, .sv) == "–")
    }

    /// The same English reason reads differently in Swedish for a date and for an identity number.
    @Test func klarsprakKnowsADateFromAnIdentityNumber() {
        #expect(Klarsprak.reason("no day 30 in February", .sv, column: "date") == "Det finns ingen sådan dag. Skriv datumet som ÅÅÅÅ-MM-DD.")
        #expect(Klarsprak.reason("no day 30 in February", .sv, column: "personId") == "Födelsedatumet i numret finns inte. Kontrollera numret.")
        #expect(Klarsprak.reason("no day 30 in February", .en, column: "date") == "no day 30 in February")
        #expect(Klarsprak.reason("a value is required", .sv) == "Fyll i det här fältet.")
    }
}

/// The caseload behind "Att göra" and the participant list, on both engines: the viewer's own
/// registrations and, under a valid consent, another party's, each with its records.
@Suite("Caseload as a party may see it")
struct CaseloadTests {
    @Test(arguments: Engine.available)
    func ownAndConsentedRegistrationsWithTheirRecords(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge)
        let af = try await h.token(for: Org.employmentService)
        for (token, person) in [(haninge, People.own), (haninge, People.both), (af, People.both), (af, People.consented)] {
            let reply = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(person))
            #expect(reply.status == .created)
        }
        let event = try await h.request(
            .post, "/api/v1/participants/\(People.own)/events", as: .token(haninge), json: #"{"track": "vard", "event": "invited", "date": "2019-02-01"}"#)
        #expect(event.status == .created)
        let activity = try await h.request(
            .post, "/api/v1/participants/\(People.both)/activities", as: .token(af), json: #"{"activity": "sfi", "start": "2019-03-01"}"#)
        #expect(activity.status == .created)
        // Arbetsförmedlingen's records of the shared person are opened to Haninge.
        let consent = try await h.request(
            .post, "/api/v1/participants/\(People.both)/consents", as: .token(af), json: #"{"party": "212000-0084", "validFrom": "2019-06-01"}"#)
        #expect(consent.status == .created)

        let seenByHaninge = try await h.store.caseload(visibleTo: Org.haninge, on: h.services.today)
        #expect(seenByHaninge.map(\.person.twelveDigits) == [People.own, People.both])
        #expect(seenByHaninge[0].events.map(\.value.kind) == [.invited])
        #expect(seenByHaninge[1].parties == [Org.haninge, Org.employmentService] || seenByHaninge[1].parties == [Org.employmentService, Org.haninge])
        #expect(seenByHaninge[1].activities.map(\.recordedBy) == [Org.employmentService])

        // Haninge recorded no consent: to Arbetsförmedlingen the shared person is its own registration only.
        let seenByAF = try await h.store.caseload(visibleTo: Org.employmentService, on: h.services.today)
        #expect(seenByAF.map(\.person.twelveDigits) == [People.consented, People.both].sorted())
        let shared = try #require(seenByAF.first { $0.person.twelveDigits == People.both })
        #expect(shared.parties == [Org.employmentService])
        #expect(shared.events.isEmpty)

        // The day before the consent begins, Haninge sees only its own registration of the person.
        h.setDay("2019-05-31")
        let before = try await h.store.caseload(visibleTo: Org.haninge, on: h.services.today)
        #expect(before.first { $0.person.twelveDigits == People.both }?.parties == [Org.haninge])
        #expect(before.first { $0.person.twelveDigits == People.both }?.activities.isEmpty == true)
    }
}
