/// A numerator over a denominator; the share is `nil` when the denominator is 0 (SPEC §3).
public struct Ratio: Sendable, Equatable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int = 0, of denominator: Int = 0) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public var share: Double? { denominator == 0 ? nil : Double(numerator) / Double(denominator) }
    public var description: String { "\(numerator)/\(denominator)" }
}

/// The follow-up report of one agreement for one year as of one date: every figure of SPEC §3.
public struct Report: Sendable, Equatable {
    /// A count of the report that stands for a set of people (the dashboard links each to
    /// the participants behind it).
    public enum Figure: Sendable, Hashable {
        case active, targetGroupA, targetGroupB, recruited, population, measurable, establishedWithinGoal
        /// Participants with an event of `kind` in the track at index `track` in Y.
        case event(track: Int, kind: TrackEventKind)
    }

    public struct Participants: Sendable, Equatable {
        public var active = 0
        public var female = 0
        public var male = 0
        public var targetGroupA = 0
        public var targetGroupB = 0
    }

    public struct TrackFigures: Sendable, Equatable {
        public var code: String
        public var name: String
        /// Participants with at least one event of each kind in Y.
        public var counts: [TrackEventKind: Int] = [:]
        public var acceptance = Ratio()
        public var completion = Ratio()
        public var outcome = Ratio()
        /// Completers of the goal's sex over all completers; `nil` when the track has no goal.
        public var genderGoal: GenderGoalFigure?

        public func count(_ kind: TrackEventKind) -> Int { counts[kind, default: 0] }
    }

    public struct GenderGoalFigure: Sendable, Equatable {
        public var sex: Sex
        public var target: Double
        public var ratio: Ratio
        /// `nil` when nobody completed.
        public var met: Bool? { ratio.share.map { $0 >= target } }
    }

    public struct Establishment: Sendable, Equatable {
        public var population = 0
        public var measurable = 0
        public var establishedWithinGoal = 0
        public var goalDays = 730
        public var kaplanMeier = KaplanMeier(observations: [])
        public var within: Ratio { Ratio(establishedWithinGoal, of: measurable) }
        public var kmShareWithinGoal: Double? { kaplanMeier.isEmpty ? nil : 1 - kaplanMeier.survival(at: goalDays) }
        /// Establishments within the goal among the whole population (the events Kaplan–Meier
        /// counts up to the goal): the count that the KM share would reveal under suppression.
        public var kmEstablishedWithinGoal = 0
        public var kmMedianDays: Int? { kaplanMeier.median }

        /// Issue 9, part 7: the overall goal ("korta etableringstiden till två år") is met for
        /// the year when the Kaplan–Meier median is at most the goal's days; not met when the
        /// curve is known past the goal day without reaching one half; otherwise not yet
        /// measurable (`nil`).
        public var overallGoalMet: Bool? {
            if let median = kmMedianDays { return median <= goalDays }
            guard !kaplanMeier.isEmpty, kaplanMeier.longest >= goalDays else { return nil }
            return false
        }
    }

    public var agreement: String
    public var year: Int
    public var asOf: Day
    public var participants = Participants()
    /// Active participants who attended a recruitment meeting of any vocational track in Y.
    public var recruitment = Ratio()
    public var tracks: [TrackFigures] = []
    public var establishment = Establishment()
    /// Active participants per party municipality, in code order (parts of `participants.active`).
    public var municipalities: [(code: Kommunkod, active: Int)] = []

    public static func == (lhs: Report, rhs: Report) -> Bool {
        lhs.agreement == rhs.agreement && lhs.year == rhs.year && lhs.asOf == rhs.asOf
            && lhs.participants == rhs.participants && lhs.recruitment == rhs.recruitment
            && lhs.tracks == rhs.tracks && lhs.establishment == rhs.establishment
            && lhs.municipalities.map(\.code) == rhs.municipalities.map(\.code)
            && lhs.municipalities.map(\.active) == rhs.municipalities.map(\.active)
    }
}

