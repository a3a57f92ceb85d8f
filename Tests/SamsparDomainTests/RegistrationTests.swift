import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §2, *Registrations*: one person, several parties, counted once. Every expected value
/// is worked out by hand in the comment beside it.
@Suite("Registrations: one person, several parties")
struct RegistrationTests {
    typealias S = Spec

    static let haninge = try! Organisationsnummer("212000-0084")
    static let af = try! Organisationsnummer("202100-2114")
    static let association = try! Organisationsnummer("222000-2162")
    static let tyreso = try! Organisationsnummer("212000-0092")

    static func registration(
        _ p: Personnummer, by party: Organisationsnummer, _ kind: OrganisationKind?, changed: Int64 = 1, municipality: Kommunkod = S.haninge,
        permit: String = "2017-01-01", registered: String = "2018-01-10", exited: String? = nil, given: String? = nil, sex: Sex? = nil,
        upperSecondary: Bool = false, education: String? = nil
    ) -> Registration {
        Registration(
            record: ParticipantRecord(
                person: p, givenName: given, familyName: nil, explicitSex: sex, municipality: municipality, firstPermitDate: S.day(permit),
                registeredOn: S.day(registered), exitedOn: exited.map(S.day), exitReason: exited == nil ? nil : "work",
                upperSecondaryCompleted: upperSecondary, educationLevel: education),
            party: party, partyKind: kind, changed: changed)
    }

