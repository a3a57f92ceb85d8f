import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 24 as the operator does it: `samspar backup` while `serve` answers a case system's
/// writes and reads, `samspar restore` into an empty database with the installation's key,
/// people erased since the backup removed again, a tampered backup refused, and a backup
/// killed half-way leaving no file that claims to be complete.
@Suite("samspar backup and restore")
struct BackupCommandLineTests {
    static func installation() throws -> Samspar {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        #expect(try cli.run("import", "participants", try cli.write("people.csv", participantsCSV)).status == 0)
        #expect(try cli.run("import", "events", try cli.write("events.csv", eventsCSV)).status == 0)
        return cli
    }

    /// The installation's key, for commands on another database of the same installation.
    static func key(_ cli: Samspar) -> [String: String] {
        ["SAMSPAR_AUDIT_KEY_FILE": cli.directory.appendingPathComponent("samspar.sqlite.audit-key").path]
    }

    static func head(_ output: String) -> String? {
        output.firstMatch(of: /\(head\)[^:]*: ([0-9]+:[0-9a-f]{64})/).map { String($0.output.1) }
    }

    static func report(_ cli: Samspar, _ db: String) throws -> String {
        let result = try cli.run(["report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--db", db], environment: key(cli))
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    static func serve(_ cli: Samspar, _ db: String, environment extra: [String: String]? = nil) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = ["serve", "--port", "0", "--db", db]
        process.currentDirectoryURL = cli.directory
        var environment = ProcessInfo.processInfo.environment.merging(extra ?? Self.key(cli)) { $1 }
        environment.removeValue(forKey: "SAMSPAR_DATABASE_URL")
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var lines = Data()
        while !String(decoding: lines, as: UTF8.self).contains("(listening)") || lines.last != UInt8(ascii: "\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            lines.append(chunk)
        }
        let text = String(decoding: lines, as: UTF8.self).split(separator: "\n").first { $0.contains("(listening)") } ?? ""
        let port = text.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        return (process, port)
    }

    static func http(_ method: String, _ url: String, token: String, body: String? = nil) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// A case system's writes and reads, 40 of each, against `base`; the statuses it got.
    static func caseSystem(_ base: String, token: String) -> Task<[Int], any Error> {
        Task {
            var statuses: [Int] = []
            for number in testNumbers.dropFirst(10).prefix(40) {
                statuses.append(
                    try await http(
                        "POST", "\(base)/api/v1/participants", token: token,
                        body:
                            #"{"personId": "\#(number)", "municipality": "0136", "firstPermitDate": "2017-01-01", "registeredOn": "2018-03-01", "upperSecondaryCompleted": false}"#
                    ))
                statuses.append(try await http("GET", "\(base)/api/v1/participants/199001012385", token: token))
            }
            return statuses
        }
    }

