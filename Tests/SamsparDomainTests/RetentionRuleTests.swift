import SamsparDomain
import Testing

/// SPEC §2 *Retention*: a registration is due on 1 January of Y + period + 1, Y the year of
/// the latest of its dates; an open activity and a future date count as today. Every date
/// below is worked out by hand.
@Suite("Retention: when a registration is due")
struct RetentionRuleTests {
    static func day(_ text: String) -> Day { try! Day(iso: text) }

    /// (registered, exited, latest record, open activity, period, today, due?)
    @Test(
        arguments: [
            // The last day before and the day of: latest 2018-10-15, 5 years → due 2024-01-01.
            ("2017-01-10", nil, "2018-10-15", false, 5, "2023-12-31", false),
            ("2017-01-10", nil, "2018-10-15", false, 5, "2024-01-01", true),
            // The exit decides when it is the latest: 2018-06-30, 7 years → 2026-01-01.
            ("2016-06-01", "2018-06-30", "2015-01-31", false, 7, "2025-12-31", false),
            ("2016-06-01", "2018-06-30", "2015-01-31", false, 7, "2026-01-01", true),
            // A record after the exit decides: 2021-03-01, 5 years → 2027-01-01.
            ("2016-06-01", "2019-12-31", "2021-03-01", false, 5, "2026-12-31", false),
            ("2016-06-01", "2019-12-31", "2021-03-01", false, 5, "2027-01-01", true),
            // Only the registration date: 31 December 2010, 1 year → 2012-01-01 (not 2011-12-31 + 1 year).
            ("2010-12-31", nil, nil, false, 1, "2011-12-31", false),
            ("2010-12-31", nil, nil, false, 1, "2012-01-01", true),
            // An open activity counts as today: never due while it is open.
            ("2010-01-01", "2011-01-01", "2011-01-01", true, 1, "2040-06-01", false),
            // A future date counts as today: not due, however long ago the rest was.
            ("2010-01-01", nil, "2041-01-01", false, 1, "2040-06-01", false),
        ] as [(String, String?, String?, Bool, Int, String, Bool)])
    func due(registered: String, exited: String?, latestRecord: String?, open: Bool, years: Int, today: String, due: Bool) {
        let dates = Retention.Dates(
            registeredOn: Self.day(registered), exitedOn: exited.map(Self.day), latestRecord: latestRecord.map(Self.day), openActivity: open)
        #expect(Retention.isDue(dates, years: years, today: Self.day(today)) == due)
    }

    @Test func theDueDateIsTheFirstOfJanuary() {
        #expect(Retention.dueDate(latest: Self.day("2018-10-15"), years: 5) == Self.day("2024-01-01"))
        #expect(Retention.dueDate(latest: Self.day("2018-01-01"), years: 1) == Self.day("2020-01-01"))
    }

    @Test func theLatestDateCountsAnOpenActivityAndAFutureDateAsToday() {
        let today = Self.day("2026-12-05")
        #expect(Retention.latest(.init(registeredOn: Self.day("2019-01-01"), openActivity: true), today: today) == today)
        #expect(Retention.latest(.init(registeredOn: Self.day("2027-01-01")), today: today) == today)
        #expect(Retention.latest(.init(registeredOn: Self.day("2019-01-01"), exitedOn: Self.day("2020-02-02")), today: today) == Self.day("2020-02-02"))
    }
}
