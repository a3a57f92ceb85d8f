import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 23, part 1: the register extract holds everything of one party and nothing of another,
/// and a person the party does not hold gets the same extract whoever else holds them. The
/// world is AccessMatrixTests.setUp's: Haninge registers four people (given name "Test"),
/// Arbetsförmedlingen registers People.both as "Af-namn" with a status of its own, and Haninge
/// consents People.consented to Tyresö, the samordningsförbund and Arbetsförmedlingen.
@Suite("Register extracts")
struct ExtractTests {
    static let operatorCaller = Caller.operator("test", on: .command("extract"))

    static func auditor(_ org: Organisationsnummer) throws -> Caller {
        try Caller.signedIn(Principal(actor: "auditor@\(org)", role: .auditor, organisation: org), on: .command("test"))
    }

    @Test(arguments: Engine.available)
    func anExtractHoldsTheOwnPartysRecordsAndNothingOfAnothers(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let both = try Personnummer(People.both, currentYear: 2026)
        let extract = try await ExtractOperations.make(both, of: Org.haninge, try Self.auditor(Org.haninge), h.services)
        let text = ExtractOperations.document(extract).serialized()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["holds"] as? Bool == true)
        let registration = try #require(json["registration"] as? [String: Any])
        #expect((registration["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == ["212000-0084"])
        #expect(registration["givenName"] as? String == "Test")
        // Arbetsförmedlingen's registration and its status are not Haninge's to give out.
        #expect((registration["statuses"] as? [Any])?.isEmpty == true)
        #expect(!text.contains("Af-namn") && !text.contains("\"work\""))
        // The log of acts on Haninge's registration: Haninge's token created it; no staff name.
        let log = try #require(json["accessLog"] as? [[String: Any]])
        #expect(
            log.map { "\($0["organisation"] as? String ?? "-") \($0["role"] as? String ?? "-") \($0["action"] as? String ?? "-")" } == [
                "212000-0084 system create"
            ])
        #expect(!text.contains("Haninge VS") && !text.contains("auditor@"))
        #expect((json["retention"] as? [String: Any])?["text"] as? String == ExtractOperations.Words.noDecision)
        #expect(json["complaint"] as? String == ExtractOperations.Words.complaint)
        // Made and audited: the extract is in the log, as an act on Haninge's registration.
        let entries = try await h.store.searchAudit(.init(action: "extract"))
        #expect(entries.map(\.draft.detail) == ["register extract of 212000-0084"])
    }

    @Test(arguments: Engine.available)
    func theRecipientsAreThePartiesUnderConsent(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let consented = try Personnummer(People.consented, currentYear: 2026)
        let extract = try await ExtractOperations.make(consented, of: Org.haninge, Self.operatorCaller, h.services)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ExtractOperations.document(extract).serialized().utf8)) as? [String: Any])
        let recipients = try #require((json["recipients"] as? [String: Any])?["underConsent"] as? [[String: Any]])
        #expect(Set(recipients.compactMap { $0["organisation"] as? String }) == ["212000-0092", "222000-2162", "202100-2114"])
        #expect(recipients.allSatisfy { $0["from"] as? String == "2019-01-01" && $0["withdrawnOn"] is NSNull })
    }

    /// Tyresö holds none of them: not People.both (Haninge's and Arbetsförmedlingen's), not
    /// People.consented (Haninge's, which Tyresö may read under consent), not People.stranger
    /// (nobody's). All three extracts are the same but for the identity number.
    @Test(arguments: Engine.available)
    func aPersonNotHeldGetsTheSameExtractWhoeverHoldsThem(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let tyreso = try Self.auditor(Org.tyreso)
        var texts: [String] = []
        for id in [People.both, People.consented, People.stranger] {
            let person = try Personnummer(id, currentYear: 2026)
            let extract = try await ExtractOperations.make(person, of: Org.tyreso, tyreso, h.services)
            texts.append(ExtractOperations.document(extract).serialized().replacingOccurrences(of: person.description, with: "PERSON"))
        }
        #expect(texts[0] == texts[1] && texts[1] == texts[2])
        #expect(texts[0].contains("\"holds\" : false") || texts[0].contains("\"holds\": false"), "\(texts[0])")
        #expect(
            texts[0].contains(
                ExtractOperations.Words.nothing(Organisation(number: Org.tyreso, name: "Tyresö kommun", kind: .municipality, municipalityCode: nil))))
    }

    /// Who may: the party's own auditor and the operator; nobody else, not another party's
    /// auditor, not the party's caseworker.
    @Test(arguments: Engine.available)
    func onlyThePartysAuditorOrTheOperatorMakesOne(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let own = try Personnummer(People.own, currentYear: 2026)
        for role in Role.allCases where role != .auditor {
            let caller = try Caller.signedIn(Principal(actor: "x", role: role, organisation: Org.haninge), on: .command("test"))
            await #expect(throws: APIError.self) { try await ExtractOperations.make(own, of: Org.haninge, caller, h.services) }
        }
        await #expect(throws: APIError.self) { try await ExtractOperations.make(own, of: Org.haninge, try Self.auditor(Org.tyreso), h.services) }
        #expect(try await ExtractOperations.make(own, of: Org.haninge, try Self.auditor(Org.haninge), h.services).registration != nil)
        #expect(try await ExtractOperations.make(own, of: Org.haninge, Self.operatorCaller, h.services).registration != nil)
    }

    /// The auditor's page: the form on the log page, the printable extract in Swedish with what
    /// each field means, the JSON, and a number that is not one sent back to the form.
    @Test(arguments: Engine.available)
    func theAuditorMakesItOnAPage(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let auditor = try await h.session(for: "auditor@example.se")
        let caller = Harness.Caller.session(cookie: auditor.cookie, csrf: nil)
        let page = try await h.request(.get, "/granskning", as: caller)
        #expect(page.text.contains("id=\"extract\"") && page.text.contains("Registerutdrag"))
        let html = try await h.request(.get, "/granskning/utdrag.html?person=19920213-2396", as: caller)
        #expect(html.status == .ok)
        for words in [
            "<h1>Registerutdrag</h1>", "Haninge kommun (212000-0084)", "Personnummer: 19920213-2396", "Dagen då du registrerades i samverkan.",
            "Integritetsskyddsmyndigheten (IMY)", "Namnen på de anställda står inte här.",
        ] {
            #expect(html.text.contains(words), "\(words)")
        }
        #expect(!html.text.contains("Af-namn"))
        let json = try await h.request(.get, "/granskning/utdrag.json?person=19920213-2396", as: caller)
        #expect(json.json["holds"] as? Bool == true && json.json["personId"] as? String == "19920213-2396")
        let wrong = try await h.request(.get, "/granskning/utdrag.html?person=19920213-2397", as: caller)
        #expect(wrong.status == .seeOther && wrong.headers[.location] == "/granskning?utdrag=19920213-2397", "\(wrong.status)")
        let again = try await h.request(.get, "/granskning?utdrag=19920213-2397", as: caller)
        #expect(again.text.contains("Skriv ett giltigt personnummer"))
        // Both extracts are in the log, as the auditor's acts.
        #expect(try await h.store.searchAudit(.init(action: "extract")).count == 2)
    }

    /// The printed form, read back with `pdftotext`.
    @Test(.enabled(if: PDFDownloadTests.printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theExtractAsPDF() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let auditor = try await h.session(for: "auditor@example.se")
        let pdf = try await h.request(.get, "/granskning/utdrag.pdf?person=19920213-2396", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(pdf.status == .ok && pdf.headers[.contentType] == "application/pdf")
        let text = try PDFDownloadTests.text(of: pdf.bytes)
        for phrase in ["Registerutdrag", "Personnummer: 19920213-2396", "Vad vi har registrerat", "Dina rättigheter", "Integritetsskyddsmyndigheten (IMY)"] {
            #expect(text.contains(phrase), "the PDF lacks \(phrase)")
        }
        #expect(!text.contains("Af-namn"))
    }

    /// The API's extract: the auditor's own organisation's, the same JSON as the page's; a
    /// protected registration's extract says so and shows the person everything.
    @Test(arguments: Engine.available)
    func theExtractThroughTheAPI(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let scenario = try await AccessMatrixTests.setUp(h)
        #expect(
            try await h.request(
                .put, "/api/v1/participants/\(People.both)", as: .token(scenario.haninge),
                json: People.participantJSON(People.both, given: "Hemlig").replacingOccurrences(of: "}", with: #", "protected": true}"#)
            ).status == .ok)
        let auditor = try await h.session(for: "auditor@example.se")
        let reply = try await h.request(.get, "/api/v1/audit/extract?personId=\(People.both)", as: .session(cookie: auditor.cookie, csrf: auditor.csrf))
        #expect(reply.status == .ok, "\(reply.text)")
        #expect(reply.json["holds"] as? Bool == true && reply.json["personId"] as? String == "19920213-2396")
        let registration = try #require(reply.json["registration"] as? [String: Any])
        #expect(registration["givenName"] as? String == "Hemlig" && registration["protected"] as? Bool == true)
        #expect((registration["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == ["212000-0084"])
        #expect(!reply.text.contains("Af-namn"))
        let bad = try await h.request(.get, "/api/v1/audit/extract?personId=12345", as: .session(cookie: auditor.cookie, csrf: auditor.csrf))
        #expect(bad.status == .badRequest)
        // The printed form says it too.
        let page = try await h.request(.get, "/granskning/utdrag.html?person=\(People.both)", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(page.text.contains("Skyddad identitet") && page.text.contains("Hemlig"))
    }
}
