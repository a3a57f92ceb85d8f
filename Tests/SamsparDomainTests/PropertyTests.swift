import Foundation
import PropertyBased
import Testing

@testable import SamsparDomain

/// Random caseloads from the demo generator (a different seed each case) to check invariants.
func randomInput(seed: UInt64, participants: Int, today: Day? = nil) -> ReportInput {
    let caseload = Caseload.ostraSodertorn(agreement: Fixture.agreement, participants: participants, seed: seed, today: today)
    var people: [ParticipantFacts] = []
    var events: [TrackEventFact] = []
    var statuses: [StatusFact] = []
    let codes = Fixture.agreement.tracks.map(\.code)
    func cells(_ line: String) -> [String] { line.split(separator: ";", omittingEmptySubsequences: false).map(String.init) }
    var headers = 0
    caseload.generate(
        into: .init(
            participants: { line in
                let c = cells(line)
                guard let p = try? Personnummer(c[0], currentYear: 2026) else { headers += 1; return }
                people.append(
                    ParticipantFacts(
                        person: p, municipality: try! Kommunkod(c[4]), firstPermitDate: try! Day(iso: c[5]), registeredOn: try! Day(iso: c[6]),
                        exitedOn: c[7].isEmpty ? nil : try! Day(iso: c[7]), upperSecondaryCompleted: c[9] == "yes"))
            },
            events: { line in
                let c = cells(line)
                guard let p = try? Personnummer(c[0], currentYear: 2026) else { return }
                events.append(TrackEventFact(person: p, track: codes.firstIndex(of: c[1])!, kind: TrackEventKind(rawValue: c[2])!, date: try! Day(iso: c[3])))
            },
            statuses: { line in
                let c = cells(line)
                guard let p = try? Personnummer(c[0], currentYear: 2026) else { return }
                statuses.append(StatusFact(person: p, status: Outcome(rawValue: c[1])!, date: try! Day(iso: c[2])))
            },
            activities: { _ in }))
    return ReportInput(participants: people, events: events, statuses: statuses)
}

