import Testing

@testable import SamsparDomain

@Suite("Rules decided where SPEC is silent")
struct DecidedRuleTests {
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
