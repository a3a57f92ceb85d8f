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

    /// Issue 27: SQLite stages a file in the writer's temporary database without zeroing what
    /// it frees there, and closes that database after the import, taken or refused, so the
    /// staged copy does not outlive it; the database file still zeroes what it frees (an
    /// erasure needs it).
    @Test(arguments: [true, false])
    func theStagedCopyLeavesWithTheImport(taken: Bool) async throws {
        let path = TestFiles.directory.appendingPathComponent("staged-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", ".audit-key"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try await SQLiteStore.open(path: path)
        try await Fixtures.load(store)
        // 1,500 statuses of Amina's, a day apart from 2014-01-01: a staging table of many pages.
        let first = try #require(Day(year: 2014, month: 1, day: 1))
        var text = "person_id;status;date\n"
        for i in 0..<1500 { text += "19900101-2385;\(["none", "work", "studies"][i % 3]);\(first.adding(days: i))\n" }
        if !taken { text += "19900101-2385;employed;2018-10-15\n" }
        do {
            let summary = try await store.importFile(
                .statuses, from: .bytes(Array(text.utf8)), currentYear: 2026, scope: Self.scope(0), progress: nil)
            #expect(taken && summary.rows == 1500)
        } catch let error as ImportError {
            #expect(!taken && error.problems.map(\.line) == [1502])
        }
        func pragma(_ name: String) async throws -> Int64? { try await store.query("PRAGMA \(name)").first?.values.first?.int }
        // Opened afresh by these questions: nothing in it, nothing freed.
        #expect(try await pragma("temp.freelist_count") == 0)
        #expect(try await pragma("temp.page_count") == 0)
        #expect(try await pragma("main.secure_delete") == 1)
        try await store.close()
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

/// Issue 27, part 2 (migration 14): every event, status change and activity names a
/// registration that is there, and every event a track, whatever writes it. PostgreSQL checks
/// a statement's rows at once (``RecordKeysMigration``), SQLite with its foreign keys: the
/// same writes refused on both. People of ``Fixtures``: Amina and Ali registered by Haninge
/// (2120000084) with events (Amina also statuses and activities), Omar with a status only,
/// Karim by Eskilstuna (2120000282) with no records.
@Suite("Records name their registrations (issue 27)")
struct RecordKeysTests {
    /// The words of the refusal of `sql`, run in a transaction of its own; nil if it went in.
    static func refusal(_ store: any SamsparStore, _ sql: String) async -> String? {
        do {
            try await store.transaction { s in _ = try await s.query(sql) }
            return nil
        } catch {
            return String(reflecting: error)
        }
    }

    static func count(_ store: any SamsparStore, _ table: String) async throws -> Int {
        try await store.read { s in Int(try await s.query("SELECT count(*) AS n FROM \(table)").first?["n"].int ?? -1) }
    }

    /// An event of Amina on track `track`, as registered by `org`, on 2018-03-10 (day 17600).
    static func event(org: String, track: String = "(SELECT min(id) FROM tracks)") -> String {
        "SELECT 199001012385, \(org), \(track), 0, 17600, NULL"
    }

    static func expectForeignKey(_ refusal: String?, _ constraint: String, _ engine: Engine, sourceLocation: SourceLocation = #_sourceLocation) {
        let words = engine == .postgres ? "violates foreign key constraint \"\(constraint)\"" : "FOREIGN KEY constraint failed"
        #expect(refusal?.contains(words) == true, "\(refusal ?? "went in")", sourceLocation: sourceLocation)
    }

    @Test(arguments: Engine.available)
    func aRecordMustNameARegistrationThatIsThere(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let insert = "INSERT INTO track_events (person_id, org_number, track_id, kind, date, reason) "
            // Amina as registered by Eskilstuna, which never did, beside a row that is right:
            // the statement goes whole or not at all.
            Self.expectForeignKey(
                await Self.refusal(store, insert + Self.event(org: "2120000084") + " UNION ALL " + Self.event(org: "2120000282")),
                "track_events_names_registrations", engine)
            #expect(try await Self.count(store, "track_events") == 13)
            Self.expectForeignKey(
                await Self.refusal(store, insert + Self.event(org: "2120000084", track: "(SELECT max(id) + 1 FROM tracks)")), "track_events_names_tracks",
                engine)
            Self.expectForeignKey(
                await Self.refusal(store, "UPDATE track_events SET org_number = 2120000282 WHERE person_id = 199001012385"),
                "track_events_names_registrations", engine)
            Self.expectForeignKey(
                await Self.refusal(store, "UPDATE track_events SET track_id = (SELECT max(id) + 1 FROM tracks) WHERE person_id = 199001012385"),
                "track_events_names_tracks", engine)
            Self.expectForeignKey(
                await Self.refusal(store, "UPDATE activities SET org_number = 2120000282 WHERE person_id = 199001012385"),
                "activities_names_registrations", engine)
            // An update of the other columns goes in (an upsert sent again sets only these).
            #expect(await Self.refusal(store, "UPDATE track_events SET reason = 'flyttat' WHERE person_id = 199001012385") == nil)
            Self.expectForeignKey(
                await Self.refusal(store, "INSERT INTO status_changes (person_id, org_number, date, status) VALUES (199001012385, 2120000282, 17600, 1)"),
                "status_changes_names_registrations", engine)
            Self.expectForeignKey(
                await Self.refusal(
                    store,
                    "INSERT INTO activities (person_id, org_number, kind, start, end_date, hours_per_week, provider) VALUES (199001012385, 2120000282, 'sfi', 17600, NULL, NULL, NULL)"
                ), "activities_names_registrations", engine)
            #expect(try await Self.count(store, "status_changes") == 4)
            #expect(try await Self.count(store, "activities") == 2)
            // The right row alone goes in.
            #expect(await Self.refusal(store, insert + Self.event(org: "2120000084")) == nil)
            #expect(try await Self.count(store, "track_events") == 14)
        }
    }

    @Test(arguments: Engine.available)
    func aRegistrationThatRecordsNameStays(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            let constraint = "records_name_registrations"
            // Amina: events, statuses and activities; Omar: a status alone.
            Self.expectForeignKey(await Self.refusal(store, "DELETE FROM registrations WHERE person_id = 199001012385"), constraint, engine)
            Self.expectForeignKey(await Self.refusal(store, "DELETE FROM registrations WHERE person_id = 199105152392"), constraint, engine)
            // Amina's events and statuses gone, her activities still name her.
            #expect(await Self.refusal(store, "DELETE FROM track_events WHERE person_id = 199001012385") == nil)
            #expect(await Self.refusal(store, "DELETE FROM status_changes WHERE person_id = 199001012385") == nil)
            Self.expectForeignKey(await Self.refusal(store, "DELETE FROM registrations WHERE person_id = 199001012385"), constraint, engine)
            // Ali's key changed while his events name it.
            Self.expectForeignKey(
                await Self.refusal(store, "UPDATE registrations SET org_number = 2120000282 WHERE person_id = 199009132391"),
                constraint, engine)
            // A track that events name.
            Self.expectForeignKey(
                await Self.refusal(store, "DELETE FROM tracks WHERE id = (SELECT min(track_id) FROM track_events)"), "track_events_names_tracks", engine)
            #expect(try await Self.count(store, "registrations") == 5)
            // Karim has no records: his registration goes; so does Amina's once her activities have.
            #expect(await Self.refusal(store, "DELETE FROM registrations WHERE person_id = 199201202398") == nil)
            #expect(await Self.refusal(store, "DELETE FROM activities WHERE person_id = 199001012385") == nil)
            #expect(await Self.refusal(store, "DELETE FROM registrations WHERE person_id = 199001012385") == nil)
            #expect(try await Self.count(store, "registrations") == 3)
        }
    }

    /// The audit subjects' key to their entry, kept the same way (``RecordKeysMigration``).
    @Test(arguments: Engine.available)
    func anAuditSubjectMustNameItsEntry(engine: Engine) async throws {
        try await withStore(engine) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            // Two reads of Amina, each entry naming her registration.
            let read = AuditDraft(
                actor: "cli:test", role: "operator", organisation: nil, action: "read", person: nil, channel: "test",
                subjects: [PersonParty(person: 199_001_012_385, org: 2_120_000_084)])
            try await store.transaction { s in try await AuditLog.append([read, read], at: Date(timeIntervalSince1970: 0), in: s) }
            #expect(try await Self.count(store, "audit_log") == 2)
            #expect(try await Self.count(store, "audit_subjects") == 2)
            // An entry that is there and one that is not, in one statement.
            Self.expectForeignKey(
                await Self.refusal(
                    store,
                    "INSERT INTO audit_subjects (seq, person_id, org_number, salt) SELECT 1, 199201202398, 2120000282, NULL UNION ALL SELECT 3, 199201202398, 2120000282, NULL"
                ), "audit_subjects_name_entries", engine)
            #expect(try await Self.count(store, "audit_subjects") == 2)
            Self.expectForeignKey(await Self.refusal(store, "DELETE FROM audit_log WHERE seq = 1"), "audit_subjects_name_entries", engine)
            Self.expectForeignKey(await Self.refusal(store, "UPDATE audit_subjects SET seq = 3 WHERE seq = 2"), "audit_subjects_name_entries", engine)
            #expect(try await Self.count(store, "audit_log") == 2)
            #expect(
                await Self.refusal(store, "INSERT INTO audit_subjects (seq, person_id, org_number, salt) VALUES (1, 199201202398, 2120000282, NULL)") == nil)
            #expect(try await Self.count(store, "audit_subjects") == 3)
        }
    }

    /// What only PostgreSQL's triggers say: `TRUNCATE`, and a removal outside `READ COMMITTED`.
    @Test func postgreSQLRefusesWhatItCannotCheck() async throws {
        guard Engine.available.contains(.postgres) else { return }
        try await withStore(.postgres) { (store: any SamsparStore) async throws in
            try await Fixtures.load(store)
            #expect(await Self.refusal(store, "TRUNCATE tracks")?.contains("cannot truncate table \"tracks\": rows of other tables name it") == true)
            let refused =
                await {
                    do {
                        try await store.transaction { s in
                            _ = try await s.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                            _ = try await s.query("DELETE FROM registrations WHERE person_id = 199201202398")
                        }
                        return nil
                    } catch { return String(reflecting: error) }
                }() as String?
            #expect(refused?.contains("DELETE on table \"registrations\" runs in READ COMMITTED") == true, "\(refused ?? "went in")")
            #expect(try await Self.count(store, "tracks") > 0)
            #expect(try await Self.count(store, "registrations") == 5)
        }
    }
}
