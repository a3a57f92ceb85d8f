import Foundation
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@testable import SamsparWeb

/// When a quarter's close is due and what it is computed from (SPEC §3, issue 17 part 2), at
/// the boundaries, by hand.
@Suite struct QuarterCloseTests {
    static let operatorCaller = Caller.operator("test", on: .command("close"))

    @Test func aCloseIsDueOnTheThirtyFirstDayAfterTheQuarter() throws {
        let q1 = try #require(Quarter("2018-Q1"))
        #expect(Closes.dueOn(q1) == (try Day(iso: "2018-05-01")))
        #expect(!Closes.isDue(q1, today: try Day(iso: "2018-04-30")))
        #expect(Closes.isDue(q1, today: try Day(iso: "2018-05-01")))
        #expect(Closes.dueOn(try #require(Quarter("2018-Q4"))) == (try Day(iso: "2019-01-31")))
        #expect(Closes.dueOn(try #require(Quarter("2018-Q2")), delay: 10) == (try Day(iso: "2018-07-10")))
        // 00:00 in Stockholm: 22:00 UTC the evening before in summer time.
        #expect(Services.swedishDay(Date(timeIntervalSince1970: 1_525_125_599)) == (try Day(iso: "2018-04-30")))  // 2018-04-30T21:59:59Z
        #expect(Services.swedishDay(Date(timeIntervalSince1970: 1_525_125_600)) == (try Day(iso: "2018-05-01")))  // 2018-04-30T22:00:00Z
        #expect(Quarter("2018-Q5") == nil && Quarter("18-Q1") == nil && Quarter("2018-q1") == nil)
    }

    /// A party's own share, by hand: its registrations' positions and only the activities its
    /// visible registrations recorded. Person 1's activities come as the read orders them (by
    /// kind, then start), Haninge's and Arbetsförmedlingen's interleaved: Haninge, who may see
    /// only its own registration of person 1, gets Haninge's alone.
    @Test func aPartysOwnShareTakesOnlyTheActivitiesOfWhatItSees() throws {
        let (haninge, af): (Int64, Int64) = (2_120_000_084, 2_021_005_489)
        let p: [Int64] = [199_001_012_385, 199_009_132_391, 199_202_132_396]
        func registration(_ person: Int64, _ party: Int64) throws -> RegisteredFacts {
            RegisteredFacts(
                registration: Registration(
                    record: ParticipantRecord(
                        person: Personnummer(storedValue: person), givenName: nil, familyName: nil, explicitSex: nil,
                        municipality: try Kommunkod("0136"), firstPermitDate: try Day(iso: "2017-01-01"), registeredOn: try Day(iso: "2018-01-10"),
                        exitedOn: nil, exitReason: nil, upperSecondaryCompleted: false, educationLevel: nil),
                    party: Organisationsnummer(storedValue: party), partyKind: nil, changed: 1))
        }
        func activity(_ person: Int64, _ kind: String, _ start: String, _ party: Int64) throws -> ActivitySpan {
            ActivitySpan(person: person, kind: kind, start: try Day(iso: start), end: nil, hoursPerWeek: nil, party: party)
        }
        let facts = [try registration(p[0], af), try registration(p[1], haninge), try registration(p[1], af), try registration(p[2], haninge)]
        let activities = [
            try activity(p[0], "praktik", "2018-02-01", af),
            try activity(p[1], "praktik", "2018-02-01", haninge), try activity(p[1], "praktik", "2018-03-01", af),
            try activity(p[1], "sfi", "2018-02-01", af), try activity(p[1], "sfi", "2018-04-01", haninge),
            try activity(p[2], "sfi", "2018-02-01", haninge),
        ]
        // Haninge sees its two registrations; Arbetsförmedlingen its own two.
        let cases: [(visible: Set<PersonParty>, positions: [Int], spans: [String])] = [
            (
                [PersonParty(person: p[1], org: haninge), PersonParty(person: p[2], org: haninge)], [1, 3],
                ["199009132391 praktik 2018-02-01 2120000084", "199009132391 sfi 2018-04-01 2120000084", "199202132396 sfi 2018-02-01 2120000084"]
            ),
            (
                [PersonParty(person: p[0], org: af), PersonParty(person: p[1], org: af)], [0, 2],
                ["199001012385 praktik 2018-02-01 2021005489", "199009132391 praktik 2018-03-01 2021005489", "199009132391 sfi 2018-02-01 2021005489"]
            ),
        ]
        for (visible, positions, spans) in cases {
            let own = FigureOperations.own(facts, activities, visible: visible)
            #expect(own.positions == positions)
            #expect(own.spans.map { "\($0.person) \($0.kind) \($0.start) \($0.party)" } == spans)
        }
    }

    @Test func theQuartersRunFromTheFirstSignedVersionToTheEnd() throws {
        let from = try Day(iso: "2018-02-15")
        #expect(Closes.dueQuarters(firstSigned: from, lastDay: nil, today: try Day(iso: "2018-07-30")).map(\.description) == ["2018-Q1"])
        #expect(Closes.dueQuarters(firstSigned: from, lastDay: nil, today: try Day(iso: "2018-07-31")).map(\.description) == ["2018-Q1", "2018-Q2"])
        // An agreement that ends on 2019-05-31: its last quarter is 2019-Q2, whatever the day.
        let ended = Closes.dueQuarters(firstSigned: from, lastDay: try Day(iso: "2019-05-31"), today: try Day(iso: "2026-12-05"))
        #expect(ended.map(\.description) == ["2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2019-Q1", "2019-Q2"])
    }

