import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 10: both engines stage a file and move it into place in key order, and a large file
/// looks its people up in one index of every registration instead of batch by batch. The
/// rules of SPEC §4 must not change with either: each test runs with the index from the
/// first row (`0`) and without it (`100_000`, more rows than these files have).
@Suite("Imports staged and moved in key order (issue 10)")
struct StagedImportTests {
    static func scope(_ indexAfter: Int, organisation: Int64? = nil) -> ImportScope {
        var scope = ImportScope(organisation: organisation, today: Day(year: 2019, month: 6, day: 1)!)
        scope.registrantIndexAfterRows = indexAfter
        return scope
    }

    @Test(arguments: Engine.available, [0, 100_000])
    func theLastRowOfAKeyInTheFileWins(engine: Engine, indexAfter: Int) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            // Amina's 2018-10-15 status comes twice: the later row (studies) is what stays.
            let text = """
                person_id;status;date
                19900101-2385;none;2018-10-15
                19900913-2391;work;2018-11-01
                19900101-2385;studies;2018-10-15
                """
            let summary = try await store.importFile(
                .statuses, from: .bytes(Array(text.utf8)), currentYear: 2026, scope: Self.scope(indexAfter), progress: nil)
            #expect(summary.rows == 3)
            // Both people are Haninge's (2120000084); each registration is named once, in order.
            #expect(
                summary.touched == [
                    PersonParty(person: 199001012385, org: 2120000084), PersonParty(person: 199009132391, org: 2120000084),
                ])
            #expect(
                try await FileOwnershipTests.rows(
                    store, "SELECT person_id, org_number, date, status FROM status_changes WHERE date IN (17819, 17836) ORDER BY person_id, date")
                    == ["199001012385 2120000084 17819 3", "199009132391 2120000084 17836 1"])
            #expect(try await store.counts()["status_changes"] == 5)
        }
    }

    /// The index arrives in the middle of a file (SQLite writes batches of 1,000): the
    /// registrations touched before it and after it are one list, each named once.
    @Test(arguments: Engine.available)
    func registrationsTouchedBeforeAndAfterTheIndexAreNamedOnce(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            // Omar (Tyresö's) in the first batch only; then 2,400 rows of Amina and Ali
            // (Haninge's) on alternate rows, one day apart from 2019-02-01.
            var lines = ["person_id;status;date", "199105152392;work;2019-02-01"]
            for i in 0..<1200 {
                let day = Day(ordinal: Day(year: 2019, month: 2, day: 1)!.ordinal + Int32(i))
                lines.append("199001012385;work;\(day)")
                lines.append("199009132391;studies;\(day)")
            }
            let summary = try await store.importFile(
                .statuses, from: .bytes(Array(lines.joined(separator: "\n").utf8)), currentYear: 2026, scope: Self.scope(1_500), progress: nil)
            #expect(summary.rows == 2401)
            #expect(
                summary.touched == [
                    PersonParty(person: 199001012385, org: 2120000084), PersonParty(person: 199009132391, org: 2120000084),
                    PersonParty(person: 199105152392, org: 2120000092),
                ])
            #expect(try await store.counts()["status_changes"] == 4 + 2401)
        }
    }

    @Test(arguments: Engine.available, [0, 100_000])
    func theOwnersOfEachRowAreTheSameWithTheIndex(engine: Engine, indexAfter: Int) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let af = FileOwnershipTests.af.value
            let amina = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed\n199001012385;0136;2016-01-01;2016-12-01;no\n"
            _ = try await store.importFile(
                .participants, from: .bytes(Array(amina.utf8)), currentYear: 2026, scope: Self.scope(indexAfter, organisation: af), progress: nil)
            // Line 2: two registrations, no --org. Line 3: nobody's. Line 4: Haninge's alone.
            let text = """
                person_id;activity;start;end;hours_per_week;provider
                199001012385;sfi;2018-01-15;2018-06-20;15;
                199306022386;sfi;2018-01-15;2018-06-20;15;
                199009132391;sfi;2018-01-15;2018-06-20;15;
                """
            let unnamed = try await #require(throws: ImportError.self) {
                try await store.importFile(.activities, from: .bytes(Array(text.utf8)), currentYear: 2026, scope: Self.scope(indexAfter), progress: nil)
            }
            #expect(
                unnamed.problems.map(\.description) == [
                    "line 2, column person_id: 19900101-2385 is registered by 2 organisations: name the one whose record this is with --org",
                    "line 3, column person_id: no participant 19930602-2386 (import the participants file first)",
                ])
            // As Arbetsförmedlingen: Amina is its own; the other two are not.
            let asAF = try await #require(throws: ImportError.self) {
                try await store.importFile(
                    .activities, from: .bytes(Array(text.utf8)), currentYear: 2026, scope: Self.scope(indexAfter, organisation: af), progress: nil)
            }
            #expect(asAF.problems.map(\.line) == [3, 4])
            #expect(asAF.refused.map(\.description) == ["19900913-2391", "19930602-2386"])
            #expect(try await store.counts()["activities"] == 2)
            // Only Amina, as Arbetsförmedlingen: written, and the audit names that registration.
            let own = "person_id;activity;start;end;hours_per_week;provider\n199001012385;sfi;2018-01-15;2018-06-20;15;\n"
            let summary = try await store.importFile(
                .activities, from: .bytes(Array(own.utf8)), currentYear: 2026, scope: Self.scope(indexAfter, organisation: af), progress: nil)
            #expect(summary.touched == [PersonParty(person: 199001012385, org: 2021002114)])
            #expect(try await store.counts()["activities"] == 3)
        }
    }
}

