import Foundation

/// A deterministic, realistic synthetic caseload (`samspar demo`, the benchmarks).
///
/// Rows come out as the bulk files of SPEC §4, so demo data and benchmark data go through
/// the same import as a municipality's own files. The same seed gives the same bytes.
///
/// Identity numbers: the demo uses only Skatteverket's published test numbers (bundled),
/// which are the only numbers that may appear in demo data. A national-scale run needs more
/// people than there are test numbers; beyond them it makes valid numbers of its own, and
/// those files are benchmark input, never shown.
public struct Caseload {
    /// One agreement and the municipalities whose residents it follows.
    public struct Area: Sendable {
        public var agreement: Agreement
        /// Municipalities with their relative size.
        public var municipalities: [(code: Kommunkod, weight: Double)]
    }

    public var areas: [Area]
    public var participants: Int
    public var seed: UInt64
    /// Years the caseload covers (registrations fall in these years).
    public var years: ClosedRange<Int> = 2016...2019
    /// The day the demo lives in (issue 19): nothing is dated after it, and the caseload runs
    /// over the three years before it. `nil`: the fixed 2016–2019 caseload of the benchmarks
    /// and the tests written for it, byte for byte as before.
    public var today: Day?

    public init(areas: [Area], participants: Int, seed: UInt64 = 2018, today: Day? = nil) {
        self.areas = areas
        self.participants = participants
        self.seed = seed
        self.today = today
        if let today { years = (today.year - 3)...today.year }
    }

    /// Receives the rows of the four files, header first. Each call is one line without
    /// its line break.
    public struct Sink {
        public var participants: (String) -> Void
        public var events: (String) -> Void
        public var statuses: (String) -> Void
        public var activities: (String) -> Void

        public init(
            participants: @escaping (String) -> Void, events: @escaping (String) -> Void, statuses: @escaping (String) -> Void,
            activities: @escaping (String) -> Void
        ) {
            self.participants = participants
            self.events = events
            self.statuses = statuses
            self.activities = activities
        }
    }

