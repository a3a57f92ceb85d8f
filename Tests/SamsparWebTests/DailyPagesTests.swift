import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// The small flaws of the daily pages (issue 19, part 4), each checked where it showed.
@Suite struct DailyPagesTests {
    /// A long track name is wrapped onto two lines inside the chart, never run off its edge.
    @Test func chartLabelsStayWithinTheChart() {
        let lines = Chart.labelLines("Yrkesspår vårdbiträde/personlig assistent")
        #expect(lines == ["Yrkesspår", "vårdbiträde/personlig…"] || lines.allSatisfy { $0.count <= 24 })
        #expect(lines.count == 2 && lines.allSatisfy { $0.count <= 24 })
        #expect(Chart.labelLines("Yrkesspår Husbygg") == ["Yrkesspår Husbygg"])
        let svg = Chart.bars(
            id: "x", title: "t", description: "d",
            [.init(label: "Yrkesspår barnskötare, resurspedagog, elevassistent inom förskola och skola", value: 0.5, text: "50 %")],
            maximum: 1)
        #expect(svg.contains("<tspan x=\"182\" dy=\"0\">Yrkesspår barnskötare,</tspan><tspan x=\"182\" dy=\"15\">resurspedagog,…</tspan>"))
    }

    /// A gender goal whose completions suppression hides is "hidden", not "not yet measurable".
    @Test func aHiddenGenderGoalSaysItIsHidden() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        for id in [People.own, People.consented] {
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(id)).status == .created)
            let completed = try await h.request(
                .post, "/api/v1/participants/\(id)/events", as: .token(token), json: #"{"track": "vard", "event": "completed", "date": "2019-02-01"}"#)
            #expect(completed.status == .created)
        }
        _ = try await FigureOperations.makeCloses(nil, quarter: nil, .operator("test", on: .command("close")), h.services)
        let analyst = try await h.session(for: "analyst@example.se")
        let page = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning?kvartal=2019-Q1", as: .session(cookie: analyst.cookie, csrf: nil))
        let row = try #require(
            page.text.firstMatch(of: /<tr><th scope="row">Jämställdhetsmål: andel män som fullföljde Yrkesspår vårdbiträde[^<]*<\/th>.*?<\/tr>/))
        #expect(row.output.contains("dolt för att skydda små tal"), "\(row.output)")
        #expect(!row.output.contains("går inte att mäta ännu"))
    }

    /// An admin is not offered, and may not, disable their own account.
    @Test func anAdminDoesNotDisableThemselves() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")
        let caller = Harness.Caller.session(cookie: admin.cookie, csrf: admin.csrf)
        let users = try await h.request(.get, "/api/v1/users", as: caller)
        let own = try #require((users.json["items"] as? [[String: Any]])?.first { $0["email"] as? String == "admin@example.se" }?["id"] as? Int)
        let other = try #require((users.json["items"] as? [[String: Any]])?.first { $0["email"] as? String == "auditor@example.se" }?["id"] as? Int)
        #expect(try await h.request(.post, "/api/v1/users/\(own)/disable", as: caller).status == .conflict)
        let page = try await h.request(.get, "/konton", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(!page.text.contains("/konton/anvandare/\(own)/sparra"))
        #expect(page.text.contains("/konton/anvandare/\(other)/sparra"))
    }

    /// The registration form's heading is said once; dates and identity numbers do not wrap.
    @Test func theRegistrationHeadingIsSaidOnceAndNumbersDoNotWrap() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        let form = try await h.request(.get, "/deltagare/ny", as: .session(cookie: caseworker.cookie, csrf: nil))
        #expect(form.text.components(separatedBy: ">Registrera deltagare</h").count == 2, "the heading once")
        let list = try await h.request(.get, "/deltagare", as: .session(cookie: caseworker.cookie, csrf: nil))
        #expect(list.text.contains("<th scope=\"row\" class=\"nowrap\"><a href=\"/deltagare/19900101-2385\">19900101-2385</a></th>"))
    }

    /// *Att göra* is grouped by reason, soonest first, five a group with the rest one click away.
    @Test func attGoraIsGroupedByReason() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        let people = TestIdentityNumbers.all.filter { (1980...1985).contains($0.birthDate.year) }.prefix(12).map(\.description)
        for (i, id) in people.enumerated() {
            // Registered on the 1st to the 12th of January 2019, in no track since.
            var json = People.participantJSON(id)
            json = json.replacing("2018-01-15", with: "2019-01-\(String(format: "%02d", i + 1))")
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: json).status == .created)
        }
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        let home = try await h.request(.get, "/", as: .session(cookie: caseworker.cookie, csrf: nil))
        let section = try #require(
            home.text.firstMatch(of: /<section class="todo-group" aria-labelledby="todo-no-track-event">.*?<\/section>/.dotMatchesNewlines()))
        let text = String(section.output)
        #expect(text.contains("Inget spår efter 60 dagar <span class=\"count\">(12)</span>"))
        #expect(text.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 5)
        // Soonest first: the one registered on 1 January heads the group.
        #expect(text.firstRange(of: people[0]).map { r in text.firstRange(of: people[1]).map { r.lowerBound < $0.lowerBound } ?? false } == true)
        #expect(text.contains("<a href=\"/?grupp=no-track-event\">Visa alla i gruppen (12)</a>"))
        let whole = try await h.request(.get, "/?grupp=no-track-event", as: .session(cookie: caseworker.cookie, csrf: nil))
        #expect(whole.text.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 12)
        #expect(whole.text.contains("Tillbaka till alla grupper"))
    }

    /// The people behind a figure page 25 at a time, and only the 25 shown are audited as read
    /// (one `search` entry per person shown, as on the participant list):
    /// 27 registered, so page 1 holds 25 and page 2 the other 2 (hand-counted).
    @Test func thePeopleBehindAFigurePageAndOnlyTheShownAreAudited() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        let people = TestIdentityNumbers.all.filter { (1980...1985).contains($0.birthDate.year) }.prefix(27).map(\.description)
        #expect(people.count == 27)
        for (i, id) in people.enumerated() {
            let json = People.participantJSON(id).replacing("2018-01-15", with: "2019-01-\(String(format: "%02d", i + 1))")
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: json).status == .created)
        }
        let caseworker = try await h.session(for: "cw.haninge@example.se")
        let caller = Harness.Caller.session(cookie: caseworker.cookie, csrf: nil)
        func rows(_ text: String) -> Int { text.components(separatedBy: "<tr><th scope=\"row\" class=\"nowrap\">").count - 1 }
        func searchEntries() async throws -> Int {
            let rows = try await h.store.read {
                try await $0.query(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'search'", [])
            }
            return rows.first?["n"].int.map { Int($0) } ?? -1
        }
        let first = try await h.request(.get, "/avtal/ostra-sodertorn/uppfoljning/personer?figur=active&ar=2019&per=2019-06-30", as: caller)
        #expect(first.status == .ok)
        #expect(first.text.contains("Personerna bakom siffran 27"))
        #expect(rows(first.text) == 25)
        #expect(first.text.contains("<span>sida 1 av 2</span>"))
        #expect(try await searchEntries() == 25)
        let next = String(try #require(first.text.firstMatch(of: /<a href="([^"]+)" rel="next">/)?.1).replacing("&amp;", with: "&"))
        let second = try await h.request(.get, next, as: caller)
        #expect(rows(second.text) == 2)
        #expect(second.text.contains("<span>sida 2 av 2</span>") && second.text.contains("rel=\"prev\""))
        #expect(try await searchEntries() == 25 + 2)
        // Identity-number order across the pages: the last two numbers are on page 2.
        for id in people.sorted().suffix(2) { #expect(second.text.contains(">\(id)</a>")) }
    }

    /// The admin's users are found by e-mail and page 25 at a time; revoked tokens are counted, not listed.
    @Test func theAdminsListsPageAndFilter() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")
        let caller = Harness.Caller.session(cookie: admin.cookie, csrf: admin.csrf)
        for i in 1...30 {
            let json = #"{"email": "handlaggare\#(i)@example.se", "role": "caseworker", "password": "ett långt lösenord \#(i)"}"#
            #expect(try await h.request(.post, "/api/v1/users", as: caller, json: json).status == .created)
        }
        let page = try await h.request(.get, "/konton?q=handlaggare", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(page.text.contains("<strong id=\"users-total\">30</strong>"))
        #expect(page.text.components(separatedBy: "@example.se</th>").count - 1 == 25)
        #expect(page.text.contains("<span>sida 1 av 2</span>"))
        let second = try await h.request(.get, "/konton?q=handlaggare&sida=2", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(second.text.components(separatedBy: "@example.se</th>").count - 1 == 5)
        let one = try await h.request(.get, "/konton?q=HANDLAGGARE17", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(one.text.contains("<strong id=\"users-total\">1</strong>") && one.text.contains("handlaggare17@example.se"))
    }
}