extension Report {
    /// Computes every figure of SPEC §3 for `agreement`, year `year`, as of `asOf`.
    ///
    /// Decisions where SPEC is silent (also in README):
    /// - an exit dated after `asOf` does not exist yet, so it neither ends activity nor censors;
    /// - ages use the same calendar arithmetic as target group A: someone born 29 February
    ///   turns a year older on 28 February in a common year;
    /// - when `completed` and `discontinued` of one track fall on the same first-ending date,
    ///   the ending counts as `completed`;
    /// - a Kaplan–Meier censoring time below 0 (exit before the permit) counts as 0.
    public static func compute(for agreement: Agreement, year: Int, asOf: Day, input: ReportInput) -> Report {
        compute(for: agreement, year: year, asOf: asOf, input: input, collect: nil)
    }

    /// The people a figure counts (the web dashboard's drill-down), found by the same walk
    /// that counts them: one definition per rule.
    public static func members(of figure: Figure, for agreement: Agreement, year: Int, asOf: Day, input: ReportInput) -> [Personnummer] {
        var found: [Personnummer] = []
        _ = compute(for: agreement, year: year, asOf: asOf, input: input) { f, person in
            if f == figure { found.append(person) }
        }
        return found
    }

    /// `collect`, when given, hears every person each figure counts, as it is counted.
    static func compute(
        for agreement: Agreement, year: Int, asOf: Day, input: ReportInput, collect: ((Figure, Personnummer) -> Void)?
    ) -> Report {
        var report = Report(agreement: agreement.id, year: year, asOf: asOf)
        let yearStart = Day.firstOfYear(year)
        let yearEnd = min(Day.lastOfYear(year), asOf)  // "in Y" = [yearStart, yearEnd]
        let trackCount = agreement.tracks.count
        let vocational = agreement.tracks.map { $0.kind == .vocational }
        let municipalities = agreement.municipalities
        // By the municipality's place in the agreement's few, not hashed per person (issue 27:
        // two lookups a person, 1.7% of a national close run).
        var activeByMunicipality = [Int](repeating: 0, count: municipalities.count)
        let groups = agreement.targetGroups
        let goalDays = agreement.maxEstablishmentDays

        report.tracks = agreement.tracks.map { track in
            TrackFigures(
                code: track.code, name: track.name,
                genderGoal: track.genderGoal.map { GenderGoalFigure(sex: $0.sex, target: $0.minShare, ratio: Ratio()) })
        }
        var kindCounts = [[Int]](repeating: [Int](repeating: 0, count: 7), count: trackCount)
        var observations: [KaplanMeier.Observation] = []

        // Per-person scratch state, reset for each participant.
        var kindsInYear = [UInt8](repeating: 0, count: trackCount)
        var firstAttendanceInYear = [Day?](repeating: nil, count: trackCount)
        var lastAcceptance = [Day?](repeating: nil, count: trackCount)
        var firstEnding = [Day?](repeating: nil, count: trackCount)
        var firstEndingCompleted = [Bool](repeating: false, count: trackCount)
        var firstCompletionInYear = [Day?](repeating: nil, count: trackCount)

        // The merge below walks all three lists in person order. Lists already in that order
        // (one municipality's, or a test's) are not sorted again.
        let participants =
            input.participants.isSorted(by: { $0.person <= $1.person })
            ? input.participants : input.participants.sorted { $0.person < $1.person }
        let events = input.events.isSorted(by: { $0.person <= $1.person }) ? input.events : input.events.sorted { $0.person < $1.person }
        let statuses =
            input.statuses.isSorted(by: { ($0.person, $0.date) <= ($1.person, $1.date) })
            ? input.statuses : input.statuses.sorted { ($0.person, $0.date) < ($1.person, $1.date) }
        var e = 0
        var s = 0

        for p in participants {
            while e < events.count && events[e].person < p.person { e += 1 }
            let eventStart = e
            while e < events.count && events[e].person == p.person { e += 1 }
            while s < statuses.count && statuses[s].person < p.person { s += 1 }
            let statusStart = s
            while s < statuses.count && statuses[s].person == p.person { s += 1 }

            guard let place = municipalities.firstIndex(of: p.municipality) else { continue }
            let exit = p.exitedOn.flatMap { $0 <= asOf ? $0 : nil }
            guard p.registeredOn <= min(Day.lastOfYear(year), asOf) else { continue }
            if let exit, exit < yearStart { continue }

            // active(Y)
            report.participants.active += 1
            collect?(.active, p.person)
            activeByMunicipality[place] += 1
            if p.sex == .female { report.participants.female += 1 } else { report.participants.male += 1 }
            let inGroupA = groups.inA(firstPermit: p.firstPermitDate, from: yearStart, through: yearEnd)
            if inGroupA {
                report.participants.targetGroupA += 1
                collect?(.targetGroupA, p.person)
            }
            if groups.inB(birth: p.birthDate, upperSecondaryCompleted: p.upperSecondaryCompleted, from: yearStart, through: yearEnd) {
                report.participants.targetGroupB += 1
                collect?(.targetGroupB, p.person)
            }

            let personStatuses = statuses[statusStart..<s]
            func status(on day: Day) -> Outcome {
                var current = Outcome.none
                for change in personStatuses {
                    if change.date > day { break }
                    current = change.status
                }
                return current
            }

            // Track events.
            if eventStart < e {
                for t in 0..<trackCount {
                    kindsInYear[t] = 0
                    firstAttendanceInYear[t] = nil
                    lastAcceptance[t] = nil
                    firstEnding[t] = nil
                    firstEndingCompleted[t] = false
                    firstCompletionInYear[t] = nil
                }
                for event in events[eventStart..<e] where event.date <= asOf && event.track < trackCount {
                    let t = event.track
                    let inYear = event.date >= yearStart && event.date <= yearEnd
                    if inYear { kindsInYear[t] |= 1 << event.kind.code }
                    switch event.kind {
                    case .attended where inYear:
                        if firstAttendanceInYear[t].map({ event.date < $0 }) ?? true { firstAttendanceInYear[t] = event.date }
                    case .accepted:
                        if lastAcceptance[t].map({ event.date > $0 }) ?? true { lastAcceptance[t] = event.date }
                    case .completed, .discontinued:
                        // No `break` here: it would leave the switch before the completion below
                        // is recorded (an ending before a later completion lost the completion).
                        if let first = firstEnding[t], first == event.date {
                            firstEndingCompleted[t] = firstEndingCompleted[t] || event.kind == .completed
                        } else if firstEnding[t].map({ event.date < $0 }) ?? true {
                            firstEnding[t] = event.date
                            firstEndingCompleted[t] = event.kind == .completed
                        }
                        if event.kind == .completed && inYear,
                            firstCompletionInYear[t].map({ event.date < $0 }) ?? true
                        {
                            firstCompletionInYear[t] = event.date
                        }
                    default:
                        break
                    }
                }
                var recruited = false
                for t in 0..<trackCount where kindsInYear[t] != 0 || firstEnding[t] != nil {
                    for k in 0..<7 where kindsInYear[t] & (1 << k) != 0 {
                        kindCounts[t][k] += 1
                        if let collect, let kind = TrackEventKind(code: UInt8(k)) { collect(.event(track: t, kind: kind), p.person) }
                    }
                    if let attended = firstAttendanceInYear[t] {
                        if vocational[t] { recruited = true }
                        report.tracks[t].acceptance.denominator += 1
                        if let accepted = lastAcceptance[t], accepted >= attended {
                            report.tracks[t].acceptance.numerator += 1
                        }
                    }
                    if let ending = firstEnding[t], ending >= yearStart, ending <= yearEnd {
                        report.tracks[t].completion.denominator += 1
                        if firstEndingCompleted[t] { report.tracks[t].completion.numerator += 1 }
                    }
                    if let completion = firstCompletionInYear[t] {
                        if report.tracks[t].genderGoal != nil {
                            report.tracks[t].genderGoal!.ratio.denominator += 1
                            if p.sex == report.tracks[t].genderGoal!.sex { report.tracks[t].genderGoal!.ratio.numerator += 1 }
                        }
                        let followUp = completion.adding(days: 90)
                        if followUp <= asOf {
                            report.tracks[t].outcome.denominator += 1
                            if status(on: followUp).isEstablished { report.tracks[t].outcome.numerator += 1 }
                        }
                    }
                }
                if recruited {
                    report.recruitment.numerator += 1
                    collect?(.recruited, p.person)
                }
            }

            // Establishment, over the active participants in group A in Y.
            if inGroupA {
                report.establishment.population += 1
                collect?(.population, p.person)
                let permit = p.firstPermitDate
                var established: Day? = status(on: permit).isEstablished ? permit : nil
                if established == nil {
                    for change in personStatuses where change.date > permit && change.date <= asOf && change.status.isEstablished {
                        established = change.date
                        break
                    }
                }
                if permit.adding(days: goalDays) <= asOf {
                    report.establishment.measurable += 1
                    collect?(.measurable, p.person)
                    if let established, established - permit <= goalDays {
                        report.establishment.establishedWithinGoal += 1
                        collect?(.establishedWithinGoal, p.person)
                    }
                }
                if let established {
                    observations.append(.init(time: established - permit, isEvent: true))
                    if established - permit <= goalDays { report.establishment.kmEstablishedWithinGoal += 1 }
                } else {
                    let end = min(exit ?? asOf, asOf)
                    observations.append(.init(time: max(0, end - permit), isEvent: false))
                }
            }
        }

        report.recruitment.denominator = report.participants.active
        for t in 0..<trackCount {
            for kind in TrackEventKind.allCases { report.tracks[t].counts[kind] = kindCounts[t][Int(kind.code)] }
        }
        report.establishment.goalDays = goalDays
        report.establishment.kaplanMeier = KaplanMeier(observations: observations)
        report.municipalities = municipalities.map { ($0, activeByMunicipality[municipalities.firstIndex(of: $0)!]) }
        return report
    }
}

