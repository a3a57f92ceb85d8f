import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@testable import SamsparWeb

/// Published follow-ups (issue 9, part 7) on both engines: what was published is what is
/// fetched, byte for byte, however much data arrives afterwards.
@Suite("Published follow-up reports")
struct PublicationTests {
    @Test(arguments: Engine.available)
    func aPublishedReportNeverChanges(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        let first = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own))
        #expect(first.status == .created)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        let body = #"{"year": 2018, "asOf": "2019-03-31"}"#
        let published = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: body)
        #expect(published.status == .created)
        let hash = try #require(published.json["contentHash"] as? String)
        #expect(hash.count == 64)
        let id = try #require(published.json["id"] as? Int)
        let path = "/api/v1/agreements/ostra-sodertorn/published/\(id)"
        let before = try await h.request(.get, path, as: caller)
        #expect(before.status == .ok)
        #expect(before.headers[.eTag] == "\"\(hash)\"")
        // One active participant in 2018, a small count: the published document is suppressed.
        #expect((try JSONSerialization.jsonObject(with: Data(before.text.utf8)) as? [String: Any])?["suppressed"] as? Bool == true)

        // More data arrives for 2018, dated before the report's as-of day.
        let later = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.consented))
        #expect(later.status == .created)
        let after = try await h.request(.get, path, as: caller)
        #expect(after.text == before.text)
        #expect(after.headers[.eTag] == before.headers[.eTag])

        // Published again now, the same year and day give another document, and another entry.
        let again = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: body)
        #expect(again.status == .created)
        #expect(again.json["contentHash"] as? String != hash)
        let list = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published", as: caller)
        #expect((list.json["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [again.json["id"] as? Int, id])
        #expect(try await h.request(.get, path, as: caller).text == before.text)

        // The same content published once more is the same publication.
        let same = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: body)
        #expect(same.json["id"] as? Int == again.json["id"] as? Int)

        // A coordinator of an organisation that is no party publishes nothing, and is audited.
        let analyst = try await h.session(for: "analyst@example.se")
        let refused = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/published", as: .session(cookie: analyst.cookie, csrf: analyst.csrf), json: body)
        #expect(refused.status == .forbidden)
    }
}
