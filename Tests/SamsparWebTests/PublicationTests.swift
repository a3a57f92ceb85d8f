import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Quarter closes and publications (issue 17, parts 2 and 3) on both engines: a close is made
/// once, when it is due, and never changes; a publication is a close made public, byte for
/// byte, however much data arrives afterwards.
@Suite("Quarter closes and publications")
struct PublicationTests {
    static let operatorCaller = Caller.operator("test", on: .command("close"))

    @Test(arguments: Engine.available)
    func aPublicationIsAClosedQuarterAndNeverChanges(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        let first = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own))
        #expect(first.status == .created)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        // 2019-Q2 is not closed (it is due on 2019-07-31): nothing is published.
        let early = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"quarter": "2019-Q2"}"#)
        #expect(early.status == .conflict)
        // A day that ends no quarter names no close.
        let notAQuarter = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"year": 2019, "asOf": "2019-03-30"}"#)
        #expect(notAQuarter.status == .unprocessableContent)

        let made = try await FigureOperations.makeCloses("ostra-sodertorn", quarter: nil, Self.operatorCaller, h.services)
        // From the quarter of validFrom (2018-01-01) through 2019-Q1, due 2019-05-01.
        #expect(made.map(\.close.quarter.description) == ["2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2019-Q1"])
        #expect(made.allSatisfy { $0.made })
        let published = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"quarter": "2019-Q1"}"#)
        #expect(published.status == .created)
        let hash = try #require(published.json["contentHash"] as? String)
        #expect(published.json["quarter"] as? String == "2019-Q1")
        let close = try #require(made.last?.close)
        #expect(hash == close.suppressedHash)
        let id = try #require(published.json["id"] as? Int)
        let path = "/api/v1/agreements/ostra-sodertorn/published/\(id)"
        let before = try await h.request(.get, path, as: caller)
        #expect(before.status == .ok)
        #expect(before.headers[.eTag] == "\"\(hash)\"")
        #expect(before.text == close.suppressed)
        // One active participant, a small count, and one that Haninge alone fills: hidden.
        let document = try #require(try JSONSerialization.jsonObject(with: Data(before.text.utf8)) as? [String: Any])
        #expect(document["suppressed"] as? Bool == true)
        #expect((document["participants"] as? [String: Any])?["active"] as? String == "..")
        #expect(document["quarter"] as? String == "2019-Q1")
        #expect(document["scope"] as? String == "joint")

        // More data arrives, dated in the quarter: the close and the publication stay as they are.
        let later = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.consented))
        #expect(later.status == .created)
        let again = try await FigureOperations.makeCloses("ostra-sodertorn", quarter: Quarter("2019-Q1"), Self.operatorCaller, h.services)
        #expect(again.map(\.made) == [false])
        #expect(again.first?.close.suppressed == close.suppressed)
        #expect(try await h.request(.get, path, as: caller).text == before.text)
        // The same close published again is the same publication.
        let same = try await h.request(.post, "/api/v1/agreements/ostra-sodertorn/published", as: caller, json: #"{"year": 2019, "asOf": "2019-03-31"}"#)
        #expect(same.json["id"] as? Int == id)
        #expect(same.status == .ok)

        // A coordinator of an organisation that is no party publishes nothing, and is audited.
        let analyst = try await h.session(for: "analyst@example.se")
        let refused = try await h.request(
            .post, "/api/v1/agreements/ostra-sodertorn/published", as: .session(cookie: analyst.cookie, csrf: analyst.csrf),
            json: #"{"quarter": "2019-Q1"}"#)
        #expect(refused.status == .forbidden)
    }

    /// Who reads which form of a close (SPEC §3): the samordningsförbund's coordinator (no
    /// registrations, party to the signed agreement) the unsuppressed one; a caseworker, a token
    /// and an analyst the suppressed one. Each form is served byte for byte with its hash.
    @Test(arguments: Engine.available)
    func eachReaderGetsTheirFormOfAClose(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        let made = try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services)
        let close = try #require(made.first { $0.close.quarter == Quarter("2018-Q1") }?.close)
        let path = "/api/v1/agreements/ostra-sodertorn/closes/2018-Q1"
        let expected: [(String, Bool)] = [
            ("coordinator@example.se", false), ("cw.haninge@example.se", true), ("analyst@example.se", true), ("auditor@example.se", true),
        ]
        for (email, suppressed) in expected {
            let session = try await h.session(for: email)
            let reply = try await h.request(.get, path, as: .session(cookie: session.cookie, csrf: nil))
            #expect(reply.status == .ok, "\(email)")
            #expect(reply.text == (suppressed ? close.suppressed : close.unsuppressed), "\(email)")
            #expect(reply.headers[.eTag] == "\"\(suppressed ? close.suppressedHash : close.unsuppressedHash)\"", "\(email)")
        }
        #expect(try await h.request(.get, path, as: .token(token)).text == close.suppressed)
        // In the unsuppressed form Haninge's one participant is counted as is.
        #expect(close.unsuppressed.contains(#""active": 1,"#))
        #expect(try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/closes/2019-Q2", as: .token(token)).status == .notFound)
        #expect(try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/closes/2019-Q9", as: .token(token)).status == .notFound)
    }

    /// A publication made before closes existed (computed at its own as-of, `quarter` NULL)
    /// stays readable exactly as it was published.
    @Test(arguments: Engine.available)
    func aPublicationFromBeforeClosesStaysAsItWas(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let document = #"{"agreement": "ostra-sodertorn", "year": 2018, "asOf": "2018-11-20", "suppressed": true}"#
        let hash = Digest.sha256(document)
        try await h.store.transaction { s in
            _ = try await s.query(
                """
                INSERT INTO published_reports (agreement_id, year, as_of, agreement_version, content_hash, document, published_at, published_by, org_number)
                VALUES ('ostra-sodertorn', 2018, $1, 1, $2, $3, '2018-11-20T10:00:00Z', 'samordnare@example.se', 2220002162)
                """, [.int(Int(try Day(iso: "2018-11-20").ordinal)), .text(hash), .text(document)])
        }
        let token = try await h.token(for: Org.haninge)
        let list = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published", as: .token(token))
        let item = try #require((list.json["items"] as? [[String: Any]])?.first)
        #expect(item["quarter"] is NSNull)
        #expect(item["asOf"] as? String == "2018-11-20")
        let id = try #require(item["id"] as? Int)
        let read = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/published/\(id)", as: .token(token))
        #expect(read.text == document)
        #expect(read.headers[.eTag] == "\"\(hash)\"")
    }
}
