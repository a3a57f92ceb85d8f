/// The report as it may leave the server (issue 16, part 3): one typed value, suppressed once
/// as SPEC §3 says, that every rendering reads — the JSON contract (and so the CSV and a
/// publication), the report page and its PDF, and the dashboard. Nothing after this decides
/// again what to hide.
public struct ShownReport: Sendable, Equatable {
    /// A count as it may be shown: the number, or the mark that hides it (`<5`, `..`).
    public enum Figure: Sendable, Equatable {
        case value(Int)
        case hidden(String)

        /// The number, unless it is hidden.
        public var value: Int? {
            if case .value(let n) = self { return n }
            return nil
        }

        public var json: JSONValue {
            switch self {
            case .value(let n): .int(n)
            case .hidden(let text): .string(text)
            }
        }
    }

    public struct Participants: Sendable, Equatable {
        public var active: Figure
        public var female: Figure
        public var male: Figure
        /// Target groups A and B, subsets of `active`.
        public var targetGroupA: Figure
        public var targetGroupB: Figure
    }

    public struct GenderGoal: Sendable, Equatable {
        public var sex: Sex
        public var target: Double
        /// The share of completers of `sex`; `nil` when nobody completed or it is hidden.
        public var share: Double?
        public var met: Bool? { share.map { $0 >= target } }
    }

    public struct Track: Sendable, Equatable {
        public var code: String
        public var name: String
        /// The count of each kind of event, in ``TrackEventKind/allCases`` order.
        public var events: [Figure]
        public var acceptanceShare: Double?
        public var completionShare: Double?
        public var outcomeShare: Double?
        public var genderGoal: GenderGoal?

        public func count(_ kind: TrackEventKind) -> Figure { events[TrackEventKind.allCases.firstIndex(of: kind)!] }
    }

    public struct Establishment: Sendable, Equatable {
        public var population: Figure
        public var measurable: Figure
        public var establishedWithinGoal: Figure
        public var shareWithinGoal: Double?
        public var kmShareWithinGoal: Double?
        public var kmMedianDays: Int?
        public var goalDays: Int
        /// Whether the overall goal is met by the Kaplan–Meier median; `nil` while it cannot be
        /// told, or when telling it would tell the median that suppression hides.
        public var overallGoalMet: Bool?
        /// The verdict exists but is hidden with the median.
        public var overallGoalHidden: Bool
    }

    public struct Municipality: Sendable, Equatable {
        public var code: Kommunkod
        public var active: Figure
    }

    /// A sub-goal's share against the target the parties set.
    public struct SubGoal: Sendable, Equatable {
        public var goal: FollowUp.SubGoal
        /// The track's code and name (nil for recruitment, which is the agreement's).
        public var track: String?
        public var trackName: String?
        public var share: Double?
        public var target: Double
        public var met: Bool? { FollowUp.met(share, target) }
    }

    /// Hours of one activity type in the year and the people behind them; the hours are
    /// hidden with a small count of people.
    public struct Activity: Sendable, Equatable {
        public var kind: String
        public var participants: Figure
        /// Rounded to a tenth of an hour.
        public var hours: Double?
    }

    /// The annual follow-up's figures (issue 9, part 7).
    public struct FollowUpFigures: Sendable, Equatable {
        public var overallGoalMet: Bool?
        public var subGoals: [SubGoal]
        public var activities: [Activity]
        public var costs: [Agreement.CostLine]
        public var totals: Agreement.CostTotals
        public var partyNames: [String: String]
    }