    @Test func aBackupTakenWhileACaseSystemWritesRestoresWithItsHeadItsFiguresAndItsTokens() async throws {
        let cli = try Self.installation()
        let token = try #require(try cli.run("token", "create", "--org", "212000-0084", "--name", "VS").stdout.split(separator: "\n").last.map(String.init))
        let (server, port) = try Self.serve(cli, "sqlite://samspar.sqlite")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        // The case system writes and reads throughout; the backup is taken in the middle.
        let writer = Self.caseSystem(base, token: token)
        try await Task.sleep(for: .milliseconds(300))
        let backup = try cli.run("backup", "backup.sqlite")
        let statuses = try await writer.value
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 200 }, "\(statuses)")
        #expect(backup.status == 0, "\(backup.stderr)")
        let head = try #require(Self.head(backup.stdout), "\(backup.stdout)")
        let path = cli.directory.appendingPathComponent("backup.sqlite").path
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        for leftover in [".partial", "-wal", "-shm", ".audit-key"] { #expect(!FileManager.default.fileExists(atPath: path + leftover), "\(leftover)") }
        let file = try #require(FileManager.default.contents(atPath: path))
        let keyText = try String(contentsOf: cli.directory.appendingPathComponent("samspar.sqlite.audit-key"), encoding: .utf8)
        #expect(file.range(of: Data(keyText.prefix(64).utf8)) == nil, "the audit key is never in a backup")
        server.terminate()
        server.waitUntilExit()

        // Restored into an empty SQLite database with the installation's key.
        let restored = try cli.run(["restore", "backup.sqlite", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli))
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(Self.head(restored.stdout) == head, "\(restored.stdout)")
        #expect(try cli.run(["audit", "verify", "--head", head, "--db", "sqlite://restored.sqlite"], environment: Self.key(cli)).status == 0)
        // The same figures as the backup itself gives (a backup is a Samspår database).
        let scratch = cli.directory.appendingPathComponent("look.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: scratch.path)
        #expect(try Self.report(cli, "sqlite://restored.sqlite") == (try Self.report(cli, "sqlite://look.sqlite")))
        // Its tokens work.
        let (again, againPort) = try Self.serve(cli, "sqlite://restored.sqlite")
        defer { if again.isRunning { again.terminate() } }
        #expect(try await Self.http("GET", "http://127.0.0.1:\(againPort)/api/v1/participants/199001012385", token: token) == 200)
        again.terminate()
        // Restored again into a database that is not empty: refused, nothing written.
        let twice = try cli.run(["restore", "backup.sqlite", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli))
        #expect(twice.status != 0 && twice.stderr.contains("not empty"), "\(twice.stderr)")
        // A backup never overwrites one.
        let over = try cli.run("backup", "backup.sqlite")
        #expect(over.status != 0 && over.stderr.contains("exists already"), "\(over.stderr)")
    }

    @Test func peopleErasedSinceTheBackupDoNotComeBackAndATamperedBackupIsRefused() throws {
        let cli = try Self.installation()
        let backup = try cli.run("backup", "backup.sqlite")
        #expect(backup.status == 0, "\(backup.stderr)")
        // After the backup, Haninge erases Ali.
        #expect(try cli.run("erase", "19900913-2391", "--org", "212000-0084", "--reason", "KS 2026/77 § 4").status == 0)
        let restored = try cli.run(["restore", "backup.sqlite", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli))
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(
            restored.stdout.contains(
                "212000-0084: borttaget igen (removed again, on the removal list) registrations 1, track events 0, status changes 0, activities 0, consents 0"),
            "\(restored.stdout)")
        func holds(_ person: String) throws -> Bool? {
            let extract = try cli.run(["extract", person, "--org", "212000-0084", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli))
            return (try JSONSerialization.jsonObject(with: Data(extract.stdout.utf8)) as? [String: Any])?["holds"] as? Bool
        }
        #expect(try holds("19900913-2391") == false)
        #expect(try holds("19900101-2385") == true)
        #expect(try cli.run(["audit", "verify", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli)).status == 0)

        // One changed byte of the log's text, and the backup is refused; nothing is restored.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [cli.directory.appendingPathComponent("backup.sqlite").path, "UPDATE audit_log SET detail = detail || ' ' WHERE seq = 2"]
        try sqlite.run()
        sqlite.waitUntilExit()
        let refused = try cli.run(["restore", "backup.sqlite", "--db", "sqlite://other.sqlite"], environment: Self.key(cli))
        #expect(refused.status != 0 && refused.stderr.contains("does not verify"), "\(refused.stderr)")
        #expect(try cli.run(["audit", "head", "--db", "sqlite://other.sqlite"], environment: Self.key(cli)).stdout.hasPrefix("0:"))
        // Without the installation's key there is no restore, and no key is made.
        let keyless = try cli.run(["restore", "backup.sqlite", "--db", "sqlite://third.sqlite"], environment: ["SAMSPAR_AUDIT_KEY_FILE": "/nonexistent/key"])
        #expect(keyless.status != 0 && keyless.stderr.contains("never make one"), "\(keyless.stderr)")
    }

    /// The key is lost: `audit rekey` makes a new one and chains the log anew, recording the
    /// reason and the old head; backups from before no longer restore.
    @Test func aLostKeyGivesANewChainThatRecordsTheOldHead() throws {
        let cli = try Self.installation()
        let keyPath = cli.directory.appendingPathComponent("samspar.sqlite.audit-key").path
        let present = try cli.run("audit", "rekey", "--reason", "prov")
        #expect(present.status != 0 && present.stderr.contains("exists"), "\(present.stderr)")
        #expect(try cli.run("backup", "old.sqlite").status == 0)
        let before = try cli.run("audit", "head").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: keyPath)
        #expect(try cli.run("audit", "verify").status != 0)
        let rekeyed = try cli.run("audit", "rekey", "--reason", "nyckeln förlorad, KS 2026/1")
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(rekeyed.stdout.contains("(the head under the lost key): \(before)\n"), "\(rekeyed.stdout)")
        #expect((try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let verified = try cli.run("audit", "verify")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            cli.directory.appendingPathComponent("samspar.sqlite").path, "SELECT actor || ' ' || detail FROM audit_log WHERE action = 'audit-rekey'",
        ]
        let out = Pipe()
        sqlite.standardOutput = out
        try sqlite.run()
        let detail = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sqlite.waitUntilExit()
        #expect(detail.contains("nyckeln förlorad, KS 2026/1") && detail.contains(before) && detail.hasPrefix("cli:"), "\(detail)")
        // One changed byte still shows under the new key.
        let tamper = Process()
        tamper.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        tamper.arguments = [cli.directory.appendingPathComponent("samspar.sqlite").path, "UPDATE audit_log SET detail = detail || ' ' WHERE seq = 2"]
        try tamper.run()
        tamper.waitUntilExit()
        #expect(try cli.run("audit", "verify").status != 0)
        // A backup from before cannot be restored into this installation.
        let old = try cli.run(["restore", "old.sqlite", "--db", "sqlite://restored.sqlite"], environment: Self.key(cli))
        #expect(old.status != 0 && old.stderr.contains("does not verify"), "\(old.stderr)")
    }

    /// `kill -9` at any moment of a backup: either no file named FILE, or one that restores.
    @Test func aBackupKilledHalfWayLeavesNoFileThatClaimsToBeComplete() throws {
        let cli = try Samspar()
        #expect(try cli.run("demo", "--participants", "2000").status == 0)
        var complete = 0
        for (i, delay) in [20, 100, 250, 500, 800, 1200, 3000, 6000].enumerated() {
            let name = "backup-\(i).sqlite"
            let started = try start(cli, ["backup", name])
            usleep(UInt32(delay * 1000))
            kill(started.0.processIdentifier, SIGKILL)
            _ = finish(started)
            let path = cli.directory.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            complete += 1
            let restored = try cli.run(["restore", name, "--db", "sqlite://restored-\(i).sqlite"], environment: Self.key(cli))
            #expect(restored.status == 0, "a file named \(name) is a whole backup: \(restored.stderr)")
        }
        // The first were killed half-way, the last had time to finish: the test saw both.
        #expect(complete > 0 && complete < 8, "\(complete) of 8 backups finished before their kill")
        #expect(try cli.run("backup", "final.sqlite").status == 0)
    }
}