/// The Kaplan–Meier estimate of the survival function S(t) = P(not yet established at t).
/// At equal times, events come before censorings (SPEC §3): someone censored at t is
/// still at risk at t.
public struct KaplanMeier: Sendable, Equatable {
    public struct Observation: Sendable, Equatable {
        public var time: Int
        public var isEvent: Bool
        public init(time: Int, isEvent: Bool) {
            self.time = time
            self.isEvent = isEvent
        }
    }

    /// (event time, S just after it), ascending.
    public private(set) var steps: [(time: Int, survival: Double)] = []
    /// The number of events at each step, in the order of ``steps`` (what a close's
    /// suppressed form asks of a step before it keeps it, SPEC §3).
    public private(set) var eventCounts: [Int] = []
    public private(set) var count: Int
    /// The longest observed time, event or censoring: how far the curve is known.
    public private(set) var longest = 0

    public init(observations: [Observation]) {
        count = observations.count
        longest = observations.map(\.time).max() ?? 0
        let sorted = observations.sorted { ($0.time, $0.isEvent ? 0 : 1) < ($1.time, $1.isEvent ? 0 : 1) }
        var atRisk = sorted.count
        var survival = 1.0
        var i = 0
        while i < sorted.count {
            let time = sorted[i].time
            var events = 0
            var leaving = 0
            while i < sorted.count && sorted[i].time == time {
                if sorted[i].isEvent { events += 1 }
                leaving += 1
                i += 1
            }
            if events > 0 {
                survival *= 1 - Double(events) / Double(atRisk)
                steps.append((time, survival))
                eventCounts.append(events)
            }
            atRisk -= leaving
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// S(t): the product over event times ≤ t.
    public func survival(at t: Int) -> Double {
        var result = 1.0
        for step in steps {
            if step.time > t { break }
            result = step.survival
        }
        return result
    }

    /// The smallest t with S(t) ≤ 0.5, `nil` if none. S is a product of doubles, so "exactly
    /// one half" may come out as 0.5000000000000001: the comparison allows for that rounding.
    public var median: Int? { steps.first { $0.survival <= 0.5 + 1e-9 }?.time }

    public static func == (lhs: KaplanMeier, rhs: KaplanMeier) -> Bool {
        lhs.count == rhs.count && lhs.steps.map(\.time) == rhs.steps.map(\.time)
            && lhs.steps.map(\.survival) == rhs.steps.map(\.survival)
    }
}

extension Sequence {
    func isSorted(by areInOrder: (Element, Element) -> Bool) -> Bool {
        var iterator = makeIterator()
        guard var previous = iterator.next() else { return true }
        while let next = iterator.next() {
            if !areInOrder(previous, next) { return false }
            previous = next
        }
        return true
    }
}
