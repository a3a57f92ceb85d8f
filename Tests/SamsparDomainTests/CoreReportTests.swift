import Foundation
import Testing

@testable import SamsparDomain

/// Hand-computed cases for every rule of SPEC §3.
enum Fixture {
    static let agreement: Agreement = {
        let url = sharedData.deletingLastPathComponent().appendingPathComponent("examples/agreement.json")
        return try! Agreement.parse(json: try! Data(contentsOf: url))
    }()

    static func day(_ text: String) -> Day { try! Day(iso: text) }

    /// Test numbers: female born 1990-01-01, male born 1990-09-13, male 1991-05-15, female 2000-01-01.
    static let amina = try! Personnummer("199001012385", currentYear: 2026)
    static let ali = try! Personnummer("199009132391", currentYear: 2026)
    static let omar = try! Personnummer("199105152392", currentYear: 2026)
    static let sara = try! Personnummer("200001012384", currentYear: 2026)
    static let haninge = try! Kommunkod("0136")
    static let eskilstuna = try! Kommunkod("0484")

    static func person(
        _ p: Personnummer, municipality: Kommunkod = haninge, permit: String = "2016-03-01", registered: String = "2017-01-10",
        exited: String? = nil, upperSecondary: Bool = false, sex: Sex? = nil
    ) -> ParticipantFacts {
        ParticipantFacts(
            person: p, sex: sex, municipality: municipality, firstPermitDate: day(permit), registeredOn: day(registered),
            exitedOn: exited.map(day), upperSecondaryCompleted: upperSecondary)
    }

    static func event(_ p: Personnummer, _ track: String, _ kind: TrackEventKind, _ date: String) -> TrackEventFact {
        TrackEventFact(person: p, track: agreement.tracks.firstIndex { $0.code == track }!, kind: kind, date: day(date))
    }

    static func status(_ p: Personnummer, _ s: Outcome, _ date: String) -> StatusFact {
        StatusFact(person: p, status: s, date: day(date))
    }

    static func report(
        year: Int = 2018, asOf: String = "2019-03-31", _ participants: [ParticipantFacts], events: [TrackEventFact] = [],
        statuses: [StatusFact] = []
    ) -> Report {
        Report.compute(
            for: agreement, year: year, asOf: day(asOf), input: ReportInput(participants: participants, events: events, statuses: statuses))
    }
}

@Suite("Figures of SPEC §3")
struct CoreReportTests {
    typealias F = Fixture

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

    @Test func explicitSexWinsAndOtherMunicipalitiesAreNotInThePopulation() {
        let r = F.report([F.person(F.amina, sex: .male), F.person(F.ali, municipality: F.eskilstuna)])
        #expect(r.participants.active == 1)
        #expect(r.participants.male == 1)
        #expect(r.municipalities.first { $0.code == F.haninge }?.active == 1)
    }

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

    @Test func recruitmentCountsVocationalTracksOnly() {
        let r = F.report([F.person(F.sara)], events: [F.event(F.sara, "unga", .attended, "2018-03-01")])
        #expect(r.recruitment == Ratio(0, of: 1))
        #expect(r.tracks[3].count(.attended) == 1)
    }

    @Test func acceptanceIsOnOrAfterTheFirstAttendanceInTheYear() {
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

    @Test func statusesAfterAsOfDoNotEstablish() {
        let r = F.report(asOf: "2018-06-30", [F.person(F.amina, permit: "2016-03-01")], statuses: [F.status(F.amina, .work, "2018-07-01")])
        #expect(r.establishment.population == 1)
        #expect(r.establishment.kmShareWithinGoal == 0)
        #expect(r.establishment.kmMedianDays == nil)
    }

    @Test func shareWithinGoalIsNullWithoutMeasurablePeople() {
        let r = F.report([])
        #expect(r.participants.active == 0)
        #expect(r.recruitment.share == nil)
        #expect(r.establishment.within.share == nil)
        #expect(r.establishment.kmShareWithinGoal == nil)
    }
}

@Suite("Kaplan–Meier")
struct CoreKaplanMeierTests {
    @Test func eventsComeBeforeCensoringsAtEqualTimes() {
        // Times: 100 event, 200 event, 200 censored, 300 event, 400 censored.
        // At 100: 5 at risk, S = 4/5. At 200: 4 at risk (the one censored at 200 still is), S = 4/5 · 3/4 = 3/5.
        // At 300: 2 at risk, S = 3/5 · 1/2 = 3/10.
        let km = KaplanMeier(observations: [
            .init(time: 200, isEvent: false), .init(time: 100, isEvent: true), .init(time: 200, isEvent: true),
            .init(time: 400, isEvent: false), .init(time: 300, isEvent: true),
        ])
        #expect(km.survival(at: 99) == 1)
        #expect(abs(km.survival(at: 100) - 0.8) < 1e-12)
        #expect(abs(km.survival(at: 250) - 0.6) < 1e-12)
        #expect(abs(km.survival(at: 730) - 0.3) < 1e-12)
        #expect(km.median == 300)
    }

    @Test func withoutEnoughEventsThereIsNoMedian() {
        let km = KaplanMeier(observations: [.init(time: 10, isEvent: true), .init(time: 20, isEvent: false), .init(time: 30, isEvent: false)])
        #expect(abs(km.survival(at: 730) - 2.0 / 3.0) < 1e-12)
        #expect(km.median == nil)
    }

    @Test func censoredAtExitOrAsOf() {
        // Exited 2018-03-01, never established: censored at 730 days; the other is established at 761.
        let people = [
            Fixture.person(Fixture.amina, permit: "2016-03-01", registered: "2016-04-01", exited: "2018-03-01"),
            Fixture.person(Fixture.ali, permit: "2016-03-01", registered: "2016-04-01"),
        ]
        let r = Fixture.report(asOf: "2019-03-31", people, statuses: [Fixture.status(Fixture.ali, .work, "2018-04-01")])
        // Amina censored at 730 (2018-03-01), Ali established at 761: S(730) = 1.
        #expect(r.establishment.kmShareWithinGoal == 0)
        #expect(r.establishment.kaplanMeier.steps.map(\.time) == [761])
        #expect(r.establishment.kmMedianDays == 761)
    }
}

@Suite("Rules decided where SPEC is silent")
struct CoreDecidedRuleTests {
    typealias F = Fixture

    /// `completed` and `discontinued` on the same first-ending date count as completed (README).
    @Test func aCompletionAndADiscontinuationOnTheSameFirstEndingDayCountAsCompleted() {
        let forward = [F.event(F.amina, "barn", .discontinued, "2018-06-01"), F.event(F.amina, "barn", .completed, "2018-06-01")]
        for events in [forward, Array(forward.reversed())] {
            let r = F.report([F.person(F.amina)], events: events)
            #expect(r.tracks[1].completion == Ratio(1, of: 1))
            #expect(r.tracks[1].count(.completed) == 1)
            #expect(r.tracks[1].count(.discontinued) == 1)
        }
    }

    /// An exit before the permit date censors Kaplan–Meier at 0, never at a negative time.
    @Test func anExitBeforeThePermitCensorsAtZero() {
        let r = F.report([F.person(F.amina, permit: "2018-03-01", registered: "2017-06-01", exited: "2018-01-15")])
        #expect(r.establishment.population == 1)
        #expect(r.establishment.kmShareWithinGoal == 0)
        #expect(r.establishment.kaplanMeier.steps.isEmpty)
    }
}
