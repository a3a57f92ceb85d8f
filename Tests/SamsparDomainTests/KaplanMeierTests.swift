import Testing

@testable import SamsparDomain

@Suite("Kaplan–Meier")
struct KaplanMeierTests {
    @Test func handComputedCurveWithTies() {
        // Times: 2 events at 10, 1 censored at 10, 1 event at 20, 1 censored at 25, 1 event at 30.
        // At 10: 6 at risk, 2 events → 4/6. At 20: 3 at risk → 4/6 · 2/3 = 4/9. At 30: 1 at risk → 0.
        let km = KaplanMeier(observations: [
            .init(time: 10, isEvent: true), .init(time: 10, isEvent: false), .init(time: 10, isEvent: true),
            .init(time: 20, isEvent: true), .init(time: 25, isEvent: false), .init(time: 30, isEvent: true),
        ])
        #expect(km.survival(at: 9) == 1)
        #expect(abs(km.survival(at: 10) - 4.0 / 6) < 1e-12)
        #expect(abs(km.survival(at: 19) - 4.0 / 6) < 1e-12)
        #expect(abs(km.survival(at: 20) - 4.0 / 9) < 1e-12)
        #expect(abs(km.survival(at: 29) - 4.0 / 9) < 1e-12)
        #expect(km.survival(at: 30) == 0)
        #expect(km.median == 20)
        #expect(km.count == 6)
    }

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

    @Test func onlyCensoringsNeverFall() {
        let km = KaplanMeier(observations: [.init(time: 5, isEvent: false), .init(time: 800, isEvent: false)])
        #expect(km.survival(at: 730) == 1)
        #expect(km.median == nil)
        #expect(!km.isEmpty)
        #expect(KaplanMeier(observations: []).isEmpty)
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