    /// Writes the whole caseload to `sink`.
    public func generate(into sink: Sink) {
        var rng = SplitMix64(seed: seed)
        var numbers = IdentityNumberPool(seed: seed)
        // The demo that lives in today marks a few people protected (SPEC §2), so that its
        // lists show what a protected identity looks like; the fixed caseload stays as it was.
        let marks = today != nil
        sink.participants(
            "person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level"
                + (marks ? ";protected" : ""))
        sink.events("person_id;track;event;date;reason;agreement")
        sink.statuses("person_id;status;date")
        sink.activities("person_id;activity;start;end;hours_per_week;provider")

        // Split participants between areas by their municipalities' total weight.
        let areaWeights = areas.map { $0.municipalities.reduce(0) { $0 + $1.weight } }
        let totalWeight = areaWeights.reduce(0, +)
        let firstYear = Day.firstOfYear(years.lowerBound)
        // Living in today, the caseload ends on it: nobody is registered, leaves, takes part
        // or has an outcome on a day still to come.
        let lastYear = today ?? Day.lastOfYear(years.upperBound)
        let codesShared = Dictionary(grouping: areas.flatMap { $0.agreement.tracks.map(\.code) }, by: { $0 }).filter { $0.value.count > 1 }

        // People come out in identity-number order, as a case system's export by key would.
        let people = (0..<participants).map { _ in numbers.next() }.sorted()
        for person in people {
            // Area and municipality.
            var pick = rng.unit() * totalWeight
            var areaIndex = 0
            while areaIndex < areas.count - 1 && pick >= areaWeights[areaIndex] {
                pick -= areaWeights[areaIndex]
                areaIndex += 1
            }
            let area = areas[areaIndex]
            var municipality = area.municipalities[0].code
            for m in area.municipalities {
                if pick < m.weight { municipality = m.code; break }
                pick -= m.weight
            }

            let sex = person.sex
            let birth = person.birthDate
            // First permit from three years before the first year to about half a year before
            // the last (2013 to mid-2019 for the fixed caseload), never before the 16th birthday.
            var permit = Day.firstOfYear(years.lowerBound - 3).adding(days: rng.int(0..<2370))
            if permit < birth.adding(years: 16) { permit = birth.adding(years: 16).adding(days: rng.int(0..<200)) }
            var registered = permit.adding(days: rng.int(20..<500))
            if registered < firstYear { registered = firstYear.adding(days: rng.int(0..<300)) }
            if registered > lastYear { registered = lastYear.adding(days: -rng.int(0..<200)) }
            let ageAtRegistration = (registered - birth) / 365
            let upperSecondary = ageAtRegistration < 25 ? rng.chance(0.25) : rng.chance(0.55)
            let education = upperSecondary ? (rng.chance(0.4) ? "5" : "3") : (rng.chance(0.5) ? "2" : "1")
            var exited: Day?
            var exitReason = ""
            if rng.chance(0.08) {
                exited = registered.adding(days: rng.int(60..<700))
                exitReason = ["flyttat", "annan insats", "föräldraledighet", "sjukdom"][rng.int(0..<4)]
                if let today, let e = exited, e > today { (exited, exitReason) = (nil, "") }
            }
            let given = (sex == .female ? femaleNames : maleNames)[rng.int(0..<10)]
            let family = familyNames[rng.int(0..<familyNames.count)]
            sink.participants(
                "\(person.twelveDigits);\(given);\(family);;\(municipality);\(permit);\(registered);\(exited.map(\.description) ?? "");\(exitReason);\(upperSecondary ? "yes" : "no");\(education)"
                    + (marks ? (person.value % 127 == 11 ? ";yes" : ";") : "")
            )

            // Track events: some people go through one track, a few through two.
            var established: Day? = nil
            let agreementColumn = { (code: String) in codesShared[code] != nil ? area.agreement.id : "" }
            var end = exited ?? today ?? lastYear.adding(days: 200)
            let young = ageAtRegistration <= 24 && !upperSecondary
            let trackRounds = rng.chance(0.9) ? (rng.chance(0.6) ? 2 : 1) : 0
            var cursor = registered.adding(days: rng.int(10..<120))
            for _ in 0..<trackRounds {
                guard cursor < end else { break }
                let track = chooseTrack(area.agreement.tracks, sex: sex, young: young, rng: &rng)
                let code = track.code
                let agreement = agreementColumn(code)
                func event(_ kind: TrackEventKind, _ day: Day, _ reason: String = "") {
                    if let today, day > today { return }
                    sink.events("\(person.twelveDigits);\(code);\(kind.rawValue);\(day);\(reason);\(agreement)")
                }
                event(.invited, cursor)
                guard rng.chance(0.8) else { cursor = cursor.adding(days: rng.int(60..<200)); continue }
                var day = cursor.adding(days: rng.int(7..<21))
                event(.attended, day)
                if rng.chance(0.1) {  // a second recruitment meeting
                    day = day.adding(days: rng.int(14..<40))
                    event(.attended, day)
                }
                if rng.chance(0.35) {
                    event(.declined, day.adding(days: rng.int(1..<14)))
                    cursor = day.adding(days: rng.int(60..<200))
                    continue
                }
                day = day.adding(days: rng.int(1..<14))
                event(.accepted, day)
                guard rng.chance(0.92) else { cursor = day.adding(days: 90); continue }
                day = day.adding(days: rng.int(7..<30))
                event(.started, day)
                day = day.adding(days: rng.int(120..<300))
                if rng.chance(0.72) {
                    event(.completed, day)
                    if rng.chance(0.68) && established == nil { established = day.adding(days: rng.int(0..<120)) }
                } else {
                    event(.discontinued, day, ["fick arbete", "ohälsa", "flytt", "annan utbildning"][rng.int(0..<4)])
                }
                cursor = day.adding(days: rng.int(30..<120))
            }

            // Statuses (utfall): job-seeking, then for many work, subsidised work or studies,
            // sometimes a change of outcome, sometimes job-seeking again.
            var statusDay = registered
            if let today { end = min(end, today) }
            if rng.chance(0.1) {  // already working when the permit came
                sink.statuses("\(person.twelveDigits);work;\(permit)")
                statusDay = permit
            } else if rng.chance(0.5) {
                sink.statuses("\(person.twelveDigits);none;\(permit)")
                statusDay = permit
            }
            if statusDay < registered || statusDay == registered {
                // Job-seeking at registration (a job held since the permit ended, for some).
                sink.statuses("\(person.twelveDigits);none;\(registered)")
                statusDay = registered
            }
            if established == nil && rng.chance(0.45) { established = registered.adding(days: rng.int(90..<1100)) }
            if var e = established, e > statusDay, e <= end {
                var outcome = rng.chance(0.55) ? "work" : (rng.chance(0.5) ? "subsidized_work" : "studies")
                sink.statuses("\(person.twelveDigits);\(outcome);\(e)")
                if outcome != "work" && rng.chance(0.5) {  // subsidised work or studies lead on to work
                    e = e.adding(days: rng.int(90..<500))
                    outcome = "work"
                    if e <= end { sink.statuses("\(person.twelveDigits);work;\(e)") }
                }
                if rng.chance(0.2) {  // the job ended
                    let again = e.adding(days: rng.int(60..<400))
                    if again <= end { sink.statuses("\(person.twelveDigits);none;\(again)") }
                }
            }

            // Activities during the municipality's intervention.
            end = min(end, lastYear)
            var start = registered
            let activityCount = rng.int(5..<18)
            for i in 0..<activityCount {
                guard start < end else { break }
                let kind: ActivityKind = i == 0 ? .sfi : i == 1 ? .civicOrientation : ActivityKind.allCases[rng.int(2..<ActivityKind.allCases.count)]
                let length = rng.int(20..<200)
                let stop = min(start.adding(days: length), end)
                let hours = [4, 8, 10, 15, 20, 40][rng.int(0..<6)]
                let provider = kind == .sfi ? "\(municipality.name) vuxenutbildning" : (rng.chance(0.5) ? "Arbetsförmedlingen" : "\(municipality.name) kommun")
                sink.activities("\(person.twelveDigits);\(kind.rawValue);\(start);\(rng.chance(0.9) ? stop.description : "");\(hours);\(provider)")
                start = start.adding(days: rng.int(5..<60))
            }
        }
    }