    public var agreement: String
    public var year: Int
    public var asOf: Day
    public var participants: Participants
    public var recruitmentShare: Double?
    public var tracks: [Track]
    public var establishment: Establishment
    public var municipalities: [Municipality]
    /// The suppression threshold, when the report is suppressed.
    public var threshold: Int?
    public var agreementVersion: Int?
    public var followUp: FollowUpFigures?
    /// Whose records the figures are of (SPEC §3, §6): `joint` or `own`; `nil` where the
    /// document does not say (a publication made before closes existed).
    public var scope: String?
    /// The quarter a stored close is of.
    public var quarter: Quarter?
    /// The Kaplan–Meier curve's steps, in a close (SPEC §3): in its suppressed form only the
    /// steps that stand for at least the threshold's count of events, and none where the
    /// Kaplan–Meier figures are hidden.
    public var kaplanMeierSteps: [KaplanMeierStep]?

    public struct KaplanMeierStep: Sendable, Equatable {
        public var days: Int
        public var survival: Double
        public var events: Int
    }

    public var suppressed: Bool { threshold != nil }

    /// Every figure of `report` as `suppression` lets it be shown (all of them without one).
    ///
    /// `nearOwn` names the counts a close's suppressed form hides besides the small ones
    /// (``Report/nearOwn(_:own:threshold:)``); it only matters with a suppression.
    public init(
        _ report: Report, suppression: Suppression?, agreementVersion: Int? = nil, followUp: FollowUp? = nil, nearOwn: Set<CountKey> = []
    ) {
        let threshold = suppression?.threshold ?? Suppression.defaultThreshold
        let forced = suppression == nil ? [] : nearOwn
        func figure(_ c: ShownCount) -> Figure {
            switch c {
            case .value(let n): .value(n)
            case .small, .complementary: .hidden(c.text(threshold: threshold))
            }
        }
        func count(_ n: Int, _ key: CountKey) -> Figure {
            guard let suppression else { return .value(n) }
            // A count one party fills shows as `..` whatever its size: `<5` beside `..` would
            // tell a small count from a zero.
            return figure(forced.contains(key) ? .complementary : suppression.show(n))
        }
        func share(_ r: Ratio, _ name: String) -> Double? {
            if forced.contains(.ratio(name, 0)) || forced.contains(.ratio(name, 1)) { return nil }
            return suppression.map { $0.show(r) } ?? r.share
        }
        /// The parts of a shown total, with complementary suppression.
        func parts(_ values: [Int], _ keys: [CountKey]) -> [Figure] {
            let hiding = Set(keys.indices.filter { forced.contains(keys[$0]) })
            return (suppression?.show(parts: values, hiding: hiding) ?? values.map { .value($0) }).map(figure)
        }
        /// A count of a subset of `total`'s people (the subset rule of SPEC §3).
        func subset(_ n: Int, of total: Int, _ key: CountKey) -> Figure {
            guard let suppression else { return .value(n) }
            return figure(forced.contains(key) ? .complementary : suppression.show(total: total, subset: n).subset)
        }

        let p = report.participants
        let sexes = parts([p.female, p.male], [.female, .male])
        participants = Participants(
            active: count(p.active, .active), female: sexes[0], male: sexes[1], targetGroupA: subset(p.targetGroupA, of: p.active, .targetGroupA),
            targetGroupB: subset(p.targetGroupB, of: p.active, .targetGroupB))
        tracks = report.tracks.enumerated().map { i, t in
            Track(
                code: t.code, name: t.name, events: TrackEventKind.allCases.map { count(t.count($0), .track(i, $0)) },
                acceptanceShare: share(t.acceptance, "acceptance:\(i)"), completionShare: share(t.completion, "completion:\(i)"),
                outcomeShare: share(t.outcome, "outcome:\(i)"),
                genderGoal: t.genderGoal.map { GenderGoal(sex: $0.sex, target: $0.target, share: share($0.ratio, "gender:\(i)")) })
        }

        // Small populations, or few establishments within the goal, make Kaplan–Meier figures
        // as revealing as a small count (SPEC §3). Without censoring the KM share is a plain
        // fraction of the population, so the establishments it counts itself are checked too.
        let e = report.establishment
        let hideKM =
            suppression.map { $0.isHidden(e.population) || $0.isHidden(e.establishedWithinGoal) || $0.isHidden(e.kmEstablishedWithinGoal) } ?? false
            || !forced.isDisjoint(with: [.population, .establishedWithinGoal, .kmEstablishedWithinGoal])
        // `measurable` within `population`, and `establishedWithinGoal` within `measurable`
        // (within `population` when `measurable` itself is hidden).
        var measurable = Figure.value(e.measurable)
        var established = Figure.value(e.establishedWithinGoal)
        if let suppression {
            let shownMeasurable = suppression.show(total: e.population, subset: e.measurable).subset
            measurable = figure(forced.contains(.measurable) ? .complementary : shownMeasurable)
            let shownEstablished =
                measurable.value == nil
                ? suppression.show(total: e.population, subset: e.establishedWithinGoal).subset
                : suppression.show(total: e.measurable, subset: e.establishedWithinGoal).subset
            established = figure(forced.contains(.establishedWithinGoal) ? .complementary : shownEstablished)
        }
        let goalHidden = hideKM && e.overallGoalMet != nil
        establishment = Establishment(
            population: count(e.population, .population), measurable: measurable, establishedWithinGoal: established,
            shareWithinGoal: forced.isDisjoint(with: [.measurable, .establishedWithinGoal]) ? share(e.within, "within") : nil,
            kmShareWithinGoal: hideKM ? nil : e.kmShareWithinGoal, kmMedianDays: hideKM ? nil : e.kmMedianDays, goalDays: e.goalDays,
            overallGoalMet: goalHidden ? nil : e.overallGoalMet, overallGoalHidden: goalHidden)
        municipalities = zip(report.municipalities, parts(report.municipalities.map(\.active), report.municipalities.map { .municipality($0.code) })).map {
            Municipality(code: $0.0.code, active: $0.1)
        }
        agreement = report.agreement
        year = report.year
        asOf = report.asOf
        recruitmentShare = share(report.recruitment, "recruitment")
        self.threshold = suppression?.threshold
        self.agreementVersion = agreementVersion
        self.followUp = followUp.map { f in
            FollowUpFigures(
                overallGoalMet: goalHidden ? nil : f.overallGoalMet,
                subGoals: f.targets.map { t in
                    let name = t.track.flatMap { code in report.tracks.firstIndex { $0.code == code } }.map { "\(t.goal.rawValue):\($0)" } ?? t.goal.rawValue
                    return SubGoal(goal: t.goal, track: t.track, trackName: t.trackName, share: share(t.ratio, name), target: t.target)
                },
                activities: f.activities.map { v in
                    let people = count(v.people, .activity(v.kind))
                    return Activity(kind: v.kind, participants: people, hours: people.value == nil ? nil : (v.hours * 10).rounded() / 10)
                }, costs: f.costs, totals: f.totals, partyNames: f.partyNames)
        }
    }

