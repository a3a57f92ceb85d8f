/// The four kinds of bulk file (SPEC §4).
public enum ImportKind: String, Sendable, CaseIterable {
    case participants, events, statuses, activities

    public var requiredColumns: [String] {
        switch self {
        case .participants:
            ["person_id", "municipality", "first_permit_date", "registered_on", "upper_secondary_completed"]
        case .events: ["person_id", "track", "event", "date"]
        case .statuses: ["person_id", "status", "date"]
        case .activities: ["person_id", "activity", "start"]
        }
    }

    public var optionalColumns: [String] {
        switch self {
        case .participants: ["given_name", "family_name", "sex", "exited_on", "exit_reason", "education_level", "protected"]
        case .events: ["reason", "agreement"]
        case .statuses: []
        case .activities: ["end", "hours_per_week", "provider"]
        }
    }
}

/// One bad value or row: where it is and why (SPEC §4's error list).
public struct ImportProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: String
    public var reason: String

    public init(line: Int, column: String, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        column.isEmpty ? "line \(line): \(reason)" : "line \(line), column \(column): \(reason)"
    }
}

/// A kind of activity registered during the municipality's intervention (SPEC §2).
public enum ActivityKind: String, Sendable, CaseIterable {
    case sfi
    case civicOrientation = "civic_orientation"
    case vocationalSwedish = "vocational_swedish"
    case workPractice = "work_practice"
    case vocationalTraining = "vocational_training"
    case validation
    case studyGuidance = "study_guidance"
    case jobSearch = "job_search"
    case health
    case other
}

public struct ParticipantRecord: Sendable, Equatable {
    public var person: Personnummer
    public var givenName: String?
    public var familyName: String?
    /// Explicit sex; when absent, the identity number's.
    public var explicitSex: Sex?
    public var municipality: Kommunkod
    public var firstPermitDate: Day
    public var registeredOn: Day
    public var exitedOn: Day?
    public var exitReason: String?
    public var upperSecondaryCompleted: Bool
    public var educationLevel: String?
    /// Protected identity (SPEC §2): in a file or a request, `true` marks the registration,
    /// `false` removes the mark, `nil` (an absent or empty cell) leaves it as it is. Read from
    /// the store, whether the registration is marked. Never a figure's input.
    public var protected: Bool?

    public var sex: Sex { explicitSex ?? person.sex }

    public init(
        person: Personnummer, givenName: String?, familyName: String?, explicitSex: Sex?, municipality: Kommunkod, firstPermitDate: Day,
        registeredOn: Day, exitedOn: Day?, exitReason: String?, upperSecondaryCompleted: Bool, educationLevel: String?, protected: Bool? = nil
    ) {
        self.person = person
        self.givenName = givenName
        self.familyName = familyName
        self.explicitSex = explicitSex
        self.municipality = municipality
        self.firstPermitDate = firstPermitDate
        self.registeredOn = registeredOn
        self.exitedOn = exitedOn
        self.exitReason = exitReason
        self.upperSecondaryCompleted = upperSecondaryCompleted
        self.educationLevel = educationLevel
        self.protected = protected
    }
}

public struct EventRecord: Sendable, Equatable {
    public var person: Personnummer
    public var track: String
    public var kind: TrackEventKind
    public var date: Day
    public var reason: String?
    public var agreement: String?

    public init(person: Personnummer, track: String, kind: TrackEventKind, date: Day, reason: String?, agreement: String?) {
        self.person = person
        self.track = track
        self.kind = kind
        self.date = date
        self.reason = reason
        self.agreement = agreement
    }
}

public struct StatusRecord: Sendable, Equatable {
    public var person: Personnummer
    public var status: Outcome
    public var date: Day

    public init(person: Personnummer, status: Outcome, date: Day) {
        self.person = person
        self.status = status
        self.date = date
    }
}

public struct ActivityRecord: Sendable, Equatable {
    public var person: Personnummer
    public var activity: ActivityKind
    public var start: Day
    public var end: Day?
    public var hoursPerWeek: Double?
    public var provider: String?

