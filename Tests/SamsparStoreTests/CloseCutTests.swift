import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// The quarters' closes of one agreement version are cut from one read (issue 27,
/// ``CloseSnapshot/cut(_:to:)``). Here the read is built by hand and every quarter's snapshot
/// is written out: who belongs to the population by the quarter's end (a registration in one
/// of the agreement's municipalities by then), which registrations and dated facts exist by
/// then, which activities fall in the quarter's year, and what each organisation may see.
@Suite("A quarter's close cut from one read")
struct CloseCutTests {
    // Skatteverket's test numbers.
    static let a: Int64 = 199_001_012_385
    static let b: Int64 = 199_009_132_391
    static let c: Int64 = 199_105_152_392
    static let haninge = try! Organisationsnummer("212000-0084")
    static let af = try! Organisationsnummer("202100-2114")
    static let tyreso = try! Organisationsnummer("212000-0092")

    static func day(_ text: String) -> Day { try! Day(iso: text) }

    static func facts(
        _ person: Int64, _ party: Organisationsnummer, municipality: Int16, registered: String, events: [String] = [], statuses: [String] = []
    ) -> RegisteredFacts {
        let p = Personnummer(storedValue: person)
        return RegisteredFacts(
            registration: Registration(
                record: ParticipantRecord(
                    person: p, givenName: nil, familyName: nil, explicitSex: nil, municipality: Kommunkod(storedValue: municipality),
                    firstPermitDate: day("2016-01-01"), registeredOn: day(registered), exitedOn: nil, exitReason: nil, upperSecondaryCompleted: false,
                    educationLevel: nil),
                party: party, partyKind: party == af ? .employmentService : .municipality, changed: 1),
            events: events.map { TrackEventFact(person: p, track: 0, kind: .attended, date: day($0)) },
            statuses: statuses.map { StatusFact(person: p, status: .work, date: day($0)) })
    }

    static func activity(_ person: Int64, _ kind: String, _ party: Organisationsnummer, start: String, end: String?, registered: String) -> (
        span: ActivitySpan, registeredOn: Day
    ) {
        (ActivitySpan(person: person, kind: kind, start: day(start), end: end.map(day), hoursPerWeek: nil, party: party.value), day(registered))
    }

    /// The agreement covers Haninge (0136) and Tyresö (0138); Eskilstuna (0484) is outside.
    /// - A: Arbetsförmedlingen's registration in Eskilstuna (2017-02-01) and Haninge's
    ///   (2018-01-10), Haninge's events on 2018-02-01 and 2018-08-31, its status on 2018-09-01.
    /// - B: Arbetsförmedlingen's in Eskilstuna (2017-01-01), Haninge's from 2018-05-01.
    /// - C: Tyresö's from 2018-04-15.
    /// Tyresö holds a consent to A's registration at Haninge.
    static let read = CloseRead(
        municipalities: [136, 138],
        facts: [
            facts(a, af, municipality: 484, registered: "2017-02-01"),
            facts(a, haninge, municipality: 136, registered: "2018-01-10", events: ["2018-02-01", "2018-08-31"], statuses: ["2018-09-01"]),
            facts(b, af, municipality: 484, registered: "2017-01-01"),
            facts(b, haninge, municipality: 136, registered: "2018-05-01"),
            facts(c, tyreso, municipality: 138, registered: "2018-04-15"),
        ],
        activities: [
            activity(a, "sfi", haninge, start: "2017-11-01", end: "2017-12-31", registered: "2018-01-10"),
            activity(a, "praktik", haninge, start: "2018-03-01", end: nil, registered: "2018-01-10"),
            activity(b, "praktik", haninge, start: "2018-02-01", end: "2018-12-31", registered: "2018-05-01"),
            activity(c, "sfi", tyreso, start: "2018-05-01", end: nil, registered: "2018-04-15"),
        ],
        organisations: [af, haninge, tyreso],
        consented: [(tyreso, PersonParty(person: a, org: haninge.value))])

    /// A snapshot as plain text, for comparing with what is written out by hand.
    static func described(_ snapshot: CloseSnapshot) -> (facts: [String], activities: [String], visible: [String]) {
        let facts = snapshot.facts.map { f in
            "\(f.registration.person.value) \(f.registration.party) e:\(f.events.map(\.date.description).joined(separator: ","))"
                + " s:\(f.statuses.map(\.date.description).joined(separator: ","))"
        }
        let activities = snapshot.activities.map { "\($0.person) \($0.kind) \($0.party)" }
        let visible = snapshot.visible.sorted { $0.key < $1.key }.map { org, set in
            "\(org): " + set.sorted().map { "\($0.person)@\($0.org)" }.joined(separator: " ")
        }
        return (facts, activities, visible)
    }