    private func chooseTrack(_ tracks: [Agreement.Track], sex: Sex, young: Bool, rng: inout SplitMix64) -> Agreement.Track {
        if young, let education = tracks.first(where: { $0.kind == .education }), rng.chance(0.6) { return education }
        // Realistic skew: care and childcare are mostly women's tracks, building men's.
        let weights = tracks.map { track -> Double in
            guard track.kind == .vocational else { return 0.1 }
            guard let goal = track.genderGoal else { return 1 }
            let goalSexShare = min(0.95, goal.minShare * (rng.chance(0.5) ? 0.8 : 1.15))
            return sex == goal.sex ? goalSexShare : 1 - goalSexShare
        }
        var pick = rng.unit() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            if pick < w { return tracks[i] }
            pick -= w
        }
        return tracks[tracks.count - 1]
    }
}

private let femaleNames = ["Amina", "Fatima", "Sara", "Hawa", "Leyla", "Nour", "Maryam", "Zahra", "Ruth", "Tigist"]
private let maleNames = ["Ahmad", "Mohammed", "Ali", "Yonas", "Omar", "Hassan", "Samir", "Dawit", "Karim", "Mustafa"]
private let familyNames = ["Testsson", "Provsdotter", "Exempel", "Demo", "Fiktiv", "Prövare", "Testberg", "Provlund"]

/// A small, fast, seedable generator (SplitMix64), so demo data is the same everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// Identity numbers for synthetic people: Skatteverket's test numbers born 1956–2003 first
/// (shuffled by the seed), then made-up valid numbers for national-scale benchmark runs.
struct IdentityNumberPool {
    private var testNumbers: [Personnummer]
    private var index = 0
    private var rng: SplitMix64
    private var made = Set<Int64>()

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed ^ 0x5EED)
        var numbers = TestIdentityNumbers.all.filter { (1956...2003).contains($0.birthDate.year) }
        numbers.shuffle(using: &rng)
        testNumbers = numbers
    }

    mutating func next() -> Personnummer {
        if index < testNumbers.count {
            index += 1
            return testNumbers[index - 1]
        }
        while true {
            let birth = Day.firstOfYear(1960).adding(days: rng.int(0..<(42 * 365)))
            let (y, m, d) = birth.components
            let serial = Int64(rng.int(0..<1000))
            let nine = Int64(y % 100) * 10_000_000 + Int64(m) * 100_000 + Int64(d) * 1000 + serial
            let ten = nine * 10 + Int64(luhnCheckDigit(ofNine: nine))
            let twelve = Int64(y / 100) * 10_000_000_000 + ten
            if made.insert(twelve).inserted && !TestIdentityNumbers.set.contains(twelve) {
                return Personnummer(storedValue: twelve)
            }
        }
    }
}