/// A small deterministic generator, so that one property-test seed gives one whole caseload.
struct SpecRandom {
    var state: UInt64
    init(seed: Int) { state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    mutating func day(_ from: String, _ to: String) -> Day {
        let a = Spec.day(from), b = Spec.day(to)
        return a.adding(days: int(0...(b - a)))
    }
}

/// A random caseload over `Spec.standard`'s three tracks: participants of two party
/// municipalities and one other, with events and statuses from 2013 to 2021.
func specRandomInput(seed: Int, participants count: Int = 30) -> ReportInput {
    var rng = SpecRandom(seed: seed)
    let pool = Spec.testPersonnummer
    let start = rng.int(0...(pool.count - count * 40))
    let people = (0..<count).map { pool[start + $0 * 37] }
    var participants: [ParticipantFacts] = []
    var events: [TrackEventFact] = []
    var statuses: [StatusFact] = []
    for p in people {
        let permit = rng.day("2013-01-01", "2019-12-31")
        let registered = permit.adding(days: rng.int(-100...900))
        let exited: Day? = rng.chance(0.3) ? registered.adding(days: rng.int(0...1200)) : nil
        let municipality = [Spec.haninge, Spec.tyreso, Spec.eskilstuna][rng.int(0...2)]
        let sex: Sex? = rng.chance(0.2) ? (rng.chance(0.5) ? .male : .female) : nil
        participants.append(
            ParticipantFacts(
                person: p, sex: sex, municipality: municipality, firstPermitDate: permit, registeredOn: registered, exitedOn: exited,
                upperSecondaryCompleted: rng.chance(0.4)))
        for _ in 0..<rng.int(0...10) {
            events.append(
                TrackEventFact(
                    person: p, track: rng.int(0...2), kind: TrackEventKind.allCases[rng.int(0...6)], date: rng.day("2015-06-01", "2021-06-30")))
        }
        var dates = Set<Day>()
        for _ in 0..<rng.int(0...4) { dates.insert(rng.day("2013-01-01", "2021-06-30")) }
        for date in dates.sorted() { statuses.append(StatusFact(person: p, status: Outcome.allCases[rng.int(0...3)], date: date)) }
    }
    return ReportInput(participants: participants, events: events, statuses: statuses)
}

@Suite("Invariants (property-based)")
struct PropertyTests {
    @Test func sharesAreAlwaysFractions() async {
        await propertyCheck(count: 20, input: Gen.int(in: 1...1_000_000), Gen.int(in: 2016...2019)) { seed, year in
            let input = randomInput(seed: UInt64(seed), participants: 60)
            let r = Report.compute(for: Fixture.agreement, year: year, asOf: Day.lastOfYear(year).adding(days: 90), input: input)
            var shares = [r.recruitment.share, r.establishment.within.share, r.establishment.kmShareWithinGoal]
            for t in r.tracks { shares += [t.acceptance.share, t.completion.share, t.outcome.share, t.genderGoal?.ratio.share] }
            for share in shares.compactMap({ $0 }) { #expect(share >= 0 && share <= 1) }
            #expect(r.participants.female + r.participants.male == r.participants.active)
            #expect(r.participants.targetGroupA <= r.participants.active)
        }
    }

    @Test func sharesAreFractionsAndCountsAreConsistent() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000), Gen.int(in: 2016...2020), Gen.int(in: 0...900)) { seed, year, offset in
            let input = specRandomInput(seed: seed)
            let asOf = Day.firstOfYear(year).adding(days: offset)
            let r = Report.compute(for: Spec.standard, year: year, asOf: asOf, input: input)
            var ratios = [r.recruitment, r.establishment.within]
            for t in r.tracks { ratios += [t.acceptance, t.completion, t.outcome] + (t.genderGoal.map { [$0.ratio] } ?? []) }
            for ratio in ratios {
                #expect(ratio.numerator >= 0 && ratio.numerator <= ratio.denominator, "\(ratio)")
                if let share = ratio.share { #expect(share >= 0 && share <= 1) } else { #expect(ratio.denominator == 0) }
            }
            if let km = r.establishment.kmShareWithinGoal { #expect(km >= 0 && km <= 1) }
            let p = r.participants
            #expect(p.female + p.male == p.active)
            #expect(p.targetGroupA <= p.active && p.targetGroupB <= p.active)
            #expect(r.municipalities.map(\.active).reduce(0, +) == p.active)
            #expect(r.recruitment.denominator == p.active)
            #expect(r.establishment.population == p.targetGroupA)
            #expect(r.establishment.measurable <= r.establishment.population)
            #expect(r.establishment.establishedWithinGoal <= r.establishment.measurable)
            for t in r.tracks {
                for kind in TrackEventKind.allCases { #expect(t.count(kind) <= p.active) }
                #expect(t.acceptance.denominator == t.count(.attended))
                #expect(t.completion.denominator <= t.count(.completed) + t.count(.discontinued))
                #expect(t.completion.numerator <= t.count(.completed))
                #expect(t.outcome.denominator <= t.count(.completed))
            }
        }
    }

    /// SPEC §3: the gender goal is over "those who completed T in Y", the very participants
    /// counted in `completed`.
    @Test func genderGoalDenominatorIsTheCompletedCount() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000), Gen.int(in: 2016...2020)) { seed, year in
            let input = specRandomInput(seed: seed)
            let r = Report.compute(for: Spec.standard, year: year, asOf: Day.lastOfYear(year).adding(days: 120), input: input)
            for t in r.tracks {
                if let goal = t.genderGoal { #expect(goal.ratio.denominator == t.count(.completed), "\(t.code)") }
            }
        }
    }

    @Test func factsDatedAfterAsOfNeverChangeAReport() async {
        await propertyCheck(count: 20, input: Gen.int(in: 1...1_000_000), Gen.int(in: 1...400)) { seed, later in
            let input = randomInput(seed: UInt64(seed), participants: 40)
            let asOf = Day(year: 2018, month: 9, day: 30)!
            let before = Report.compute(for: Fixture.agreement, year: 2018, asOf: asOf, input: input)
            var more = input
            for p in input.participants {
                more.events.append(TrackEventFact(person: p.person, track: seed % 4, kind: .completed, date: asOf.adding(days: later)))
                more.statuses.append(StatusFact(person: p.person, status: .work, date: asOf.adding(days: later)))
            }
            #expect(Report.compute(for: Fixture.agreement, year: 2018, asOf: asOf, input: more) == before)
        }
    }

