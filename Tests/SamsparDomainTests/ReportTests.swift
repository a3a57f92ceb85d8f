import Foundation
import Testing

@testable import SamsparDomain

/// Every figure of SPEC §3, each against values computed by hand in the comments.
/// Unless a test says otherwise: year 2018, asOf 2019-03-31. Through `S`: agreement
/// `Spec.standard` (Haninge 0136 and Tyresö 0138; tracks vard, bygg, studie), people born
/// 1990 (not in group B). Through `F`: the example agreement of `shared/examples` (tracks
/// vard, barn, bygg, unga) and the people of ``Fixture``.
@Suite("Figures of SPEC §3")
struct ReportTests {
    typealias F = Fixture
    typealias S = Spec

    // MARK: Population and active(Y)

    @Test func activeMeansRegisteredByTheCutOffAndNotExitedBeforeTheYear() {
        let r = F.report(
            [
                F.person(F.amina, registered: "2018-12-31"),  // registered on the last day: active
                F.person(F.ali, registered: "2019-01-01"),  // after 31 Dec Y: not active
                F.person(F.omar, registered: "2016-01-01", exited: "2017-12-31"),  // exited before the year
                F.person(F.sara, registered: "2016-01-01", exited: "2018-01-01"),  // exited on 1 Jan Y: active
            ])
        #expect(r.participants.active == 2)
        #expect(r.participants.female == 2)
        #expect(r.participants.male == 0)
        // The as-of cut-off: registered after asOf does not exist yet.
        let early = F.report(asOf: "2018-06-30", [F.person(F.amina, registered: "2018-07-01"), F.person(F.ali, registered: "2018-06-30")])
        #expect(early.participants.active == 1)
        // An exit dated after asOf does not exist yet either.
        let exitLater = F.report(year: 2019, asOf: "2019-01-31", [F.person(F.amina, registered: "2016-01-01", exited: "2018-12-31")])
        #expect(exitLater.participants.active == 0)
        let exitAfterAsOf = F.report(year: 2018, asOf: "2017-06-30", [F.person(F.amina, registered: "2016-01-01", exited: "2017-12-31")])
        #expect(exitAfterAsOf.participants.active == 1)
    }

    @Test func activeIsRegisteredByTheCutOffAndNotExitedBeforeTheYear() {
        let p = S.people(8)
        let r = S.report([
            S.person(p[0], registered: "2018-12-31", sex: .female),  // last day of Y: active
            S.person(p[1], registered: "2019-01-01", sex: .female),  // after 31 Dec Y: not
            S.person(p[2], registered: "2016-01-01", exited: "2017-12-31", sex: .male),  // exited before Y: not
            S.person(p[3], registered: "2016-01-01", exited: "2018-01-01", sex: .male),  // exited on 1 Jan Y: active
            S.person(p[4], registered: "2016-01-01", exited: "2019-02-01", sex: .female),  // exited after Y: active
            S.person(p[5], in: S.eskilstuna, registered: "2018-05-01", sex: .male),  // not a party municipality
            S.person(p[6], in: S.tyreso, registered: "2018-05-01", sex: .male),  // Tyresö: active
            S.person(p[7], registered: "2015-01-01", sex: .female),  // active
        ])
        #expect(r.participants.active == 5)
        #expect(r.participants.female == 3)
        #expect(r.participants.male == 2)
        #expect(r.municipalities.map(\.code) == [S.haninge, S.tyreso])
        #expect(r.municipalities.map(\.active) == [4, 1])
        #expect(r.recruitment == Ratio(0, of: 5))
    }

    @Test func nothingRegisteredOrExitedAfterAsOfExists() {
        let p = S.people(3)
        // asOf inside Y: registration after asOf does not exist yet.
        let r = S.report(asOf: "2018-06-30", [S.person(p[0], registered: "2018-06-30"), S.person(p[1], registered: "2018-07-01")])
        #expect(r.participants.active == 1)
        // An exit dated after asOf does not exist either: year 2019 as of 2018-12-15.
        let later = S.report(year: 2019, asOf: "2018-12-15", [S.person(p[2], registered: "2016-01-01", exited: "2018-12-20")])
        #expect(later.participants.active == 1)
        // Once asOf reaches the exit, it was before 1 January 2019.
        let reached = S.report(year: 2019, asOf: "2018-12-25", [S.person(p[2], registered: "2016-01-01", exited: "2018-12-20")])
        #expect(reached.participants.active == 0)
    }

    @Test func explicitSexWinsAndOtherMunicipalitiesAreNotInThePopulation() {
        let r = F.report([F.person(F.amina, sex: .male), F.person(F.ali, municipality: F.eskilstuna)])
        #expect(r.participants.active == 1)
        #expect(r.participants.male == 1)
        #expect(r.municipalities.first { $0.code == F.haninge }?.active == 1)
    }

    @Test func explicitSexWinsOverTheNumber() {
        let woman = S.born("1990-01-01")  // 199001012385: ninth digit 8, female
        #expect(woman.sex == .female)
        let r = S.report([S.person(woman, sex: .male)])
        #expect(r.participants.male == 1)
        #expect(r.participants.female == 0)
    }

    // MARK: Target groups

