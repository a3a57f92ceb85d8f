/// Legal sex as the identity number records it, or as given explicitly.
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case female
    case male
}

/// A Swedish personnummer or samordningsnummer, valid by construction (SPEC §2).
///
/// Accepted spellings: `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`, `YYMMDD-NNNC`, `YYMMDDNNNC` and
/// `YYMMDD+NNNC` (`+` = aged 100 or more). Stored as the twelve digits `YYYYMMDDNNNC`.
/// The check digit is Luhn over the ten digits `YYMMDDNNN` + `C`. A samordningsnummer has
/// 60 added to the day and may carry `00` for an unknown month or day.
public struct Personnummer: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The twelve digits as one integer, e.g. 189001019802. This is the database key.
    public let value: Int64

    /// Rebuilds a number that was validated before (read back from storage).
    /// Traps on a value that is not twelve valid digits: storage only holds valid ones.
    public init(storedValue: Int64) {
        precondition(Personnummer.validate(twelve: storedValue) == nil, "invalid stored personnummer \(storedValue)")
        self.value = storedValue
    }

    /// Parses any accepted spelling. `currentYear` decides the century of a ten-digit
    /// number: with `-` or no separator the century that makes the person younger than
    /// 100 this year, with `+` the one that makes them 100 or older.
    public init(_ text: some StringProtocol, currentYear: Int) throws(IdentityNumberError) {
        try self.init(utf8: Array(text.utf8)[...], currentYear: currentYear)
    }

    /// The import's hot path: parses from UTF-8 bytes without building a String.
    public init(utf8 b: ArraySlice<UInt8>, currentYear: Int) throws(IdentityNumberError) {
        var digits: Int64 = 0
        var count = 0
        var separator: UInt8? = nil
        var separatorPosition = -1
        var position = 0
        for c in b {
            position += 1
            if c >= 48 && c <= 57 {
                digits = digits * 10 + Int64(c - 48)
                count += 1
                guard count <= 12 else { throw .wrongLength(digits: count) }
            } else if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && separator == nil {
                separator = c
                separatorPosition = count
            } else {
                throw .invalidCharacter(String(decoding: [c], as: UTF8.self), position: position)
            }
        }
        guard count == 10 || count == 12 else { throw .wrongLength(digits: count) }
        if separator != nil {
            guard separatorPosition == count - 4 else { throw .misplacedSeparator }
        }
        let twelve: Int64
        if count == 12 {
            guard separator != UInt8(ascii: "+") else { throw .plusWithCentury }
            twelve = digits
        } else {
            let yy = Int(digits / 100_000_000)
            let lastYoungerThan100 = currentYear  // born in (currentYear-100, currentYear]
            var year = (lastYoungerThan100 / 100) * 100 + yy
            if year > lastYoungerThan100 { year -= 100 }
            if separator == UInt8(ascii: "+") { year -= 100 }
            twelve = Int64(year / 100) * 10_000_000_000 + digits
        }
        if let error = Personnummer.validate(twelve: twelve) { throw error }
        self.value = twelve
    }

    /// `nil` when the twelve digits are a valid personnummer or samordningsnummer.
    static func validate(twelve: Int64) -> IdentityNumberError? {
        guard twelve >= 1_000_00_00_0000, twelve <= 9999_99_99_9999 else { return .wrongLength(digits: 0) }
        let year = Int(twelve / 100_000_000)
        let month = Int(twelve / 1_000_000 % 100)
        let rawDay = Int(twelve / 10_000 % 100)
        let isCoordination = rawDay >= 60
        let day = isCoordination ? rawDay - 60 : rawDay
        if month > 12 { return .noSuchMonth(month) }
        if month == 0 && !isCoordination { return .unknownMonthOutsideSamordningsnummer }
        if day == 0 && !isCoordination { return .noSuchDay(day: 0, month: month, year: year) }
        if day > 0 {
            let maxDay = month == 0 ? 31 : Day.daysIn(month: month, year: year)
            if day > maxDay { return .noSuchDay(day: day, month: month, year: year) }
        }
        let ten = twelve % 10_000_000_000
        let expected = luhnCheckDigit(ofNine: ten / 10)
        let actual = Int(ten % 10)
        if expected != actual { return .checkDigit(expected: expected, actual: actual) }
        return nil
    }

    public static func < (lhs: Personnummer, rhs: Personnummer) -> Bool { lhs.value < rhs.value }

    public var isSamordningsnummer: Bool { value / 10_000 % 100 >= 60 }

    /// Date of birth: an unknown month counts as 1 July, an unknown day as the 15th.
    public var birthDate: Day {
        let year = Int(value / 100_000_000)
        let month = Int(value / 1_000_000 % 100)
        var day = Int(value / 10_000 % 100)
        if day >= 60 { day -= 60 }
        if month == 0 { return Day(year: year, month: 7, day: day == 0 ? 15 : day)! }
        return Day(year: year, month: month, day: day == 0 ? 15 : day)!
    }

    /// The earliest day the person can have been born: the first of January for an unknown
    /// month, the first of the month for an unknown day. "Permit before birth" compares
    /// against this, since 1 July (``birthDate``) is only a convention for the figures.
    public var earliestBirthDate: Day {
        let year = Int(value / 100_000_000)
        let month = Int(value / 1_000_000 % 100)
        var day = Int(value / 10_000 % 100)
        if day >= 60 { day -= 60 }
        return Day(year: year, month: month == 0 ? 1 : month, day: month == 0 || day == 0 ? 1 : day)!
    }

    /// Sex from the ninth of the ten digits: odd = male, even = female.
    public var sex: Sex { (value / 10 % 10) % 2 == 1 ? .male : .female }

    /// `YYYYMMDD-NNNC`.
    public var description: String {
        let s = String(value)
        return String(s.prefix(8)) + "-" + String(s.suffix(4))
    }

    /// The twelve digits without separator.
    public var twelveDigits: String { String(value) }
}

