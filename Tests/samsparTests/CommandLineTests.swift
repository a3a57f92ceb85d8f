import Foundation
import SamsparTestSupport
import Testing

/// The CLI as a user runs it: the built `samspar` executable as a process, on a real
/// database file in a fresh folder (STYLE §11).
struct Samspar {
    let directory: URL

    init() throws {
        directory = TestFiles.directory.appendingPathComponent("samspar-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    static let executable: URL = {
        // The test binary sits in the build products folder, beside `samspar`.
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("samspar").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("samspar")
    }()

    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> Result {
        try run(arguments, environment: environment)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func report(_ extra: String...) throws -> [String: Any] {
        let result = try run(["report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SAMSPAR_DATABASE_URL")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

let participantsCSV = """
    person_id;given_name;family_name;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed
    199001012385;Amina;Testsson;0136;2016-03-01;2017-01-10;;;yes
    199009132391;Ali;Provsson;0136;2017-05-15;2018-02-01;;;no
    199105152392;Omar;Exempel;0138;2015-01-31;2016-06-01;2018-06-30;flyttat;no
    200001012384;Sara;Demo;0192;2018-02-28;2018-03-01;;;no
    """

let eventsCSV = """
    person_id;track;event;date;reason
    199001012385;vard;invited;2018-01-15;
    199001012385;vard;attended;2018-01-25;
    199001012385;vard;accepted;2018-02-01;
    199001012385;vard;completed;2018-08-31;
    """

@Suite("samspar command line")
struct CommandLineTests {
    @Test func theIssueWalkthroughWorks() throws {
        let cli = try Samspar()
        let migrate = try cli.run("migrate")
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("samspar.sqlite").path))
        #expect(try cli.run("migrate").stdout.contains("up to date"))

        let agreement = try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path)
        #expect(agreement.status == 0, "\(agreement.stderr)")
        #expect(agreement.stdout.contains("version 1"))

        let people = try cli.write("people.csv", participantsCSV)
        let imported = try cli.run("import", "participants", people)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("4"))
        let events = try cli.write("events.csv", eventsCSV)
        #expect(try cli.run("import", "events", events).status == 0)

        let report = try cli.report()
        #expect(report["agreement"] as? String == "ostra-sodertorn")
        #expect(report["year"] as? Int == 2018)
        #expect(report["asOf"] as? String == "2019-03-31")
        let participants = try #require(report["participants"] as? [String: Any])
        #expect(participants["active"] as? Int == 4)
        #expect(participants["female"] as? Int == 2)
        let tracks = try #require(report["tracks"] as? [[String: Any]])
        #expect(tracks.map { $0["code"] as? String } == ["vard", "barn", "bygg", "unga"])
        #expect(tracks[0]["completed"] as? Int == 1)
        #expect(tracks[0]["acceptanceShare"] as? Double == 1.0)
        #expect(report["recruitmentShare"] as? Double == 0.25)
    }

    /// `samspar close` (SPEC §5, issue 17): stores the closes that are due, once; refuses a
    /// quarter not yet due; leaves a stored one as it is.
    @Test func closeStoresTheDueQuartersOnce() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        let notDue = try cli.run("close", "--quarter", "2099-Q1")
        #expect(notDue.status == 1)
        #expect(notDue.stderr.contains("the close of 2099-Q1 is not yet due: it is made from 2099-05-01"))
        #expect(try cli.run("close", "--quarter", "2018-Q5").stderr.contains("is not a quarter such as 2018-Q2"))
        let first = try cli.run("close")
        #expect(first.status == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        // From the quarter of validFrom (2018-01-01), one line each with both forms' SHA-256.
        #expect(lines.first?.hasPrefix("ostra-sodertorn 2018-Q1 made ") == true)
        #expect(lines.allSatisfy { $0.split(separator: " ").count == 5 && $0.split(separator: " ")[3].count == 64 })
        #expect(try cli.run("close").stdout == "no close is due that is not stored / inget kvartal att stänga\n")
        let again = try cli.run("close", "--agreement", "ostra-sodertorn", "--quarter", "2018-Q1")
        #expect(again.stdout == lines[0].replacing(" made ", with: " stored ") + "\n")
    }

