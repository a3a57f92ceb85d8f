/// A calendar date with no time and no time zone: the only kind of date SPEC §3 knows.
///
/// Stored as the number of days since 1970-01-01 (proleptic Gregorian), so that
/// differences ("establishment time in days") are plain subtraction and a day fits
/// in an integer column of either database engine.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01; negative before it.
    public let ordinal: Int32

    public init(ordinal: Int32) {
        self.ordinal = ordinal
    }

    /// A day from its components, or `nil` when the date does not exist (30 February).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Day.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.ordinal = Int32(Day.daysFromCivil(year: year, month: month, day: day))
    }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.ordinal < rhs.ordinal }

    /// The number of days from `rhs` to `lhs`.
    public static func - (lhs: Day, rhs: Day) -> Int { Int(lhs.ordinal) - Int(rhs.ordinal) }

    public func adding(days: Int) -> Day { Day(ordinal: ordinal + Int32(days)) }

    /// Calendar-month arithmetic: a day that does not exist in the target month
    /// becomes that month's last day (31 January + 1 month = 28 or 29 February).
    public func adding(months: Int) -> Day {
        let (y, m, d) = components
        let total = y * 12 + (m - 1) + months
        let year = total / 12
        let month = total % 12 + 1
        let day = min(d, Day.daysIn(month: month, year: year))
        return Day(ordinal: Int32(Day.daysFromCivil(year: year, month: month, day: day)))
    }

    public func adding(years: Int) -> Day { adding(months: years * 12) }

    public var year: Int { components.year }
    public var month: Int { components.month }
    public var day: Int { components.day }

    /// (year, month, day) of this date.
    public var components: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = Int(ordinal) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 1 January and 31 December of a year.
    public static func firstOfYear(_ year: Int) -> Day { Day(year: year, month: 1, day: 1)! }
    public static func lastOfYear(_ year: Int) -> Day { Day(year: year, month: 12, day: 31)! }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO 8601, `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        return String(y).leftPadded(to: 4) + "-" + String(m).leftPadded(to: 2) + "-"
            + String(d).leftPadded(to: 2)
    }
}

extension Day {
    /// Parses exactly `YYYY-MM-DD`. The error names what is wrong.
    public init(iso text: some StringProtocol) throws(DateError) {
        let bytes = Array(text.utf8)
        try self.init(isoBytes: bytes[...])
    }

    /// Parses exactly `YYYY-MM-DD` from UTF-8 bytes (the import's hot path).
    public init(isoBytes b: ArraySlice<UInt8>) throws(DateError) {
        guard b.count == 10, b[b.startIndex + 4] == UInt8(ascii: "-"),
            b[b.startIndex + 7] == UInt8(ascii: "-")
        else { throw .notISO(String(decoding: b, as: UTF8.self)) }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in 0..<count {
                let c = b[b.startIndex + from + i]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2) else {
            throw .notISO(String(decoding: b, as: UTF8.self))
        }
        guard y >= 1 else { throw .notISO(String(decoding: b, as: UTF8.self)) }
        guard (1...12).contains(m) else { throw .noSuchMonth(m) }
        guard (1...Day.daysIn(month: m, year: y)).contains(d) else {
            throw .noSuchDay(day: d, month: m, year: y)
        }
        self.ordinal = Int32(Day.daysFromCivil(year: y, month: m, day: d))
    }
}

extension Day {
    /// The dates an import or an agreement may carry: 1900-01-01 through 2099-12-31. Anything
    /// else is a typo (`0218-06-01` for 2018) and would also fall outside what the report's
    /// packed facts can hold.
    public static let plausible = Day(year: 1900, month: 1, day: 1)!...Day(year: 2099, month: 12, day: 31)!

    /// Parses `YYYY-MM-DD` and refuses a date outside ``plausible``.
    public init(plausibleISOBytes bytes: ArraySlice<UInt8>) throws(DateError) {
        try self.init(isoBytes: bytes)
        guard Day.plausible.contains(self) else { throw .implausible(self) }
    }

    public init(plausibleISO text: some StringProtocol) throws(DateError) {
        try self.init(plausibleISOBytes: Array(text.utf8)[...])
    }
}

/// Why a text is not a date.
public enum DateError: Error, Equatable, Sendable, CustomStringConvertible {
    case notISO(String)
    case noSuchMonth(Int)
    case noSuchDay(day: Int, month: Int, year: Int)
    case implausible(Day)

    public var description: String {
        switch self {
        case .notISO(let text): return "'\(text)' is not a date of the form YYYY-MM-DD"
        case .noSuchMonth(let m): return "there is no month \(m)"
        case .noSuchDay(let d, let m, let y):
            return "no day \(d) in \(monthNames[m - 1])" + (m == 2 && d == 29 ? " \(y)" : "")
        case .implausible(let day): return "\(day) is not a plausible date (expected 1900-01-01 to 2099-12-31)"
        }
    }
}

let monthNames = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]

extension Day: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(iso: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