    public init(person: Personnummer, activity: ActivityKind, start: Day, end: Day?, hoursPerWeek: Double?, provider: String?) {
        self.person = person
        self.activity = activity
        self.start = start
        self.end = end
        self.hoursPerWeek = hoursPerWeek
        self.provider = provider
    }
}

/// Maps a header to column positions and turns records into typed rows, collecting
/// every problem of a row (not just the first).
public struct ImportSchema: Sendable {
    public let kind: ImportKind
    /// Position of each known column in the file, by name.
    let positions: [String: Int]
    let currentYear: Int
    private let columnCount: Int

    /// Validates the header (line 1): required columns present, no unknown or repeated column.
    public init(kind: ImportKind, header: CSVRecord, currentYear: Int) throws(ImportError) {
        self.kind = kind
        self.currentYear = currentYear
        var positions: [String: Int] = [:]
        var problems: [ImportProblem] = []
        let known = Set(kind.requiredColumns + kind.optionalColumns)
        for i in 0..<header.count {
            let name = String(decoding: header[i], as: UTF8.self).trimmingSpaces().lowercased()
            if !known.contains(name) {
                problems.append(
                    .init(
                        line: header.line, column: name,
                        reason:
                            "unknown column; a \(kind.rawValue) file has \(kind.requiredColumns.joined(separator: ", ")) and optionally \(kind.optionalColumns.joined(separator: ", "))"
                    ))
            } else if positions[name] != nil {
                problems.append(.init(line: header.line, column: name, reason: "the column appears twice"))
            } else {
                positions[name] = i
            }
        }
        for name in kind.requiredColumns where positions[name] == nil {
            problems.append(.init(line: header.line, column: name, reason: "required column is missing"))
        }
        guard problems.isEmpty else {
            let (kept, capped) = ProblemCap.apply(problems, sorted: false)
            throw ImportError(problems: kept, capped: capped)
        }
        self.positions = positions
        self.columnCount = header.count
    }

    /// A row's cells by column name.
    struct Cells {
        let record: CSVRecord
        let positions: [String: Int]
        var problems: [ImportProblem] = []

        /// The cell's bytes, trimmed of spaces; `nil` when the column is absent or the cell empty.
        func raw(_ column: String) -> ArraySlice<UInt8>? {
            guard let i = positions[column], i < record.count else { return nil }
            var slice = record[i]
            while let f = slice.first, f == 32 || f == 9 { slice = slice.dropFirst() }
            while let l = slice.last, l == 32 || l == 9 { slice = slice.dropLast() }
            return slice.isEmpty ? nil : slice
        }

        mutating func fail(_ column: String, _ reason: String) {
            problems.append(.init(line: record.line, column: column, reason: reason))
        }

        mutating func required(_ column: String) -> ArraySlice<UInt8>? {
            guard let value = raw(column) else {
                fail(column, "a value is required")
                return nil
            }
            return value
        }

        mutating func text(_ column: String, maxLength: Int = 200) -> String? {
            guard let bytes = raw(column) else { return nil }
            guard let s = String(validating: bytes, as: UTF8.self) else {
                fail(column, "is not valid UTF-8")
                return nil
            }
            // A character is at least one byte: only a longer cell needs its characters counted
            // (grapheme breaking; the providers of a national activities file spent 4% of its
            // import on it, issue 27).
            if bytes.count > maxLength, s.count > maxLength { fail(column, "is longer than \(maxLength) characters") }
            return s
        }

        mutating func day(_ column: String, required isRequired: Bool) -> Day? {
            guard let bytes = isRequired ? required(column) : raw(column) else { return nil }
            do { return try Day(plausibleISOBytes: bytes) } catch {
                fail(column, error.description)
                return nil
            }
        }

        mutating func person(currentYear: Int) -> Personnummer? {
            guard let bytes = required("person_id") else { return nil }
            do { return try Personnummer(utf8: bytes, currentYear: currentYear) } catch {
                fail("person_id", "'\(String(decoding: bytes, as: UTF8.self))': \(error.description)")
                return nil
            }
        }