    @Test func targetGroupAIs36CalendarMonthsFromTheFirstPermit() {
        // Permit 2015-01-31 + 36 months = 2018-01-31: in A on 2018-01-01…31.
        #expect(F.report([F.person(F.amina, permit: "2015-01-31")]).participants.targetGroupA == 1)
        // Permit 2014-12-31 + 36 months = 2017-12-31: never in A in 2018.
        #expect(F.report([F.person(F.amina, permit: "2014-12-31")]).participants.targetGroupA == 0)
        // Leap day: 2015-02-28 → 2018-02-28; 2016-02-29 + 36 → 2019-02-28, so in A in 2019.
        #expect(F.report(year: 2019, asOf: "2019-12-31", [F.person(F.amina, permit: "2016-02-29")]).participants.targetGroupA == 1)
        // The window's last day counts: permit 2015-12-31 → in A until 2018-12-31, not in 2019.
        #expect(F.report([F.person(F.amina, permit: "2015-12-31")]).participants.targetGroupA == 1)
        #expect(F.report(year: 2019, asOf: "2019-12-31", [F.person(F.amina, permit: "2015-12-31")]).participants.targetGroupA == 0)
        // A permit after the as-of date is not yet a permit.
        #expect(F.report(asOf: "2018-05-31", [F.person(F.amina, permit: "2018-06-01")]).participants.targetGroupA == 0)
        #expect(F.report(asOf: "2018-06-01", [F.person(F.amina, permit: "2018-06-01")]).participants.targetGroupA == 1)
    }

