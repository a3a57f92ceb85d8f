/// "Att göra": why a participant needs a caseworker's attention today (issue 8). Pure rules
/// over what the caseworker may see of the person: the caller hands in only visible records.
///
/// Decisions where the issue is silent, written down here:
/// - Nobody who has exited (on or before today) needs attention: every rule asks "not exited".
/// - "The two-year goal is near" holds from first permit + 21 months up to and including the
///   goal day (first permit + 730 days, SPEC §3). After that the goal is missed, not near, and
///   the person is no longer listed for it. "Established" is the status in force today.
/// - "Target group A ends within 90 days": the group's end (first permit + the agreement's
///   months, 36 by default) falls from today through today + 90.
/// - "No activity in the last 30 days": no activity whose period touches today − 29 … today,
///   for someone registered at least 30 days ago (a person registered last week is not late).
/// - "Completed a track ≥ 90 days ago with no status since": the latest completion is 90 days
///   old or more and no status is dated on or after it.
/// - "Consent ends within 30 days": a consent valid today whose last day falls from today
///   through today + 30.
/// - "No track event": registered 60 days ago or more and no event in any track.
public enum Attention {
    public enum Reason: String, Sendable, CaseIterable, Equatable {
        case twoYearGoalNear = "two-year-goal"
        case targetGroupAEnding = "target-group-a"
        case noRecentActivity = "no-activity"
        case noStatusAfterCompletion = "no-status-after-completion"
        case consentEnding = "consent-ending"
        case noTrackEvent = "no-track-event"
    }

    /// One reason, with the day it is about (the goal day, the group's end, the consent's
    /// last day, the completion, the registration): what a caseworker needs to act on it.
    public struct Item: Sendable, Equatable {
        public var reason: Reason
        public var day: Day

        public init(_ reason: Reason, _ day: Day) {
            self.reason = reason
            self.day = day
        }
    }

    /// What the rules read of one person, as the caseworker may see them.
    public struct Input: Sendable {
        public var firstPermitDate: Day
        public var registeredOn: Day
        public var exitedOn: Day?
        public var eventDays: [(kind: TrackEventKind, date: Day)]
        public var statuses: [(status: Outcome, date: Day)]
        public var activities: [(start: Day, end: Day?)]
        public var consents: [Consent]

        public init(
            firstPermitDate: Day, registeredOn: Day, exitedOn: Day? = nil, eventDays: [(kind: TrackEventKind, date: Day)] = [],
            statuses: [(status: Outcome, date: Day)] = [], activities: [(start: Day, end: Day?)] = [], consents: [Consent] = []
        ) {
            self.firstPermitDate = firstPermitDate
            self.registeredOn = registeredOn
            self.exitedOn = exitedOn
            self.eventDays = eventDays
            self.statuses = statuses
            self.activities = activities
            self.consents = consents
        }
    }

    /// The reasons, in the order of ``Reason/allCases``. `targetGroupAMonths` and `goalDays`
    /// come from the agreement (SPEC §3 defaults: 36 months, 730 days).
    public static func reasons(_ p: Input, today: Day, targetGroupAMonths: Int = 36, goalDays: Int = 730) -> [Item] {
        if let exited = p.exitedOn, exited <= today { return [] }
        var items: [Item] = []

        let current = p.statuses.filter { $0.date <= today }.max { $0.date < $1.date }?.status ?? .none
        let goalDay = p.firstPermitDate.adding(days: goalDays)
        if p.firstPermitDate.adding(months: 21) <= today, today <= goalDay, !current.isEstablished {
            items.append(Item(.twoYearGoalNear, goalDay))
        }

        let groupEnd = p.firstPermitDate.adding(months: targetGroupAMonths)
        if today <= groupEnd, groupEnd - today <= 90 {
            items.append(Item(.targetGroupAEnding, groupEnd))
        }

        let windowStart = today.adding(days: -29)
        let recent = p.activities.contains { $0.start <= today && ($0.end.map { $0 >= windowStart } ?? true) }
        if today - p.registeredOn >= 30, !recent {
            items.append(Item(.noRecentActivity, p.registeredOn))
        }

        if let completed = p.eventDays.filter({ $0.kind == .completed && $0.date <= today }).map(\.date).max(), today - completed >= 90,
            !p.statuses.contains(where: { $0.date >= completed })
        {
            items.append(Item(.noStatusAfterCompletion, completed))
        }

        let ending = p.consents.compactMap { c -> Day? in
            guard c.isValid(on: today), let last = c.validUntil, last - today <= 30 else { return nil }
            return last
        }.min()
        if let ending { items.append(Item(.consentEnding, ending)) }

        if today - p.registeredOn >= 60, p.eventDays.isEmpty {
            items.append(Item(.noTrackEvent, p.registeredOn))
        }
        return items
    }
}
