/// Retention (gallring), SPEC §2 *Personal data over time*: when a registration is due to be
/// removed under its organisation's retention decision (gallringsbeslut).
///
/// A registration is due on 1 January of Y + period + 1, where Y is the year of the latest of
/// its `registered_on`, `exited_on` and its records' dates (track events, status changes,
/// activities' first and last days). An activity without a last day, and any date after today,
/// count as today: a person still in an activity, or with a date not yet reached, is never due.
///
/// Consents are not records: a consent's dates say how long another party may read, not when
/// the person was followed up.
public enum Retention {
    /// The shortest and longest period an operator may set, in years.
    public static let periods = 1...100

    /// What of one registration decides when it is due.
    public struct Dates: Sendable, Equatable {
        public var registeredOn: Day
        public var exitedOn: Day?
        /// The latest date of its records (events, statuses, activities' first and last days).
        public var latestRecord: Day?
        /// Whether one of its activities has no last day.
        public var openActivity: Bool

        public init(registeredOn: Day, exitedOn: Day? = nil, latestRecord: Day? = nil, openActivity: Bool = false) {
            self.registeredOn = registeredOn
            self.exitedOn = exitedOn
            self.latestRecord = latestRecord
            self.openActivity = openActivity
        }
    }

    /// The latest date that counts, as of `today`.
    public static func latest(_ dates: Dates, today: Day) -> Day {
        var latest = [dates.registeredOn, dates.exitedOn, dates.latestRecord].compactMap { $0 }.max()!
        if dates.openActivity && !Mutant.flips("retention.openActivityIsToday") { latest = max(latest, today) }
        // (A date after today cannot make a registration due whichever way it counts, as the
        // period is at least a year; it counts as today so that the plan shows no future.)
        if latest > today { latest = today }
        return latest
    }

    /// 1 January of the year of `latest` + `years` + 1.
    public static func dueDate(latest: Day, years: Int) -> Day {
        Day.firstOfYear(latest.year + years + (Mutant.flips("retention.dueYear") ? 0 : 1))
    }

    /// Whether the registration is due on `today` under a period of `years`.
    public static func isDue(_ dates: Dates, years: Int, today: Day) -> Bool {
        today >= dueDate(latest: latest(dates, today: today), years: years)
    }
}
