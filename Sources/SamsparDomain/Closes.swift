/// A calendar quarter, written `2018-Q2` (SPEC §3, *a quarter's close*).
public struct Quarter: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    /// 1 to 4.
    public var number: Int

    public init?(year: Int, number: Int) {
        guard (1...4).contains(number), (1900...2200).contains(year) else { return nil }
        self.year = year
        self.number = number
    }

    /// `YYYY-Qn`, exactly; anything else is `nil`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isASCII), let year = Int(parts[0]),
            parts[1].count == 2, parts[1].first == "Q", let n = Int(parts[1].dropFirst())
        else { return nil }
        self.init(year: year, number: n)
    }

    /// The quarter holding `day`.
    public init(containing day: Day) {
        year = day.year
        number = (day.month - 1) / 3 + 1
    }

    public var description: String { "\(year)-Q\(number)" }

    public var firstDay: Day { Day(year: year, month: number * 3 - 2, day: 1)! }
    public var lastDay: Day { Day(year: year, month: number * 3, day: number == 1 || number == 4 ? 31 : 30)! }
    public var next: Quarter { number == 4 ? Quarter(year: year + 1, number: 1)! : Quarter(year: year, number: number + 1)! }

    public static func < (a: Quarter, b: Quarter) -> Bool { (a.year, a.number) < (b.year, b.number) }
}

/// When a quarter's close is due and which quarters an agreement has (SPEC §3): a close is due
/// at 00:00 Europe/Stockholm on the `delay`th day after the quarter's last day (31 by default),
/// for every quarter from the one holding the `validFrom` of the agreement's first version
/// signed by every party through the quarter in which the agreement ends.
public enum Closes {
    /// The days after a quarter's last day before its close is due (SPEC §3's default).
    public static let defaultDelay = 31

    /// The first Swedish day on which `quarter`'s close is due.
    public static func dueOn(_ quarter: Quarter, delay: Int = defaultDelay) -> Day { quarter.lastDay.adding(days: delay) }

    /// Whether `quarter`'s close is due on Swedish day `today`.
    public static func isDue(_ quarter: Quarter, today: Day, delay: Int = defaultDelay) -> Bool {
        Mutant.decide("close.due", today >= dueOn(quarter, delay: delay))
    }

    /// The quarters of an agreement whose first version signed by every party is valid from
    /// `firstSigned` and whose last day is `lastDay` (`nil` while no party has ended it), in
    /// order: those whose close is due on `today`.
    public static func dueQuarters(firstSigned: Day, lastDay: Day?, today: Day, delay: Int = defaultDelay) -> [Quarter] {
        var result: [Quarter] = []
        var q = Quarter(containing: firstSigned)
        let last = lastDay.map { Quarter(containing: $0) }
        while isDue(q, today: today, delay: delay), last.map({ q <= $0 }) ?? true {
            result.append(q)
            q = q.next
        }
        return result
    }

    /// The quarters of `versions` (every version of one agreement, oldest first) whose closes
    /// are due on `today`: none before a version is signed by every party. The agreement ends
    /// where its newest version signed by every party says it does.
    public static func dueQuarters(of versions: [Agreement], today: Day, delay: Int = defaultDelay) -> [Quarter] {
        let signed = versions.filter(\.signedByAll)
        guard let first = signed.first, let newest = signed.last else { return [] }
        return dueQuarters(firstSigned: first.validFrom, lastDay: newest.lifecycle(on: today).lastDay, today: today, delay: delay)
    }
}

/// Every count of a report that a close's suppressed form compares with the same count in each
/// registering party's own figures (SPEC §3): where the two differ by less than the threshold,
/// 0 included, the count is hidden, since that party alone fills it.
public enum CountKey: Sendable, Hashable {
    case active, female, male, targetGroupA, targetGroupB
    case track(Int, TrackEventKind)
    case population, measurable, establishedWithinGoal, kmEstablishedWithinGoal
    case municipality(Kommunkod)
    case activity(String)
    /// A share's numerator or denominator (`recruitment`, `acceptance:0`, …; `.0` numerator,
    /// `.1` denominator): a share on a count one party fills is no share of the others'.
    case ratio(String, Int)
}

extension Report {
    /// Every count of the report (and of its follow-up's activity volume) by key.
    public func counts(activities: [FollowUp.Volume] = []) -> [CountKey: Int] {
        var c: [CountKey: Int] = [
            .active: participants.active, .female: participants.female, .male: participants.male, .targetGroupA: participants.targetGroupA,
            .targetGroupB: participants.targetGroupB, .population: establishment.population, .measurable: establishment.measurable,
            .establishedWithinGoal: establishment.establishedWithinGoal, .kmEstablishedWithinGoal: establishment.kmEstablishedWithinGoal,
        ]
        func ratio(_ name: String, _ r: Ratio) {
            c[.ratio(name, 0)] = r.numerator
            c[.ratio(name, 1)] = r.denominator
        }
        ratio("recruitment", recruitment)
        for (i, t) in tracks.enumerated() {
            for kind in TrackEventKind.allCases { c[.track(i, kind)] = t.count(kind) }
            ratio("acceptance:\(i)", t.acceptance)
            ratio("completion:\(i)", t.completion)
            ratio("outcome:\(i)", t.outcome)
            if let g = t.genderGoal { ratio("gender:\(i)", g.ratio) }
        }
        for m in municipalities { c[.municipality(m.code)] = m.active }
        for v in activities { c[.activity(v.kind)] = v.people }
        return c
    }

    /// The counts of `joint` that some party's `own` figures match to within `threshold`
    /// (a difference from 0 to threshold − 1): a count missing from a party's figures is 0
    /// there.
    public static func nearOwn(_ joint: [CountKey: Int], own: [[CountKey: Int]], threshold: Int) -> Set<CountKey> {
        var hidden: Set<CountKey> = []
        for (key, value) in joint where own.contains(where: { abs(value - $0[key, default: 0]) < threshold }) {
            hidden.insert(key)
        }
        return Mutant.flips("close.nearOwn") ? [] : hidden
    }
}