    /// Issue 18 at the command line: `agreement check` names a draft's owners, and `agreement
    /// delete` deletes a draft nobody has signed; its number is not reused.
    @Test func aDraftIsCheckedAndDeleted() throws {
        let cli = try Samspar()
        let example = try Data(contentsOf: Samspar.shared.appendingPathComponent("examples/agreement.json"))
        var document = try #require(try JSONSerialization.jsonObject(with: example) as? [String: Any])
        document["id"] = "utkast-cli"
        document["status"] = "draft"
        document["signatures"] = [Any]()
        let path = try cli.write("draft.json", String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))
        #expect(try cli.run("agreement", "import", path).status == 0)
        let check = try cli.run("agreement", "check", "utkast-cli")
        #expect(check.stdout.contains("utkast-cli version 1: draft"))
        #expect(check.stdout.contains("owners: "), "\(check.stdout)")
        #expect(check.stdout.contains("(212000-0084)"))
        let deleted = try cli.run("agreement", "delete", "utkast-cli")
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout == "the draft of utkast-cli is deleted / utkastet är borttaget\n")
        #expect(try cli.run("agreement", "check", "utkast-cli").stderr.contains("no agreement 'utkast-cli'"))
        #expect(try cli.run("agreement", "import", path).stdout.contains("version 2"))
        #expect(try cli.run("agreement", "check", "utkast-cli").stdout.contains("deleted drafts: version 1"))
        // A version signed by every party is not deleted.
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        let signed = try cli.run("agreement", "delete", "ostra-sodertorn")
        #expect(signed.status == 1)
        #expect(signed.stderr.contains("has no draft"))
    }

    @Test func aBadFileIsRejectedWithEveryRowAndNothingWritten() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        let bad = try cli.write(
            "bad.csv", participantsCSV + "\n199001012386;X;Y;0136;2016-03-01;2017-01-10;;;yes\n199009132391;A;B;0136;2016-13-01;2017-01-10;;;kanske\n")
        let result = try cli.run("import", "participants", bad)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("was not imported: 3 problems") == true)
        #expect(lines.contains { $0.contains("line 6, column person_id: '199001012386': check digit should be 5") })
        #expect(lines.contains { $0.contains("line 7, column first_permit_date: there is no month 13") })
        #expect(lines.contains { $0.contains("line 7, column upper_secondary_completed: 'kanske' is not yes or no") })
        let participants = try #require(try cli.report()["participants"] as? [String: Any])
        #expect(participants["active"] as? Int == 0)
    }

    /// Whatever stops an import (here the file is a folder, which cannot be read as one), the
    /// message names the file and says that nothing was written.
    @Test func anImportThatCannotReadItsFileNamesItAndWritesNothing() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        let folder = cli.directory.appendingPathComponent("participants.csv").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let result = try cli.run("import", "participants", folder)
        #expect(result.status != 0)
        #expect(result.stderr == "samspar: \(folder) was not imported; nothing was written: Is a directory\n", "\(result.stderr)")
        let participants = try #require(try cli.report()["participants"] as? [String: Any])
        #expect(participants["active"] as? Int == 0)
    }

    @Test func aBadAgreementIsRejectedWithEveryProblem() throws {
        let cli = try Samspar()
        let original = try String(contentsOf: Samspar.shared.appendingPathComponent("examples/agreement.json"), encoding: .utf8)
        let broken =
            original
            .replacingOccurrences(of: "212000-0084", with: "212000-0085")
            .replacingOccurrences(of: "\"municipalityCode\": \"0192\"", with: "\"municipalityCode\": \"0999\"")
            .replacingOccurrences(of: "\"code\": \"barn\"", with: "\"code\": \"vard\"")
            .replacingOccurrences(of: "\"minShare\": 0.12", with: "\"minShare\": 1.2")
            .replacingOccurrences(of: "\"nextRevision\": \"2018-11-30\"", with: "\"nextRevision\": \"2018-11-31\"")
        let result = try cli.run("agreement", "import", try cli.write("broken.json", broken))
        #expect(result.status != 0)
        #expect(result.stderr.contains("was not imported: 6 problems"), "\(result.stderr)")
        #expect(result.stderr.contains("nextRevision: no day 31 in November"))
        #expect(result.stderr.contains("parties[2].orgNumber: '212000-0085': check digit should be 4"))
        #expect(result.stderr.contains("parties[3].municipalityCode: 0999 is not a kommunkod in SCB's list"))
        #expect(result.stderr.contains("tracks[1].code: track code 'vard' is used twice"))
        #expect(result.stderr.contains("tracks[2].genderGoal.minShare: 1.2 is not a share in (0, 1]"))
        #expect(result.stderr.contains("signatures[0].orgNumber: '212000-0085': check digit should be 4"))
        // Re-importing the same id with a change makes a new version.
        let path = Samspar.shared.appendingPathComponent("examples/agreement.json").path
        #expect(try cli.run("agreement", "import", path).stdout.contains("version 1"))
        #expect(try cli.run("agreement", "import", path).stdout.contains("oförändrad"))
        let revised = original.replacingOccurrences(of: "\"minShare\": 0.40", with: "\"minShare\": 0.45")
        #expect(try cli.run("agreement", "import", try cli.write("revised.json", revised)).stdout.contains("version 2"))
    }

    @Test func badDatabaseURLGivesOneLineAndFailure() throws {
        let cli = try Samspar()
        let result = try cli.run("migrate", "--db", "mysql://x")
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("bad database URL"))
        let env = try cli.run("migrate", environment: ["SAMSPAR_DATABASE_URL": "sqlite://\(cli.directory.path)/from-env.sqlite"])
        #expect(env.status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("from-env.sqlite").path))
    }

    @Test func unknownAgreementAndBadDateFailClearly() throws {
        let cli = try Samspar()
        let unknown = try cli.run("report", "--agreement", "nowhere", "--year", "2018", "--as-of", "2019-01-01")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("there is no agreement 'nowhere'"))
        let badDate = try cli.run("report", "--agreement", "nowhere", "--year", "2018", "--as-of", "2019-02-29")
        #expect(badDate.status != 0)
        #expect(badDate.stderr.contains("no day 29 in February 2019"))
    }

    /// Issue 19: the demo lives in the day it is made (`--today` here, so the test holds on any
    /// day): its current year has people, events and measurable goals.
    @Test func demoLoadsARealisticCaseloadAndEveryFormatRenders() throws {
        let cli = try Samspar()
        let demo = try cli.run("demo", "--today", "2025-06-30")
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("samspar report --agreement ostra-sodertorn --year 2025 --as-of 2025-06-30"))
        func currentReport() throws -> [String: Any] {
            let result = try cli.run(["report", "--agreement", "ostra-sodertorn", "--year", "2025", "--as-of", "2025-06-30"])
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        }
        let report = try currentReport()
        let participants = try #require(report["participants"] as? [String: Any])
        let active = try #require(participants["active"] as? Int)
        #expect(active > 1000 && active <= 2000)
        let establishment = try #require(report["establishment"] as? [String: Any])
        #expect((establishment["population"] as? Int ?? 0) > 0)
        // Building is mostly men's, care mostly women's (realistic skew).
        let tracks = try #require(report["tracks"] as? [[String: Any]])
        #expect((tracks.allSatisfy { ($0["invited"] as? Int ?? 0) > 0 }))

        // The yearly revisions: the version in force in 2025 is the 2025 one (2018 and 2019–2025).
        #expect(report["agreementVersion"] as? Int == 8)
        let establishmentFigures = try #require(report["establishment"] as? [String: Any])
        #expect((establishmentFigures["measurable"] as? Int ?? 0) > 0)
        // Demo data is deterministic for a given day: a second run changes nothing.
        #expect(try cli.run("demo", "--today", "2025-06-30").status == 0)
        #expect(try currentReport()["participants"] as? NSDictionary == participants as NSDictionary)
        #expect(try cli.run("demo", "--today", "2099-01-01").stderr.contains("--today must be from 2019-01-01 through today"))

        let csv = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2025", "--as-of", "2025-06-30", "--format", "csv")
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("\u{FEFF}section;track;figure;value"))
        #expect(csv.stdout.contains("participants;;active;\(active)"))
        let html = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2025", "--as-of", "2025-06-30", "--format", "html")
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(html.stdout.contains("<html lang=\"sv\">"))
    }

    @Test func suppressionHidesSmallCounts() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        #expect(try cli.run("import", "participants", try cli.write("p.csv", participantsCSV)).status == 0)
        #expect(try cli.run("import", "events", try cli.write("e.csv", eventsCSV)).status == 0)
        let report = try cli.report("--suppress")
        let participants = try #require(report["participants"] as? [String: Any])
        #expect(participants["active"] as? String == "<5")
        #expect(participants["female"] as? String == "<5")
        #expect(report["recruitmentShare"] is NSNull)
        #expect(report["suppressed"] as? Bool == true)
    }
}