@Suite("samspar backup and restore on PostgreSQL", .enabled(if: ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] != nil))
struct PostgresBackupTests {
    /// A PostgreSQL installation backed up restores into an empty PostgreSQL database and into
    /// an empty SQLite file, with the same figures and the same head.
    @Test func aPostgresBackupRestoresIntoEitherEngine() async throws {
        let cli = try Samspar()
        let source = try #require(try freshPostgresURL())
        let keyFile = cli.directory.appendingPathComponent("installation.key").path
        let env = ["SAMSPAR_AUDIT_KEY_FILE": keyFile]
        #expect(try cli.run(["migrate", "--db", source], environment: env).status == 0)
        #expect(
            try cli.run(["agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path, "--db", source], environment: env)
                .status == 0)
        #expect(try cli.run(["import", "participants", try cli.write("people.csv", participantsCSV), "--db", source], environment: env).status == 0)
        #expect(try cli.run(["import", "events", try cli.write("events.csv", eventsCSV), "--db", source], environment: env).status == 0)
        // Taken while a case system writes and reads through `serve` on the same database.
        let token = try #require(
            try cli.run(["token", "create", "--org", "212000-0084", "--name", "VS", "--db", source], environment: env).stdout.split(separator: "\n").last
                .map(String.init))
        let (server, port) = try BackupCommandLineTests.serve(cli, source, environment: env)
        defer { if server.isRunning { server.terminate() } }
        let writer = BackupCommandLineTests.caseSystem("http://127.0.0.1:\(port)", token: token)
        try await Task.sleep(for: .milliseconds(300))
        let backup = try cli.run(["backup", "pg.sqlite", "--db", source], environment: env)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(try await writer.value.allSatisfy { $0 == 200 || $0 == 201 })
        server.terminate()
        server.waitUntilExit()
        let head = try #require(BackupCommandLineTests.head(backup.stdout))
        func report(_ db: String) throws -> String {
            try cli.run(["report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--db", db], environment: env).stdout
        }
        // The figures of the backup's moment: the backup itself is a Samspår database.
        try FileManager.default.copyItem(
            at: cli.directory.appendingPathComponent("pg.sqlite"), to: cli.directory.appendingPathComponent("look.sqlite"))
        let expected = try report("sqlite://look.sqlite")
        #expect(expected.contains("\"active\""))
        let target = try #require(try freshPostgresURL())
        for db in [target, "sqlite://from-pg.sqlite"] {
            let restored = try cli.run(["restore", "pg.sqlite", "--db", db], environment: env)
            #expect(restored.status == 0, "\(db): \(restored.stderr)")
            #expect(BackupCommandLineTests.head(restored.stdout) == head)
            #expect(try cli.run(["audit", "verify", "--head", head, "--db", db], environment: env).status == 0)
            #expect(try report(db) == expected, "\(db)")
        }
        // And a SQLite installation's backup restores into PostgreSQL.
        let sqliteBackup = try cli.run(["backup", "from-sqlite.sqlite", "--db", "sqlite://from-pg.sqlite"], environment: env)
        #expect(sqliteBackup.status == 0, "\(sqliteBackup.stderr)")
        let third = try #require(try freshPostgresURL())
        #expect(try cli.run(["restore", "from-sqlite.sqlite", "--db", third], environment: env).status == 0)
        #expect(try report(third) == expected)
        // The key is lost: a new chain on PostgreSQL too.
        try FileManager.default.removeItem(atPath: keyFile)
        let rekeyed = try cli.run(["audit", "rekey", "--reason", "KS 2026/1", "--db", third], environment: env)
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(try cli.run(["audit", "verify", "--db", third], environment: env).status == 0)
    }
}
