import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `samspar serve`, `user`, `token` and `audit` as an operator runs them (issue 4).
@Suite("samspar serve, users, tokens and the audit log")
struct ServeCommandLineTests {
    /// Runs with `input` on standard input (a password, as a script would give it).
    func run(_ cli: Samspar, _ arguments: [String], input: String) throws -> Samspar.Result {
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = arguments
        process.currentDirectoryURL = cli.directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SAMSPAR_DATABASE_URL")
        process.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        inp.fileHandleForWriting.write(Data(input.utf8))
        try inp.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func http(_ method: String, _ url: String, token: String? = nil, body: String? = nil, contentType: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(body.utf8) }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func usersTokensAndTheAuditChainFromTheCommandLine() throws {
        let cli = try Samspar()
        // Accounts belong to organisations of the registry, which the operator keeps.
        let unknown = try run(
            cli, ["user", "add", "--org", "212000-0084", "--role", "caseworker", "--email", "anna@haninge.se"], input: "long enough password\n")
        #expect(unknown.status == 1 && unknown.stderr.contains("not in the registry"), "\(unknown.stderr)")
        let org = try cli.run("org", "add", "212000-0084", "--name", "Haninge kommun", "--kind", "municipality", "--kommunkod", "0136")
        #expect(org.status == 0, "\(org.stderr)")
        let added = try run(
            cli, ["user", "add", "--org", "212000-0084", "--role", "caseworker", "--email", "Anna@Haninge.se"], input: "long enough password\n")
        #expect(added.status == 0, "\(added.stderr)")
        let again = try run(
            cli, ["user", "add", "--org", "212000-0084", "--role", "caseworker", "--email", "anna@haninge.se"], input: "long enough password\n")
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        let bad = try run(cli, ["user", "add", "--org", "212000-0085", "--role", "boss", "--email", "nope"], input: "short\n")
        #expect(bad.status == 1)
        for word in ["--email", "--org", "--role", "--password"] { #expect(bad.stderr.contains(word), "\(bad.stderr)") }

        let created = try cli.run("token", "create", "--org", "212000-0084", "--name", "Haninge VS")
        #expect(created.status == 0)
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.count >= 40 && !token.contains(" "))
        let list = try cli.run("token", "list")
        #expect(list.stdout.contains("Haninge VS") && !list.stdout.contains(token))
        #expect(try cli.run("token", "revoke", "1").status == 0)
        #expect(try cli.run("token", "revoke", "1").status == 1)

        let verified = try cli.run("audit", "verify")
        #expect(verified.status == 0 && verified.stdout.contains(": 4 poster"), "\(verified.stdout)")
        // The head, kept elsewhere, finds entries cut off the end, which the chain alone cannot.
        let head = try cli.run("audit", "head").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(head.hasPrefix("4:") && head.count == 2 + 64, "\(head)")
        try sqlite(cli, "DELETE FROM audit_log WHERE seq = 4")
        #expect(try cli.run("audit", "verify").status == 0)
        let cut = try cli.run("audit", "verify", "--head", head)
        #expect(cut.status == 1 && cut.stderr.contains("cut off the end"), "\(cut.stderr)")
        #expect(try cli.run("audit", "verify", "--head", "nonsense").status == 1)
        // Someone edits the log behind samspar's back.
        try sqlite(cli, "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2")
        let tampered = try cli.run("audit", "verify")
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("entry 2 was changed"), "\(tampered.stderr)")
        // Without its key the keyed log cannot be used at all, and no new key is made up.
        let keyFile = cli.directory.appendingPathComponent("samspar.sqlite.audit-key")
        #expect(FileManager.default.fileExists(atPath: keyFile.path))
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try FileManager.default.moveItem(at: keyFile, to: cli.directory.appendingPathComponent("elsewhere.key"))
        let keyless = try cli.run("token", "list")
        #expect(keyless.status == 1 && keyless.stderr.contains("the key is missing"), "\(keyless.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyFile.path))
    }

    func sqlite(_ cli: Samspar, _ statement: String) throws {
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [cli.directory.appendingPathComponent("samspar.sqlite").path, statement]
        try sqlite.run()
        sqlite.waitUntilExit()
    }

