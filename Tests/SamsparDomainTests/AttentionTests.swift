import Testing

@testable import SamsparDomain

/// "Att göra" (issue 8): each rule on its boundary days, with the days counted by hand.
@Suite("Att göra: why a participant needs attention")
struct AttentionTests {
    func d(_ text: String) -> Day { try! Day(iso: text) }

    /// A person who needs nothing on the days used below, unless a test gives them a reason:
    /// a recent permit, registered recently, an ongoing activity, a track event.
    func person(
        permit: String = "2025-08-01", registered: String = "2025-09-01", exited: String? = nil,
        events: [(TrackEventKind, String)] = [(.invited, "2025-09-02")],
        statuses: [(Outcome, String)] = [], activities: [(String, String?)] = [("2025-09-01", nil)], consents: [Consent] = []
    ) -> Attention.Input {
        Attention.Input(
            firstPermitDate: d(permit), registeredOn: d(registered), exitedOn: exited.map(d),
            eventDays: events.map { ($0.0, d($0.1)) }, statuses: statuses.map { ($0.0, d($0.1)) },
            activities: activities.map { (d($0.0), $0.1.map(d)) }, consents: consents)
    }

    func reasons(_ p: Attention.Input, _ today: String) -> [Attention.Item] {
        Attention.reasons(p, today: d(today))
    }

    @Test func nothingForAnOrdinaryPerson() {
        #expect(reasons(person(), "2025-10-15") == [])
    }

    /// Permit 2024-01-10: +21 months is 2025-10-10; the goal day is +730 days, 2026-01-09
    /// (2024 is a leap year: 366 + 364).
    @Test func twoYearGoalNearFromTwentyOneMonthsToTheGoalDay() {
        let p = person(permit: "2024-01-10")
        #expect(reasons(p, "2025-10-09") == [])
        #expect(reasons(p, "2025-10-10") == [.init(.twoYearGoalNear, d("2026-01-09"))])
        #expect(reasons(p, "2026-01-09") == [.init(.twoYearGoalNear, d("2026-01-09"))])
        #expect(reasons(p, "2026-01-10") == [])
    }

    @Test func anEstablishedStatusInForceTodayEndsTheTwoYearReason() {
        #expect(reasons(person(permit: "2024-01-10", statuses: [(.work, "2025-09-01")]), "2025-11-01") == [])
        // Work that starts next month is not in force today.
        #expect(reasons(person(permit: "2024-01-10", statuses: [(.work, "2025-12-01")]), "2025-11-01") == [.init(.twoYearGoalNear, d("2026-01-09"))])
        // Work that has ended (a later status of none) is not established either.
        let ended = person(permit: "2024-01-10", statuses: [(.work, "2025-09-01"), (.none, "2025-10-01")])
        #expect(reasons(ended, "2025-11-01") == [.init(.twoYearGoalNear, d("2026-01-09"))])
    }

    /// Permit 2023-03-15: group A ends 2026-03-15. From 2025-12-15 that is 16 + 31 + 28 + 15 = 90 days.
    @Test func targetGroupAEndingWithinNinetyDays() {
        // A status of studies keeps the two-year rule quiet; a registration two years back
        // with an ongoing activity and an event keeps the others quiet.
        let p = person(permit: "2023-03-15", registered: "2024-01-01", statuses: [(.studies, "2024-02-01")], activities: [("2024-01-01", nil)])
        #expect(reasons(p, "2025-12-14") == [])
        #expect(reasons(p, "2025-12-15") == [.init(.targetGroupAEnding, d("2026-03-15"))])
        #expect(reasons(p, "2026-03-15") == [.init(.targetGroupAEnding, d("2026-03-15"))])
        #expect(reasons(p, "2026-03-16") == [])
    }

    @Test func theAgreementDecidesTheMonthsOfTargetGroupA() {
        let p = person(permit: "2023-03-15", registered: "2024-01-01", statuses: [(.studies, "2024-02-01")], activities: [("2024-01-01", nil)])
        // With 24 months the group ended 2025-03-15: nothing in December.
        #expect(Attention.reasons(p, today: d("2025-12-15"), targetGroupAMonths: 24) == [])
    }

