import Testing

@testable import SamsparDomain

/// Issue 19, part 1: the demo lives in the day it is made. Its current year has measurable
/// goals, and nothing in it is dated after that day.
@Suite struct DemoTodayTests {
    static let today = Day(year: 2026, month: 12, day: 5)!

    @Test func theCurrentYearHasMeasurableGoals() {
        let input = randomInput(seed: 2018, participants: 2000, today: Self.today)
        let report = Report.compute(for: Fixture.agreement, year: 2026, asOf: Self.today, input: input)
        #expect(report.participants.active > 1000)
        #expect(report.establishment.measurable > 0)
        #expect(report.recruitment.denominator > 0 && report.recruitment.numerator > 0)
        // Every track has people invited this year, and acceptance and completion can be told.
        for track in report.tracks {
            #expect(track.count(.invited) > 0, "\(track.code)")
            #expect(track.acceptance.denominator > 0, "\(track.code)")
        }
        #expect(report.tracks.contains { $0.completion.denominator > 0 && $0.outcome.denominator > 0 })
    }

    @Test func nothingIsDatedAfterToday() {
        let input = randomInput(seed: 7, participants: 500, today: Self.today)
        #expect(input.participants.allSatisfy { $0.registeredOn <= Self.today && ($0.exitedOn.map { $0 <= Self.today } ?? true) })
        #expect(input.events.allSatisfy { $0.date <= Self.today })
        #expect(input.statuses.allSatisfy { $0.date <= Self.today })
        // Three years up to today: registrations from 2023.
        #expect(input.participants.allSatisfy { $0.registeredOn >= Day(year: 2023, month: 1, day: 1)! })
    }

    @Test func theAgreementIsRevisedEachYear() {
        let versions = Caseload.yearlyVersions(of: Fixture.agreement, through: Self.today)
        // The seed's 2018 agreement and one revision for each year 2019–2027: on 5 December
        // 2026 next year's revision was signed on 20 November, ahead of its 30 November due date.
        #expect(versions.count == 10)
        #expect(versions.last?.validFrom == Day(year: 2027, month: 1, day: 1))
        #expect(versions.last?.nextRevision == Day(year: 2027, month: 11, day: 30))
        #expect(versions.last?.signatures.allSatisfy { $0.date == Day(year: 2026, month: 11, day: 20) } == true)
        #expect(versions.allSatisfy { $0.signedByAll })
        // On 19 November 2026 the 2027 revision is not signed yet: 2018 and 2019–2026.
        let before = Caseload.yearlyVersions(of: Fixture.agreement, through: Day(year: 2026, month: 11, day: 19)!)
        #expect(before.count == 9)
        #expect(before.last?.nextRevision == Day(year: 2026, month: 11, day: 30))
    }
}
