import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §3 (suppression): small counts hidden, one more part with them, and no share or
/// difference that would tell them.
@Suite("Suppression (SPEC §3)")
struct SuppressionTests {
    typealias F = Fixture
    typealias S = Spec

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

    @Test func countsFromOneToFourAreHiddenAndZeroIsShown() {
        let s = Suppression()
        #expect(s.threshold == 5)
        #expect(s.show(0) == .value(0))
        for n in 1...4 { #expect(s.show(n) == .small, "\(n)") }
        #expect(s.show(5) == .value(5))
        #expect(s.show(1234) == .value(1234))
        #expect(ShownCount.small.text(threshold: 5) == "<5")
        #expect(ShownCount.complementary.text(threshold: 5) == "..")
        let ten = Suppression(threshold: 10)
        #expect(ten.show(9) == .small)
        #expect(ten.show(10) == .value(10))
        #expect(ten.show(0) == .value(0))
    }

    @Test func sharesAreNullWhenNumeratorDenominatorOrTheirDifferenceIsHidden() {
        let s = Suppression()
        #expect(s.show(Ratio(8, of: 10)) == nil)  // reveals the other 2
        #expect(s.show(Ratio(6, of: 10)) == nil)  // difference 4
        #expect(s.show(Ratio(10, of: 10)) == 1)  // difference 0 hides nothing
        #expect(s.show(Ratio(5, of: 9)) == nil)  // difference 4
        #expect(s.show(Ratio(5, of: 10)) == 0.5)  // difference 5
        #expect(s.show(Ratio(3, of: 10)) == nil)  // numerator hidden
        #expect(s.show(Ratio(0, of: 3)) == nil)  // denominator hidden
        #expect(s.show(Ratio(4, of: 4)) == nil)
        #expect(s.show(Ratio(0, of: 10)) == 0)  // 0 is shown, so is its share
        #expect(s.show(Ratio(5, of: 10)) == 0.5)
        #expect(s.show(Ratio(0, of: 0)) == nil)  // denominator 0
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

    @Test func exactlyOneMorePartIsHiddenWhenExactlyOneIs() {
        let s = Suppression()
        // 12 women and 3 men: the women are hidden only to protect the men, shown as "..".
        #expect(s.show(parts: [12, 3]) == [.complementary, .small])
        #expect(s.show(parts: [4, 12]) == [.small, .complementary])
        #expect(s.show(parts: [6, 0]) == [.value(6), .value(0)])
        #expect(s.show(parts: [7, 9]) == [.value(7), .value(9)])
        #expect(s.show(parts: [2, 3, 9]) == [.small, .small, .value(9)])  // two hidden already
        #expect(s.show(parts: [8, 2, 6]) == [.value(8), .small, .complementary])
        // A part of 0 is never the extra one: it hides nothing.
        #expect(s.show(parts: [8, 2, 0, 6]) == [.value(8), .small, .value(0), .complementary])
        // Equal smallest parts: the first in the document's order.
        #expect(s.show(parts: [7, 2, 7]) == [.complementary, .small, .value(7)])
    }

    /// 10 active, 8 of them in target group A: A is shown as "..", or the 2 outside it could
    /// be recovered by subtraction.
    @Test func aTargetGroupWithinActiveFollowsTheSubsetRule() throws {
        let p = S.people(10)
        let people = (0..<10).map { i in S.person(p[i], permit: i < 8 ? "2017-01-01" : "2010-01-01") }
        let r = S.report(people)
        #expect(r.participants.active == 10 && r.participants.targetGroupA == 8)
        let doc = ReportDocument(report: r, suppression: Suppression()).json
        #expect(doc["participants"]?["targetGroupA"] == .string(".."))
        #expect(doc["participants"]?["active"] == .int(10))
        #expect(doc["establishment"]?["population"] == .int(8))
        #expect(doc["establishment"]?["measurable"] == .int(8))  // 8 of 8: nothing to recover
        #expect(ReportDocument(report: r).json["participants"]?["targetGroupA"] == .int(8))
    }

    /// The subset rule along population ⊇ measurable ⊇ establishedWithinGoal, by hand.
    @Test func theSubsetRuleFollowsTheChainOfEstablishmentCounts() throws {
        func shown(population: Int, measurable: Int, established: Int) -> [JSONValue?] {
            var r = S.report([])
            r.establishment.population = population
            r.establishment.measurable = measurable
            r.establishment.establishedWithinGoal = established
            let e = ReportDocument(report: r, suppression: Suppression()).json["establishment"]
            return [e?["population"], e?["measurable"], e?["establishedWithinGoal"], e?["shareWithinGoal"]]
        }
        // 20 − 17 = 3: measurable hidden; then 20 − 15 = 5: established shown; 15/17 is null (17 − 15 = 2).
        #expect(shown(population: 20, measurable: 17, established: 15) == [.int(20), .string(".."), .int(15), .null])
        // 20 − 16 = 4: established hidden too, against the population.
        #expect(shown(population: 20, measurable: 17, established: 16) == [.int(20), .string(".."), .string(".."), .null])
        // 20 − 20 = 0: measurable shown; 20 − 12 = 8: established shown; 12/20 = 0.6.
        #expect(shown(population: 20, measurable: 20, established: 12) == [.int(20), .int(20), .int(12), .double(0.6)])
        // 20 − 14 = 6 shown; 14 − 11 = 3: established hidden; 11/14 null.
        #expect(shown(population: 20, measurable: 14, established: 11) == [.int(20), .int(14), .string(".."), .null])
    }

    @Test func aSubsetWhoseDifferenceIsSmallIsHidden() {
        let s = Suppression()
        #expect(s.show(total: 16, subset: 13) == (.value(16), .complementary))  // 16 − 13 = 3
        #expect(s.show(total: 16, subset: 11) == (.value(16), .value(11)))  // 16 − 11 = 5
        #expect(s.show(total: 16, subset: 16) == (.value(16), .value(16)))  // difference 0
        #expect(s.show(total: 16, subset: 3) == (.value(16), .small))
        #expect(s.show(total: 3, subset: 1) == (.small, .small))
        #expect(s.show(total: 3, subset: 0) == (.small, .value(0)))
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

    /// 16 active: Haninge 8, Tyresö 2, Nynäshamn 6; 12 women and 4 men.
    private func suppressedScenario() -> Report {
        let agreement = S.agreement(municipalities: ["0136", "0138", "0192"])
        let p = S.people(16)
        let places = Array(repeating: S.haninge, count: 8) + [S.tyreso, S.tyreso] + Array(repeating: S.nynashamn, count: 6)
        let people = (0..<16).map { i in S.person(p[i], in: places[i], sex: i < 4 ? .male : .female) }
        var events: [TrackEventFact] = []
        // vard: 3 attend (hidden), 2 of them complete (gender goal on 2 completers: hidden).
        for i in 0..<3 { events.append(S.event(p[i], "vard", .attended, "2018-02-01", in: agreement)) }
        for i in 0..<2 { events.append(S.event(p[i], "vard", .completed, "2018-06-01", in: agreement)) }
        // bygg: 6 attend, 5 accept afterwards: 5/6.
        for i in 3..<9 { events.append(S.event(p[i], "bygg", .attended, "2018-03-01", in: agreement)) }
        for i in 3..<8 { events.append(S.event(p[i], "bygg", .accepted, "2018-03-05", in: agreement)) }
        // 3 established within the goal (hidden) of 16 measurable (permit 2017-01-01 + 730 ≤ asOf).
        let statuses = (0..<3).map { S.status(p[$0], .work, "2018-02-05") }
        return S.report(for: agreement, people, events: events, statuses: statuses)
    }

    @Test func theSuppressedDocumentHidesSmallCountsTheirSharesAndOneComplement() throws {
        let r = suppressedScenario()
        #expect(r.participants.active == 16)
        #expect(r.recruitment == Ratio(9, of: 16))
        let doc = ReportDocument(report: r, suppression: Suppression()).json
        let participants = try #require(doc["participants"])
        #expect(participants["active"] == .int(16))
        #expect(participants["male"] == .string("<5"))  // 4
        #expect(participants["female"] == .string(".."))  // 12, hidden as the complement of 4
        #expect(participants["targetGroupA"] == .int(16))
        #expect(participants["targetGroupB"] == .int(0))
        #expect(doc["recruitmentShare"] == .double(9.0 / 16))
        let tracks = doc["tracks"]?.items ?? []
        #expect(tracks.count == 3)
        let vard = tracks[0]
        #expect(vard["code"] == .string("vard"))
        #expect(vard["attended"] == .string("<5"))
        #expect(vard["completed"] == .string("<5"))
        #expect(vard["invited"] == .int(0))
        #expect(vard["acceptanceShare"] == .null)  // 0 of 3: denominator hidden
        #expect(vard["completionShare"] == .null)  // 2 of 2
        #expect(vard["genderGoal"]?["share"] == .null)
        #expect(vard["genderGoal"]?["met"] == .null)
        #expect(vard["genderGoal"]?["sex"] == .string("male"))
        #expect(vard["genderGoal"]?["target"] == .double(0.4))
        let bygg = tracks[1]
        #expect(bygg["attended"] == .int(6))
        #expect(bygg["accepted"] == .int(5))
        #expect(bygg["acceptanceShare"] == .null)  // 5 of 6 reveals the 1 who did not accept
        let establishment = try #require(doc["establishment"])
        #expect(establishment["population"] == .int(16))
        #expect(establishment["measurable"] == .int(16))
        #expect(establishment["establishedWithinGoal"] == .string("<5"))
        #expect(establishment["shareWithinGoal"] == .null)
        // Per municipality: Tyresö's 2 is hidden, and one more part with it.
        let municipalities = doc["municipalities"]?.items ?? []
        #expect(municipalities.map { $0["code"] } == [.string("0136"), .string("0138"), .string("0192")])
        let shown = municipalities.map { $0["active"] }
        #expect(shown == [.int(8), .string("<5"), .string("..")])
        // The same report unsuppressed shows everything.
        let plain = ReportDocument(report: r).json
        #expect(plain["participants"]?["male"] == .int(4))
        #expect(plain["participants"]?["female"] == .int(12))
        #expect(plain["tracks"]?.items.first?["attended"] == .int(3))
        #expect(plain["establishment"]?["establishedWithinGoal"] == .int(3))
        #expect(plain["establishment"]?["shareWithinGoal"] == .double(3.0 / 16))
        #expect(plain["municipalities"]?.items.map { $0["active"] } == [.int(8), .int(2), .int(6)])
    }

    @Test func aZeroPartHidesNothingAndTheThresholdIsASetting() throws {
        let p = S.people(6)
        let r = S.report(p.map { S.person($0, sex: .female) })
        let doc = ReportDocument(report: r, suppression: Suppression()).json
        #expect(doc["participants"]?["female"] == .int(6))
        #expect(doc["participants"]?["male"] == .int(0))
        #expect(doc["municipalities"]?.items.map { $0["active"] } == [.int(6), .int(0)])
        #expect(doc["recruitmentShare"] == .double(0))
        // Threshold 10: 6 is now small.
        let ten = ReportDocument(report: r, suppression: Suppression(threshold: 10)).json
        #expect(ten["participants"]?["active"] == .string("<10"))
        #expect(ten["participants"]?["female"] == .string("<10"))
        #expect(ten["participants"]?["male"] == .int(0))
        #expect(ten["recruitmentShare"] == .null)
    }

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