    @Test func registeredOnIsTheEarliest() throws {
        let p = S.people(1)[0]
        let merged = try #require(
            Registrations.merge(
                [
                    Self.registration(p, by: Self.haninge, .municipality, registered: "2018-03-01"),
                    Self.registration(p, by: Self.af, .employmentService, registered: "2018-01-15"),
                ], asOf: S.day("2019-01-01")))
        #expect(merged.registeredOn == S.day("2018-01-15"))
    }

    @Test func aRegistrationAfterAsOfDoesNotExistYet() throws {
        let p = S.people(1)[0]
        let regs = [
            Self.registration(p, by: Self.haninge, .municipality, registered: "2018-06-01", given: "Kommunens"),
            Self.registration(p, by: Self.af, .employmentService, registered: "2018-01-15", given: "AF:s"),
        ]
        // On 2018-03-01 only Arbetsförmedlingen's exists: its name, its date.
        let early = try #require(Registrations.merge(regs, asOf: S.day("2018-03-01")))
        #expect(early.givenName == "AF:s" && early.registeredOn == S.day("2018-01-15"))
        // Before both: nobody.
        #expect(Registrations.merge(regs, asOf: S.day("2018-01-14")) == nil)
        // Later: the municipality's name wins, the earliest date stays.
        let late = try #require(Registrations.merge(regs, asOf: S.day("2018-07-01")))
        #expect(late.givenName == "Kommunens" && late.registeredOn == S.day("2018-01-15"))
    }

    @Test func exitedOnlyWhenEveryRegistrationHasExitedOnTheLatestDate() throws {
        let p = S.people(1)[0]
        let asOf = S.day("2019-06-30")
        // Both exited: 2019-02-01 and 2019-04-01 → exited 2019-04-01.
        let both = try #require(
            Registrations.merge(
                [
                    Self.registration(p, by: Self.haninge, .municipality, exited: "2019-02-01"),
                    Self.registration(p, by: Self.af, .employmentService, exited: "2019-04-01"),
                ], asOf: asOf))
        #expect(both.exitedOn == S.day("2019-04-01"))
        // One has not exited: not exited.
        let one = try #require(
            Registrations.merge(
                [Self.registration(p, by: Self.haninge, .municipality, exited: "2019-02-01"), Self.registration(p, by: Self.af, .employmentService)],
                asOf: asOf))
        #expect(one.exitedOn == nil)
        // An exit after asOf does not exist yet: not exited on 2019-03-01.
        let later = try #require(
            Registrations.merge(
                [
                    Self.registration(p, by: Self.haninge, .municipality, exited: "2019-02-01"),
                    Self.registration(p, by: Self.af, .employmentService, exited: "2019-04-01"),
                ], asOf: S.day("2019-03-01")))
        #expect(later.exitedOn == nil)
    }

    @Test func otherAttributesByPrecedenceOfTheParty() throws {
        let p = S.people(1)[0]
        let asOf = S.day("2019-06-30")
        // Municipality before employment service before any other, whatever the order given.
        let regs = [
            Self.registration(p, by: Self.association, .coordinationAssociation, municipality: S.nynashamn, permit: "2016-05-01"),
            Self.registration(p, by: Self.af, .employmentService, municipality: S.tyreso, permit: "2016-12-01", given: "AF"),
            Self.registration(p, by: Self.haninge, .municipality, permit: "2017-01-01", upperSecondary: true),
        ]
        let merged = try #require(Registrations.merge(regs, asOf: asOf))
        #expect(merged.municipality == S.haninge)
        #expect(merged.firstPermitDate == S.day("2017-01-01"))
        #expect(merged.upperSecondaryCompleted == true)
        // The municipality has no name: the first that has one, Arbetsförmedlingen's.
        #expect(merged.givenName == "AF")
        // Without the municipality: Arbetsförmedlingen's values.
        let withoutMunicipality = try #require(Registrations.merge(Array(regs.prefix(2)), asOf: asOf))
        #expect(withoutMunicipality.municipality == S.tyreso && withoutMunicipality.firstPermitDate == S.day("2016-12-01"))
    }

    @Test func aSexFromTheIdentityNumberIsNotAValue() throws {
        let man = S.people(1, .male)[0]
        let asOf = S.day("2019-06-30")
        // The municipality gives none (the number says male); Arbetsförmedlingen says female.
        let merged = try #require(
            Registrations.merge(
                [Self.registration(man, by: Self.haninge, .municipality), Self.registration(man, by: Self.af, .employmentService, sex: .female)],
                asOf: asOf))
        #expect(merged.sex == .female)
        // Nobody gives one: the number's.
        let derived = try #require(
            Registrations.merge([Self.registration(man, by: Self.haninge, .municipality), Self.registration(man, by: Self.af, .employmentService)], asOf: asOf))
        #expect(derived.sex == .male)
    }

    @Test func amongEqualsTheMostRecentlyChangedWins() throws {
        let p = S.people(1)[0]
        let asOf = S.day("2019-06-30")
        // Two municipalities (a move): changed 7 beats changed 3.
        let merged = try #require(
            Registrations.merge(
                [
                    Self.registration(p, by: Self.haninge, .municipality, changed: 3, municipality: S.haninge),
                    Self.registration(p, by: Self.tyreso, .municipality, changed: 7, municipality: S.tyreso),
                ], asOf: asOf))
        #expect(merged.municipality == S.tyreso)
        // A party the registry does not know counts as "any other".
        let unknown = try #require(
            Registrations.merge(
                [
                    Self.registration(p, by: Self.association, nil, changed: 9, municipality: S.nynashamn),
                    Self.registration(p, by: Self.af, .employmentService, changed: 1, municipality: S.tyreso),
                ], asOf: asOf))
        #expect(unknown.municipality == S.tyreso)
    }

    @Test func sameDateStatusesByPrecedenceOtherDatesFromEveryone() {
        let p = S.people(1)[0]
        let facts = [
            RegisteredFacts(
                registration: Self.registration(p, by: Self.af, .employmentService),
                statuses: [S.status(p, .none, "2018-05-01"), S.status(p, .work, "2018-06-01")]),
            RegisteredFacts(
                registration: Self.registration(p, by: Self.haninge, .municipality),
                statuses: [S.status(p, .studies, "2018-05-01"), S.status(p, .subsidizedWork, "2018-09-01")]),
        ]
        // 2018-05-01: the municipality's studies beats AF's none; the other dates from both.
        #expect(
            Registrations.statuses(facts) == [
                S.status(p, .studies, "2018-05-01"), S.status(p, .work, "2018-06-01"), S.status(p, .subsidizedWork, "2018-09-01"),
            ])
    }

    /// Through the report: one person, two registrations, counted once; the figures follow
    /// the merged attributes and the union of records.
    @Test func theReportCountsEachPersonOnceFromTheUnion() {
        let p = S.people(2)
        let agreement = S.agreement(municipalities: ["0136"])
        let facts = [
            // Person 0: Haninge (party municipality) and AF; AF recorded the meeting, Haninge the acceptance.
            RegisteredFacts(
                registration: Self.registration(p[0], by: Self.haninge, .municipality, registered: "2018-02-01"),
                events: [S.event(p[0], "vard", .accepted, "2018-03-20", in: agreement)]),
            RegisteredFacts(
                registration: Self.registration(p[0], by: Self.af, .employmentService, municipality: S.tyreso, registered: "2018-01-10"),
                events: [S.event(p[0], "vard", .attended, "2018-03-10", in: agreement)]),
            // Person 1: only AF, living in Tyresö: not in this agreement's population.
            RegisteredFacts(registration: Self.registration(p[1], by: Self.af, .employmentService, municipality: S.tyreso)),
        ]
        let input = Registrations.reportInput(facts, asOf: S.day("2019-03-31"))
        #expect(input.participants.map(\.person) == [p[0], p[1]])
        #expect(input.participants[0].municipality == S.haninge)
        #expect(input.participants[0].registeredOn == S.day("2018-01-10"))
        let r = Report.compute(for: agreement, year: 2018, asOf: S.day("2019-03-31"), input: input)
        #expect(r.participants.active == 1)
        #expect(S.track(r, "vard").count(.attended) == 1)
        #expect(S.track(r, "vard").acceptance == Ratio(1, of: 1))
    }

    /// A person with one registration takes the report input's short way (issue 27): the same
    /// rules as a group's, checked here on values worked out by hand.
    @Test func aLoneRegistrationKeepsTheRulesOfTheGroup() throws {
        let p = S.people(3)
        let agreement = S.agreement(municipalities: ["0136"])
        let facts = [
            // Given out of order: person 2 first. Person 2 registers after the day: absent, events and all.
            RegisteredFacts(
                registration: Self.registration(p[2], by: Self.haninge, .municipality, registered: "2019-04-02"),
                events: [S.event(p[2], "vard", .attended, "2019-04-03", in: agreement)]),
            // Person 0 exits on 2019-04-01, after the day: not exited yet, no exit reason.
            RegisteredFacts(
                registration: Self.registration(p[0], by: Self.haninge, .municipality, registered: "2018-02-01", exited: "2019-04-01", sex: .female),
                events: [S.event(p[0], "vard", .attended, "2018-03-10", in: agreement)],
                statuses: [StatusFact(person: p[0], status: .work, date: S.day("2018-09-01"))]),
            // Person 1 exits on 2019-03-01, by the day: exited then.
            RegisteredFacts(registration: Self.registration(p[1], by: Self.af, .employmentService, registered: "2018-05-05", exited: "2019-03-01")),
        ]
        let asOf = S.day("2019-03-31")
        let input = Registrations.reportInput(facts, asOf: asOf)
        #expect(input.participants.map(\.person) == [p[0], p[1]])
        #expect(input.participants.map(\.exitedOn) == [nil, S.day("2019-03-01")])
        #expect(input.participants.map(\.registeredOn) == [S.day("2018-02-01"), S.day("2018-05-05")])
        #expect(input.participants[0].sex == .female)
        #expect(input.events.map(\.person) == [p[0]])
        #expect(input.statuses == [StatusFact(person: p[0], status: .work, date: S.day("2018-09-01"))])
        let lone = try #require(Registrations.merge(facts[1].registration, asOf: asOf))
        #expect(lone.exitedOn == nil && lone.exitReason == nil)
        let gone = try #require(Registrations.merge(facts[2].registration, asOf: asOf))
        #expect(gone.exitedOn == S.day("2019-03-01") && gone.exitReason == "work")
        #expect(Registrations.merge(facts[0].registration, asOf: asOf) == nil)
    }

    /// A party's own input in a close is made from the positions of its registrations among the
    /// agreement's facts (issue 27), in any order, with the same rules as a list of its own.
    @Test func anInputFromPositionsTakesOnlyThoseRegistrations() {
        let p = S.people(3)
        let agreement = S.agreement(municipalities: ["0136"])
        let facts = [
            RegisteredFacts(registration: Self.registration(p[1], by: Self.af, .employmentService, registered: "2018-05-05")),
            RegisteredFacts(
                registration: Self.registration(p[0], by: Self.haninge, .municipality, registered: "2018-02-01", sex: .female),
                events: [S.event(p[0], "vard", .attended, "2018-03-10", in: agreement)]),
            RegisteredFacts(
                registration: Self.registration(p[0], by: Self.af, .employmentService, registered: "2018-01-10"),
                statuses: [StatusFact(person: p[0], status: .work, date: S.day("2018-09-01"))]),
            // Registered after the day: left out wherever it is named.
            RegisteredFacts(registration: Self.registration(p[2], by: Self.haninge, .municipality, registered: "2019-04-02")),
        ]
        let asOf = S.day("2019-03-31")
        // Haninge's own: person 0 as Haninge registered them, with Haninge's event only.
        let haninge = Registrations.reportInput(facts, at: [3, 1], asOf: asOf)
        #expect(haninge.participants.map(\.person) == [p[0]])
        #expect(haninge.participants.map(\.registeredOn) == [S.day("2018-02-01")])
        #expect(haninge.participants.map(\.sex) == [.female])
        #expect(haninge.events.map(\.person) == [p[0]])
        #expect(haninge.statuses.isEmpty)
        // Arbetsförmedlingen's own, named out of person order: persons 0 and 1, AF's status only.
        let af = Registrations.reportInput(facts, at: [0, 2], asOf: asOf)
        #expect(af.participants.map(\.person) == [p[0], p[1]])
        #expect(af.participants.map(\.registeredOn) == [S.day("2018-01-10"), S.day("2018-05-05")])
        #expect(af.events.isEmpty)
        #expect(af.statuses == [StatusFact(person: p[0], status: .work, date: S.day("2018-09-01"))])
        // Both registrations of person 0 merge: the earliest registration, Haninge's event, AF's status.
        let both = Registrations.reportInput(facts, at: [2, 3, 1], asOf: asOf)
        #expect(both.participants.map(\.person) == [p[0]])
        #expect(both.participants.map(\.registeredOn) == [S.day("2018-01-10")])
        #expect(both.events.count == 1 && both.statuses.count == 1)
        #expect(Registrations.reportInput(facts, at: [], asOf: asOf).participants.isEmpty)
    }

    /// A report is read in two halves by identity number's remainder; they come together in
    /// identity-number order, each person's registrations as read.
    @Test func theTwoHalvesOfAReadComeTogetherInPersonOrder() {
        let p = S.people(4)
        func f(_ i: Int, _ party: Organisationsnummer) -> RegisteredFacts {
            RegisteredFacts(registration: Self.registration(p[i], by: party, party == Self.af ? .employmentService : .municipality))
        }
        func described(_ x: [RegisteredFacts]) -> [String] {
            x.map { "\(p.firstIndex(of: $0.registration.person)!)\($0.registration.party == Self.af ? "af" : "h")" }
        }
        // Each half in order: merged.
        #expect(
            described(RegisteredFacts.inPersonOrder([f(0, Self.af), f(0, Self.haninge), f(2, Self.haninge)], [f(1, Self.haninge), f(3, Self.af)])) == [
                "0af", "0h", "1h", "2h", "3af",
            ])
        // A half out of order: sorted, person 2's two registrations in the order read.
        #expect(
            described(RegisteredFacts.inPersonOrder([f(2, Self.haninge), f(2, Self.af), f(0, Self.af)], [f(3, Self.af), f(1, Self.haninge)])) == [
                "0af", "1h", "2h", "2af", "3af",
            ])
        #expect(described(RegisteredFacts.inPersonOrder([], [f(1, Self.haninge)])) == ["1h"])
    }

    @Test func disagreementsNameTheAttributeAndEveryPartysValue() {
        let p = S.people(1)[0]
        let found = Registrations.disagreements([
            Self.registration(p, by: Self.af, .employmentService, permit: "2016-12-01", registered: "2018-01-01", given: "Amena"),
            Self.registration(p, by: Self.haninge, .municipality, permit: "2017-01-01", registered: "2018-02-01", given: "Amina"),
        ])
        // Registration dates differ too, but they are each party's own: not a disagreement.
        #expect(found.map(\.attribute) == ["givenName", "firstPermitDate"])
        #expect(found[0].values.map { "\($0.party)=\($0.value)" } == ["212000-0084=Amina", "202100-2114=Amena"])
    }
}