    /// Registered 2025-09-01: 2025-10-01 is 30 days later (September has 30 days).
    @Test func noActivityInTheLastThirtyDays() {
        let none = person(activities: [])
        #expect(reasons(none, "2025-09-30") == [])
        #expect(reasons(none, "2025-10-01") == [.init(.noRecentActivity, d("2025-09-01"))])
        // Today − 29 is 2025-09-02: an activity that ended that day still counts, one that
        // ended the day before does not.
        #expect(reasons(person(activities: [("2025-08-20", "2025-09-02")]), "2025-10-01") == [])
        #expect(reasons(person(activities: [("2025-08-20", "2025-09-01")]), "2025-10-01") == [.init(.noRecentActivity, d("2025-09-01"))])
        // An activity that starts tomorrow is not one in the last 30 days.
        #expect(reasons(person(activities: [("2025-10-02", nil)]), "2025-10-01") == [.init(.noRecentActivity, d("2025-09-01"))])
    }

    /// Completed 2025-06-01: 2025-08-30 is 30 + 31 + 29 = 90 days later.
    @Test func completedNinetyDaysAgoWithNoStatusSince() {
        let events: [(TrackEventKind, String)] = [(.started, "2025-03-01"), (.completed, "2025-06-01")]
        let p = person(permit: "2025-01-01", registered: "2025-02-01", events: events, activities: [("2025-02-01", nil)])
        #expect(reasons(p, "2025-08-29") == [])
        #expect(reasons(p, "2025-08-30") == [.init(.noStatusAfterCompletion, d("2025-06-01"))])
        let sameDay = person(
            permit: "2025-01-01", registered: "2025-02-01", events: events, statuses: [(.none, "2025-06-01")], activities: [("2025-02-01", nil)])
        #expect(reasons(sameDay, "2025-08-30") == [])
        let before = person(
            permit: "2025-01-01", registered: "2025-02-01", events: events, statuses: [(.none, "2025-05-31")], activities: [("2025-02-01", nil)])
        #expect(reasons(before, "2025-08-30") == [.init(.noStatusAfterCompletion, d("2025-06-01"))])
    }

    @Test func consentEndingWithinThirtyDays() {
        let haninge = try! Organisationsnummer("212000-0084")
        let af = try! Organisationsnummer("202100-2114")
        let pnr = try! Personnummer("199202132396", currentYear: 2025)
        func consent(until: String?, withdrawn: String? = nil) -> Consent {
            Consent(id: 1, person: pnr, party: af, validFrom: d("2025-09-01"), validUntil: until.map(d), withdrawnOn: withdrawn.map(d), recordedBy: haninge)
        }
        // From 2025-11-01: the 30th is 29 days on, 1 December 30, 2 December 31.
        #expect(reasons(person(consents: [consent(until: "2025-11-30")]), "2025-11-01") == [.init(.consentEnding, d("2025-11-30"))])
        #expect(reasons(person(consents: [consent(until: "2025-12-01")]), "2025-11-01") == [.init(.consentEnding, d("2025-12-01"))])
        #expect(reasons(person(consents: [consent(until: "2025-12-02")]), "2025-11-01") == [])
        #expect(reasons(person(consents: [consent(until: nil)]), "2025-11-01") == [])
        #expect(reasons(person(consents: [consent(until: "2025-11-30", withdrawn: "2025-10-15")]), "2025-11-01") == [])
        // Already over: no longer "ends within".
        #expect(reasons(person(consents: [consent(until: "2025-10-31")]), "2025-11-01") == [])
        // Two consents: the one that ends first.
        let two = person(consents: [consent(until: "2025-11-20"), consent(until: "2025-11-10")])
        #expect(reasons(two, "2025-11-01") == [.init(.consentEnding, d("2025-11-10"))])
    }

    /// Registered 2025-09-01: 2025-10-31 is 30 + 30 = 60 days later.
    @Test func registeredSixtyDaysAgoWithNoTrackEvent() {
        let p = person(events: [], activities: [("2025-09-01", nil)])
        #expect(reasons(p, "2025-10-30") == [])
        #expect(reasons(p, "2025-10-31") == [.init(.noTrackEvent, d("2025-09-01"))])
    }

    @Test func anExitedPersonNeedsNothing() {
        let p = person(permit: "2024-01-10", exited: "2025-11-01", events: [], activities: [])
        #expect(reasons(p, "2025-11-01") == [])
        // Exit planned for tomorrow: still registered today.
        let planned = person(permit: "2024-01-10", exited: "2025-11-02", events: [], activities: [])
        #expect(reasons(planned, "2025-11-01").map(\.reason) == [.twoYearGoalNear, .noRecentActivity, .noTrackEvent])
    }
}