/// Issue 7 from the command line: the registry, files on behalf of a party, and agreements
/// that must agree with the registry.
@Suite("samspar command line: several parties")
struct SeveralPartiesCommandLineTests {
    @Test func theOperatorKeepsTheRegistryAndFilesRowsUnderTheirParty() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        // The operator's agreement import added the parties; list them.
        let listed = try cli.run("org", "list")
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("202100-2114\temployment_service\t-\tArbetsförmedlingen Östra Södertörn"), "\(listed.stdout)")
        #expect(listed.stdout.contains("212000-0084\tmunicipality\t0136\tHaninge kommun"))
        // One municipality per kommunkod.
        let twice = try cli.run("org", "add", "212000-0282", "--name", "Falsk Haninge", "--kind", "municipality", "--kommunkod", "0136")
        #expect(twice.status == 1 && twice.stderr.contains("kommunkod 0136 already belongs to the municipality organisation 212000-0084"), "\(twice.stderr)")
        #expect(try cli.run("org", "update", "202100-2114", "--name", "Arbetsförmedlingen").status == 0)
        #expect(try cli.run("org", "list").stdout.contains("202100-2114\temployment_service\t-\tArbetsförmedlingen\n"))
        // A revision that calls Haninge something else than the registry does is refused, naming the party.
        var document = try String(contentsOf: Samspar.shared.appendingPathComponent("examples/agreement.json"), encoding: .utf8)
        document = document.replacing(#""municipalityCode": "0136""#, with: #""municipalityCode": "0138""#)
        let wrong = try cli.run("agreement", "import", try cli.write("wrong.json", document))
        #expect(wrong.status == 1 && wrong.stderr.contains("(212000-0084): the registry has kommunkod 0136, the agreement says 0138"), "\(wrong.stderr)")

        // Municipal data without --org goes to the home municipality; Arbetsförmedlingen's file names it.
        #expect(try cli.run("import", "participants", try cli.write("people.csv", participantsCSV)).status == 0)
        let af = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed\n199001012385;0136;2016-03-01;2017-02-01;yes\n"
        let afImport = try cli.run("import", "participants", try cli.write("af.csv", af), "--org", "202100-2114")
        #expect(afImport.status == 0, "\(afImport.stderr)")
        let ambiguous = try cli.run("import", "statuses", try cli.write("s.csv", "person_id;status;date\n199001012385;work;2018-10-01\n"))
        #expect(ambiguous.status == 1 && ambiguous.stderr.contains("--org"), "\(ambiguous.stderr)")
        #expect(try cli.run("import", "statuses", cli.directory.appendingPathComponent("s.csv").path, "--org", "202100-2114").status == 0)
        let unknown = try cli.run("import", "statuses", cli.directory.appendingPathComponent("s.csv").path, "--org", "212000-0282")
        #expect(unknown.status == 1 && unknown.stderr.contains("not in the registry"), "\(unknown.stderr)")
        // Tyresö has not registered her: refused, and the refusal is audited.
        let tyreso = try cli.run("import", "statuses", cli.directory.appendingPathComponent("s.csv").path, "--org", "212000-0092")
        #expect(tyreso.status == 1 && tyreso.stderr.contains("has not registered 19900101-2385"), "\(tyreso.stderr)")
        // The person is counted once.
        #expect((try cli.report()["participants"] as? [String: Any])?["active"] as? Int == 4)
        // Every act of the operator that changed something is in the chain (the agreement
        // import, the organisation update, three imports) and the refused row of Tyresö's file.
        let verified = try cli.run("audit", "verify")
        #expect(verified.status == 0 && verified.stdout.contains(": 6 poster"), "\(verified.stdout)\(verified.stderr)")
    }
}

