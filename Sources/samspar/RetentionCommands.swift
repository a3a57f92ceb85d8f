import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

/// `samspar retention plan|run [--org ORGNR]` and `samspar erase PERSON --org ORGNR --reason
/// TEXT` (SPEC §5, issue 22): the operator's retention (gallring) and erasure. Both remove
/// whole or nothing, add each removed registration to the removal list beside the audit key
/// (`KEYFILE.removed`), and then leave no copy in the database's files.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Retention under each organisation's decision. / Gallring enligt gallringsbeslut.",
        subcommands: [Plan.self, Run.self])

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a run would remove today, per organisation and kind, with the oldest date. Changes nothing.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "One organisation (default: every one).") var org: String?

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let only = try org.map(OrganisationCommand.number)
                let plan = try await context.withStore {
                    try await RetentionOperations.plan(for: only, today: context.today, context.caller("retention plan"), context.services($0))
                }
                if let only, plan.lines.isEmpty { throw CLIFailure("organisation \(only) is not in the registry") }
                print("Gallringsplan \(plan.today) (retention plan; nothing was removed)")
                for line in plan.lines { print(RetentionCommand.text(line)) }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove everything due today, whole or not at all, and leave no copy in the database's files.",
            discussion: """
                Run it from cron or a systemd timer (once a month is enough: a registration is due
                from 1 January). With SQLite, the file is rewritten afterwards (VACUUM), which takes
                as long as a copy of the file and waits up to 30 s for serve's readers.
                """)
        @OptionGroup var database: DatabaseOptions
        @Option(help: "One organisation (default: every one).") var org: String?

        func run() async throws {
            try await runReportingErrors {
                let context = try Context(options: database)
                let only = try org.map(OrganisationCommand.number)
                let (done, forgotten, reclaimed) = try await context.withStore { store in
                    let list = try context.removalList(store)
                    let done = try await RetentionOperations.run(
                        for: only, today: context.today, removalList: list, context.caller("retention run"), context.services(store))
                    let forgotten = try await RetentionOperations.forgetExpired(context.caller("retention run"), context.services(store))
                    // Always, not only when this run removed something: a run or an erasure
                    // stopped after its commit (a crash) has its rewrite done by the next run.
                    return (done, forgotten, try await store.reclaimRemoved())
                }
                if let only, done.isEmpty { throw CLIFailure("organisation \(only) is not in the registry") }
                print("Gallring \(context.today) (retention run)")
                for (line, removal) in done {
                    if line.setting == nil {
                        print(RetentionCommand.text(line))
                    } else {
                        print("\(line.organisation) \(line.name): borttaget (removed) \(removal.summary)")
                    }
                }
                print("Utgångna inloggningar (expired sessions): \(forgotten.sessions); sparade svar äldre än 24 timmar (stored answers): \(forgotten.answers)")
                print("Databasen: \(reclaimed)")
            }
        }
    }

    static func text(_ line: RetentionPlan.Line) -> String {
        guard let setting = line.setting else {
            return "\(line.organisation) \(line.name): inget gallringsbeslut, gallras aldrig (no retention decision: nothing is ever removed)"
        }
        var text = "\(line.organisation) \(line.name): \(setting.years) år enligt \(setting.decision) (years under the decision)"
        for part in line.parts {
            text += "\n  \(swedish[part.kind] ?? part.kind) (\(part.kind)): \(part.count)" + (part.oldest.map { ", äldsta (oldest) \($0)" } ?? "")
        }
        return text
    }

    static let swedish = [
        "registrations": "registreringar", "track events": "spårhändelser", "status changes": "statusändringar", "activities": "aktiviteter",
        "consents": "samtycken",
    ]
}

/// `samspar erase PERSON --org ORGNR --reason TEXT`.
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase one registration made in error or without legal ground. / Radera en registrering.",
        discussion: """
            Removes the organisation's registration of the person as retention removes it, citing
            the organisation's decision in --reason (which the log keeps; name no one in it). Other
            parties' registrations of the person stay.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The person's personnummer or samordningsnummer.") var person: String
    @Option(help: "The organisation whose registration goes.") var org: String
    @Option(help: "The organisation's decision, for example a diary number.") var reason: String

    func run() async throws {
        try await runReportingErrors {
            let context = try Context(options: database)
            let organisation = try OrganisationCommand.number(org)
            let id: Personnummer
            do { id = try Personnummer(person, currentYear: context.today.year) } catch { throw CLIFailure("\(person): \(error)") }
            let (removal, reclaimed) = try await context.withStore { store in
                let list = try context.removalList(store)
                let removal = try await RetentionOperations.erase(
                    id, of: organisation, reason: reason, removalList: list, context.caller("erase"), context.services(store))
                return (removal, removal == nil ? nil : try await store.reclaimRemoved())
            }
            guard let removal else {
                throw CLIFailure("\(organisation) holds no registration of this person: nothing was erased / inget raderades")
            }
            print("Raderat (erased): \(removal.summary)")
            if let reclaimed { print("Databasen: \(reclaimed)") }
        }
    }
}

/// `samspar extract PERSON --org ORGNR [--format json] [--output FILE]` (SPEC §5, issue 23): the
/// register extract of one person at one party, made by the operator and audited.
struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "A register extract (GDPR art. 15) of one person at one party. / Registerutdrag.",
        discussion: """
            What the organisation holds of the person (its own registration, records and consents,
            never another party's), when and by which organisation and role it was read or
            changed, the purposes, recipients, retention and the right to complain. A person the
            organisation does not hold gets an extract that says so, worded alike for everyone.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The person's personnummer or samordningsnummer.") var person: String
    @Option(help: "The organisation whose extract it is.") var org: String
    @Option(help: "json, or pdf (printed by headless chromium; needs --output).") var format: String = "json"
    @Option(help: "Write to this file (mode 0600) instead of standard output.") var output: String?

    func run() async throws {
        try await runReportingErrors {
            let context = try Context(options: database)
            guard format == "json" || format == "pdf" else { throw CLIFailure("--format \(format) is not json or pdf") }
            if format == "pdf" && output == nil { throw CLIFailure("--format pdf needs --output FILE") }
            let organisation = try OrganisationCommand.number(org)
            let id: Personnummer
            do { id = try Personnummer(person, currentYear: context.today.year) } catch { throw CLIFailure("\(person): \(error)") }
            let (extract, names) = try await context.withStore { store in
                let extract = try await ExtractOperations.make(id, of: organisation, context.caller("extract"), context.services(store))
                let names = Dictionary(
                    try await OrganisationOperations.registry(context.services(store)).map { ($0.number, $0.name) }, uniquingKeysWith: { a, _ in a })
                return (extract, names)
            }
            if format == "pdf", let output {
                // Personal data: the file is 0600 from its first byte.
                let pdf = try PDFPrinter.render(html: ExtractOperations.printable(extract, names: names))
                guard FileManager.default.createFile(atPath: output, contents: pdf, attributes: [.posixPermissions: 0o600]) else {
                    throw CLIFailure("cannot write \(output)")
                }
                return
            }
            let text = ExtractOperations.document(extract).serialized() + "\n"
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw CLIFailure("cannot write \(output)")
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}