/// SQLite's placeholders from the `$N` both engines' statements are written with.
@Suite("Statement placeholders")
struct PlaceholderTests {
    @Test func dollarNumbersBecomeQuestionNumbers() {
        #expect(sqlitePlaceholders("SELECT $1, $12 FROM t WHERE a = $2") == "SELECT ?1, ?12 FROM t WHERE a = ?2")
        #expect(sqlitePlaceholders("SELECT 'kr$', $x, $") == "SELECT 'kr$', $x, $")
        #expect(sqlitePlaceholders("$$1 Örebro") == "$?1 Örebro")
        #expect(sqlitePlaceholders("") == "")
    }
}

/// The dashboard loads a report's facts once and cuts them at each quarter's end
/// (``RegisteredFacts/asOf(_:)``): the same report as reading for that day.
@Suite("Facts cut at a day")
struct FactsAsOfTests {
    @Test(arguments: Engine.available)
    func cuttingTheFactsAtADayIsReadingForThatDay(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let agreement = try Fixtures.agreement
            let facts = try await store.reportFacts(for: agreement, asOf: Day(year: 2019, month: 3, day: 31)!)
            let q1 = Day(year: 2018, month: 3, day: 31)!
            let cut = Report.compute(for: agreement, year: 2018, asOf: q1, input: Registrations.reportInput(facts.map { $0.asOf(q1) }, asOf: q1))
            // Amina completed vård on 2018-08-31: not yet at the end of the first quarter.
            #expect(cut.tracks[0].count(.completed) == 0)
            #expect(cut.participants.active == 4)
            for day in [q1, Day(year: 2018, month: 6, day: 30)!, Day(year: 2018, month: 9, day: 30)!, Day(year: 2018, month: 12, day: 31)!] {
                let read = try await store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: day).0
                let derived = Report.compute(for: agreement, year: 2018, asOf: day, input: Registrations.reportInput(facts.map { $0.asOf(day) }, asOf: day))
                #expect(derived == read, "\(day)")
            }
        }
    }
}

/// Issue 27, part 2: `samspar import --exclusive` has PostgreSQL check a file's foreign keys
/// once, after its rows are written, instead of row by row. The keys come back as they were,
/// and a row that names nothing still fails the whole write.
@Suite("Foreign keys checked once (issue 27)")
struct KeysCheckedOnceTests {
    static let keys = [
        "registered_track_events_person_id_org_number_fkey FOREIGN KEY (person_id, org_number) REFERENCES registrations(person_id, org_number) true",
        "registered_track_events_track_id_fkey FOREIGN KEY (track_id) REFERENCES tracks(id) true",
    ]

    /// The fixtures' agreement, organisations and participants, without their records.
    static func participants(_ store: any SamsparStore) async throws {
        try await Fixtures.importAgreement(store)
        try await store.transaction { s in
            if try await Organisations.find(Fixtures.eskilstuna.number, in: s) == nil { try await Organisations.add(Fixtures.eskilstuna, in: s) }
        }
        _ = try await store.importFile(.participants, from: .bytes(Array(Fixtures.participants.utf8)), currentYear: 2026, progress: nil)
    }

    static func keys(_ store: any SamsparStore) async throws -> [String] {
        try await FileOwnershipTests.rows(
            store,
            """
            SELECT conname, pg_get_constraintdef(oid) AS def, convalidated::text FROM pg_constraint
            WHERE conrelid = 'track_events'::regclass AND contype = 'f' ORDER BY conname
            """)
    }

    @Test(arguments: Engine.available)
    func theEventsGoInAndTheKeysComeBackChecked(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Self.participants(store)
            var scope = ImportScope(organisation: nil, today: Day(year: 2019, month: 6, day: 1)!)
            scope.keysCheckedOnce = true
            let summary = try await store.importFile(.events, from: .bytes(Array(Fixtures.events.utf8)), currentYear: 2026, scope: scope, progress: nil)
            #expect(summary.rows == 13)
            #expect(try await store.counts()["track_events"] == 13)
            if engine == .postgres { #expect(try await Self.keys(store) == Self.keys) }
        }
    }

    @Test func aRowThatNamesNothingFailsTheCheckAndTheKeysStay() async throws {
        guard Engine.available.contains(.postgres) else { return }
        try await withStore(.postgres) { (store: any SamsparStore) async throws in
            try await Self.participants(store)
            let error = await #expect(throws: (any Error).self) {
                try await store.transaction { session in
                    let pg = try #require(session as? PostgresSession)
                    let dropped = try await PostgreSQLStore.dropForeignKeys(of: "track_events", pg)
                    #expect(dropped.count == 2)
                    // Amina as registered by an organisation that never registered her.
                    _ = try await pg.query(
                        "INSERT INTO track_events (person_id, org_number, track_id, kind, date, reason) SELECT 199001012385, 2021005489, min(id), 0, 17600, NULL FROM tracks",
                        [])
                    try await PostgreSQLStore.addForeignKeys(dropped, to: "track_events", pg)
                }
            }
            // The validation's own refusal, not anything before it, read as the one way a row
            // the importer checked can name nothing: its registration removed since.
            #expect(String(reflecting: error).contains("violates foreign key constraint"))
            #expect(String(reflecting: error).contains("something the file names was removed while the file was read (a registration by retention or erasure"))
            #expect(
                String(reflecting: error).contains(
                    "names nothing that its key FOREIGN KEY (person_id, org_number) REFERENCES registrations(person_id, org_number) requires"))
            #expect(try await store.counts()["track_events"] == 0)
            #expect(try await Self.keys(store) == Self.keys)
        }
    }
}