@Suite("samspar command line: settings and upgrades")
struct SettingsAndUpgradeCommandLineTests {
    /// SPEC §3: the threshold is one setting, read by every command.
    @Test func theSuppressionThresholdIsOneSetting() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        #expect(try cli.run("import", "participants", try cli.write("people.csv", participantsCSV)).status == 0)
        let five = try cli.report("--suppress")
        #expect((five["participants"] as? [String: Any])?["active"] as? String == "<5")
        let ten = try cli.run(
            ["report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--suppress"],
            environment: ["SAMSPAR_SUPPRESSION_THRESHOLD": "10"])
        #expect(ten.stdout.contains(#""active" : "<10""#) || ten.stdout.contains(#""active": "<10""#), "\(ten.stdout)")
        let bad = try cli.run(["report", "--agreement", "ostra-sodertorn", "--year", "2018"], environment: ["SAMSPAR_SUPPRESSION_THRESHOLD": "zero"])
        #expect(bad.status == 1 && bad.stderr.contains("SAMSPAR_SUPPRESSION_THRESHOLD"))
    }

    /// Issue 10, part 4: serve's PostgreSQL pool is sized in the configuration; a size that
    /// is not a number of connections stops serve before it opens anything.
    @Test func thePoolSizeIsCheckedBeforeServeStarts() throws {
        let cli = try Samspar()
        let flag = try cli.run(["serve", "--port", "0", "--db-pool", "0"])
        #expect(flag.status == 1 && flag.stderr.contains("--db-pool='0' is not a number of connections from 1 to 200"), "\(flag.stderr)")
        let environment = try cli.run(["serve", "--port", "0"], environment: ["SAMSPAR_DATABASE_POOL": "many"])
        #expect(
            environment.status == 1 && environment.stderr.contains("SAMSPAR_DATABASE_POOL='many' is not a number of connections from 1 to 200"),
            "\(environment.stderr)")
        let cache = try cli.run(["serve", "--port", "0"], environment: ["SAMSPAR_SQLITE_CACHE_MIB": "4"])
        #expect(
            cache.status == 1 && cache.stderr.contains("SAMSPAR_SQLITE_CACHE_MIB='4' is not a number of MiB from 8 to 65536"), "\(cache.stderr)")
    }

    /// A database written by main (before registrations and keys): only `samspar migrate`
    /// moves it and makes its key; afterwards a missing key is an error, never a new key.
    @Test func aDatabaseFromBeforeKeysIsUpgradedByMigrateOnly() throws {
        let cli = try Samspar()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/main-v1.sqlite")
        try FileManager.default.copyItem(at: fixture, to: cli.directory.appendingPathComponent("samspar.sqlite"))
        let early = try cli.run("token", "list")
        #expect(early.status == 1 && early.stderr.contains("run `samspar migrate` once"), "\(early.stderr)")
        let migrated = try cli.run("migrate")
        #expect(migrated.status == 0 && migrated.stdout.contains("3"), "\(migrated.stdout)\(migrated.stderr)")
        let key = try String(contentsOf: cli.directory.appendingPathComponent("samspar.sqlite.audit-key"), encoding: .utf8)
        #expect(key.contains(" from "), "the key chains what comes after main's history: \(key)")
        #expect(try cli.run("token", "list").stdout.contains("AF VS"))
        #expect(try cli.run("audit", "verify").status == 0)
        // The kind of an organisation with registrations is fixed: it decides precedence.
        let kind = try cli.run("org", "update", "202100-2114", "--kind", "other")
        #expect(kind.status == 1 && kind.stderr.contains("cannot change"), "\(kind.stderr)")
        // Without its key the log is not reopened, and migrate makes no new one.
        try FileManager.default.removeItem(at: cli.directory.appendingPathComponent("samspar.sqlite.audit-key"))
        for command in [["token", "list"], ["migrate"]] {
            let keyless = try cli.run(command)
            #expect(keyless.status == 1 && keyless.stderr.contains("key"), "\(command): \(keyless.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("samspar.sqlite.audit-key").path))
    }
}