/// Skatteverket's published test personnummer and samordningsnummer, bundled.
public enum TestIdentityNumbers {
    public static let all: [Personnummer] = {
        var result: [Personnummer] = []
        for name in ["skatteverket-test-personnummer", "skatteverket-test-samordningsnummer"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Resources"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { fatalError("the bundled \(name).csv is missing") }
            for line in text.split(whereSeparator: \.isNewline).dropFirst() {
                if let value = Int64(line.trimmingCharacters(in: .whitespaces)) { result.append(Personnummer(storedValue: value)) }
            }
        }
        return result
    }()

    static let set: Set<Int64> = Set(all.map(\.value))
}

extension Caseload {
    /// The Östra Södertörn caseload of `samspar demo`: Haninge, Tyresö and Nynäshamn with
    /// their rough relative sizes.
    public static func ostraSodertorn(agreement: Agreement, participants: Int = 2000, seed: UInt64 = 2018, today: Day? = nil) -> Caseload {
        let weights: [Int16: Double] = [136: 0.52, 138: 0.28, 192: 0.20]
        return Caseload(
            areas: [Area(agreement: agreement, municipalities: agreement.municipalities.map { ($0, weights[$0.value] ?? 0.1) })],
            participants: participants, seed: seed, today: today)
    }

    /// The seed's 2018 agreement and its yearly revisions (issue 19: a demo that lives in
    /// today): each valid from 1 January, signed by every party on 20 November the year before,
    /// ahead of the revision due on 30 November. From 20 November on, next year's revision is
    /// signed too, so a demo made in December does not open on a revision already late.
    public static func yearlyVersions(of agreement: Agreement, through today: Day) -> [Agreement] {
        var versions = [agreement]
        let signingDay = Day(year: today.year, month: 11, day: 20)!
        let last = today >= signingDay ? today.year + 1 : today.year
        guard agreement.validFrom.year < last else { return versions }
        for year in (agreement.validFrom.year + 1)...last {
            var revised = agreement
            revised.validFrom = Day.firstOfYear(year)
            revised.nextRevision = Day(year: year, month: 11, day: 30)
            let signed = Day(year: year - 1, month: 11, day: 20)!
            revised.signatures = agreement.signatures.map {
                var s = $0; s.date = signed; return s
            }
            versions.append(revised)
        }
        return versions
    }

    /// The bundled Östra Södertörn agreement document (the seed's agreement).
    public static var ostraSodertornDocument: Data {
        guard let url = Bundle.module.url(forResource: "ostra-sodertorn", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else {
            fatalError("the bundled ostra-sodertorn.json is missing")
        }
        return data
    }

    /// A national-scale layout: every one of SCB's 290 municipalities in an agreement of
    /// about three neighbouring municipalities (by code order), each with the Östra
    /// Södertörn tracks, so track codes repeat across agreements and events must name theirs.
    public static func national(template: Agreement, participants: Int, seed: UInt64 = 2018) -> (Caseload, [Agreement]) {
        let all = Kommunkod.all
        var agreements: [Agreement] = []
        var areas: [Area] = []
        var start = 0
        var number = 0
        while start < all.count {
            let group = Array(all[start..<min(start + 3, all.count)])
            start += group.count
            number += 1
            var agreement = template
            agreement.id = "nat-\(String(number).leftPadded(to: 3))"
            agreement.title = "Överenskommelse " + group.map(\.name).joined(separator: ", ")
            agreement.area = group.map(\.name).joined(separator: ", ")
            agreement.parties = template.parties.filter { $0.kind != .municipality }
            for code in group {
                // A made-up, valid organisationsnummer per municipality: 212000-NNNC.
                let nine = Int64(212_000_000) + Int64(code.value)
                let org = try! Organisationsnummer(String(nine * 10 + Int64(luhnCheckDigit(ofNine: nine))))
                agreement.parties.append(.init(orgNumber: org, name: "\(code.name) kommun", kind: .municipality, municipalityCode: code))
            }
            // Signed by every party, as a real agreement must be before it binds anyone (issue 18:
            // a draft has no tracks, no figures and resolves no event).
            let signed = template.signatures.first?.date ?? template.validFrom
            agreement.signatures = agreement.parties.map {
                .init(orgNumber: $0.orgNumber, place: nil, date: signed, name: "Demo", title: nil)
            }
            agreements.append(agreement)
            areas.append(Area(agreement: agreement, municipalities: group.map { ($0, 1.0) }))
        }
        return (Caseload(areas: areas, participants: participants, seed: seed), agreements)
    }
}