    @Test func theFirstQuarterHasOnlyWhoWasInTheAgreementByItsEnd() {
        // 2018-03-31: B has no registration in 0136 or 0138 yet, C none at all; A's second
        // event and its status are later; the 2017 activity ends before the year.
        let q1 = Self.described(CloseSnapshot.cut(Self.read, to: Quarter(year: 2018, number: 1)!))
        #expect(q1.facts == ["199001012385 202100-2114 e: s:", "199001012385 212000-0084 e:2018-02-01 s:"])
        #expect(q1.activities == ["199001012385 praktik 2120000084"])
        #expect(
            q1.visible == [
                "202100-2114: 199001012385@2021002114", "212000-0084: 199001012385@2120000084", "212000-0092: 199001012385@2120000084",
            ])
    }

    @Test func theSecondQuarterAddsWhoCameInAndWhatTheyBrought() {
        // 2018-06-30: B is in through Haninge's registration, and brings Arbetsförmedlingen's
        // in Eskilstuna; C is in; A's second event and its status are still later.
        let q2 = Self.described(CloseSnapshot.cut(Self.read, to: Quarter(year: 2018, number: 2)!))
        #expect(
            q2.facts == [
                "199001012385 202100-2114 e: s:", "199001012385 212000-0084 e:2018-02-01 s:", "199009132391 202100-2114 e: s:",
                "199009132391 212000-0084 e: s:", "199105152392 212000-0092 e: s:",
            ])
        #expect(q2.activities == ["199001012385 praktik 2120000084", "199009132391 praktik 2120000084", "199105152392 sfi 2120000092"])
        #expect(
            q2.visible == [
                "202100-2114: 199001012385@2021002114 199009132391@2021002114",
                "212000-0084: 199001012385@2120000084 199009132391@2120000084",
                "212000-0092: 199001012385@2120000084 199105152392@2120000092",
            ])
    }

    @Test func theThirdQuarterHasEveryFactDatedByItsEnd() {
        let q3 = Self.described(CloseSnapshot.cut(Self.read, to: Quarter(year: 2018, number: 3)!))
        #expect(q3.facts[1] == "199001012385 212000-0084 e:2018-02-01,2018-08-31 s:2018-09-01")
    }

    @Test func theSnapshotsAreCutWhenAskedFor() {
        let snapshots = CloseSnapshots(read: Self.read, quarters: [Quarter(year: 2018, number: 1)!, Quarter(year: 2018, number: 2)!])
        #expect(snapshots.count == 2)
        #expect(snapshots.map { $0.facts.count } == [2, 5])
    }

    /// The closes' read is one snapshot only when nothing but reads landed while it was taken
    /// (issue 21's soak: a case system reading all the time must not keep the closes from being
    /// made). An act lands inside the window for certain here: a read's entry lets the
    /// snapshot stand, an import's makes every attempt fail.
    @Test(arguments: Engine.available)
    func aReadInTheWindowLeavesTheSnapshotAndAWriteDoesNot(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let agreement = try Fixtures.agreement
            let quarters = [Quarter(year: 2018, number: 1)!, Quarter(year: 2018, number: 2)!]
            func landing(_ action: String) -> @Sendable () async throws -> Void {
                {
                    try await store.appendAudit(
                        [AuditDraft(actor: "token:case system", role: "system", organisation: Self.haninge, action: action, person: nil, channel: "test")],
                        at: Date())
                }
            }
            let snapshots = try await store.closeSnapshots(for: agreement, quarters: quarters, on: Self.day("2019-05-01"), whileReading: landing("read"))
            // Haninge's 199001012385 (registered 2017-01-10) and 199009132391 (2018-02-01) by Q1; Q2 the same.
            #expect(
                snapshots.map { $0.facts.map(\.registration.person.value).filter { [Self.a, Self.b].contains($0) } } == [[Self.a, Self.b], [Self.a, Self.b]])
            await #expect(throws: StoreError.self) {
                _ = try await store.closeSnapshots(for: agreement, quarters: quarters, on: Self.day("2019-05-01"), whileReading: landing("import"))
            }
        }
    }
}
