import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import SamsparWire
import Testing

@testable import SamsparWeb

/// What a read-through of the pages found, each held by a test: requests that crashed the
/// server, a drill-down that named a person from another party's records, an open redirect,
/// spreadsheet formulas, and publications with impossible dates.
@Suite("Findings of the page review")
struct ReviewFindingsTests {
    @Test func oddAcceptLanguageHeadersAreNotACrash() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        for header in [";", ",;", " ;q=1", ";;,", ""] {
            let reply = try await h.request(.get, "/tillganglighet", as: .anonymous, headers: [.acceptLanguage: header])
            #expect(reply.status == .ok, "Accept-Language: '\(header)'")
        }
    }

    @Test func aTruncatedMultipartBodyIsNotACrash() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let session = try await h.session(for: "cw.haninge@example.se")
        for body in ["--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--B--", "--B\r\n\r\n--B--", "--B--", "--B\r\n--B"] {
            let reply = try await h.request(
                .post, "/import", as: .session(cookie: session.cookie, csrf: nil), headers: [.contentType: "multipart/form-data; boundary=B"], body: body)
            #expect(reply.status == .forbidden || reply.status == .badRequest, "\(body.debugDescription): \(reply.status)")
        }
    }

    /// Haninge and Arbetsförmedlingen both register a person; only Arbetsförmedlingen records
    /// the attendance. Without consent Haninge's list neither names nor counts them; with
    /// consent it does both.
    @Test(arguments: Engine.available)
    func theDrillDownNamesOnlyFromVisibleRecords(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge)
        let af = try await h.token(for: Org.employmentService)
        for token in [haninge, af] {
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.both)).status == .created)
        }
        let event = try await h.request(
            .post, "/api/v1/participants/\(People.both)/events", as: .token(af), json: #"{"track": "vard", "event": "attended", "date": "2019-03-01"}"#)
        #expect(event.status == .created)
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        let path = "/avtal/ostra-sodertorn/uppfoljning/personer?ar=2019&per=2019-06-30&figur=event.0.attended"
        let hidden = try await h.request(.get, path, as: .session(cookie: caseworker.cookie, csrf: nil))
        #expect(hidden.status == .ok)
        #expect(!hidden.text.contains("19920213-2396"))
        // Nobody the caseworker may not see is named, nor counted (SPEC §3, issue 17).
        #expect(hidden.text.contains("<h1>Personerna bakom siffran 0</h1>"))
        let consent = try await h.request(
            .post, "/api/v1/participants/\(People.both)/consents", as: .token(af), json: #"{"party": "212000-0084", "validFrom": "2019-06-01"}"#)
        #expect(consent.status == .created)
        let shown = try await h.request(.get, path, as: .session(cookie: caseworker.cookie, csrf: nil))
        #expect(shown.text.contains("19920213-2396"))
        #expect(shown.text.contains("<h1>Personerna bakom siffran 1</h1>"))
    }

    @Test func noRedirectLeavesTheSite() async throws {
        #expect(!SiteURL.isLocal("/\t/evil.example"))
        #expect(!SiteURL.isLocal("/\n/evil.example"))
        #expect(!SiteURL.isLocal("/\\evil.example"))
        #expect(!SiteURL.isLocal("//evil.example"))
        #expect(!SiteURL.isLocal("https://evil.example"))
        #expect(SiteURL.isLocal("/deltagare?kommun=0136&q=a%20b"))
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        for target in ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%5Cevil.example"] {
            let reply = try await h.request(.get, "/sprak?till=en&tillbaka=\(target)", as: .anonymous)
            #expect(reply.headers[.location] == "/", "\(target)")
        }
    }

    @Test func spreadsheetTextIsNeverAFormula() {
        #expect(CSVText.defused("=HYPERLINK(\"https://x\")") == "'=HYPERLINK(\"https://x\")")
        #expect(CSVText.defused("\tcmd") == "'\tcmd")
        #expect(CSVText.defused("＝1+1") == "'＝1+1")
        #expect(CSVText.defused("Vård") == "Vård")
        #expect(Export.csv(header: ["namn"], rows: [[.text("@SUM(A1)")], [.number(-5)]]) == "\u{FEFF}namn\r\n'@SUM(A1)\r\n-5\r\n")
    }

    @Test func aPublicationNeedsAnAsOfDayTheDataCanSupport() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        // Issue 17: a publication is a closed quarter. A day that ends no quarter of the year
        // names none (422); a quarter not yet closed is refused (409); a closed one is published.
        for body in [#"{"year": 2019, "asOf": "2019-07-01"}"#, #"{"year": 2019, "asOf": "2018-12-31"}"#, #"{"quarter": "2019-Q5"}"#] {
            let reply = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: body)
            #expect(reply.status == .unprocessableContent, "\(body)")
        }
        #expect(
            try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"year": 2019, "asOf": "2019-06-30"}"#).status
                == .conflict)
        _ = try await FigureOperations.makeCloses(nil, quarter: nil, .operator("test", on: .command("close")), h.services)
        #expect(
            try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"year": 2019, "asOf": "2019-03-31"}"#).status
                == .created)
    }
}