    /// The mutation switch is for scripts/mutants' tests: serve will not run with it (issue 21).
    @Test func serveRefusesTheMutationSwitch() throws {
        let cli = try Samspar()
        let refused = try cli.run("serve", "--port", "0", environment: ["SAMSPAR_MUTANT": "access.consent"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("SAMSPAR_MUTANT is set"), "\(refused.stderr)")
    }

    @Test func serveAnswersACaseSystemAndStopsGracefullyOnSIGTERM() async throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path).status == 0)
        let token = try #require(try cli.run("token", "create", "--org", "212000-0084", "--name", "VS").stdout.split(separator: "\n").last.map(String.init))
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = ["serve", "--port", "0", "--metrics-port", "0", "--log-level", "info"]
        process.currentDirectoryURL = cli.directory
        // The suppression threshold reaches serve from the one configuration.
        process.environment = ProcessInfo.processInfo.environment.merging(["SAMSPAR_SUPPRESSION_THRESHOLD": "1000"]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // One line names the address, another the metrics' own (in either order).
        var lines = Data()
        while lines.split(separator: UInt8(ascii: "\n")).count < 2 || lines.last != UInt8(ascii: "\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            lines.append(chunk)
        }
        let printed = String(decoding: lines, as: UTF8.self).split(separator: "\n")
        let text = String(try #require(printed.first { $0.contains("(listening)") }, "\(printed)"))
        let metricsLine = String(try #require(printed.first { $0.contains("(metrics)") }, "\(printed)"))
        let port = try #require(text.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(text)")
        let metricsURL = try #require(metricsLine.firstMatch(of: /http:\/\/127\.0\.0\.1:[0-9]+\/metrics/).map { String($0.output) }, "\(metricsLine)")
        let base = "http://127.0.0.1:\(port)"
        #expect(try await http("GET", "\(base)/health").0 == 200)
        let csv = """
            person_id;given_name;family_name;municipality;first_permit_date;registered_on;upper_secondary_completed
            199001012385;Amina;Testsson;0136;2016-03-01;2018-01-10;yes
            """
        let pushed = try await http("POST", "\(base)/api/v1/imports/participants", token: token, body: csv, contentType: "text/csv")
        #expect(pushed.0 == 200 && pushed.1.contains("\"imported\":1"), "\(pushed.1)")
        let read = try await http("GET", "\(base)/api/v1/participants/199001012385", token: token)
        #expect(read.0 == 200 && read.1.contains("Amina"))
        let report = try await http("GET", "\(base)/api/v1/agreements/ostra-sodertorn/report?year=2018&asOf=2019-03-31", token: token)
        #expect(report.0 == 200 && report.1.contains("\"active\":1"))
        let suppressed = try await http("GET", "\(base)/api/v1/agreements/ostra-sodertorn/report?year=2018&asOf=2019-03-31&suppress=true", token: token)
        #expect(suppressed.0 == 200 && suppressed.1.contains(#""active":"<1000""#), "\(suppressed.1)")
        // Metrics on their own loopback listener only, never on the port people reach (issue 20).
        #expect(try await http("GET", "\(base)/metrics").0 == 404)
        let metrics = try await http("GET", metricsURL)
        #expect(metrics.0 == 200 && metrics.1.contains("hb_requests"), "\(metrics.1.prefix(300))")

        // The upload waited in the server's own directory, which it removes when it stops.
        let uploads = (NSTemporaryDirectory() as NSString).appendingPathComponent("samspar-uploads-\(process.processIdentifier)")
        #expect(FileManager.default.fileExists(atPath: uploads))
        #expect(FileManager.default.fileExists(atPath: uploads + ".lock"), "held while the server lives")

        process.interrupt()  // SIGINT; SIGTERM takes the same path
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: uploads), "the server left \(uploads) behind")
        #expect(!FileManager.default.fileExists(atPath: uploads + ".lock"), "the server left its lock file behind")
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("route=/api/v1/participants/{personId}"))
        #expect(!log.contains("199001012385") && !log.contains("Amina"), "no personal data in the request log")
    }
}
