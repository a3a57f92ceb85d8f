import Foundation

/// One activity as the follow-up counts it: who, what kind, which days, how many hours a week.
public struct ActivitySpan: Sendable, Equatable {
    public var person: Int64
    public var kind: String
    public var start: Day
    public var end: Day?
    public var hoursPerWeek: Double?
    /// The party that recorded it (whose own figures it is part of, SPEC §3).
    public var party: Int64

    public init(person: Int64, kind: String, start: Day, end: Day?, hoursPerWeek: Double?, party: Int64 = 0) {
        self.person = person
        self.party = party
        self.kind = kind
        self.start = start
        self.end = end
        self.hoursPerWeek = hoursPerWeek
    }
}

/// The annual follow-up a coordinator takes to the parties' boards (issue 9, part 7): the
/// report's figures against every target the agreement sets, the activity volume, and the
/// cost lines planned against spent. Built from a ``Report`` and the agreement in force;
/// nothing here counts people a second way.
public struct FollowUp: Sendable, Equatable {
    public enum SubGoal: String, Sendable, CaseIterable {
        case recruitment, acceptance, completion, outcome
    }

    /// A sub-goal's figure against its target: the agreement's for recruitment, each track's
    /// for the other three.
    public struct Target: Sendable, Equatable {
        public var goal: SubGoal
        /// The track's code and name (nil for recruitment, which is the agreement's).
        public var track: String?
        public var trackName: String?
        public var ratio: Ratio
        public var target: Double
    }

    /// Hours of one activity type in the year, and the distinct people behind them.
    public struct Volume: Sendable, Equatable {
        public var kind: String
        public var people: Int
        public var hours: Double

        public init(kind: String, people: Int, hours: Double) {
            self.kind = kind
            self.people = people
            self.hours = hours
        }
    }

    public var year: Int
    public var overallGoalMet: Bool?
    public var targets: [Target]
    public var activities: [Volume]
    /// The cost lines of the year, in the agreement's order.
    public var costs: [Agreement.CostLine]
    public var totals: Agreement.CostTotals
    /// The parties' names by organisation number, for the document.
    public var partyNames: [String: String]

    public init(report: Report, agreement: Agreement, activities spans: [ActivitySpan]) {
        year = report.year
        overallGoalMet = report.establishment.overallGoalMet
        var targets: [Target] = []
        if let t = agreement.subGoals.recruitment { targets.append(Target(goal: .recruitment, ratio: report.recruitment, target: t)) }
        for track in report.tracks {
            for (goal, ratio, target) in [
                (SubGoal.acceptance, track.acceptance, agreement.subGoals.acceptance), (.completion, track.completion, agreement.subGoals.completion),
                (.outcome, track.outcome, agreement.subGoals.outcome),
            ] {
                if let target { targets.append(Target(goal: goal, track: track.code, trackName: track.name, ratio: ratio, target: target)) }
            }
        }
        self.targets = targets
        activities = FollowUp.volume(spans, year: report.year, asOf: report.asOf)
        costs = agreement.costs.filter { $0.year == report.year }
        totals = agreement.costTotals(year: report.year)
        partyNames = Dictionary(agreement.parties.map { ($0.orgNumber.description, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    /// Hours per activity type in `year`, not after `asOf`: hours a week × the days of the
    /// activity inside the year up to `asOf` (first and last day counted) ÷ 7. An activity
    /// without a last day runs up to `asOf`; one without hours a week adds no hours but its
    /// person is counted. Types in alphabetical order; a type with nobody in the year is left
    /// out.
    public static func volume(_ spans: [ActivitySpan], year: Int, asOf: Day) -> [Volume] {
        let first = Day.firstOfYear(year)
        let last = min(Day.lastOfYear(year), asOf)
        guard first <= last else { return [] }
        // The few kinds by their place in first-seen order, not hashed per span (issue 27: a
        // national close run spent a tenth of its time here); each kind's hours are still
        // summed in the spans' order.
        var kinds: [String] = []
        var hours: [Double] = []
        var people: [Set<Int64>] = []
        // Spans in person order (as the store reads them, and a party's share keeps them): a
        // kind's people are counted by the last one counted, each person's spans being
        // together; in any other order, by a set of them. A set per kind was a third of this
        // function's time in a national close run (issue 27, eleventh step).
        var inPersonOrder = true
        for i in spans.indices.dropFirst() where spans[i - 1].person > spans[i].person {
            inPersonOrder = false
            break
        }
        var counted: [Int] = []
        var lastCounted: [Int64?] = []
        for span in spans {
            let from = max(span.start, first)
            let through = min(span.end ?? asOf, last)
            guard from <= through else { continue }
            let days = Double(through - from + 1)
            let k: Int
            if let found = kinds.firstIndex(of: span.kind) {
                k = found
            } else {
                k = kinds.count
                kinds.append(span.kind)
                hours.append(0)
                people.append([])
                counted.append(0)
                lastCounted.append(nil)
            }
            hours[k] += (span.hoursPerWeek ?? 0) * days / 7
            if inPersonOrder {
                if lastCounted[k] != span.person {
                    counted[k] += 1
                    lastCounted[k] = span.person
                }
            } else {
                people[k].insert(span.person)
            }
        }
        return kinds.indices.sorted { kinds[$0] < kinds[$1] }.map {
            Volume(kind: kinds[$0], people: inPersonOrder ? counted[$0] : people[$0].count, hours: hours[$0])
        }
    }

    /// Met or not: the share against its target; nil while the share is unknown (or hidden).
    public static func met(_ share: Double?, _ target: Double) -> Bool? { share.map { $0 >= target } }
}