        /// `yes`/`ja` or `no`/`nej`, in any case; `nil` when absent (or wrong, with its problem).
        mutating func yesNo(_ column: String, required isRequired: Bool, hint: String = "") -> Bool? {
            guard let bytes = isRequired ? required(column) : raw(column) else { return nil }
            switch String(decoding: bytes, as: UTF8.self).lowercased() {
            case "yes", "ja": return true
            case "no", "nej": return false
            case let other:
                fail(column, "'\(other)' is not yes or no" + hint)
                return nil
            }
        }

        mutating func choice<T: RawRepresentable & CaseIterable>(_ column: String, _: T.Type, required isRequired: Bool) -> T?
        where T.RawValue == String {
            guard let bytes = isRequired ? required(column) : raw(column) else { return nil }
            let s = String(decoding: bytes, as: UTF8.self)
            guard let value = T(rawValue: s) else {
                fail(column, "'\(s)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return value
        }
    }

    private func cells(_ record: CSVRecord) -> Cells {
        var cells = Cells(record: record, positions: positions)
        if record.count != columnCount {
            cells.fail("", "has \(record.count) fields, the header has \(columnCount)")
        }
        return cells
    }

    public func participant(_ record: CSVRecord) -> Result<ParticipantRecord, ImportError> {
        var c = cells(record)
        let person = c.person(currentYear: currentYear)
        let given = c.text("given_name")
        let family = c.text("family_name")
        let sex = c.choice("sex", Sex.self, required: false)
        var municipality: Kommunkod?
        if let bytes = c.required("municipality") {
            do { municipality = try Kommunkod(String(decoding: bytes, as: UTF8.self)) } catch { c.fail("municipality", error.description) }
        }
        let permit = c.day("first_permit_date", required: true)
        let registered = c.day("registered_on", required: true)
        let exited = c.day("exited_on", required: false)
        let exitReason = c.text("exit_reason")
        let upperSecondary = c.yesNo("upper_secondary_completed", required: true)
        let education = c.text("education_level", maxLength: 40)
        // Only `no` removes a mark: an empty cell, or a file without the column, leaves it.
        let protected = c.yesNo("protected", required: false, hint: " (leave the cell empty to keep the mark as it is)")
        if let person, let permit, permit < person.earliestBirthDate {
            c.fail("first_permit_date", "\(permit) is before the birth date \(person.earliestBirthDate)")
        }
        if let registered, let exited, exited < registered {
            c.fail("exited_on", "\(exited) is before registered_on \(registered)")
        }
        if exitReason != nil && exited == nil && c.raw("exited_on") == nil {
            c.fail("exit_reason", "an exit reason needs exited_on")
        }
        guard c.problems.isEmpty, let person, let municipality, let permit, let registered, let upperSecondary else {
            return .failure(ImportError(problems: c.problems))
        }
        return .success(
            ParticipantRecord(
                person: person, givenName: given, familyName: family, explicitSex: sex, municipality: municipality,
                firstPermitDate: permit, registeredOn: registered, exitedOn: exited, exitReason: exitReason,
                upperSecondaryCompleted: upperSecondary, educationLevel: education, protected: protected))
    }

    public func event(_ record: CSVRecord) -> Result<EventRecord, ImportError> {
        var c = cells(record)
        let person = c.person(currentYear: currentYear)
        let track = c.required("track").map { String(decoding: $0, as: UTF8.self) }
        let kind = c.choice("event", TrackEventKind.self, required: true)
        let date = c.day("date", required: true)
        let reason = c.text("reason")
        let agreement = c.text("agreement", maxLength: 100)
        guard c.problems.isEmpty, let person, let track, let kind, let date else { return .failure(ImportError(problems: c.problems)) }
        return .success(EventRecord(person: person, track: track, kind: kind, date: date, reason: reason, agreement: agreement))
    }

    public func status(_ record: CSVRecord) -> Result<StatusRecord, ImportError> {
        var c = cells(record)
        let person = c.person(currentYear: currentYear)
        let status = c.choice("status", Outcome.self, required: true)
        let date = c.day("date", required: true)
        guard c.problems.isEmpty, let person, let status, let date else { return .failure(ImportError(problems: c.problems)) }
        return .success(StatusRecord(person: person, status: status, date: date))
    }

    public func activity(_ record: CSVRecord) -> Result<ActivityRecord, ImportError> {
        var c = cells(record)
        let person = c.person(currentYear: currentYear)
        let activity = c.choice("activity", ActivityKind.self, required: true)
        let start = c.day("start", required: true)
        let end = c.day("end", required: false)
        var hours: Double?
        if let bytes = c.raw("hours_per_week") {
            // A decimal comma read as a point, byte by byte: `String.replacing` was a tenth of a
            // national activities import (issue 27). A comma's byte is never part of another
            // character's; a comma with a combining mark after it is no number either way.
            let s = String(decoding: bytes.map { $0 == UInt8(ascii: ",") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
            if let h = Double(s), h >= 0, h <= 168 {
                hours = h
            } else {
                c.fail("hours_per_week", "'\(String(decoding: bytes, as: UTF8.self))' is not a number of hours from 0 to 168")
            }
        }
        let provider = c.text("provider")
        if let start, let end, end < start { c.fail("end", "\(end) is before start \(start)") }
        guard c.problems.isEmpty, let person, let activity, let start else { return .failure(ImportError(problems: c.problems)) }
        return .success(ActivityRecord(person: person, activity: activity, start: start, end: end, hoursPerWeek: hours, provider: provider))
    }
}

/// A file was rejected: every problem found, in line order.
/// The bounds of a refused file's list of problems (issue 20): at most ``maxProblems`` of them
/// and about ``maxBytes`` of text, header problems included, each reason and column cut to
/// ``maxField`` bytes. A list that reached a bound ends with one problem that says so, and
/// the answer states both bounds.
public enum ProblemCap {
    public static let maxProblems = 10_000
    public static let maxBytes = 1 << 20
    public static let maxField = 300

    /// About what one problem costs in the answer: its text and the JSON around it.
    public static func size(_ p: ImportProblem) -> Int { p.reason.utf8.count + p.column.utf8.count + 40 }

    /// `text` cut to ``maxField`` bytes at a character boundary, with "…" when cut.
    public static func cut(_ text: String) -> String {
        guard text.utf8.count > maxField else { return text }
        var result = ""
        var bytes = 0
        for c in text {
            bytes += c.utf8.count
            if bytes > maxField - 3 { break }
            result.append(c)
        }
        return result + "…"
    }

    /// The problem with its reason and column cut to size.
    public static func bounded(_ p: ImportProblem) -> ImportProblem {
        ImportProblem(line: p.line, column: cut(p.column), reason: cut(p.reason))
    }

    /// `problems` sorted by line and cut to the bounds; `capped` tells whether any was left out.
    public static func apply(_ problems: [ImportProblem], sorted: Bool = true) -> (problems: [ImportProblem], capped: Bool) {
        let ordered = sorted ? problems.sorted { $0.line < $1.line } : problems
        var kept: [ImportProblem] = []
        var bytes = 0
        for p in ordered {
            let b = bounded(p)
            if kept.count >= maxProblems || bytes + size(b) > maxBytes {
                kept.append(stop(at: b.line))
                return (kept, true)
            }
            kept.append(b)
            bytes += size(b)
        }
        return (kept, false)
    }

    /// The last problem of a list that reached a bound.
    public static func stop(at line: Int) -> ImportProblem {
        ImportProblem(
            line: line, column: "",
            reason: "stopped reading here: a refused file's list holds at most \(maxProblems) problems and about 1 MB (\(maxBytes) bytes) of them")
    }
}

public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ImportProblem]
    /// The people a row was refused for because the importing party has not registered them
    /// (whether or not anyone else has): each refusal goes into the audit log.
    public var refused: [Personnummer]

    /// Whether the problems were cut to ``ProblemCap``'s bounds (the file has more).
    public var capped = false

    public init(problems: [ImportProblem], refused: [Personnummer] = [], capped: Bool = false) {
        self.problems = problems
        self.refused = refused
        self.capped = capped
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" || s.first == "\u{FEFF}" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
