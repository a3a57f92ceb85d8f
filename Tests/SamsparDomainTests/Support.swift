import Foundation
import Testing

@testable import SamsparDomain

/// Shared setup for the suites: files of `../shared`, Skatteverket's test numbers,
/// small agreements written as JSON, and short builders for report input.
enum Spec {
    /// The package root (this file is `Tests/SamsparDomainTests/Support.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// `../shared` beside the repository.
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let data = shared.appendingPathComponent("data")

    /// The data rows of a file in `shared/data` (header dropped).
    static func rows(_ file: String) throws -> [String] {
        try String(contentsOf: data.appendingPathComponent(file), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Skatteverket's test personnummer (the only numbers used for people in these tests).
    static let testPersonnummer: [Personnummer] = {
        let rows = (try? Spec.rows("skatteverket-test-personnummer.csv")) ?? []
        return rows.compactMap { try? Personnummer($0, currentYear: 2026) }
    }()

    /// The first test personnummer born on `date` (and of `sex`, when given).
    static func born(_ date: String, _ sex: Sex? = nil) -> Personnummer {
        let d = day(date)
        guard let p = testPersonnummer.first(where: { $0.birthDate == d && (sex == nil || $0.sex == sex) }) else {
            fatalError("no Skatteverket test number born \(date) \(sex.map(\.rawValue) ?? "")")
        }
        return p
    }

    /// `count` distinct test numbers born in `year` (of `sex` when given), in number order.
    static func people(_ count: Int, bornIn year: Int = 1990, _ sex: Sex? = nil) -> [Personnummer] {
        let found = testPersonnummer.filter { $0.birthDate.year == year && (sex == nil || $0.sex == sex) }.prefix(count)
        precondition(found.count == count, "not enough test numbers born \(year)")
        return Array(found)
    }

    static func day(_ text: String) -> Day { try! Day(iso: text) }

    /// The header's schema and the records after it (a bulk file of SPEC §4 as text).
    static func schema(_ kind: ImportKind, _ text: String) throws -> (ImportSchema, [CSVRecord]) {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        let schema = try ImportSchema(kind: kind, header: record, currentYear: 2026)
        var rows: [CSVRecord] = []
        while try reader.next(into: &record) { rows.append(record) }
        return (schema, rows)
    }

    // MARK: Agreements

    /// Parties: Arbetsförmedlingen and the municipalities whose kommunkod is given
    /// (Haninge 0136, Tyresö 0138, Nynäshamn 0192 have the seed's organisation numbers).
    static func partiesJSON(_ municipalities: [String]) -> String {
        let orgs = ["0136": ("212000-0084", "Haninge kommun"), "0138": ("212000-0092", "Tyresö kommun"), "0192": ("212000-0233", "Nynäshamns kommun")]
        var parties = [#"{"orgNumber": "202100-2114", "name": "Arbetsförmedlingen", "kind": "employment_service"}"#]
        for code in municipalities {
            let (org, name) = orgs[code]!
            parties.append(#"{"orgNumber": "\#(org)", "name": "\#(name)", "kind": "municipality", "municipalityCode": "\#(code)"}"#)
        }
        return "[" + parties.joined(separator: ", ") + "]"
    }

    /// Three tracks: `vard` (vocational, ≥ 40 % men), `bygg` (vocational, ≥ 50 % women),
    /// `studie` (education, no gender goal).
    static let defaultTracks = """
        [
          {"code": "vard", "name": "Vård", "kind": "vocational", "ssyk": ["5330"], "genderGoal": {"sex": "male", "minShare": 0.4}},
          {"code": "bygg", "name": "Bygg", "kind": "vocational", "ssyk": ["7111"], "genderGoal": {"sex": "female", "minShare": 0.5}},
          {"code": "studie", "name": "Studier", "kind": "education"}
        ]
        """

    /// A draft agreement (no signatures) with the given municipalities and tracks.
    static func agreement(municipalities: [String] = ["0136", "0138"], tracks: String = defaultTracks, extra: String = "") -> Agreement {
        let json = """
            {"id": "test", "title": "Test", "validFrom": "2018-01-01", \(extra)
             "parties": \(partiesJSON(municipalities)), "tracks": \(tracks)}
            """
        do { return try Agreement.parse(json: Data(json.utf8)) } catch { fatalError("bad test agreement: \(error)") }
    }

    static let standard = agreement()

    /// The full example agreement of `shared/examples`.
    static let example: Agreement = {
        let data = try! Data(contentsOf: shared.appendingPathComponent("examples/agreement.json"))
        return try! Agreement.parse(json: data)
    }()

    // MARK: Report input

    static let haninge = try! Kommunkod("0136")
    static let tyreso = try! Kommunkod("0138")
    static let nynashamn = try! Kommunkod("0192")
    static let eskilstuna = try! Kommunkod("0484")

    static func person(
        _ p: Personnummer, in municipality: Kommunkod = haninge, permit: String = "2017-01-01", registered: String = "2017-06-01",
        exited: String? = nil, upperSecondary: Bool = false, sex: Sex? = nil
    ) -> ParticipantFacts {
        ParticipantFacts(
            person: p, sex: sex, municipality: municipality, firstPermitDate: day(permit), registeredOn: day(registered),
            exitedOn: exited.map(day), upperSecondaryCompleted: upperSecondary)
    }

    static func event(_ p: Personnummer, _ track: String, _ kind: TrackEventKind, _ date: String, in agreement: Agreement = standard) -> TrackEventFact {
        TrackEventFact(person: p, track: agreement.tracks.firstIndex { $0.code == track }!, kind: kind, date: day(date))
    }

    static func status(_ p: Personnummer, _ s: Outcome, _ date: String) -> StatusFact {
        StatusFact(person: p, status: s, date: day(date))
    }

    static func report(
        for agreement: Agreement = standard, year: Int = 2018, asOf: String = "2019-03-31", _ participants: [ParticipantFacts],
        events: [TrackEventFact] = [], statuses: [StatusFact] = []
    ) -> Report {
        Report.compute(
            for: agreement, year: year, asOf: day(asOf), input: ReportInput(participants: participants, events: events, statuses: statuses))
    }

    /// The figures of one track by code.
    static func track(_ r: Report, _ code: String) -> Report.TrackFigures {
        r.tracks.first { $0.code == code }!
    }
}

/// `shared/data` beside the repository (what `Spec.data` names too).
let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")

/// The lines of a file in `shared/data` after its header.
func lines(of file: String) throws -> [String] {
    try String(contentsOf: sharedData.appendingPathComponent(file), encoding: .utf8)
        .split(whereSeparator: \.isNewline).dropFirst().map(String.init)
}

/// The records of a CSV text, each with the line it starts on.
func records(_ text: String) throws -> [(line: Int, fields: [String])] {
    var reader = CSVReader(bytes: Array(text.utf8))
    var record = CSVRecord()
    var out: [(Int, [String])] = []
    while try reader.next(into: &record) {
        out.append((record.line, (0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }))
    }
    return out
}

/// Hand-computed cases for every rule of SPEC §3.
enum Fixture {
    static let agreement: Agreement = {
        let url = sharedData.deletingLastPathComponent().appendingPathComponent("examples/agreement.json")
        return try! Agreement.parse(json: try! Data(contentsOf: url))
    }()

    static func day(_ text: String) -> Day { try! Day(iso: text) }

    /// Test numbers: female born 1990-01-01, male born 1990-09-13, male 1991-05-15, female 2000-01-01.
    static let amina = try! Personnummer("199001012385", currentYear: 2026)
    static let ali = try! Personnummer("199009132391", currentYear: 2026)
    static let omar = try! Personnummer("199105152392", currentYear: 2026)
    static let sara = try! Personnummer("200001012384", currentYear: 2026)
    static let haninge = try! Kommunkod("0136")
    static let eskilstuna = try! Kommunkod("0484")

    static func person(
        _ p: Personnummer, municipality: Kommunkod = haninge, permit: String = "2016-03-01", registered: String = "2017-01-10",
        exited: String? = nil, upperSecondary: Bool = false, sex: Sex? = nil
    ) -> ParticipantFacts {
        ParticipantFacts(
            person: p, sex: sex, municipality: municipality, firstPermitDate: day(permit), registeredOn: day(registered),
            exitedOn: exited.map(day), upperSecondaryCompleted: upperSecondary)
    }

    static func event(_ p: Personnummer, _ track: String, _ kind: TrackEventKind, _ date: String) -> TrackEventFact {
        TrackEventFact(person: p, track: agreement.tracks.firstIndex { $0.code == track }!, kind: kind, date: day(date))
    }

    static func status(_ p: Personnummer, _ s: Outcome, _ date: String) -> StatusFact {
        StatusFact(person: p, status: s, date: day(date))
    }

    static func report(
        year: Int = 2018, asOf: String = "2019-03-31", _ participants: [ParticipantFacts], events: [TrackEventFact] = [],
        statuses: [StatusFact] = []
    ) -> Report {
        Report.compute(
            for: agreement, year: year, asOf: day(asOf), input: ReportInput(participants: participants, events: events, statuses: statuses))
    }
}

// MARK: JSON helpers

extension JSONValue {
    /// The member `key` of an object (`nil` when absent or not an object).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The keys of an object in their order.
    var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.0)
    }

    var items: [JSONValue] {
        guard case .array(let items) = self else { return [] }
        return items
    }

    var double: Double? {
        switch self {
        case .double(let d): d
        case .int(let n): Double(n)
        default: nil
        }
    }
}

/// An independent Kaplan–Meier estimate straight from the definition, for comparison:
/// at each distinct event time t, S ← S · (1 − d(t) / n(t)) with n(t) the observations with
/// time ≥ t (so a censoring at t is still at risk at t).
func referenceSurvival(_ observations: [(time: Int, event: Bool)], at horizon: Int) -> Double {
    let eventTimes = Set(observations.filter(\.event).map(\.time)).sorted()
    var s = 1.0
    for t in eventTimes where t <= horizon {
        let d = observations.filter { $0.event && $0.time == t }.count
        let n = observations.filter { $0.time >= t }.count
        s *= 1 - Double(d) / Double(n)
    }
    return s
}