/// Issue 10, part 1: the demo's files come in the order case systems write them.
@Suite("Demo files in realistic order")
struct DemoFileOrderTests {
    func rows(_ path: URL) throws -> [[Substring]] {
        try String(contentsOf: path, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ";", omittingEmptySubsequences: false) }
    }

    @Test func realisticByDefaultSortedOnRequest() throws {
        let cli = try Samspar()
        #expect(try cli.run("demo", "--participants", "200", "--files", "real", "--files-only").status == 0)
        let real = cli.directory.appendingPathComponent("real")
        // Participants by registration date (column 7), events grouped by kind (each kind one
        // block), statuses and activities by date (column 3).
        let registered = try rows(real.appendingPathComponent("participants.csv")).map { $0[6] }
        #expect(registered == registered.sorted() && registered.count == 200)
        let kinds = try rows(real.appendingPathComponent("events.csv")).map { $0[2] }
        var blocks: [Substring] = []
        for kind in kinds where blocks.last != kind { blocks.append(kind) }
        #expect(blocks.count == Set(kinds).count, "each event kind is one block: \(blocks)")
        for file in ["statuses.csv", "activities.csv"] {
            let dates = try rows(real.appendingPathComponent(file)).map { $0[2] }
            #expect(dates == dates.sorted() && !dates.isEmpty, "\(file)")
        }
        // Not by identity number: that is the variant.
        let people = try rows(real.appendingPathComponent("participants.csv")).map { $0[0] }
        #expect(people != people.sorted())
        #expect(try cli.run("demo", "--participants", "200", "--files", "sorted", "--files-only", "--order", "sorted").status == 0)
        let sortedPeople = try rows(cli.directory.appendingPathComponent("sorted/participants.csv")).map { $0[0] }
        #expect(sortedPeople == sortedPeople.sorted() && Set(sortedPeople) == Set(people))
        #expect(try cli.run("demo", "--participants", "10", "--files", "x", "--files-only", "--order", "random").stderr.contains("--order random"))
    }
}