    @Test func factsDatedAfterAsOfNeverChangeTheReport() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000), Gen.int(in: 2016...2020), Gen.int(in: 0...600)) { seed, year, offset in
            let input = specRandomInput(seed: seed)
            let asOf = Day.firstOfYear(year).adding(days: offset)
            let before = Report.compute(for: Spec.standard, year: year, asOf: asOf, input: input)
            var rng = SpecRandom(seed: seed &+ 7)
            var more = input
            for p in input.participants {
                for _ in 0..<rng.int(1...3) {
                    more.events.append(
                        TrackEventFact(
                            person: p.person, track: rng.int(0...2), kind: TrackEventKind.allCases[rng.int(0...6)],
                            date: asOf.adding(days: rng.int(1...500))))
                }
            }
            // A status after asOf and an exit after asOf for some.
            let extraStatuses = input.participants.map { StatusFact(person: $0.person, status: .work, date: asOf.adding(days: 1)) }
            more.statuses.removeAll { s in extraStatuses.contains { $0.person == s.person && $0.date == s.date } }
            more.statuses += extraStatuses
            for i in more.participants.indices where more.participants[i].exitedOn == nil && rng.chance(0.5) {
                more.participants[i].exitedOn = asOf.adding(days: rng.int(1...300))
            }
            let after = Report.compute(for: Spec.standard, year: year, asOf: asOf, input: more)
            #expect(after == before)
            // Someone registered only after asOf does not exist either.
            let newcomer = Spec.testPersonnummer.last!
            more.participants.append(
                ParticipantFacts(
                    person: newcomer, municipality: Spec.haninge, firstPermitDate: asOf.adding(days: -30), registeredOn: asOf.adding(days: 1),
                    upperSecondaryCompleted: false))
            more.events.append(TrackEventFact(person: newcomer, track: 0, kind: .attended, date: asOf))
            #expect(Report.compute(for: Spec.standard, year: year, asOf: asOf, input: more) == before)
        }
    }

    /// SPEC §3 defines every figure over sets of facts: the order in which the store hands
    /// them over cannot matter.
    @Test func theOrderOfTheInputDoesNotMatter() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000), Gen.int(in: 2016...2020)) { seed, year in
            let input = specRandomInput(seed: seed)
            let asOf = Day.lastOfYear(year).adding(days: 120)
            var rng = SpecRandom(seed: seed &+ 11)
            func shuffled<T>(_ items: [T]) -> [T] {
                var a = items
                if a.count > 1 {
                    for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, rng.int(0...i)) }
                }
                return a
            }
            let mixed = ReportInput(participants: shuffled(input.participants), events: shuffled(input.events), statuses: shuffled(input.statuses))
            #expect(
                Report.compute(for: Spec.standard, year: year, asOf: asOf, input: mixed)
                    == Report.compute(for: Spec.standard, year: year, asOf: asOf, input: input))
        }
    }

    @Test func csvRecordsDoNotDependOnHowTheFileIsChunked() async throws {
        let text =
            "\u{FEFF}person_id;given_name;family_name\r\n1;\"Anna \"\"Nina\"\"\";\"Svensson;Berg\"\r\n"
            + "2;\"Multi\r\nline\nname\";x\r\n\r\n3;;\r\n\n4;\"\";\"\"\"\"\"\"\r\n5;a;b"
        let bytes = Array(text.utf8)
        func records(_ next: @escaping () -> [UInt8]?) throws -> [[String]] {
            var reader = CSVReader(refill: next)
            var record = CSVRecord()
            var out: [[String]] = []
            while try reader.next(into: &record) { out.append(["\(record.line)"] + (0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }) }
            return out
        }
        var whole = false
        let expected = try records {
            if whole { return nil }
            whole = true
            return bytes
        }
        #expect(expected.count == 6)
        #expect(expected[3] == ["7", "3", "", ""])
        #expect(expected[4] == ["9", "4", "", "\"\""])
        await propertyCheck(count: 100, input: Gen.int(in: 1...12).array(of: 1...40)) { sizes in
            var offset = 0
            var i = 0
            let chunked = try records {
                guard offset < bytes.count else { return nil }
                let size = sizes[i % sizes.count]
                i += 1
                let end = min(bytes.count, offset + size)
                defer { offset = end }
                return Array(bytes[offset..<end])
            }
            #expect(chunked == expected, "chunk sizes \(sizes)")
        }
    }

    @Test func kaplanMeierIsAProperSurvivalCurve() async {
        await propertyCheck(input: Gen.int(in: 0...1000).array(of: 0...40), Gen.bool.array(of: 0...40)) { times, events in
            let observations = zip(times, events).map { KaplanMeier.Observation(time: $0, isEvent: $1) }
            let km = KaplanMeier(observations: observations)
            var previous = 1.0
            for t in stride(from: 0, through: 1000, by: 50) {
                let s = km.survival(at: t)
                #expect(s >= 0 && s <= previous + 1e-12)
                previous = s
            }
            if !observations.isEmpty { #expect(1 - km.survival(at: 730) >= 0) }
        }
    }

    @Test func kaplanMeierIsANonIncreasingCurveMatchingTheDefinition() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...1000).array(of: 0...40), Gen.bool.array(of: 0...40)) { times, flags in
            let observations = zip(times, flags).map { (time: $0, event: $1) }
            let km = KaplanMeier(observations: observations.map { .init(time: $0.time, isEvent: $0.event) })
            var previous = 1.0
            for t in stride(from: -10, through: 1010, by: 10) {
                let s = km.survival(at: t)
                #expect(s >= 0 && s <= 1)
                #expect(s <= previous, "S rose at \(t)")  // so 1 − S is non-decreasing in the horizon
                #expect(abs(s - referenceSurvival(observations, at: t)) < 1e-9, "S(\(t))")
                previous = s
            }
            #expect(1 - km.survival(at: 730) >= 0)
            if let median = km.median {
                #expect(referenceSurvival(observations, at: median) <= 0.5 + 1e-9)
                #expect(observations.contains { $0.event && $0.time == median })
                for t in Set(observations.filter(\.event).map(\.time)) where t < median {
                    #expect(referenceSurvival(observations, at: t) > 0.5 - 1e-9)
                }
            } else if !observations.isEmpty {
                #expect(referenceSurvival(observations, at: 1000) > 0.5 - 1e-9)
            }
        }
    }

    @Test func changingOneDigitBreaksTheCheckDigit() async {
        let numbers = Array(TestIdentityNumbers.all.prefix(2000))
        await propertyCheck(input: Gen.int(in: 0...(numbers.count - 1)), Gen.int(in: 2...11), Gen.int(in: 1...9)) { index, position, delta in
            var digits = Array(numbers[index].twelveDigits)
            let old = Int(String(digits[position]))!
            digits[position] = Character(String((old + delta) % 10))
            #expect(throws: IdentityNumberError.self) { _ = try Personnummer(String(digits), currentYear: 2026) }
        }
    }

    @Test func changingAnyOneDigitOfAnIdentityNumberMakesItInvalid() async {
        let numbers =
            Spec.testPersonnummer + ((try? Spec.rows("skatteverket-test-samordningsnummer.csv")) ?? []).map { try! Personnummer($0, currentYear: 2026) }
        await propertyCheck(count: 400, input: Gen.int(in: 0...(numbers.count - 1)), Gen.int(in: 2...11), Gen.int(in: 1...9)) { index, position, delta in
            var digits = Array(numbers[index].twelveDigits)
            digits[position] = Character(String((Int(String(digits[position]))! + delta) % 10))
            let changed = String(digits)
            #expect(throws: IdentityNumberError.self, "\(numbers[index]) → \(changed)") { try Personnummer(changed, currentYear: 2026) }
            // The ten-digit spelling is checked the same way.
            #expect(throws: IdentityNumberError.self) { try Personnummer(String(changed.dropFirst(2)), currentYear: 2026) }
        }
    }

    @Test func changingAnyOneDigitOfAnOrganisationsnummerMakesItInvalid() async {
        let seeds = ["2021002114", "2220002162", "2120000084", "2120000233", "2120000092"]
        await propertyCheck(input: Gen.int(in: 0...4), Gen.int(in: 0...9), Gen.int(in: 1...9)) { index, position, delta in
            var digits = Array(seeds[index])
            digits[position] = Character(String((Int(String(digits[position]))! + delta) % 10))
            #expect(throws: IdentityNumberError.self) { try Organisationsnummer(String(digits)) }
        }
    }

    @Test func exactlyOneCheckDigitCompletesNineDigits() async {
        await propertyCheck(input: Gen.int(in: 0...9).array(of: 9)) { nine in
            let prefix = nine.map(String.init).joined()
            let valid = (0...9).filter { (try? Organisationsnummer(prefix + String($0))) != nil }
            #expect(valid.count == 1)
            // The error for any other digit names the valid one.
            if let good = valid.first {
                let other = (good + 1) % 10
                #expect(throws: IdentityNumberError.checkDigit(expected: good, actual: other)) { try Organisationsnummer(prefix + String(other)) }
            }
        }
    }
}