    /// The curve's steps as a close keeps them (SPEC §3).
    public mutating func keepSteps(of km: KaplanMeier) {
        var steps: [KaplanMeierStep] = zip(km.steps, km.eventCounts).map { KaplanMeierStep(days: $0.0.time, survival: $0.0.survival, events: $0.1) }
        if let threshold {
            steps = establishment.kmShareWithinGoal == nil && !km.isEmpty ? [] : steps.filter { $0.events >= threshold }
        }
        kaplanMeierSteps = steps
    }

    // MARK: JSON

    /// The report's JSON (SPEC §5), member for member.
    public var json: JSONValue {
        func number(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
        let trackItems: [JSONValue] = tracks.map { t in
            var members: [(String, JSONValue)] = [("code", .string(t.code))]
            for (kind, figure) in zip(TrackEventKind.allCases, t.events) { members.append((kind.rawValue, figure.json)) }
            members += [
                ("acceptanceShare", number(t.acceptanceShare)), ("completionShare", number(t.completionShare)), ("outcomeShare", number(t.outcomeShare)),
            ]
            members.append(
                (
                    "genderGoal",
                    t.genderGoal.map { g in
                        .object([
                            ("sex", .string(g.sex.rawValue)), ("target", .double(g.target)), ("share", number(g.share)),
                            ("met", g.met.map(JSONValue.bool) ?? .null),
                        ])
                    } ?? .null
                ))
            members.append(("name", .string(t.name)))
            return .object(members)
        }
        let p = participants
        let e = establishment
        var document: [(String, JSONValue)] = [
            ("agreement", .string(agreement)), ("year", .int(year)), ("asOf", .string(asOf.description)),
            (
                "participants",
                .object([
                    ("active", p.active.json), ("female", p.female.json), ("male", p.male.json), ("targetGroupA", p.targetGroupA.json),
                    ("targetGroupB", p.targetGroupB.json),
                ])
            ),
            ("recruitmentShare", number(recruitmentShare)),
            ("tracks", .array(trackItems)),
            (
                "establishment",
                .object([
                    ("population", e.population.json), ("measurable", e.measurable.json), ("establishedWithinGoal", e.establishedWithinGoal.json),
                    ("shareWithinGoal", number(e.shareWithinGoal)), ("kmShareWithinGoal", number(e.kmShareWithinGoal)),
                    ("kmMedianDays", e.kmMedianDays.map(JSONValue.int) ?? .null), ("goalDays", .int(e.goalDays)),
                ])
            ),
            (
                "municipalities",
                .array(
                    municipalities.map { m in .object([("code", .string(m.code.description)), ("name", .string(m.code.name)), ("active", m.active.json)]) }
                )
            ),
            ("suppressed", .bool(suppressed)),
        ]
        if let agreementVersion { document.append(("agreementVersion", .int(agreementVersion))) }
        if let followUp { document.append(("followUp", followUp.json)) }
        if let scope { document.append(("scope", .string(scope))) }
        if let quarter { document.append(("quarter", .string(quarter.description))) }
        if let kaplanMeierSteps {
            document.append(
                (
                    "kaplanMeier",
                    .object([
                        (
                            "steps",
                            .array(
                                kaplanMeierSteps.map { .object([("days", .int($0.days)), ("survival", .double($0.survival)), ("events", .int($0.events))]) })
                        )
                    ])
                ))
        }
        return .object(document)
    }
}

extension ShownReport.FollowUpFigures {
    /// The follow-up as JSON, beside the report's own members.
    public var json: JSONValue {
        func bool(_ b: Bool?) -> JSONValue { b.map(JSONValue.bool) ?? .null }
        let targetItems: [JSONValue] = subGoals.map { t in
            .object([
                ("goal", .string(t.goal.rawValue)), ("track", t.track.map(JSONValue.string) ?? .null), ("share", t.share.map(JSONValue.double) ?? .null),
                ("target", .double(t.target)), ("met", bool(t.met)),
            ])
        }
        let activityItems: [JSONValue] = activities.map { v in
            .object([("kind", .string(v.kind)), ("participants", v.participants.json), ("hours", v.hours.map(JSONValue.double) ?? .null)])
        }
        let costItems: [JSONValue] = costs.map { c in
            .object([
                ("track", c.track.map(JSONValue.string) ?? .null), ("orgNumber", .string(c.orgNumber.description)), ("source", .string(c.source.rawValue)),
                ("planned", .int(c.amount)), ("spent", c.spent.map(JSONValue.int) ?? .null),
            ])
        }
        return .object([
            ("overallGoalMet", bool(overallGoalMet)),
            ("subGoals", .array(targetItems)),
            ("activities", .array(activityItems)),
            (
                "costs",
                .object([
                    ("lines", .array(costItems)), ("planned", .int(totals.total)), ("spent", .int(totals.spent)),
                    ("byParty", .array(totals.byParty.map { .object([("orgNumber", .string($0.0.description)), ("planned", .int($0.1))]) })),
                    ("bySource", .array(totals.bySource.map { .object([("source", .string($0.0.rawValue)), ("planned", .int($0.1))]) })),
                ])
            ),
        ])
    }
}