    @Test func targetGroupAIsThirtySixCalendarMonthsFromTheFirstPermit() {
        let p = S.born("1990-01-01")
        func a(_ permit: String, year: Int = 2018, asOf: String = "2019-03-31", registered: String = "2014-01-01", _ agreement: Agreement = S.standard)
            -> Int
        {
            S.report(for: agreement, year: year, asOf: asOf, [S.person(p, permit: permit, registered: registered)]).participants.targetGroupA
        }
        #expect(a("2015-01-01") == 1)  // + 36 months = 2018-01-01: in A on 1 January only
        #expect(a("2014-12-31") == 0)  // + 36 months = 2017-12-31: never in 2018
        #expect(a("2015-01-31") == 1)  // until 2018-01-31
        #expect(a("2018-12-31") == 1)  // permit on the last day of Y
        #expect(a("2019-01-05") == 0)  // permit after Y
        #expect(a("2016-02-29", year: 2019, asOf: "2019-12-31") == 1)  // until 2019-02-28
        #expect(a("2015-12-31", year: 2019, asOf: "2019-12-31") == 0)  // until 2018-12-31
        // The permit must not be after asOf.
        #expect(a("2018-06-01", asOf: "2018-05-31") == 0)
        #expect(a("2018-06-01", asOf: "2018-06-01") == 1)
        // Only active participants are counted.
        #expect(a("2017-01-01", registered: "2019-01-01") == 0)
        // The agreement's own window (12 months): 2017-01-01 → 2018-01-01.
        let twelve = S.agreement(extra: #""targetGroups": {"a": {"monthsSinceFirstPermit": 12}},"#)
        #expect(a("2017-01-01", twelve) == 1)
        #expect(a("2016-12-31", twelve) == 0)
    }

    @Test func targetGroupBIsAged16To24WithoutUpperSecondary() {
        // Sara, born 2000-01-01: 18 in 2018.
        #expect(F.report([F.person(F.sara, permit: "2017-01-01")]).participants.targetGroupB == 1)
        #expect(F.report([F.person(F.sara, permit: "2017-01-01", upperSecondary: true)]).participants.targetGroupB == 0)
        // Amina, born 1990-01-01: 25 on 2015-01-01, not B in 2018; but B in 2014 (aged 24 until 2014-12-31).
        #expect(F.report([F.person(F.amina)]).participants.targetGroupB == 0)
        #expect(F.report(year: 2014, asOf: "2014-12-31", [F.person(F.amina, permit: "2013-01-01", registered: "2013-06-01")]).participants.targetGroupB == 1)
        // Turning 16 during the year, but only after asOf: not yet.
        let young = try! Personnummer("200206212391", currentYear: 2026)  // born 2002-06-21
        #expect(F.report(year: 2018, asOf: "2018-06-20", [F.person(young, permit: "2017-01-01")]).participants.targetGroupB == 0)
        #expect(F.report(year: 2018, asOf: "2018-06-21", [F.person(young, permit: "2017-01-01")]).participants.targetGroupB == 1)
        // Unknown birth month counts as 1 July: 1915-00-72 → 1915-07-12.
        let unknown = try! Personnummer("191500722390", currentYear: 2026)
        #expect(F.report(year: 1931, asOf: "1931-07-11", [F.person(unknown, permit: "1930-01-01", registered: "1930-01-01")]).participants.targetGroupB == 0)
        #expect(F.report(year: 1931, asOf: "1931-07-12", [F.person(unknown, permit: "1930-01-01", registered: "1930-01-01")]).participants.targetGroupB == 1)
        #expect(F.report(year: 1940, asOf: "1940-12-31", [F.person(unknown, permit: "1930-01-01", registered: "1930-01-01")]).participants.targetGroupB == 1)
        #expect(F.report(year: 1941, asOf: "1941-12-31", [F.person(unknown, permit: "1930-01-01", registered: "1930-01-01")]).participants.targetGroupB == 0)
    }

    @Test func targetGroupBIsAged16To24OnSomeDayOfTheYearNotAfterAsOf() {
        func b(_ born: String, year: Int = 2018, asOf: String = "2019-03-31", upperSecondary: Bool = false) -> Int {
            let p = S.born(born)
            return S.report(
                year: year, asOf: asOf, [S.person(p, permit: "2017-01-01", registered: "2017-06-01", upperSecondary: upperSecondary)]
            ).participants.targetGroupB
        }
        #expect(b("2002-06-21", asOf: "2018-06-20") == 0)  // turns 16 the day after asOf
        #expect(b("2002-06-21", asOf: "2018-06-21") == 1)  // turns 16 on asOf
        #expect(b("2002-12-31") == 1)  // turns 16 on 31 December
        #expect(b("2003-01-01") == 0)  // turns 16 in 2019
        #expect(b("1993-01-02") == 1)  // still 24 on 1 January 2018
        #expect(b("1993-01-01") == 0)  // 25 on 1 January 2018
        #expect(b("1993-03-10") == 1)
        #expect(b("1993-03-10", upperSecondary: true) == 0)  // upper-secondary completed
        #expect(b("2000-01-01", upperSecondary: true) == 0)
        #expect(b("2000-01-01") == 1)
        #expect(b("1990-01-01") == 0)
    }

    @Test func targetGroupBWithAnUnknownBirthMonthOrDay() {
        func b(_ number: String, year: Int, asOf: String) -> Int {
            let p = try! Personnummer(number, currentYear: 2026)
            return S.report(year: year, asOf: asOf, [S.person(p, permit: "1930-01-01", registered: "1930-01-01")]).participants.targetGroupB
        }
        // 1915-00-72: unknown month counts as 1 July → born 1915-07-12, 16 on 1931-07-12, 25 on 1940-07-12.
        #expect(b("191500722390", year: 1931, asOf: "1931-07-11") == 0)
        #expect(b("191500722390", year: 1931, asOf: "1931-07-12") == 1)
        #expect(b("191500722390", year: 1940, asOf: "1940-12-31") == 1)
        #expect(b("191500722390", year: 1941, asOf: "1941-12-31") == 0)
        // 1918-06-60: unknown day counts as the 15th → 16 on 1934-06-15.
        #expect(b("191806602395", year: 1934, asOf: "1934-06-14") == 0)
        #expect(b("191806602395", year: 1934, asOf: "1934-06-15") == 1)
    }

    // MARK: Track counts and recruitment

    @Test func trackCountsAreDistinctParticipantsWithAnEventInTheYear() {
        let events = [
            F.event(F.amina, "vard", .invited, "2017-12-20"),  // before Y
            F.event(F.amina, "vard", .attended, "2018-01-10"),
            F.event(F.amina, "vard", .attended, "2018-02-10"),  // repeated attendance
            F.event(F.ali, "vard", .attended, "2018-12-31"),
            F.event(F.ali, "vard", .invited, "2019-01-02"),  // after Y
            F.event(F.omar, "vard", .attended, "2019-04-01"),  // after asOf
        ]
        let r = F.report([F.person(F.amina), F.person(F.ali), F.person(F.omar)], events: events)
        #expect(r.tracks[0].count(.attended) == 2)
        #expect(r.tracks[0].count(.invited) == 0)
        #expect(r.tracks[1].count(.attended) == 0)
        // Recruitment: attended a vocational track's meeting in Y ÷ active.
        #expect(r.recruitment == Ratio(2, of: 3))
    }

    @Test func trackCountsAreDistinctActiveParticipantsWithAnEventInTheYear() {
        let p = S.people(6)
        let people = [
            S.person(p[0]), S.person(p[1], in: S.tyreso), S.person(p[2]), S.person(p[3], in: S.eskilstuna), S.person(p[4]),
        ]
        let events = [
            S.event(p[0], "vard", .invited, "2017-12-20"),  // before Y
            S.event(p[0], "vard", .attended, "2018-01-10"),
            S.event(p[0], "vard", .attended, "2018-02-10"),  // repeated: still one participant
            S.event(p[0], "bygg", .attended, "2018-03-01"),
            S.event(p[0], "vard", .started, "2018-03-01"),
            S.event(p[1], "vard", .attended, "2018-12-31"),
            S.event(p[1], "vard", .invited, "2019-01-02"),  // after Y
            S.event(p[2], "studie", .attended, "2018-04-01"),  // an education track
            S.event(p[3], "vard", .attended, "2018-05-01"),  // another municipality's participant
            S.event(p[3], "vard", .invited, "2018-05-01"),
            S.event(p[4], "vard", .declined, "2018-06-01"),
            S.event(p[5], "vard", .attended, "2018-05-01"),  // nobody we know
        ]
        let r = S.report(people, events: events)
        let vard = S.track(r, "vard")
        #expect(vard.count(.invited) == 0)
        #expect(vard.count(.attended) == 2)
        #expect(vard.count(.accepted) == 0)
        #expect(vard.count(.declined) == 1)
        #expect(vard.count(.started) == 1)
        #expect(vard.count(.completed) == 0)
        #expect(vard.count(.discontinued) == 0)
        #expect(S.track(r, "bygg").count(.attended) == 1)
        #expect(S.track(r, "studie").count(.attended) == 1)
        // Recruitment: p0 (vard and bygg, once) and p1 of the 4 active; p2's track is not vocational.
        #expect(r.participants.active == 4)
        #expect(r.recruitment == Ratio(2, of: 4))
        #expect(r.recruitment.share == 0.5)
    }

    @Test func recruitmentCountsVocationalTracksOnly() {
        let r = F.report([F.person(F.sara)], events: [F.event(F.sara, "unga", .attended, "2018-03-01")])
        #expect(r.recruitment == Ratio(0, of: 1))
        #expect(r.tracks[3].count(.attended) == 1)
    }

    @Test func eventsAfterAsOfDoNotCountEvenInsideTheYear() {
        let p = S.people(2)
        let events = [
            S.event(p[0], "vard", .attended, "2018-10-01"), S.event(p[0], "vard", .invited, "2018-09-30"),
            S.event(p[1], "bygg", .attended, "2018-09-30"),
        ]
        let r = S.report(asOf: "2018-09-30", [S.person(p[0]), S.person(p[1])], events: events)
        #expect(S.track(r, "vard").count(.attended) == 0)
        #expect(S.track(r, "vard").count(.invited) == 1)
        #expect(S.track(r, "bygg").count(.attended) == 1)
        #expect(r.recruitment == Ratio(1, of: 2))
        #expect(S.track(r, "vard").acceptance == Ratio(0, of: 0))
        #expect(S.track(r, "vard").acceptance.share == nil)
    }

    // MARK: Acceptance (sub-goal 2)

    @Test func acceptanceIsOnOrAfterTheFirstAttendanceInTheYearOfTheExample() {
        let events = [
            // Accepted before attending: does not count.
            F.event(F.amina, "bygg", .accepted, "2018-01-05"), F.event(F.amina, "bygg", .attended, "2018-01-10"),
            // Accepted the same day: counts.
            F.event(F.ali, "bygg", .attended, "2018-05-10"), F.event(F.ali, "bygg", .accepted, "2018-05-10"),
            // Accepted after 31 Dec but before asOf: counts.
            F.event(F.omar, "bygg", .attended, "2018-12-10"), F.event(F.omar, "bygg", .accepted, "2019-01-15"),
            // Accepted after asOf: does not.
            F.event(F.sara, "bygg", .attended, "2018-12-10"), F.event(F.sara, "bygg", .accepted, "2019-04-15"),
        ]
        let r = F.report([F.person(F.amina), F.person(F.ali), F.person(F.omar), F.person(F.sara)], events: events)
        #expect(r.tracks[2].acceptance == Ratio(2, of: 4))
        #expect(r.tracks[2].acceptance.share == 0.5)
        #expect(r.tracks[2].count(.accepted) == 2)  // Amina and Ali in 2018
    }

    @Test func acceptanceIsOnOrAfterTheFirstAttendanceInTheYear() {
        let p = S.people(9)
        let events = [
            S.event(p[1], "bygg", .accepted, "2018-01-05"), S.event(p[1], "bygg", .attended, "2018-01-10"),  // before: no
            S.event(p[2], "bygg", .attended, "2018-05-10"), S.event(p[2], "bygg", .accepted, "2018-05-10"),  // same day: yes
            S.event(p[3], "bygg", .attended, "2018-12-10"), S.event(p[3], "bygg", .accepted, "2019-01-15"),  // after Y, ≤ asOf: yes
            S.event(p[4], "bygg", .attended, "2018-12-10"), S.event(p[4], "bygg", .accepted, "2019-04-15"),  // after asOf: no
            S.event(p[5], "bygg", .attended, "2017-11-01"), S.event(p[5], "bygg", .accepted, "2017-11-05"),  // attended before Y only
            S.event(p[6], "bygg", .attended, "2018-03-01"), S.event(p[6], "bygg", .accepted, "2018-04-01"),
            S.event(p[6], "bygg", .attended, "2018-06-01"),  // yes: on or after the first attendance
            S.event(p[7], "bygg", .accepted, "2018-02-01"),  // never attended: not in the denominator
            S.event(p[8], "bygg", .attended, "2018-02-01"), S.event(p[8], "vard", .accepted, "2018-03-01"),  // another track's acceptance
        ]
        let r = S.report(p.map { S.person($0) }, events: events)
        let bygg = S.track(r, "bygg")
        // Attended bygg in 2018: p1, p2, p3, p4, p6, p8; accepted afterwards: p2, p3, p6.
        #expect(bygg.acceptance == Ratio(3, of: 6))
        #expect(bygg.count(.attended) == 6)
        #expect(bygg.count(.accepted) == 4)  // p1, p2, p6, p7 in 2018
        #expect(S.track(r, "vard").acceptance == Ratio(0, of: 0))
        #expect(S.track(r, "vard").count(.accepted) == 1)
    }

    // MARK: Completion (sub-goal 3)

    @Test func completionLooksAtTheFirstEndingEver() {
        let events = [
            F.event(F.amina, "barn", .completed, "2018-06-01"),
            F.event(F.ali, "barn", .discontinued, "2018-03-01"), F.event(F.ali, "barn", .completed, "2018-09-01"),
            F.event(F.omar, "barn", .discontinued, "2017-11-01"), F.event(F.omar, "barn", .completed, "2018-02-01"),  // first ending before Y
            F.event(F.sara, "barn", .completed, "2019-04-02"),  // after asOf
        ]
        let r = F.report([F.person(F.amina), F.person(F.ali), F.person(F.omar), F.person(F.sara)], events: events)
        #expect(r.tracks[1].completion == Ratio(1, of: 2))
        #expect(r.tracks[1].count(.completed) == 3)
    }

    @Test func completionIsJudgedByTheFirstEndingEver() {
        let p = S.people(6)
        let events = [
            S.event(p[0], "vard", .completed, "2018-06-01"),  // first ending in Y, completed
            S.event(p[1], "vard", .discontinued, "2018-03-01"), S.event(p[1], "vard", .completed, "2018-09-01"),  // discontinued first
            S.event(p[2], "vard", .discontinued, "2017-11-01"), S.event(p[2], "vard", .completed, "2018-02-01"),  // first ending before Y
            S.event(p[3], "vard", .completed, "2019-02-01"),  // after Y
            S.event(p[4], "vard", .discontinued, "2018-10-01"),
            S.event(p[5], "vard", .completed, "2017-06-01"), S.event(p[5], "vard", .completed, "2018-06-01"),  // first ending 2017
        ]
        let r = S.report(p.map { S.person($0) }, events: events)
        let vard = S.track(r, "vard")
        #expect(vard.completion == Ratio(1, of: 3))  // p0 of p0, p1, p4
        #expect(vard.count(.completed) == 4)  // p0, p1, p2, p5 in 2018
        #expect(vard.count(.discontinued) == 2)  // p1, p4
        // An ending in Y but after asOf does not exist.
        let early = S.report(asOf: "2018-09-30", [S.person(p[0])], events: [S.event(p[0], "vard", .completed, "2018-10-15")])
        #expect(S.track(early, "vard").completion == Ratio(0, of: 0))
        #expect(S.track(early, "vard").completion.share == nil)
    }

    // MARK: Outcome (sub-goal 4)

    @Test func outcomeIsTheStatusNinetyDaysAfterTheFirstCompletion() {
        let events = [
            F.event(F.amina, "vard", .completed, "2018-06-01"),  // +90 = 2018-08-30
            F.event(F.ali, "vard", .completed, "2018-06-01"),
            F.event(F.omar, "vard", .completed, "2018-12-31"),  // +90 = 2019-03-31 = asOf: measurable
            F.event(F.sara, "vard", .completed, "2019-01-02"),  // not in Y
        ]
        let statuses = [
            F.status(F.amina, .work, "2018-08-30"),  // on the day: counts
            F.status(F.ali, .studies, "2018-07-01"), F.status(F.ali, .none, "2018-08-01"),  // back to none by then
            F.status(F.omar, .subsidizedWork, "2019-03-31"),
        ]
        let r = F.report([F.person(F.amina), F.person(F.ali), F.person(F.omar), F.person(F.sara)], events: events, statuses: statuses)
        #expect(r.tracks[0].outcome == Ratio(2, of: 3))
        let earlier = F.report(asOf: "2019-03-30", [F.person(F.omar)], events: [events[2]], statuses: [statuses[3]])
        #expect(earlier.tracks[0].outcome == Ratio(0, of: 0))
        #expect(earlier.tracks[0].outcome.share == nil)
    }

    @Test func outcomeIsTheStatusNinetyDaysAfterTheFirstCompletionInTheYear() {
        let p = S.people(7)
        let events = [
            S.event(p[0], "vard", .completed, "2018-06-01"),  // + 90 = 2018-08-30
            S.event(p[1], "vard", .completed, "2018-06-01"),
            S.event(p[2], "vard", .completed, "2018-12-31"),  // + 90 = 2019-03-31 = asOf
            S.event(p[3], "vard", .completed, "2019-01-02"),  // not in Y
            S.event(p[4], "vard", .completed, "2018-06-01"),
            S.event(p[5], "vard", .completed, "2018-03-01"), S.event(p[5], "vard", .completed, "2018-05-01"),  // first + 90 = 2018-05-30
            S.event(p[6], "vard", .completed, "2018-06-01"),
        ]
        let statuses = [
            S.status(p[0], .work, "2018-08-30"),  // on the day: yes
            S.status(p[1], .studies, "2018-07-01"), S.status(p[1], .none, "2018-08-01"),  // none again by then: no
            S.status(p[2], .subsidizedWork, "2019-03-31"),  // yes
            S.status(p[3], .work, "2019-01-01"),
            S.status(p[4], .work, "2018-08-31"),  // a day too late: no
            S.status(p[5], .work, "2018-05-30"), S.status(p[5], .none, "2018-07-01"),  // yes on 05-30 (not on 07-30)
            S.status(p[6], .studies, "2018-01-01"),  // held since before: yes
        ]
        let r = S.report(p.map { S.person($0) }, events: events, statuses: statuses)
        #expect(S.track(r, "vard").outcome == Ratio(4, of: 6))  // p0, p2, p5, p6 of p0, p1, p2, p4, p5, p6
        // A day earlier, p2's follow-up date is after asOf: not yet measured.
        let earlier = S.report(asOf: "2019-03-30", [S.person(p[2])], events: [events[2]], statuses: [statuses[3]])
        #expect(S.track(earlier, "vard").outcome == Ratio(0, of: 0))
        #expect(S.track(earlier, "vard").outcome.share == nil)
    }

    // MARK: Gender goal

    @Test func genderGoalIsTheShareOfCompletersOfTheGoalsSex() {
        // vård: 40 % men. Two completers, one man → 0.5 ≥ 0.4, met.
        let events = [F.event(F.amina, "vard", .completed, "2018-06-01"), F.event(F.ali, "vard", .completed, "2018-06-01")]
        let r = F.report([F.person(F.amina), F.person(F.ali)], events: events)
        let goal = r.tracks[0].genderGoal!
        #expect(goal.ratio == Ratio(1, of: 2))
        #expect(goal.met == true)
        // barn: 20 % men, nobody completed → share and met are null.
        #expect(r.tracks[1].genderGoal?.ratio.share == nil)
        #expect(r.tracks[1].genderGoal?.met == nil)
        // unga has no gender goal.
        #expect(r.tracks[3].genderGoal == nil)
        // bygg: at least 12 % women; one man completing → 0 < 0.12, not met.
        let bygg = F.report([F.person(F.ali)], events: [F.event(F.ali, "bygg", .completed, "2018-06-01")])
        #expect(bygg.tracks[2].genderGoal?.met == false)
    }

    @Test func genderGoalIsTheShareOfTheGoalsSexAmongThoseWhoCompleted() throws {
        let p = S.people(8)
        let sexes: [Sex] = [.male, .male, .female, .female, .female, .male, .male, .female]
        let people = zip(p, sexes).map { S.person($0, sex: $1) }
        // vard (≥ 40 % men): p0..p4 complete in 2018 (2 men of 5 → 0.4, met: ≥, not >);
        // p5 completed in 2017 and p6 after asOf: not counted.
        var events = (0..<5).map { S.event(p[$0], "vard", .completed, "2018-0\($0 + 1)-15") }
        events += [
            S.event(p[0], "vard", .completed, "2018-11-15"),  // twice: still one
            S.event(p[5], "vard", .completed, "2017-06-01"), S.event(p[6], "vard", .completed, "2019-05-01"),
        ]
        // bygg (≥ 50 % women): p0 (man) and p7 (woman) → 0.5, met.
        events += [S.event(p[0], "bygg", .completed, "2018-06-01"), S.event(p[7], "bygg", .completed, "2018-06-01")]
        let r = S.report(people, events: events)
        let vard = try #require(S.track(r, "vard").genderGoal)
        #expect(vard.sex == .male)
        #expect(vard.target == 0.4)
        #expect(vard.ratio == Ratio(2, of: 5))
        #expect(vard.met == true)
        let bygg = try #require(S.track(r, "bygg").genderGoal)
        #expect(bygg.ratio == Ratio(1, of: 2))
        #expect(bygg.met == true)
        #expect(S.track(r, "studie").genderGoal == nil)
        // One man of four completers: 1/4 < 0.4, not met.
        let fewer = S.report(
            people, events: (2..<5).map { S.event(p[$0], "vard", .completed, "2018-05-01") } + [S.event(p[0], "vard", .completed, "2018-05-01")])
        #expect(S.track(fewer, "vard").genderGoal?.ratio == Ratio(1, of: 4))
        #expect(S.track(fewer, "vard").genderGoal?.met == false)
        // Nobody completed: share and met are null.
        let none = S.report(people, events: [S.event(p[0], "vard", .started, "2018-05-01")])
        #expect(S.track(none, "vard").genderGoal?.ratio.share == nil)
        #expect(S.track(none, "vard").genderGoal?.met == nil)
    }

    /// SPEC §3: the gender goal counts "those who completed T in Y" and the outcome share
    /// "those who completed T in Y" from "their first completion of T in Y". A completion
    /// that follows an earlier ending of the same track is still a completion in Y.
    @Test func aCompletionAfterAnEarlierEndingStillCountsForGenderGoalAndOutcome() {
        let p = S.people(2)
        let man = S.person(p[0], sex: .male)
        let events = [
            S.event(p[0], "vard", .discontinued, "2018-02-01"),
            S.event(p[0], "vard", .completed, "2018-04-01"),  // + 90 = 2018-06-30
        ]
        let r = S.report([man], events: events, statuses: [S.status(p[0], .work, "2018-06-01")])
        let vard = S.track(r, "vard")
        #expect(vard.count(.completed) == 1)
        #expect(vard.completion == Ratio(0, of: 1))  // the first ending was a discontinuation
        #expect(vard.genderGoal?.ratio == Ratio(1, of: 1))
        #expect(vard.outcome == Ratio(1, of: 1))
        // Completed in 2017 and again in 2018: completed T in 2018, first completion in 2018 on 2018-04-01.
        let again = S.report(
            [man], events: [S.event(p[0], "vard", .completed, "2017-05-01"), S.event(p[0], "vard", .completed, "2018-04-01")],
            statuses: [S.status(p[0], .work, "2018-06-01")])
        #expect(S.track(again, "vard").genderGoal?.ratio == Ratio(1, of: 1))
        #expect(S.track(again, "vard").outcome == Ratio(1, of: 1))
    }

    // MARK: Establishment and Kaplan–Meier

    @Test func establishmentCountsFromThePermitDate() {
        let people = [
            F.person(F.amina, permit: "2016-03-01"),  // work already on the permit date: time 0
            F.person(F.ali, permit: "2016-03-01"),  // work 2018-02-28: 729 days (2016 is a leap year)
            F.person(F.omar, permit: "2016-03-01"),  // studies 2018-03-02: 731 days
            F.person(F.sara, permit: "2017-06-01"),  // not measurable: 2017-06-01 + 730 > asOf
        ]
        let statuses = [
            F.status(F.amina, .work, "2015-12-01"),
            F.status(F.ali, .none, "2016-03-01"), F.status(F.ali, .work, "2018-02-28"),
            F.status(F.omar, .studies, "2018-03-02"),
            F.status(F.sara, .work, "2018-01-01"),
        ]
        let r = F.report(asOf: "2019-03-31", people, statuses: statuses)
        #expect(r.participants.targetGroupA == 4)
        #expect(r.establishment.population == 4)
        #expect(r.establishment.measurable == 3)
        #expect(r.establishment.establishedWithinGoal == 2)
        #expect(r.establishment.within.share == 2.0 / 3.0)
        // Everyone established: times 0, 214, 729, 731 → S drops by 1/4 at each; S(730) = 1/4.
        #expect(abs(r.establishment.kmShareWithinGoal! - 0.75) < 1e-12)
        #expect(r.establishment.kmMedianDays == 214)  // 2017-06-01 → 2018-01-01
    }

    @Test func establishmentFromThePermitDateWithKaplanMeier() {
        let p = S.people(10)
        let people = [
            S.person(p[0], permit: "2016-03-01"),  // work held on the permit date: 0 days
            S.person(p[1], permit: "2016-03-01"),  // work 2018-02-28: 729 days
            S.person(p[2], permit: "2016-03-01"),  // studies 2018-03-02: 731 days
            S.person(p[3], permit: "2017-06-01"),  // work 2018-01-01: 214 days; not measurable (2019-06-01 > asOf)
            S.person(p[4], permit: "2016-03-01", exited: "2018-06-01"),  // never: censored at 822
            S.person(p[5], permit: "2016-03-01"),  // work, none before the permit; work 2016-09-01: 184 days
            S.person(p[6], permit: "2017-01-01"),  // work only after asOf: censored at 819
            S.person(p[7], permit: "2014-01-01"),  // not in group A in 2018
            S.person(p[8], in: S.eskilstuna, permit: "2016-03-01"),  // not in the population
            S.person(p[9], permit: "2017-03-01", exited: "2019-06-01"),  // exit after asOf: censored at asOf, 760
        ]
        let statuses = [
            S.status(p[0], .work, "2015-12-01"),
            S.status(p[1], .none, "2016-03-01"), S.status(p[1], .work, "2018-02-28"),
            S.status(p[2], .studies, "2018-03-02"),
            S.status(p[3], .work, "2018-01-01"),
            S.status(p[5], .work, "2016-02-01"), S.status(p[5], .none, "2016-02-15"), S.status(p[5], .work, "2016-09-01"),
            S.status(p[6], .work, "2019-04-01"),
            S.status(p[7], .work, "2014-06-01"),
            S.status(p[8], .work, "2016-03-01"),
        ]
        let r = S.report(people, statuses: statuses)
        #expect(r.participants.active == 9)
        #expect(r.participants.targetGroupA == 8)
        let e = r.establishment
        #expect(e.population == 8)
        #expect(e.measurable == 7)  // all but p3
        #expect(e.establishedWithinGoal == 3)  // p0 (0), p1 (729), p5 (184)
        #expect(e.within == Ratio(3, of: 7))
        // Events 0, 184, 214, 729, 731; censored 760, 819, 822. At risk 8, 7, 6, 5, 4:
        // S = 7/8, 6/8, 5/8, 4/8, 3/8. 1 − S(730) = 1/2; median: S(729) = 1/2 ≤ 0.5.
        #expect(e.kaplanMeier.steps.map(\.time) == [0, 184, 214, 729, 731])
        let expected = [7.0 / 8, 6.0 / 8, 5.0 / 8, 4.0 / 8, 3.0 / 8]
        for (step, s) in zip(e.kaplanMeier.steps, expected) { #expect(abs(step.survival - s) < 1e-12) }
        #expect(abs(e.kmShareWithinGoal! - 0.5) < 1e-12)
        #expect(e.kmMedianDays == 729)
    }

    @Test func statusesAfterAsOfDoNotEstablish() {
        let r = F.report(asOf: "2018-06-30", [F.person(F.amina, permit: "2016-03-01")], statuses: [F.status(F.amina, .work, "2018-07-01")])
        #expect(r.establishment.population == 1)
        #expect(r.establishment.kmShareWithinGoal == 0)
        #expect(r.establishment.kmMedianDays == nil)
    }

    @Test func aStatusChangeOnThePermitDateCountsFromThePermitDate() {
        let p = S.people(2)
        let r = S.report(
            [S.person(p[0], permit: "2016-05-01"), S.person(p[1], permit: "2016-05-01")],
            statuses: [S.status(p[0], .subsidizedWork, "2016-05-01"), S.status(p[1], .none, "2016-04-01"), S.status(p[1], .studies, "2016-05-02")])
        #expect(r.establishment.kaplanMeier.steps.map(\.time) == [0, 1])
        #expect(r.establishment.establishedWithinGoal == 2)
        #expect(r.establishment.kmMedianDays == 0)  // S(0) = 1/2
    }

    @Test func atEqualTimesEventsComeBeforeCensorings() {
        // Permit 2017-01-01 for all: p0 works from 2018-02-05 (400 days), p1 from 2018-05-16 (500),
        // p2 exits 2018-05-16 (censored at 500), p3 never (censored at asOf, 819).
        // S(400) = 3/4; at 500 p2 is still at risk: 3 at risk, S = 3/4 · 2/3 = 1/2 (not 3/4 · 1/2 = 3/8).
        let p = S.people(4)
        let people = [
            S.person(p[0]), S.person(p[1]), S.person(p[2], exited: "2018-05-16"), S.person(p[3]),
        ]
        let statuses = [S.status(p[0], .work, "2018-02-05"), S.status(p[1], .work, "2018-05-16")]
        let e = S.report(people, statuses: statuses).establishment
        #expect(e.population == 4)
        #expect(e.measurable == 4)  // 2017-01-01 + 730 = 2019-01-01 ≤ asOf
        #expect(e.establishedWithinGoal == 2)
        #expect(e.kaplanMeier.steps.map(\.time) == [400, 500])
        #expect(abs(e.kaplanMeier.survival(at: 499) - 0.75) < 1e-12)
        #expect(abs(e.kmShareWithinGoal! - 0.5) < 1e-12)
        #expect(e.kmMedianDays == 500)
    }

    @Test func shareWithinGoalIsNullWithoutMeasurablePeople() {
        let r = F.report([])
        #expect(r.participants.active == 0)
        #expect(r.recruitment.share == nil)
        #expect(r.establishment.within.share == nil)
        #expect(r.establishment.kmShareWithinGoal == nil)
    }

    @Test func noMedianWhenSurvivalNeverFallsToOneHalf() {
        // One of three established (400 days), two censored at asOf (819): S = 2/3 throughout.
        let p = S.people(3)
        let e = S.report(p.map { S.person($0) }, statuses: [S.status(p[0], .work, "2018-02-05")]).establishment
        #expect(e.kmMedianDays == nil)
        #expect(abs(e.kmShareWithinGoal! - 1.0 / 3.0) < 1e-12)
        #expect(e.within == Ratio(1, of: 3))
        // No population: everything null.
        let empty = S.report([]).establishment
        #expect(empty.population == 0)
        #expect(empty.within.share == nil)
        #expect(empty.kmShareWithinGoal == nil)
        #expect(empty.kmMedianDays == nil)
    }

    /// SPEC §3: "kmMedianDays = the smallest t with S(t) ≤ 0.5". With 24 people established
    /// one a day, S after the 12th event is exactly 12/24 = 1/2, so the median is the 12th time.
    @Test func theMedianIsFoundWhenSurvivalIsExactlyOneHalf() {
        let p = S.people(24)
        // Permit 2017-01-01; person i works from 2018-01-01 + i days → time 365 + i (i = 1…24).
        let statuses = (0..<24).map { i in StatusFact(person: p[i], status: .work, date: S.day("2018-01-01").adding(days: i + 1)) }
        let e = S.report(p.map { S.person($0) }, statuses: statuses).establishment
        #expect(e.population == 24)
        #expect(e.kmShareWithinGoal == 1)
        #expect(e.kmMedianDays == 377)  // the 12th event: 365 + 12
        let km = KaplanMeier(observations: (1...24).map { .init(time: $0, isEvent: true) })
        #expect(km.median == 12)
    }

    @Test func censoringIsAtExitOrAsOfWhicheverComesFirst() {
        // Permit 2016-03-01. p0 exits 2018-03-01 (730) unestablished, p1 works from 2018-04-01 (761).
        let p = S.people(2)
        let e = S.report(
            [S.person(p[0], permit: "2016-03-01", exited: "2018-03-01"), S.person(p[1], permit: "2016-03-01")],
            statuses: [S.status(p[1], .work, "2018-04-01")]
        ).establishment
        #expect(e.kaplanMeier.steps.map(\.time) == [761])
        #expect(e.kaplanMeier.steps.first?.survival == 0)  // 1 at risk at 761
        #expect(e.kmShareWithinGoal == 0)
        #expect(e.kmMedianDays == 761)
        #expect(e.measurable == 2)
        #expect(e.establishedWithinGoal == 0)
    }
}
