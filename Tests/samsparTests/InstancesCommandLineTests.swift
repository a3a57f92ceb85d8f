import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 10, part 5: two `samspar serve` instances on one PostgreSQL database share sessions,
/// sign-in limits and token revocation (the last within `TokenCache.lifetime`, 10 s).
@Suite("Two instances on one database", .enabled(if: ProcessInfo.processInfo.environment["SAMSPAR_TEST_POSTGRES_URL"] != nil))
struct InstancesCommandLineTests {
    /// A client that never keeps cookies: each request says whose session it carries.
    static let client: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    func http(_ method: String, _ url: String, cookie: String? = nil, token: String? = nil, json: String? = nil) async throws -> (
        Int, String, [String: String]
    ) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.client.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http?.allHeaderFields ?? [:] { headers[String(describing: k).lowercased()] = String(describing: v) }
        return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), headers)
    }

    /// Starts `samspar serve --port 0` on `url` and reads the port from its first line.
    func serve(_ cli: Samspar, _ url: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"]
        process.currentDirectoryURL = cli.directory
        process.environment = ProcessInfo.processInfo.environment.merging(["SAMSPAR_DATABASE_URL": url]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) else { throw CocoaError(.fileReadUnknown) }
        return (process, "http://127.0.0.1:\(port)")
    }

    /// Adds a user; returns their TOTP secret from the URI `user add` prints on its last line.
    @discardableResult
    func addUser(_ cli: Samspar, _ url: String, _ email: String, role: String) throws -> OneTimeCodes {
        let process = Process()
        process.executableURL = Samspar.executable
        process.arguments = ["user", "add", "--org", "212000-0084", "--role", role, "--email", email]
        process.currentDirectoryURL = cli.directory
        process.environment = ProcessInfo.processInfo.environment.merging(["SAMSPAR_DATABASE_URL": url]) { $1 }
        let inp = Pipe()
        process.standardInput = inp
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        inp.fileHandleForWriting.write(Data("a long enough password\n".utf8))
        try inp.fileHandleForWriting.close()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try #require(OneTimeCodes(uri: printed.split(separator: "\n").last.map(String.init) ?? ""))
    }

    @Test func sessionsLimitsAndRevocationHoldAcrossInstances() async throws {
        let url = try #require(try freshPostgresURL())
        let cli = try Samspar()
        let env = ["SAMSPAR_DATABASE_URL": url]
        // `migrate` makes the audit key that every instance shares (they run in one directory).
        #expect(try cli.run("migrate", environment: env).status == 0)
        let imported = try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path, environment: env)
        #expect(imported.status == 0, "\(imported.stderr)")
        let coordinatorCodes = try addUser(cli, url, "samordnare@haninge.se", role: "coordinator")
        let otherCodes = try addUser(cli, url, "annan@haninge.se", role: "caseworker")
        let (a, baseA) = try serve(cli, url)
        defer { a.terminate() }
        let (b, baseB) = try serve(cli, url)
        defer { b.terminate() }

        // A session begun on A is a session on B.
        let signIn = try await http(
            "POST", "\(baseA)/api/v1/session",
            json: #"{"email": "samordnare@haninge.se", "password": "a long enough password", "code": "\#(coordinatorCodes.now())"}"#)
        #expect(signIn.0 == 200, "\(signIn.1)")
        let cookie = try #require(signIn.2["set-cookie"]?.split(separator: ";").first.map(String.init))
        #expect(try await http("GET", "\(baseB)/api/v1/session", cookie: cookie).0 == 200)

        // Five wrong passwords, spread over both instances, lock the account on both.
        for i in 0..<5 {
            let base = i % 2 == 0 ? baseA : baseB
            let wrong = try await http("POST", "\(base)/api/v1/session", json: #"{"email": "annan@haninge.se", "password": "wrong guess \#(i)"}"#)
            #expect(wrong.0 == 401)
        }
        let right = #"{"email": "annan@haninge.se", "password": "a long enough password", "code": "\#(otherCodes.now())"}"#
        #expect(try await http("POST", "\(baseA)/api/v1/session", json: right).0 == 429)
        #expect(try await http("POST", "\(baseB)/api/v1/session", json: right).0 == 429)

        // A token revoked stops working on every instance within TokenCache.lifetime (10 s).
        let created = try cli.run("token", "create", "--org", "212000-0084", "--name", "VS", environment: env)
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        #expect(try await http("GET", "\(baseA)/api/v1/participants", token: token).0 == 200)
        #expect(try await http("GET", "\(baseB)/api/v1/participants", token: token).0 == 200)
        let id = try #require(try cli.run("token", "list", environment: env).stdout.split(separator: "\t").first.map(String.init))
        let revokedAt = Date()
        #expect(try cli.run("token", "revoke", id, environment: env).status == 0)
        // Each request's start is what counts: on a loaded machine a poll (two requests and a
        // pause) can take a second, so the moment a refusal is seen says little; no request
        // started after the bound may be accepted.
        var refused: [String: TimeInterval] = [:]
        var lastAccepted: [String: TimeInterval] = [:]
        while refused.count < 2 && Date().timeIntervalSince(revokedAt) < 15 {
            for base in [baseA, baseB] where refused[base] == nil {
                let started = Date().timeIntervalSince(revokedAt)
                if try await http("GET", "\(base)/api/v1/participants", token: token).0 == 401 {
                    refused[base] = started
                } else {
                    lastAccepted[base] = started
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(refused.count == 2, "the revoked token still works on \(2 - refused.count) instance(s) after 15 s")
        for (_, seconds) in lastAccepted { #expect(seconds <= 10.5, "accepted a request started \(seconds) s after revocation; the bound is 10 s") }
    }

    /// Issue 17: both instances make the quarters' closes that are due at start, in the
    /// background; each close is stored once, with one audit entry, and both serve it alike.
    @Test func eachCloseIsMadeOnceWithTwoInstances() async throws {
        let url = try #require(try freshPostgresURL())
        let cli = try Samspar()
        let env = ["SAMSPAR_DATABASE_URL": url]
        #expect(try cli.run("migrate", environment: env).status == 0)
        #expect(try cli.run("agreement", "import", Samspar.shared.appendingPathComponent("examples/agreement.json").path, environment: env).status == 0)
        let (a, baseA) = try serve(cli, url)
        defer { a.terminate() }
        let (b, baseB) = try serve(cli, url)
        defer { b.terminate() }
        let created = try cli.run("token", "create", "--org", "212000-0084", "--name", "VS", environment: env)
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        // From 2018-Q1 (the example's validFrom) through at least 2025-Q4, due 2026-01-31: 32.
        var stored = 0
        let started = Date()
        // The wait ends as soon as the 32 are made (about 5 s alone). The bound only keeps a
        // hang from running forever: 60 s was once too short with a release build compiling
        // beside the suite, which is no fault of the closes.
        while Date().timeIntervalSince(started) < 300 {
            stored = Int(try psqlValue(url, "SELECT count(*) FROM quarter_closes")) ?? 0
            let made = Int(try psqlValue(url, "SELECT count(*) FROM audit_log WHERE action = 'close'")) ?? 0
            if stored >= 32 && made == stored {
                try await Task.sleep(for: .seconds(1))
                if Int(try psqlValue(url, "SELECT count(*) FROM quarter_closes")) == stored { break }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(stored >= 32)
        #expect(try psqlValue(url, "SELECT count(*) FROM audit_log WHERE action = 'close'") == String(stored), "one audit entry per close")
        #expect(try psqlValue(url, "SELECT count(DISTINCT quarter) FROM quarter_closes") == String(stored))
        let fromA = try await http("GET", "\(baseA)/api/v1/agreements/ostra-sodertorn/closes/2018-Q1", token: token)
        let fromB = try await http("GET", "\(baseB)/api/v1/agreements/ostra-sodertorn/closes/2018-Q1", token: token)
        #expect(fromA.0 == 200 && fromA.1 == fromB.1 && fromA.2["etag"] == fromB.2["etag"])
    }
}
