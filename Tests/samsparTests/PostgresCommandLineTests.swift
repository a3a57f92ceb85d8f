import Foundation
import Testing

/// A fresh database on the test cluster (`scripts/with-postgres.sh`), made with `psql`.
func freshPostgresURL() throws -> String? {
    guard let server = ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] else { return nil }
    let name = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = [server, "-q", "-c", "CREATE DATABASE \(name)"]
    try psql.run()
    psql.waitUntilExit()
    guard psql.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
    return server.replacingOccurrences(of: #"/[^/]*$"#, with: "/\(name)", options: .regularExpression)
}

func psqlValue(_ url: String, _ sql: String) throws -> String {
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = [url, "-At", "-c", sql]
    let out = Pipe()
    psql.standardOutput = out
    try psql.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    psql.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Starts `samspar` without waiting, for processes that must run side by side.
func start(_ cli: Samspar, _ arguments: [String]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = Samspar.executable
    process.arguments = arguments
    process.currentDirectoryURL = cli.directory
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return (process, err)
}

func finish(_ started: (Process, Pipe)) -> (Int32, String) {
    let stderr = started.1.fileHandleForReading.readDataToEndOfFile()
    started.0.waitUntilExit()
    return (started.0.terminationStatus, String(decoding: stderr, as: UTF8.self))
}

/// Skilled test numbers born 1960–2003: the only identity numbers fixtures may use.
let testNumbers: [String] = {
    let text = (try? String(contentsOf: Samspar.shared.appendingPathComponent("data/skatteverket-test-personnummer.csv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").dropFirst().map(String.init).filter { (1960...2003).contains(Int($0.prefix(4)) ?? 0) }
}()

/// The sessions of `url`'s database that wait for a lock.
let lockWaiters = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"

/// Asks `sql` (a count) every 50 ms until `enough` says so, for at most 20 s.
func waitUntil(_ url: String, _ sql: String, _ enough: (Int) -> Bool) throws {
    var tries = 0
    while tries < 400, !enough(Int(try psqlValue(url, sql)) ?? 0) {
        Thread.sleep(forTimeInterval: 0.05)
        tries += 1
    }
}

/// A third session that takes `lock` (`FOR KEY SHARE`, `FOR NO KEY UPDATE`) on `person`'s
/// registrations and holds it until two sessions wait for locks (at most 20 s), then commits,
/// so that two writers started meanwhile meet where a test wants them. Returns once it holds
/// the rows; wait for it with `waitUntilExit()`.
func holdRegistrations(of person: String, _ lock: String, on url: String, _ cli: Samspar) throws -> Process {
    try hold("SELECT 1 FROM registrations WHERE person_id = \(person) \(lock)", until: 2, on: url, cli)
}

/// A session that runs `statement` in a transaction and keeps it open until `waiters`
/// sessions wait for locks (at most 20 s), then commits. Returns once the statement has run;
/// wait for it with `waitUntilExit()`.
func hold(_ statement: String, until waiters: Int, on url: String, _ cli: Samspar) throws -> Process {
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    holder.arguments = [
        url, "-Xq", "-v", "ON_ERROR_STOP=1", "-f",
        try cli.write(
            "hold-\(UUID().uuidString).sql",
            """
            BEGIN;
            \(statement);
            DO $$ BEGIN
              FOR i IN 1..400 LOOP
                PERFORM pg_stat_clear_snapshot();
                EXIT WHEN (\(lockWaiters)) >= \(waiters);
                PERFORM pg_sleep(0.05);
              END LOOP;
            END $$;
            COMMIT;
            """),
    ]
    holder.standardOutput = FileHandle.nullDevice
    try holder.run()
    // It has run the statement once it is in its loop.
    try waitUntil(url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO $$%' AND datname = current_database()") { $0 >= 1 }
    return holder
}

/// `statement` through `psql`, in a process of its own: its exit status and its errors.
func psqlRun(_ url: String, _ statement: String) throws -> (Process, Pipe) {
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = [url, "-Xq", "-v", "ON_ERROR_STOP=1", "-c", statement]
    let err = Pipe()
    psql.standardError = err
    psql.standardOutput = FileHandle.nullDevice
    try psql.run()
    return (psql, err)
}

/// A fresh database with Östra Södertörn's agreement and `people` registered by Haninge
/// (kommun 0136), all with the same facts: where most tests here begin.
func haningeDatabase(_ people: [String], _ cli: Samspar) throws -> String {
    let url = try #require(try freshPostgresURL())
    #expect(try cli.run(["migrate", "--db", url]).status == 0)
    #expect(try cli.run(["agreement", "import", "--db", url, Samspar.shared.appendingPathComponent("examples/agreement.json").path]).status == 0)
    let participants = try cli.write(
        "p.csv",
        (["person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"] + people.map { "\($0);0136;2016-03-01;2017-01-10;no" })
            .joined(separator: "\n"))
    #expect(try cli.run(["import", "participants", participants, "--db", url]).status == 0)
    return url
}

@Suite("samspar on PostgreSQL", .enabled(if: ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] != nil))
struct PostgresCommandLineTests {
    @Test func severalInstancesMigrateAtOnce() throws {
        let cli = try Samspar()
        let url = try #require(try freshPostgresURL())
        let runs = try (0..<4).map { _ in try start(cli, ["migrate", "--db", url]) }
        for run in runs {
            let (status, stderr) = finish(run)
            #expect(status == 0, "\(stderr)")
        }
        #expect(try psqlValue(url, "SELECT count(*) FROM schema_migrations") == "18", "each migration applied once (1–18)")
    }

    @Test func twoOverlappingImportsAtOnceLoseAndDuplicateNothing() throws {
        let cli = try Samspar()
        let url = try #require(try freshPostgresURL())
        #expect(try cli.run(["migrate", "--db", url]).status == 0)
        #expect(try cli.run(["agreement", "import", "--db", url, Samspar.shared.appendingPathComponent("examples/agreement.json").path]).status == 0)

        // Two files of 2,500 people each, 1,500 of them in both (with the same values).
        let header = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"
        let people = Array(testNumbers.prefix(3500))
        func line(_ n: String) -> String { "\(n);0136;2016-03-01;2017-01-10;no" }
        let first = try cli.write("a.csv", ([header] + people[0..<2500].map(line)).joined(separator: "\n"))
        let second = try cli.write("b.csv", ([header] + people[1000..<3500].map(line)).joined(separator: "\n"))
        let a = try start(cli, ["import", "participants", first, "--db", url])
        let b = try start(cli, ["import", "participants", second, "--db", url])
        let (statusA, errA) = finish(a), (statusB, errB) = finish(b)
        #expect(statusA == 0, "\(errA)")
        #expect(statusB == 0, "\(errB)")
        #expect(try psqlValue(url, "SELECT count(*), count(DISTINCT person_id) FROM registrations") == "3500|3500")

        // Events for the same people, overlapping, at once.
        let eventHeader = "person_id;track;event;date"
        func events(_ slice: ArraySlice<String>) -> [String] { slice.flatMap { ["\($0);vard;invited;2018-01-15", "\($0);vard;attended;2018-01-25"] } }
        let e1 = try cli.write("e1.csv", ([eventHeader] + events(people[0..<2000])).joined(separator: "\n"))
        let e2 = try cli.write("e2.csv", ([eventHeader] + events(people[500..<3500])).joined(separator: "\n"))
        let c = try start(cli, ["import", "events", e1, "--db", url])
        let d = try start(cli, ["import", "events", e2, "--db", url])
        let (statusC, errC) = finish(c), (statusD, errD) = finish(d)
        #expect(statusC == 0, "\(errC)")
        #expect(statusD == 0, "\(errD)")
        #expect(try psqlValue(url, "SELECT count(*) FROM track_events") == "7000")
        #expect(try psqlValue(url, "SELECT count(*) FROM (SELECT DISTINCT person_id, org_number, track_id, kind, date FROM track_events) k") == "7000")
    }

    /// A statuses import and an events import of the same registrations at once (issue 27).
    /// Both write the registrations (their packed facts, migration 13): the statuses' few in
    /// key order, the events' many in the table's physical order, which an update of half the
    /// registrations has made the upper half first. A third session holds one registration of
    /// the lower half until both imports wait, so that they meet: the statuses import holds the
    /// lower ones before it, the events import the upper ones and then waits for the statuses
    /// import, which then needs an upper one. Without one lock over bulk writers of
    /// registrations (``PackedFactsMigration/writersLock``) PostgreSQL refuses the events file
    /// with "deadlock detected", every time (seen); with it, both go in.
    @Test func statusesAndEventsOfTheSameRegistrationsAtOnceBothGoIn() throws {
        let cli = try Samspar()
        let people = Array(testNumbers.prefix(3000)).sorted()
        let url = try haningeDatabase(people, cli)
        let middle = people[1500]
        // New versions of the lower half's rows go after the upper half's.
        #expect(
            try psqlValue(url, "WITH u AS (UPDATE registrations SET exited_on = exited_on WHERE person_id < \(middle) RETURNING 1) SELECT count(*) FROM u")
                == "1500")

        let some = people.enumerated().filter { $0.offset % 7 == 0 }.map(\.element)  // 429, in key order
        let statuses = try cli.write("s.csv", (["person_id;status;date"] + some.shuffled().map { "\($0);studies;2018-02-15" }).joined(separator: "\n"))
        let events = try cli.write("e.csv", (["person_id;track;event;date"] + people.map { "\($0);vard;invited;2018-02-15" }).joined(separator: "\n"))
        let held = some.filter { $0 < middle }[100]
        let holder = try holdRegistrations(of: held, "FOR NO KEY UPDATE", on: url, cli)
        let statusesRun = try start(cli, ["import", "statuses", statuses, "--db", url])
        try waitUntil(url, lockWaiters) { $0 >= 1 }
        let eventsRun = try start(cli, ["import", "events", events, "--db", url])
        let (statusesStatus, statusesError) = finish(statusesRun), (eventsStatus, eventsError) = finish(eventsRun)
        holder.waitUntilExit()
        #expect(statusesStatus == 0, "\(statusesError)")
        #expect(eventsStatus == 0, "\(eventsError)")
        #expect(try psqlValue(url, "SELECT count(*) FROM status_changes") == "429")
        #expect(try psqlValue(url, "SELECT count(*) FROM track_events") == "3000")
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations WHERE packed_statuses IS NOT NULL") == "429")
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations WHERE packed_events IS NOT NULL") == "3000")
    }

    /// A retention run, or an erasure, and an events import of the same registrations at once
    /// (issue 27). A removal locks the registration through the packing trigger (its events go
    /// first) and then deletes it; the import holds it by its foreign key and then wants the
    /// trigger's lock on it. A third session holds the first registration (`FOR KEY SHARE`)
    /// until both wait, so that they meet there: without the writers' lock the import was
    /// refused with "deadlock detected" (seen, for each); with it the import waits for the
    /// removal, and then says that a registration it names was removed.
    @Test(arguments: ["retention", "erasure"]) func aRemovalAndAnImportOfItsRegistrationsAtOnce(_ removal: String) throws {
        let cli = try Samspar()
        let people = Array(testNumbers.prefix(300)).sorted()
        let url = try haningeDatabase(people, cli)
        func events(_ day: String) -> String { (["person_id;track;event;date"] + people.map { "\($0);vard;invited;\(day)" }).joined(separator: "\n") }
        #expect(try cli.run(["import", "events", try cli.write("e1.csv", events("2018-02-15")), "--db", url]).status == 0)
        // Registered 2017, last record 2018: due on 2022-01-01 after three years.
        let decided = try cli.run(["org", "update", "212000-0084", "--retention-years", "3", "--retention-decision", "KS 2024/118 § 12", "--db", url])
        #expect(decided.status == 0, "\(decided.stderr)")
        let later = try cli.write("e2.csv", events("2018-06-15"))

        let holder = try holdRegistrations(of: people[0], "FOR KEY SHARE", on: url, cli)
        let retention = try start(
            cli,
            removal == "retention"
                ? ["retention", "run", "--db", url] : ["erase", people[0], "--org", "212000-0084", "--reason", "KS 2026/77 § 4", "--db", url])
        try waitUntil(url, lockWaiters) { $0 >= 1 }
        let imported = try start(cli, ["import", "events", later, "--db", url])
        let (retentionStatus, retentionError) = finish(retention), (importStatus, importError) = finish(imported)
        holder.waitUntilExit()
        #expect(retentionStatus == 0, "\(retentionError)")
        #expect(importStatus == 1)
        #expect(importError.contains("something the file names was removed while the file was read (a registration by retention or erasure"), "\(importError)")
        // Retention removes all 300 (each due), an erasure the first; the import wrote nothing.
        let left = removal == "retention" ? "0" : "299"
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations") == left)
        #expect(try psqlValue(url, "SELECT count(*) FROM track_events") == left)
    }

    /// `samspar close` on PostgreSQL, through its pool (issue 27): the same closes as on SQLite
    /// from the same files, byte for byte (each line names both forms' SHA-256).
    @Test func closesThroughThePoolAreSQLitesByteForByte() throws {
        let cli = try Samspar()
        let url = try #require(try freshPostgresURL())
        let people = Array(testNumbers.prefix(300))
        let participants = try cli.write(
            "p.csv",
            (["person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"]
                + people.enumerated().map { "\($1);\($0 % 2 == 0 ? "0136" : "0138");2016-03-01;2017-01-10;\($0 % 3 == 0 ? "yes" : "no")" })
                .joined(separator: "\n"))
        let events = try cli.write(
            "e.csv",
            (["person_id;track;event;date"]
                + people.enumerated().flatMap { i, n in
                    ["\(n);vard;invited;2018-01-15", "\(n);vard;attended;2018-0\(1 + i % 9)-25"] + (i % 4 == 0 ? ["\(n);vard;completed;2019-03-01"] : [])
                }).joined(separator: "\n"))
        let statuses = try cli.write(
            "s.csv", (["person_id;status;date"] + people.enumerated().filter { $0.offset % 5 == 0 }.map { "\($1);work;2019-06-01" }).joined(separator: "\n"))
        // Activities in two kinds, some without an end or hours (each a column a read may get wrong).
        let activities = try cli.write(
            "a.csv",
            (["person_id;activity;start;end;hours_per_week;provider"]
                + people.enumerated().filter { $0.offset % 3 != 1 }.map { i, n in
                    i % 2 == 0 ? "\(n);sfi;2018-0\(1 + i % 9)-01;2018-11-30;\(10 + i % 7);" : "\(n);work_practice;2019-02-01;;;Företaget AB"
                }).joined(separator: "\n"))
        #expect(try cli.run(["migrate", "--db", url]).status == 0)
        var outputs: [String] = []
        for db in [[], ["--db", url]] {
            let agreement = try cli.run(["agreement", "import"] + db + [Samspar.shared.appendingPathComponent("examples/agreement.json").path])
            #expect(agreement.status == 0, "\(agreement.stderr)")
            for (kind, file) in [("participants", participants), ("events", events), ("statuses", statuses), ("activities", activities)] {
                let imported = try cli.run(["import", kind, file] + db)
                #expect(imported.status == 0, "\(imported.stderr)")
            }
            let closed = try cli.run(["close"] + db)
            #expect(closed.status == 0, "\(closed.stderr)")
            outputs.append(closed.stdout)
        }
        #expect(outputs[0].hasPrefix("ostra-sodertorn 2018-Q1 made "))
        #expect(outputs[0].split(separator: "\n").count >= 30)
        #expect(outputs[1] == outputs[0])
    }

    /// `samspar import --exclusive` (issue 27), from before migration 14: still accepted, so
    /// that an operator's script keeps working, and the rows go in, checked like any import's.
    @Test func anExclusiveImportStillGoesIn() throws {
        let cli = try Samspar()
        let url = try #require(try freshPostgresURL())
        #expect(try cli.run(["migrate", "--db", url]).status == 0)
        #expect(try cli.run(["agreement", "import", "--db", url, Samspar.shared.appendingPathComponent("examples/agreement.json").path]).status == 0)
        let people = Array(testNumbers.prefix(300))
        let participants = try cli.write(
            "p.csv",
            (["person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"] + people.map { "\($0);0136;2016-03-01;2017-01-10;no" })
                .joined(separator: "\n"))
        let events = try cli.write(
            "e.csv",
            (["person_id;track;event;date"] + people.flatMap { ["\($0);vard;invited;2018-01-15", "\($0);vard;attended;2018-01-25"] }).joined(separator: "\n"))
        #expect(try cli.run(["import", "participants", participants, "--db", url, "--exclusive"]).status == 0)
        let imported = try cli.run(["import", "events", events, "--db", url, "--exclusive"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try psqlValue(url, "SELECT count(*) FROM track_events") == "600")
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations WHERE packed_events IS NOT NULL") == "300")
    }

    /// Migration 14's checks (``RecordKeysMigration``) under two writers at once, as a
    /// foreign key behaves: a record written for a registration holds it, so a removal waits
    /// for the record's transaction and is then refused; a registration being removed makes a
    /// record written for it wait, and then refuses it. Either way nothing names a
    /// registration that is not there. An activity is held by the check's own `FOR KEY
    /// SHARE` (without it the removal did not wait and went in, leaving an activity that names
    /// nothing: tried); an event or a status change by its packing's lock, which also counts
    /// what it found (migrations 17 and 18, ``PackedFactsLockFirstMigration``: with the count
    /// taken away the event naming a removed registration went in, tried).
    @Test(arguments: [
        ("activities", "INSERT INTO activities (person_id, org_number, kind, start) VALUES (%@, 2120000084, 'sfi', 17600)"),
        (
            "track_events",
            "INSERT INTO track_events (person_id, org_number, track_id, kind, date) VALUES (%@, 2120000084, (SELECT min(id) FROM tracks), 0, 17600)"
        ),
        ("status_changes", "INSERT INTO status_changes (person_id, org_number, date, status) VALUES (%@, 2120000084, 17600, 1)"),
    ])
    func aRecordAndTheRemovalOfItsRegistrationAtOnce(table: String, insert: String) throws {
        let cli = try Samspar()
        let people = Array(testNumbers.prefix(2))
        let url = try haningeDatabase(people, cli)
        func record(_ person: String) -> String { insert.replacingOccurrences(of: "%@", with: person) }
        func removal(_ person: String) -> String { "DELETE FROM registrations WHERE person_id = \(person)" }

        // The record first: the removal waits, then is refused.
        let writer = try hold(record(people[0]), until: 1, on: url, cli)
        let (removed, removedError) = finish(try psqlRun(url, removal(people[0])))
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        #expect(removed != 0)
        #expect(removedError.contains("violates foreign key constraint \"records_name_registrations\""), "\(removedError)")
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations WHERE person_id = \(people[0])") == "1")
        #expect(try psqlValue(url, "SELECT count(*) FROM \(table) WHERE person_id = \(people[0])") == "1")

        // The removal first: the record waits, then is refused.
        let remover = try hold(removal(people[1]), until: 1, on: url, cli)
        let (written, writtenError) = finish(try psqlRun(url, record(people[1])))
        remover.waitUntilExit()
        #expect(remover.terminationStatus == 0)
        #expect(written != 0)
        #expect(writtenError.contains("violates foreign key constraint \"\(table)_names_registrations\""), "\(writtenError)")
        #expect(try psqlValue(url, "SELECT count(*) FROM registrations WHERE person_id = \(people[1])") == "0")
        #expect(try psqlValue(url, "SELECT count(*) FROM \(table) WHERE person_id = \(people[1])") == "0")
    }

    /// Two writers of one registration's facts at once (migration 18,
    /// ``PackedFactsLockFirstMigration``): the first holds its write open until the second
    /// waits, then commits; the registration's packing must carry exactly what its rows are.
    /// Before migration 18 the second packed with a snapshot older than the first's commit:
    /// two events, 1 packed; an event removed beside another written, 2 packed for 1 row.
    @Test(arguments: [
        (
            "events", "",
            "INSERT INTO track_events (person_id, org_number, track_id, kind, date) VALUES (%@, 2120000084, (SELECT min(id) FROM tracks), 0, 17600)",
            "INSERT INTO track_events (person_id, org_number, track_id, kind, date) VALUES (%@, 2120000084, (SELECT min(id) FROM tracks), 1, 17610)",
            "packed_events", "2"
        ),
        (
            "statuses", "", "INSERT INTO status_changes (person_id, org_number, date, status) VALUES (%@, 2120000084, 17600, 1)",
            "INSERT INTO status_changes (person_id, org_number, date, status) VALUES (%@, 2120000084, 17610, 2)", "packed_statuses", "2"
        ),
        (
            "an event removed beside one written",
            "INSERT INTO track_events (person_id, org_number, track_id, kind, date) VALUES (%@, 2120000084, (SELECT min(id) FROM tracks), 0, 17600)",
            "DELETE FROM track_events WHERE person_id = %@",
            "INSERT INTO track_events (person_id, org_number, track_id, kind, date) VALUES (%@, 2120000084, (SELECT min(id) FROM tracks), 2, 17620)",
            "packed_events", "1"
        ),
    ])
    func twoWritersOfOneRegistrationPackBoth(case: String, before: String, first: String, second: String, column: String, packed: String) throws {
        let cli = try Samspar()
        let person = try #require(testNumbers.first)
        let url = try haningeDatabase([person], cli)
        func sql(_ text: String) -> String { text.replacingOccurrences(of: "%@", with: person) }
        if !before.isEmpty { _ = try psqlValue(url, sql(before)) }
        let holder = try hold(sql(first), until: 1, on: url, cli)
        let (status, stderr) = finish(try psqlRun(url, sql(second)))
        holder.waitUntilExit()
        #expect(holder.terminationStatus == 0)
        #expect(status == 0, "\(stderr)")
        #expect(
            try psqlValue(url, "SELECT coalesce(array_length(string_to_array(\(column), ','), 1), 0) FROM registrations WHERE person_id = \(person)")
                == packed, "\(`case`)")
    }

    /// A file none of whose keys is stored goes in as a plain insert (issue 27, fourteenth
    /// step). A caseworker's activity of the same key, written while the file is read and not
    /// yet committed, makes that insert wait and then fail (23505); the import then upserts,
    /// as it always did, and the file's row wins. Without the way back the file is refused.
    @Test func aKeyStoredWhileTheFileIsReadStillTakesTheFilesRow() throws {
        let cli = try Samspar()
        let people = Array(testNumbers.prefix(2)).sorted()
        let url = try haningeDatabase(people, cli)
        let file = try cli.write(
            "a.csv",
            (["person_id;activity;start;end;hours_per_week;provider"] + people.map { "\($0);sfi;2018-01-15;2018-06-20;15;" }).joined(separator: "\n"))
        // 2018-01-15 is day 17546 of the epoch; the caseworker's hours are 5, the file's 15.
        let caseworker = try hold(
            "INSERT INTO activities (person_id, org_number, kind, start, hours_per_week) VALUES (\(people[0]), 2120000084, 'sfi', 17546, 5)", until: 1,
            on: url, cli)
        let (status, stderr) = finish(try start(cli, ["import", "activities", file, "--db", url]))
        caseworker.waitUntilExit()
        #expect(caseworker.terminationStatus == 0)
        #expect(status == 0, "\(stderr)")
        #expect(
            try psqlValue(url, "SELECT person_id, start, end_date, hours_per_week FROM activities ORDER BY person_id")
                == "\(people[0])|17546|17702|15\n\(people[1])|17546|17702|15")
    }

    @Test func wrongCredentialsGiveOneClearLine() throws {
        let cli = try Samspar()
        let url = try #require(ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"])
        let wrong = url.replacingOccurrences(of: #"(//[^:]+:)[^@]+@"#, with: "$1wrong-password@", options: .regularExpression)
        let result = try cli.run(["migrate", "--db", wrong])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("password authentication failed"), "\(result.stderr)")
        let missing = url.replacingOccurrences(of: #"/[^/]*$"#, with: "/no_such_db", options: .regularExpression)
        let noDatabase = try cli.run(["migrate", "--db", missing])
        #expect(noDatabase.status != 0)
        #expect(noDatabase.stderr.contains("does not exist"), "\(noDatabase.stderr)")
    }

    @Test func movingHouseFromSQLiteKeepsEveryReport() throws {
        let cli = try Samspar()
        let url = try #require(try freshPostgresURL())
        #expect(try cli.run("demo").status == 0)
        let copy = try cli.run(["db", "copy", "--from", "sqlite://samspar.sqlite", "--to", url])
        #expect(copy.status == 0, "\(copy.stderr)")
        // The copy is chained with the installation's key: without it, PostgreSQL refuses; with
        // the same key (README), every report and the audit chain are the same.
        let keyless = try cli.run(["report", "--agreement", "ostra-sodertorn", "--year", "2018", "--db", url])
        #expect(keyless.status == 1 && keyless.stderr.contains("the key is missing"), "\(keyless.stderr)")
        let key = ["SAMSPAR_AUDIT_KEY_FILE": cli.directory.appendingPathComponent("samspar.sqlite.audit-key").path]
        for (year, asOf) in [("2017", "2018-03-31"), ("2018", "2019-03-31"), ("2019", "2019-12-31")] {
            let args = ["report", "--agreement", "ostra-sodertorn", "--year", year, "--as-of", asOf]
            let before = try cli.run(args)
            let after = try cli.run(args + ["--db", url], environment: key)
            #expect(before.status == 0 && after.status == 0)
            #expect(before.stdout == after.stdout)
        }
        let head = try cli.run("audit", "head").stdout
        #expect(try cli.run(["audit", "head", "--db", url], environment: key).stdout == head)
        #expect(try cli.run(["audit", "verify", "--db", url, "--head", head.trimmingCharacters(in: .whitespacesAndNewlines)], environment: key).status == 0)
        // Nothing personal was written outside the two databases: no scratch files remain.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("samspar-copy-") }
        #expect(leftovers.isEmpty)
    }
}

@Test func anUnreachableServerGivesOneClearLineQuickly() throws {
    let cli = try Samspar()
    let started = Date()
    let result = try cli.run("migrate", "--db", "postgres://samspar:x@127.0.0.1:1/samspar")
    #expect(result.status != 0)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    #expect(result.stderr.contains("cannot open the database postgres://samspar@127.0.0.1:1/samspar"))
    #expect(Date().timeIntervalSince(started) < 30)
}
