import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@testable import SamsparWeb

/// Secrecy as a property of everything a party reads (issue 17, the parts done so far): two
/// databases differ only in Arbetsförmedlingen's records, which nobody has consented to show
/// Haninge or the samordningsförbund. Haninge's caseworker reads the people behind a figure,
/// and the samordningsförbund's coordinator reads where registrations disagree: every answer
/// must be byte for byte the same in both worlds. Turning either rule around
/// (`pages.drilldown.visibleOnly`, `disagreements.visibleOnly`) makes the worlds differ.
@Suite struct TwoWorldTests {
    static let person = People.both

    /// One world: Haninge holds the person, with no event; in `withOthers`, Arbetsförmedlingen
    /// also holds them, under another name, and records an attendance in the track.
    static func world(engine: Engine, withOthers: Bool) async throws -> [String] {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: People.participantJSON(Self.person)).status == .created)
        if withOthers {
            let af = try await h.token(for: Org.employmentService)
            let registered = try await h.request(.post, "/api/v1/participants", as: .token(af), json: People.participantJSON(Self.person, given: "Other"))
            #expect(registered.status == .created)
            let event = try await h.request(
                .post, "/api/v1/participants/\(Self.person)/events", as: .token(af), json: #"{"track": "vard", "event": "attended", "date": "2019-03-01"}"#)
            #expect(event.status == .created)
        }
        var answers: [String] = []
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        for figure in ["event.0.attended", "active", "recruited"] {
            let path = "/avtal/ostra-sodertorn/uppfoljning/personer?ar=2019&per=2019-06-30&figur=\(figure)"
            let page = try await h.request(.get, path, as: .session(cookie: caseworker.cookie, csrf: nil))
            answers.append("\(page.status.code) " + Self.blanked(page.text))
        }
        let coordinator = try await h.session(for: "coordinator@example.se")
        let disagreements = try await h.request(.get, "/api/v1/disagreements", as: .session(cookie: coordinator.cookie, csrf: nil))
        answers.append("\(disagreements.status.code) " + disagreements.text)
        return answers
    }

    /// Form tokens differ from session to session; nothing else may.
    static func blanked(_ text: String) -> String {
        text.replacing(/value="[A-Za-z0-9_-]{40,}"/, with: "value=\"…\"").replacing(/content="[A-Za-z0-9_-]{40,}"/, with: "content=\"…\"")
    }

    @Test(arguments: Engine.available)
    func anotherPartysUnconsentedRecordsChangeNoAnswer(engine: Engine) async throws {
        let without = try await Self.world(engine: engine, withOthers: false)
        let with = try await Self.world(engine: engine, withOthers: true)
        #expect(without.count == 4)
        for (a, b) in zip(without, with) { #expect(a == b) }
        // The answers are real ones, not refusals: Haninge's person is listed among the active.
        #expect(without[1].hasPrefix("200 ") && without[1].contains("19920213-2396"))
        #expect(without[3] == #"200 {"counts":{},"items":[]}"#)
    }
}
