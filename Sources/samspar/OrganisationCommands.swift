import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

/// `samspar org add|list|update`: the organisation registry, run by the operator (SPEC §2,
/// *Organisations are a registry*). Every change is audited.
struct OrganisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "The organisation registry (operator). / Organisationsregistret.", subcommands: [Add.self, List.self, Update.self])

    static func kind(_ text: String) throws -> OrganisationKind {
        guard let kind = OrganisationKind(rawValue: text) else {
            throw CLIFailure("--kind \(text) is not one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    static func number(_ text: String) throws -> Organisationsnummer {
        do { return try Organisationsnummer(text) } catch { throw CLIFailure("\(text): \(error.description)") }
    }

    static func kommunkod(_ text: String) throws -> Kommunkod {
        do { return try Kommunkod(text) } catch { throw CLIFailure("--kommunkod \(text): \(error.description)") }
    }

    static func line(_ o: Organisation) -> String { OrganisationOperations.line(o) }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an organisation.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Organisationsnummer (NNNNNN-NNNN).") var number: String
        @Option(help: "The organisation's name.") var name: String
        @Option(help: "municipality | employment_service | coordination_association | region | other") var kind: String
        @Option(help: "A municipality's kommunkod (four digits).") var kommunkod: String?

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let organisation = Organisation(
                    number: try OrganisationCommand.number(number), name: name.trimmingCharacters(in: .whitespaces),
                    kind: try OrganisationCommand.kind(kind), municipalityCode: try kommunkod.map(OrganisationCommand.kommunkod))
                do {
                    try await context.withStore { store in
                        try await OrganisationOperations.add(organisation, context.caller("org add"), context.services(store))
                    }
                } catch let error as OrganisationError {
                    throw CLIFailure(error.description)
                }
                print("Organisation tillagd (added): \(OrganisationCommand.line(organisation))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registry: number, kind, kommunkod, name.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                for o in try await context.withStore({ try await OrganisationOperations.registry(context.services($0)) }) {
                    print(OrganisationCommand.line(o))
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an organisation's name, kind or kommunkod. Registrations and records stay with the organisation number.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Organisationsnummer (NNNNNN-NNNN).") var number: String
        @Option(help: "A new name.") var name: String?
        @Option(help: "A new kind.") var kind: String?
        @Option(help: "A new kommunkod (a municipality's).") var kommunkod: String?
        @Option(help: "The retention period in years (with --retention-decision).") var retentionYears: Int?
        @Option(help: "The retention decision (gallringsbeslut) the period comes from, e.g. a diary number.") var retentionDecision: String?
        @Option(name: .customLong("oidc-issuer"), help: "The organisation's OpenID Connect provider (its issuer URL).") var oidcIssuer: String?
        @Option(name: .customLong("oidc-client-id"), help: "Samspår's client id at that provider.") var oidcClientID: String?
        @Option(name: .customLong("oidc-client-secret-file"), help: "A file holding the client secret (read by every serve at start).")
        var oidcSecretFile: String?
        @Option(name: .customLong("oidc-client-secret-env"), help: "An environment variable holding the client secret (read by every serve at start).")
        var oidcSecretEnv: String?
        @Option(name: .customLong("oidc-role-claim"), help: "The ID token's claim whose values map to roles.") var oidcRoleClaim: String?
        @Option(name: .customLong("oidc-role"), help: "VALUE=ROLE: a value of the role claim and the role it gives (repeat).") var oidcRoles: [String] = []
        @Option(name: .customLong("oidc-two-factor-acr"), help: "An acr value that counts as two factors (repeat).") var oidcACR: [String] = []

        var oidcGiven: Bool {
            oidcIssuer != nil || oidcClientID != nil || oidcSecretFile != nil || oidcSecretEnv != nil || oidcRoleClaim != nil || !oidcRoles.isEmpty
                || !oidcACR.isEmpty
        }

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let org = try OrganisationCommand.number(number)
                if retentionYears != nil || retentionDecision != nil {
                    guard let years = retentionYears, let decision = retentionDecision else {
                        throw CLIFailure("a retention period needs both --retention-years and --retention-decision")
                    }
                    try await context.withStore { store in
                        guard try await store.organisation(org) != nil else { throw CLIFailure(OrganisationError.unknown(org).description) }
                        try await RetentionOperations.setRetention(
                            years: years, decision: decision, of: org, context.caller("org update"), context.services(store))
                    }
                    print("Gallring (retention) för \(org): \(years) år enligt \(decision.trimmingCharacters(in: .whitespaces))")
                    if name == nil && kind == nil && kommunkod == nil && !oidcGiven { return }
                }
                if oidcGiven {
                    try await setProvider(org, context)
                    if name == nil && kind == nil && kommunkod == nil { return }
                }
                guard name != nil || kind != nil || kommunkod != nil else {
                    throw CLIFailure(
                        "nothing to change: give --name, --kind, --kommunkod, --retention-years with --retention-decision, or --oidc-issuer with --oidc-client-id"
                    )
                }
                let newKind = try kind.map(OrganisationCommand.kind)
                let code: Kommunkod?? = try kommunkod.map { .some(try OrganisationCommand.kommunkod($0)) }
                let newName = name?.trimmingCharacters(in: .whitespaces)
                let updated: Organisation
                do {
                    updated = try await context.withStore { store in
                        try await OrganisationOperations.update(
                            org, name: newName, kind: newKind, municipalityCode: code, context.caller("org update"), context.services(store))
                    }
                } catch let error as OrganisationError {
                    throw CLIFailure(error.description)
                }
                print("Organisation ändrad (updated): \(OrganisationCommand.line(updated))")
            }
        }

        /// The organisation's identity provider (SPEC §5): a new one needs the issuer and the
        /// client id; later calls change what they name and keep the rest. The secret is never
        /// an argument: only the file or the variable that holds it.
        func setProvider(_ org: Organisationsnummer, _ context: Context) async throws {
            try await context.withStore { store in
                let existing = try await store.identityProvider(of: org)
                guard try await store.organisation(org) != nil else { throw CLIFailure(OrganisationError.unknown(org).description) }
                guard let issuerText = oidcIssuer ?? existing?.issuer, let client = oidcClientID ?? existing?.clientID else {
                    throw CLIFailure("an identity provider needs both --oidc-issuer and --oidc-client-id")
                }
                let issuer = issuerText.hasSuffix("/") ? String(issuerText.dropLast()) : issuerText
                guard let url = URL(string: issuer), let host = url.host, url.query == nil, url.fragment == nil,
                    url.scheme == "https" || (url.scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1"))
                else {
                    throw CLIFailure("--oidc-issuer \(issuerText): must be an https:// address (http:// only on loopback, for tests)")
                }
                guard !client.isEmpty, client.count <= 200, !client.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                    throw CLIFailure("--oidc-client-id: 1 to 200 characters without spaces")
                }
                if oidcSecretFile != nil && oidcSecretEnv != nil {
                    throw CLIFailure("give the client secret in a file or in the environment, not both")
                }
                if let file = oidcSecretFile, !FileManager.default.isReadableFile(atPath: file) {
                    throw CLIFailure("--oidc-client-secret-file \(file): cannot be read")
                }
                if let name = oidcSecretEnv,
                    name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) || name.first!.isNumber
                {
                    throw CLIFailure("--oidc-client-secret-env \(name): an environment variable's name (A–Z, 0–9, _)")
                }
                var roles = existing?.roles ?? [:]
                for (n, pair) in oidcRoles.enumerated() {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, !parts[0].isEmpty, let role = Role(rawValue: parts[1]), role != .system else {
                        throw CLIFailure("--oidc-role \(pair) (\(n + 1)): must be VALUE=ROLE, ROLE one of caseworker, coordinator, analyst, auditor, admin")
                    }
                    roles[parts[0]] = role
                }
                let settings = IdentityProviderSettings(
                    organisation: org, issuer: issuer, clientID: client,
                    secretFile: oidcSecretFile ?? (oidcSecretEnv == nil ? existing?.secretFile : nil),
                    secretEnvironment: oidcSecretEnv ?? (oidcSecretFile == nil ? existing?.secretEnvironment : nil),
                    roleClaim: oidcRoleClaim ?? existing?.roleClaim, roles: roles,
                    twoFactorACR: oidcACR.isEmpty ? existing?.twoFactorACR ?? [] : oidcACR)
                do {
                    try await SignInOperations.setProvider(settings, context.caller("org update"), context.services(store))
                } catch let error as APIError {
                    throw CLIFailure(error.message)
                }
            }
            print("Inloggningstjänst (identity provider) för \(org): \(oidcIssuer ?? "oförändrad")")
        }
    }
}
