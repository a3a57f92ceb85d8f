import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// The auditor's log as an auditor reads it (issue 19, part 3): in Swedish, twenty-five
/// entries a page with the way to older ones, filtered by action and date. Expected texts by hand.
@Suite struct AuditPageTests {
    @Test func theAuditorReadsTheLogInSwedishAPageAtATime() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-08")
        let token = try await h.token(for: Org.haninge, name: "Haninge VS")
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        for _ in 0..<59 { _ = try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(token)) }
        let auditor = try await h.session(for: "auditor@example.se")
        let caller = Harness.Caller.session(cookie: auditor.cookie, csrf: nil)
        // 1 registration and 59 reads: 25 a page, 25, 25 and the last 10.
        // The case system's acts only: the auditor's own searches land as they are written.
        let first = try await h.request(.get, "/granskning?vem=token%3AHaninge%20VS", as: caller)
        #expect(first.status == .ok)
        #expect(first.text.components(separatedBy: "<tr").count - 2 == 25)
        #expect(first.text.contains("<td>läste</td>") && first.text.contains("(verksamhetssystem)"))
        #expect(!first.text.contains("<td>read</td>"))
        func older(_ page: Harness.Reply) throws -> String {
            String(try #require(page.text.firstMatch(of: /id="audit-shown">[^<]*· <a href="([^"]+)" id="older"/)?.1).replacing("&amp;", with: "&"))
        }
        let middle = try await h.request(.get, try older(first), as: caller)
        #expect(middle.text.components(separatedBy: "<tr").count - 2 == 25)
        let second = try await h.request(.get, try older(middle), as: caller)
        // The other 10, the registration the oldest.
        #expect(second.text.components(separatedBy: "<tr").count - 2 == 10)
        #expect(second.text.contains("<td>registrerade</td>"))
        #expect(!second.text.contains("id=\"older\""))
        // By action, and by date (00:00 to 24:00 in Stockholm).
        let created = try await h.request(.get, "/granskning?handling=create", as: caller)
        #expect(created.text.components(separatedBy: "<tr").count - 2 == 1)
        let later = try await h.request(.get, "/granskning?fran=2019-06-09", as: caller)
        #expect(later.text.contains("Inga poster matchar sökningen."))
        let thatDay = try await h.request(.get, "/granskning?fran=2019-06-08&till=2019-06-08&handling=create", as: caller)
        #expect(thatDay.text.components(separatedBy: "<tr").count - 2 == 1)
    }
}
