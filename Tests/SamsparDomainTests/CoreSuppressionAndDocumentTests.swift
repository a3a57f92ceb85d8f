import Foundation
import Testing

@testable import SamsparDomain

@Suite("Suppression and the report document")
struct CoreSuppressionAndDocumentTests {
    typealias F = Fixture

    @Test func smallCountsAreHiddenAndZeroIsShown() {
        let s = Suppression()
        #expect(s.show(0) == .value(0))
        #expect((1...4).allSatisfy { s.show($0) == .small })
        #expect(s.show(5) == .value(5))
        #expect(s.show(Ratio(3, of: 10)) == nil)
        #expect(s.show(Ratio(5, of: 4)) == nil)
        #expect(s.show(Ratio(0, of: 10)) == 0)
        #expect(s.show(Ratio(5, of: 10)) == 0.5)
        #expect(Suppression(threshold: 10).show(9) == .small)
    }

    @Test func oneMorePartIsHiddenWhenExactlyOneIs() {
        let s = Suppression()
        #expect(s.show(parts: [3, 10]) == [.small, .complementary])
        #expect(s.show(parts: [3, 10, 7]) == [.small, .value(10), .complementary])
        #expect(s.show(parts: [3, 2, 7]) == [.small, .small, .value(7)])
        #expect(s.show(parts: [3, 0]) == [.small, .value(0)])
        // A tie: the first in the document's order.
        #expect(s.show(parts: [9, 3, 9]) == [.complementary, .small, .value(9)])
        #expect(s.show(parts: [6, 9]) == [.value(6), .value(9)])
    }

    @Test func theJSONHasTheContractsShapeAndOrder() throws {
        let r = F.report([F.person(F.amina), F.person(F.ali)], events: [F.event(F.amina, "vard", .attended, "2018-01-10")])
        let json = ReportDocument(report: r).json
        guard case .object(let members) = json else { Issue.record("not an object"); return }
        #expect(Array(members.map(\.0).prefix(7)) == ["agreement", "year", "asOf", "participants", "recruitmentShare", "tracks", "establishment"])
        let text = json.serialized()
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(decoded["agreement"] as? String == "ostra-sodertorn")
        #expect(decoded["asOf"] as? String == "2019-03-31")
        #expect(decoded["recruitmentShare"] as? Double == 0.5)
        let participants = try #require(decoded["participants"] as? [String: Any])
        #expect(Set(participants.keys).isSuperset(of: ["active", "female", "male", "targetGroupA", "targetGroupB"]))
        let tracks = try #require(decoded["tracks"] as? [[String: Any]])
        #expect(tracks.map { $0["code"] as? String } == ["vard", "barn", "bygg", "unga"])
        let keys = [
            "invited", "attended", "accepted", "declined", "started", "completed", "discontinued", "acceptanceShare", "completionShare", "outcomeShare",
            "genderGoal",
        ]
        #expect(Set(tracks[0].keys).isSuperset(of: keys))
        let goal = try #require(tracks[0]["genderGoal"] as? [String: Any])
        #expect(goal["sex"] as? String == "male")
        #expect(goal["target"] as? Double == 0.4)
        #expect(goal["share"] is NSNull)
        #expect(goal["met"] is NSNull)
        #expect(tracks[3]["genderGoal"] is NSNull)
        let establishment = try #require(decoded["establishment"] as? [String: Any])
        #expect(
            Set(establishment.keys).isSuperset(of: [
                "population", "measurable", "establishedWithinGoal", "shareWithinGoal", "kmShareWithinGoal", "kmMedianDays",
            ]))
    }

    @Test func suppressedDocumentsHideSmallCountsSharesAndComplements() throws {
        // 7 women, 3 men in Haninge: men hidden, women too (complement, ".."), active 10 shown.
        let women = TestIdentityNumbers.all.filter { $0.sex == .female && $0.birthDate.year >= 1970 }.prefix(7)
        let men = TestIdentityNumbers.all.filter { $0.sex == .male && $0.birthDate.year >= 1970 }.prefix(3)
        let people = (women + men).map { F.person($0, permit: "2017-01-01") }
        let r = F.report(people, events: [F.event(men.first!, "vard", .attended, "2018-02-01")])
        let text = ReportDocument(report: r, suppression: Suppression()).json.serialized()
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let participants = try #require(decoded["participants"] as? [String: Any])
        #expect(participants["active"] as? Int == 10)
        #expect(participants["male"] as? String == "<5")
        #expect(participants["female"] as? String == "..")  // hidden only to protect the men (SPEC §3)
        #expect(decoded["recruitmentShare"] is NSNull)  // numerator 1 is hidden
        let tracks = try #require(decoded["tracks"] as? [[String: Any]])
        #expect(tracks[0]["attended"] as? String == "<5")
        #expect(tracks[0]["invited"] as? Int == 0)
        // Unsuppressed, the same figures are plain.
        let plain = ReportDocument(report: r).json.serialized()
        #expect(plain.contains("\"male\": 3"))
    }

    @Test func csvAndHTMLRender() {
        let r = F.report([F.person(F.amina), F.person(F.ali)], events: [F.event(F.amina, "vard", .attended, "2018-01-10")])
        let document = ReportDocument(report: r)
        #expect(document.csv.hasPrefix("\u{FEFF}section;track;figure;value\r\n"))
        #expect(document.csv.contains("report;;recruitmentShare;0,5\r\n"))
        #expect(document.csv.contains("tracks;vard;attended;1\r\n"))
        #expect(document.csv.contains("tracks;vard;genderGoal.target;0,4\r\n"))
        let html = document.html(agreementTitle: "Överenskommelse <test>")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<html lang=\"sv\">"))
        #expect(html.contains("Överenskommelse &lt;test&gt;"))
        #expect(html.contains("50\u{00A0}%"))
    }
}

@Suite("Kaplan–Meier under suppression")
struct CoreKaplanMeierSuppressionTests {
    /// 3 of 10 established within the goal, nobody censored before it: the KM share would be
    /// 3/10 and reveal the hidden 3, so it is hidden too.
    @Test func theKMShareIsHiddenWhenItsEstablishmentsAreFew() throws {
        let people = TestIdentityNumbers.all.filter { $0.birthDate.year >= 1970 }.prefix(10).map {
            Fixture.person($0, permit: "2016-03-01")
        }
        let statuses = people.prefix(3).map { Fixture.status($0.person, .work, "2017-03-01") }
        let r = Fixture.report(people, statuses: Array(statuses))
        #expect(r.establishment.kmEstablishedWithinGoal == 3)
        #expect(abs((r.establishment.kmShareWithinGoal ?? 0) - 0.3) < 1e-12)
        let text = ReportDocument(report: r, suppression: Suppression()).json.serialized()
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let establishment = try #require(decoded["establishment"] as? [String: Any])
        #expect(establishment["population"] as? Int == 10)
        #expect(establishment["kmShareWithinGoal"] is NSNull)
        #expect(ReportDocument(report: r).json.serialized().contains("\"kmShareWithinGoal\": 0.3"))
    }
}
