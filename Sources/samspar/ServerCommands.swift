import ArgumentParser
import Foundation
import Logging
import SamsparDomain
import SamsparStore
import SamsparWeb

#if canImport(Glibc)
    import Glibc
#endif

/// `samspar serve` (SPEC §5, issue 4).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API. / Starta HTTP-gränssnittet.",
        discussion: """
            Serves the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json), /health and
            the web interface; Prometheus /metrics on its own listener (--metrics-port, loopback by
            default), never on --port. Stops gracefully on SIGTERM or SIGINT. Logs one JSON-free line per request
            with the route's pattern, never a personnummer.
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one and prints it).") var port = 8080
    @Option(name: .customLong("metrics-host"), help: "Where /metrics listens (loopback unless you say otherwise).") var metricsHost = "127.0.0.1"
    @Option(
        name: .customLong("metrics-port"),
        help: "Serve Prometheus /metrics on this port of --metrics-host (0 picks a free one and prints it); without it, nowhere.")
    var metricsPort: Int?
    @Option(name: .customLong("log-level"), help: "trace | debug | info | notice | warning | error") var logLevel = "info"
    @Option(
        name: .customLong("trusted-proxy"),
        help: "A reverse proxy whose X-Forwarded-For is believed (repeat for several; default: $SAMSPAR_TRUSTED_PROXIES).")
    var trustedProxies: [String] = []
    @Option(
        name: .customLong("grant-rounds"),
        help: "A JSON file of the state grant's rounds and cap tables, replacing the bundled Dua 2017 round (see README).")
    var grantRounds: String?
    @Option(
        name: .customLong("db-pool"),
        help: "PostgreSQL: the most connections to keep open (default: $SAMSPAR_DATABASE_POOL, else 10). SQLite ignores it.")
    var dbPool: String?
    @Option(
        name: .customLong("public-url"),
        help:
            "The address people reach Samspår at (https://samspar.example.se), which identity providers send them back to (default: $SAMSPAR_PUBLIC_URL, else the request's Host)."
    )
    var publicURL: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        // The mutation switch turns an access decision around in a debug build: it is for
        // scripts/mutants' tests, never for a server people use (issue 21, ASVS 14.3.2).
        if ProcessInfo.processInfo.environment["SAMSPAR_MUTANT"].map({ !$0.isEmpty }) == true {
            throw CLIFailure("SAMSPAR_MUTANT is set: it turns an access decision around, and serve refuses to run with it")
        }
        var context = try Context(options: database)
        if let dbPool { context.poolSize = try Context.poolSize(dbPool, source: "--db-pool") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIFailure("--log-level \(logLevel) is not a level") }
        var logger = Logger(label: "samspar")
        logger.logLevel = level
        var rounds = GrantRounds.bundled
        if let grantRounds {
            guard let data = FileManager.default.contents(atPath: grantRounds) else { throw CLIFailure("--grant-rounds: cannot read \(grantRounds)") }
            do { rounds = try GrantRounds.parse(json: data) } catch {
                throw CLIFailure("--grant-rounds: \(grantRounds) is not a grant-rounds file", details: error.problems.map { "\(grantRounds): \($0)" })
            }
        }
        let store = try await context.openPooledStore()
        do {
            let services = Services(
                store: store, suppression: Suppression(threshold: context.suppressionThreshold),
                trustedProxies: trustedProxies.isEmpty ? context.trustedProxies : Set(trustedProxies), grantRounds: rounds,
                closeDelay: context.closeDelay,
                publicURL: publicURL ?? ProcessInfo.processInfo.environment["SAMSPAR_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 })
            // Every serve reads the providers' client secrets at start (SPEC §5); one that cannot
            // be read leaves that provider without a secret, said here, and the rest work.
            for problem in try await services.loadProviderSecrets() {
                FileHandle.standardError.write(Data("samspar: identity provider of \(problem)\n".utf8))
            }
            let metricsHost = self.metricsHost
            try await WebApp.run(
                services: services, host: host, port: port, metrics: metricsPort.map { (metricsHost, $0) }, logger: logger,
                onMetricsRunning: { port in
                    FileHandle.standardOutput.write(Data("Mätvärden på http://\(metricsHost):\(port)/metrics (metrics)\n".utf8))
                }
            ) { port in
                FileHandle.standardOutput.write(Data("Samspår lyssnar på http://\(host):\(port) (listening)\n".utf8))
            }
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// `samspar user add`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage user accounts. / Hantera användare.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Password.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user. The password is asked for, or read from standard input when it is not a terminal.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user's organisation (organisationsnummer).") var org: String
        @Option(help: "caseworker | coordinator | analyst | auditor | admin") var role: String
        @Option(help: "E-mail address, the user's sign-in name.") var email: String

        func run() async throws {
            try await runReportingErrors(execute)
        }

        private func execute() async throws {
            let context = try Context(options: database)
            let password = try Add.readPassword()
            let validated: (String, Organisationsnummer, Role)
            do {
                validated = try UserInput.validate(email: self.email, organisation: self.org, role: self.role, password: password)
            } catch {
                throw CLIFailure("the user was not added", details: error.problems.map { "--\($0.column == "organisation" ? "org" : $0.column): \($0.reason)" })
            }
            let (email, org, role) = validated
            let factor = SignInOperations.newSecondFactor(for: email)
            do {
                _ = try await context.withStore { store in
                    try await AccountOperations.addUser(
                        email: email, organisation: org.description, role: role.rawValue, password: password, secondFactor: factor,
                        context.caller("user add"), context.services(store))
                }
            } catch let error as APIError where error.status == .conflict {
                throw CLIFailure(error.message)
            } catch let error as APIError where error.problems.first?.column == "organisation" {
                throw CLIFailure("--org \(org): \(error.problems[0].reason)")
            }
            print("Användare \(email) tillagd: \(role.label), \(org) (user added).")
            // SPEC §5: the TOTP secret as an otpauth:// URI alone on the last line; the
            // recovery codes before it, each usable once, shown only now.
            print("Reservkoder (recovery codes), var och en gäller en gång:")
            for code in factor.recoveryCodes { print("  \(code)") }
            print(factor.uri)
        }

        fileprivate static func readPassword() throws -> String {
            if isatty(0) == 1 {
                guard let first = getpass("Lösenord (password): ").map({ String(cString: $0) }),
                    let second = getpass("Igen (again): ").map({ String(cString: $0) })
                else { throw CLIFailure("no password given") }
                guard first == second else { throw CLIFailure("the two passwords differ") }
                return first
            }
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIFailure("no password on standard input (give it on the first line)")
            }
            return line
        }
    }

    /// Disables, enables or sets the password of a user of any organisation (the operator).
    /// Disables, enables (`disabled`) or sets the password of a user of any organisation, as
    /// the operator through `command` (`user disable`, `user enable`, `user password`).
    static func change(_ email: String, _ command: String, database: DatabaseOptions, password: String? = nil, disabled: Bool? = nil) async throws {
        let context = try Context(options: database)
        let address = email.lowercased()
        let done = try await context.withStore { store -> Bool in
            let services = context.services(store)
            guard let user = try await AccountOperations.users(context.caller(command), services).first(where: { $0.email == address }) else {
                return false
            }
            if let disabled { _ = try await AccountOperations.setDisabled(disabled, id: user.id, context.caller(command), services) }
            if let password { _ = try await AccountOperations.resetPassword(id: user.id, to: password, context.caller(command), services) }
            return true
        }
        guard done else { throw CLIFailure("there is no user \(address)") }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (their sessions end at once).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user's e-mail address.") var email: String
        func run() async throws {
            try await runReportingErrors {
                try await UserCommand.change(email, "user disable", database: database, disabled: true)
                print("Användare \(email) avstängd (disabled).")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user's e-mail address.") var email: String
        func run() async throws {
            try await runReportingErrors {
                try await UserCommand.change(email, "user enable", database: database, disabled: false)
                print("Användare \(email) aktiverad (enabled).")
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password (asked for, or read from standard input).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user's e-mail address.") var email: String
        func run() async throws {
            try await runReportingErrors {
                let password = try Add.readPassword()
                if let reason = Services.checkPassword(password) { throw CLIFailure(reason) }
                try await UserCommand.change(email, "user password", database: database, password: password)
                print("Nytt lösenord för \(email) (password set).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let users = try await context.withStore { try await AccountOperations.users(context.caller("user list"), context.services($0)) }
                for u in users { print("\(u.email)\t\(u.role.rawValue)\t\(u.organisation)\(u.disabled ? "\tdisabled" : "")") }
            }
        }
    }
}

/// `samspar token create|list|revoke` (SPEC §6).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens for case systems. / Hantera API-token.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; it is printed once, alone on the last line, and stored only as a hash.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The organisation the token acts for (organisationsnummer).") var org: String
        @Option(help: "A name for the token, e.g. the case system's.") var name: String

        func run() async throws {
            try await runReportingErrors(execute)
        }

        private func execute() async throws {
            let context = try Context(options: database)
            let organisation: Organisationsnummer
            do { organisation = try Organisationsnummer(org) } catch { throw CLIFailure("--org \(org): \(error.description)") }
            // Checked before the database is opened: a bad name creates nothing.
            do { _ = try AccountOperations.tokenName(name) } catch { throw CLIFailure("--name must have 1 to 100 characters") }
            let token: (id: Int64, organisation: Organisationsnummer, name: String, secret: String)
            do {
                token = try await context.withStore { store in
                    try await AccountOperations.createToken(
                        named: name, organisation: organisation.description, context.caller("token create"), context.services(store))
                }
            } catch let error as APIError where error.problems.first?.column == "organisation" {
                throw CLIFailure("--org \(organisation): \(error.problems[0].reason)")
            }
            print("Token \(token.id) för \(organisation) skapad; den visas bara nu (shown once):")
            print(token.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let tokens = try await context.withStore { try await AccountOperations.tokens(context.caller("token list"), context.services($0)) }
                for t in tokens { print("\(t.id)\t\(t.organisation)\t\(t.name)\t\(t.createdAt)\t\(t.revokedAt.map { "revoked \($0)" } ?? "live")") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id (from `samspar token list`).") var id: Int64

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let tokenID = id
                do {
                    try await context.withStore { store in
                        try await AccountOperations.revokeToken(tokenID, context.caller("token revoke"), context.services(store))
                    }
                } catch let error as APIError where error.status == .notFound {
                    throw CLIFailure("there is no live token \(tokenID)")
                }
                print("Token \(tokenID) återkallad (revoked).")
            }
        }
    }
}

/// `samspar audit verify|head`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log. / Loggen över åtkomst och ändringar.", subcommands: [Verify.self, Head.self, Rekey.self])

    /// `samspar audit rekey --reason TEXT` (SPEC §5, issue 24): only when the key is lost. Makes
    /// a new key (0600, where the key belongs), chains every entry anew with it, and records the
    /// reason and the old head in an `audit-rekey` entry. Backups from before cannot be
    /// restored any more (their chain is under the lost key): take a new one at once.
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a new audit chain after the audit key was lost. / Ny granskningsnyckel när den gamla är förlorad.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Why (the log keeps it; name no one in it), e.g. the incident's diary number.") var reason: String

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CLIFailure("--reason must say why") }
                let (old, new, path) = try await context.rekey { store in
                    try await AuditOperations.rekey(reason: reason, context.caller("audit rekey"), context.services(store))
                }
                print("Ny granskningsnyckel (new audit key) i \(path): keep it in the secret store, apart from backups.")
                print("Huvudet under den förlorade nyckeln (the head under the lost key): \(old)")
                print("Nytt huvud (new head): \(new)")
                print("Säkerhetskopior från före bytet kan inte återställas: ta en ny nu (backups from before cannot be restored).")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the chain; exit 1 naming the first entry that was changed or removed (with --head, also entries cut off the end).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "COUNT:HASH from `samspar audit head`, kept elsewhere: the log must still reach it.") var head: String?

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                var parsedHead: AuditLog.Head?
                if let head {
                    guard let parsed = AuditLog.Head(head) else { throw CLIFailure("--head must be COUNT:HASH as `samspar audit head` prints it") }
                    parsedHead = parsed
                }
                let kept = parsedHead
                let result = try await context.withStore {
                    try await AuditOperations.verifyChain(head: kept, context.caller("audit verify"), context.services($0))
                }
                if let problem = result.problem {
                    throw CLIFailure("the audit log has been tampered with: \(problem) (\(result.entries) entries verified before it)")
                }
                print("Loggen är obruten: \(result.entries) poster (the audit chain is intact: \(result.entries) entries).")
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the chain's length and head hash as COUNT:HASH, to keep somewhere else (then `audit verify --head` finds a cut end).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let head = try await context.withStore { try await AuditOperations.head(context.caller("audit head"), context.services($0)) }
                print(head.description)
            }
        }
    }
}
