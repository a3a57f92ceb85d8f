import Testing

@testable import SamsparDomain

/// The rules of a close's suppressed form (SPEC §3), by hand: a count that one registering
/// organisation's own figures match to within the threshold, 0 included, shows as `..`; the
/// rule for parts then applies; a Kaplan–Meier step stays only with enough events.
@Suite struct CloseRuleTests {
    static func report(active: Int, female: Int, male: Int, groupA: Int, groupB: Int) -> Report {
        var r = Report(agreement: "x", year: 2019, asOf: Day(year: 2019, month: 3, day: 31)!)
        r.participants = .init(active: active, female: female, male: male, targetGroupA: groupA, targetGroupB: groupB)
        return r
    }

    @Test func aCountOnePartyFillsIsHidden() {
        let joint = Self.report(active: 40, female: 22, male: 18, groupA: 30, groupB: 10)
        let own = Self.report(active: 37, female: 22, male: 15, groupA: 20, groupB: 2)
        let hidden = Report.nearOwn(joint.counts(), own: [own.counts()], threshold: 5)
        // |40−37| = 3, |22−22| = 0, |18−15| = 3: hidden. |30−20| = 10, |10−2| = 8: shown.
        #expect(hidden.isSuperset(of: [.active, .female, .male]))
        #expect(!hidden.contains(.targetGroupA) && !hidden.contains(.targetGroupB))
        // Every other count is 0 in both (no tracks, no establishment): 0 included, hidden.
        #expect(hidden.contains(.population) && hidden.contains(.ratio("recruitment", 1)))
        let shown = ShownReport(joint, suppression: Suppression(), nearOwn: hidden)
        #expect(shown.participants.active == .hidden(".."))
        #expect(shown.participants.female == .hidden("..") && shown.participants.male == .hidden(".."))
        #expect(shown.participants.targetGroupA == .value(30) && shown.participants.targetGroupB == .value(10))
        // Unsuppressed, the same close shows every count.
        let open = ShownReport(joint, suppression: nil, nearOwn: hidden)
        #expect(open.participants.active == .value(40) && open.participants.female == .value(22))
    }

    @Test func hidingOnePartHidesTheSmallestOther() {
        let joint = Self.report(active: 40, female: 22, male: 18, groupA: 30, groupB: 10)
        // Only `female` is within 5 of the party's own (22 − 20 = 2); `male` (18 − 10 = 8) is not.
        let own = Self.report(active: 30, female: 20, male: 10, groupA: 20, groupB: 2)
        let hidden = Report.nearOwn(joint.counts(), own: [own.counts()], threshold: 5)
        #expect(hidden.contains(.female) && !hidden.contains(.male) && !hidden.contains(.active))
        let shown = ShownReport(joint, suppression: Suppression(), nearOwn: hidden)
        // Active 40 shown with female hidden: male would give it away (40 − 18), so it goes too.
        #expect(shown.participants.active == .value(40))
        #expect(shown.participants.female == .hidden("..") && shown.participants.male == .hidden(".."))
        // A small count one party fills is `..` too, never `<5` (that would tell 0 from 1–4).
        #expect(Suppression().show(parts: [3, 0], hiding: [0, 1]) == [.complementary, .complementary])
    }

    @Test func aKaplanMeierStepNeedsTheThresholdsEvents() {
        // Ten people: six established at day 100, one at day 200, three censored at 300.
        let km = KaplanMeier(
            observations: Array(repeating: .init(time: 100, isEvent: true), count: 6) + [.init(time: 200, isEvent: true)]
                + Array(repeating: .init(time: 300, isEvent: false), count: 3))
        #expect(km.eventCounts == [6, 1])
        var r = Self.report(active: 10, female: 5, male: 5, groupA: 10, groupB: 0)
        r.establishment.population = 10
        r.establishment.kaplanMeier = km
        var suppressed = ShownReport(r, suppression: Suppression())
        suppressed.keepSteps(of: km)
        // S(100) = 1 − 6/10 = 0.4 stays; S(200) = 0.4 × (1 − 1/4) = 0.3 stands for one event.
        #expect(suppressed.kaplanMeierSteps == [.init(days: 100, survival: 0.4, events: 6)])
        var open = ShownReport(r, suppression: nil)
        open.keepSteps(of: km)
        #expect(open.kaplanMeierSteps?.map(\.days) == [100, 200])
        #expect(abs((open.kaplanMeierSteps?.last?.survival ?? 0) - 0.3) < 1e-12)
    }
}
