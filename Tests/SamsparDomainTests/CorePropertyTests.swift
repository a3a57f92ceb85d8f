import PropertyBased
import Testing

@testable import SamsparDomain

/// Random caseloads from the demo generator (a different seed each case) to check invariants.
func randomInput(seed: UInt64, participants: Int) -> ReportInput {
    let caseload = Caseload.ostraSodertorn(agreement: Fixture.agreement, participants: participants, seed: seed)
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

@Suite("Invariants")
struct CorePropertyTests {
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

    @Test func changingOneDigitBreaksTheCheckDigit() async {
        let numbers = Array(TestIdentityNumbers.all.prefix(2000))
        await propertyCheck(input: Gen.int(in: 0...(numbers.count - 1)), Gen.int(in: 2...11), Gen.int(in: 1...9)) { index, position, delta in
            var digits = Array(numbers[index].twelveDigits)
            let old = Int(String(digits[position]))!
            digits[position] = Character(String((old + delta) % 10))
            #expect(throws: IdentityNumberError.self) { _ = try Personnummer(String(digits), currentYear: 2026) }
        }
    }
}