    /// The day before and the day a close is due, over the operations the server and
    /// `samspar close` use; and a revision valid from the middle of a quarter, which the
    /// quarter's close is computed against because it is in force on the quarter's last day.
    @Test(arguments: Engine.available)
    func closesAreMadeWhenDueAgainstTheVersionInForce(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        var revised = try #require(try JSONSerialization.jsonObject(with: Caseload.ostraSodertornDocument) as? [String: Any])
        revised["validFrom"] = "2018-05-15"
        revised["title"] = "Östra Södertörn, reviderad"
        let document = try JSONSerialization.data(withJSONObject: revised)
        _ = try await h.store.importAgreement(try Agreement.parse(json: document), document: document, importedAt: Date())
        h.setDay("2018-04-30")
        #expect(try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services).isEmpty)
        await #expect(throws: APIError.self) {
            try await FigureOperations.makeCloses("ostra-sodertorn", quarter: Quarter("2018-Q1"), Self.operatorCaller, h.services)
        }
        h.setDay("2018-05-01")
        let first = try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services)
        #expect(first.map { "\($0.close.quarter) v\($0.close.agreementVersion) \($0.made)" } == ["2018-Q1 v1 true"])
        h.setDay("2018-07-31")
        let second = try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services)
        #expect(second.map { "\($0.close.quarter) v\($0.close.agreementVersion) \($0.made)" } == ["2018-Q2 v2 true"])
        // Made once: a second round (another instance) stores nothing new.
        #expect(try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services).isEmpty)
        #expect(try await h.store.closes(agreementID: "ostra-sodertorn").count == 2)
    }

    /// Found by the soak (issue 21): a case system reading all the time moved the audit log's
    /// head under every snapshot, and a busy server never made its closes. Reads change no
    /// fact a close counts: the five quarters due on 2019-05-01 are made while reads land.
    @Test func closesAreMadeWhileReadsLand() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-05-01")
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        // Reads' entries, as fast as the store takes them (an HTTP read through the test
        // client is slower than a close's snapshot); one read over HTTP first, as a case system's.
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(token)).status == .ok)
        let reader = try Caller.signedIn(
            Principal(actor: "token:case system", role: .system, organisation: Org.haninge),
            on: .route(method: "GET", pattern: "/api/v1/participants/{personId}"))
        let reading = Task {
            var reads = 0
            while !Task.isCancelled {
                try? await h.services.auditBuffer.record([reader.entry("read", person: try Personnummer(People.own, currentYear: 2019))])
                reads += 1
            }
            return reads
        }
        try await Task.sleep(for: .milliseconds(20))
        let made = try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services)
        reading.cancel()
        #expect(await reading.value > 0)
        #expect(made.map { "\($0.close.quarter) \($0.made)" } == ["2018-Q1 true", "2018-Q2 true", "2018-Q3 true", "2018-Q4 true", "2019-Q1 true"])
    }

    /// Issue 27: the closes due together are read once, as of the last quarter, and cut to each
    /// quarter in Swift; a close made alone reads its own quarter in SQL. Two worlds with the
    /// same records, one making every quarter alone and one making them all at once, store the
    /// same documents byte for byte. Beside the demo's caseload (several parties, records
    /// across the quarters, activities across the years), one person Arbetsförmedlingen
    /// registered in Stockholm in 2018-Q1 and Haninge only in 2018-Q3: outside the population
    /// until 2018-Q3, though a registration of theirs is older.
    @Test(arguments: Engine.available)
    func closesMadeTogetherAreTheClosesMadeOneByOne(engine: Engine) async throws {
        var worlds: [[String]] = []
        for together in [false, true] {
            let h = try await Harness(engine: engine)
            defer { Task { try? await h.close() } }
            let agreement = try Agreement.parse(json: Caseload.ostraSodertornDocument)
            let caseload = Caseload.ostraSodertorn(agreement: agreement, participants: 300, seed: 27, today: try Day(iso: "2019-06-30"))
            let directory = TestFiles.directory.appendingPathComponent("closes-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let files = try DemoLoader.writeFiles(caseload, to: directory)
            _ = try await DemoLoader.load(agreements: [], files: files, into: h.store, currentYear: 2019, now: h.clock.now)
            h.setDay("2018-08-01")
            let late = "199202132396"
            let af = try await h.token(for: Org.employmentService)
            let stockholm = People.participantJSON(late, municipality: "0180").replacingOccurrences(of: "2018-01-15", with: "2018-01-10")
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(af), json: stockholm).status == .created)
            let haninge = try await h.token(for: Org.haninge)
            let moved = People.participantJSON(late).replacingOccurrences(of: "2018-01-15", with: "2018-08-01")
            #expect(try await h.request(.post, "/api/v1/participants", as: .token(haninge), json: moved).status == .created)
            h.setDay("2019-08-01")
            var made: [(close: QuarterClose, made: Bool)] = []
            if together {
                made = try await FigureOperations.makeCloses(nil, quarter: nil, Self.operatorCaller, h.services)
            } else {
                for q in ["2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2019-Q1", "2019-Q2"] {
                    made += try await FigureOperations.makeCloses("ostra-sodertorn", quarter: Quarter(q), Self.operatorCaller, h.services)
                }
            }
            worlds.append(made.map { "\($0.close.quarter) \($0.made) \($0.close.unsuppressedHash) \($0.close.suppressedHash)" })
            // A close holds figures, never an identity number.
            let q2 = try #require(made.first { $0.close.quarter == Quarter("2018-Q2") }?.close.unsuppressed)
            let q3 = try #require(made.first { $0.close.quarter == Quarter("2018-Q3") }?.close.unsuppressed)
            #expect(!q2.contains(late) && !q3.contains(late))
        }
        #expect(worlds[0].count == 6)
        #expect(worlds[0] == worlds[1])
    }
}
