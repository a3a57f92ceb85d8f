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
                    if name == nil && kind == nil && kommunkod == nil { return }
                }
                guard name != nil || kind != nil || kommunkod != nil else {
                    throw CLIFailure("nothing to change: give --name, --kind, --kommunkod or --retention-years with --retention-decision")
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
    }
}