/// The Luhn check digit of a nine-digit number (leading zeros count): weights
/// 2, 1, 2, … from the left, products above 9 have their digits summed.
func luhnCheckDigit(ofNine nine: Int64) -> Int {
    var sum = 0
    var n = nine
    for i in 0..<9 {  // from the right: the ninth digit has weight 2
        let d = Int(n % 10)
        n /= 10
        if i % 2 == 0 {
            let p = d * 2
            sum += p > 9 ? p - 9 : p
        } else {
            sum += d
        }
    }
    return (10 - sum % 10) % 10
}

/// Why a text is not a personnummer, samordningsnummer or organisationsnummer.
public enum IdentityNumberError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(digits: Int)
    case invalidCharacter(String, position: Int)
    case misplacedSeparator
    case plusWithCentury
    case noSuchMonth(Int)
    case noSuchDay(day: Int, month: Int, year: Int)
    case unknownMonthOutsideSamordningsnummer
    case checkDigit(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .wrongLength(let n): return "expected 10 or 12 digits, found \(n)"
        case .invalidCharacter(let c, let p): return "unexpected character '\(c)' at position \(p)"
        case .misplacedSeparator: return "the separator must stand before the last four digits"
        case .plusWithCentury: return "'+' (aged 100 or more) is only used with ten digits"
        case .noSuchMonth(let m): return "there is no month \(m)"
        case .noSuchDay(let d, let m, let y):
            if m == 0 { return "no day \(d) in any month" }
            if d == 0 { return "day 00 is only allowed in a samordningsnummer" }
            return "no day \(d) in \(monthNames[m - 1])" + (m == 2 && d == 29 ? " \(y)" : "")
        case .unknownMonthOutsideSamordningsnummer:
            return "month 00 is only allowed in a samordningsnummer"
        case .checkDigit(let expected, _): return "check digit should be \(expected)"
        }
    }
}

/// A Swedish organisationsnummer, `NNNNNN-NNNN`, Luhn over the ten digits.
public struct Organisationsnummer: Hashable, Comparable, Sendable, TextCoded {
    public let value: Int64

    /// Accepts `NNNNNN-NNNN`, ten digits, and the spaced form the seed uses (`212 000-0084`).
    public init(_ text: some StringProtocol) throws(IdentityNumberError) {
        var digits: Int64 = 0
        var count = 0
        var position = 0
        for c in text.utf8 {
            position += 1
            if c >= 48 && c <= 57 {
                digits = digits * 10 + Int64(c - 48)
                count += 1
                // Stop before a long run of digits overflows (found by schemathesis).
                guard count <= 10 else { throw .wrongLength(digits: count) }
            } else if c == UInt8(ascii: "-") || c == UInt8(ascii: " ") {
                continue
            } else {
                throw .invalidCharacter(String(decoding: [c], as: UTF8.self), position: position)
            }
        }
        guard count == 10 else { throw .wrongLength(digits: count) }
        let expected = luhnCheckDigit(ofNine: digits / 10)
        guard expected == Int(digits % 10) else {
            throw .checkDigit(expected: expected, actual: Int(digits % 10))
        }
        value = digits
    }

    /// A number read back from the database, where only valid numbers are written.
    public init(storedValue: Int64) {
        value = storedValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public var description: String {
        let s = String(value).leftPadded(to: 10)
        return String(s.prefix(6)) + "-" + String(s.suffix(4))
    }

}
