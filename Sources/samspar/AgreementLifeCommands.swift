import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

/// The agreement's life on the command line (issue 9): what blocks signing, a party's
/// signature, and a revision. The web interface and the API do the same through the same
/// store functions.
struct AgreementCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "List what is missing before the parties can sign the newest version. / Vad saknas innan underskrift.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Agreement id.") var id: String

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let caller = context.caller("agreement check")
        let (versions, members, deleted) = try await context.withStore { store in
            let s = context.services(store)
            return (
                try await AgreementOperations.allVersions(id, caller, s), try await AgreementOperations.draftMembers(id, caller, s),
                try await AgreementOperations.deletedVersions(id, caller, s)
            )
        }
        guard let newest = versions.last else {
            throw CLIFailure("no agreement '\(id)'")
        }
        let a = newest.agreement
        let life = a.lifecycle(on: context.today)
        print("\(a.id) version \(newest.version): \(life.status.rawValue)")
        if !deleted.isEmpty { print("deleted drafts: version " + deleted.map(String.init).joined(separator: ", ")) }
        // Drafts are invitations (issue 18): who owns the draft, who is invited, who accepted.
        if let members, a.isDraft {
            func named(_ orgs: [Organisationsnummer]) -> String {
                orgs.map { org in "\(a.parties.first { $0.orgNumber == org }?.name ?? org.description) (\(org))" }.joined(separator: ", ")
            }
            print("owners: " + named(members.owners.sorted()))
            let invited = a.parties.map(\.orgNumber).filter { members.standing(of: $0, in: a) == .invited }
            let accepted = a.parties.map(\.orgNumber).filter { members.standing(of: $0, in: a) == .accepted }
            if !invited.isEmpty { print("invited: " + named(invited)) }
            if !accepted.isEmpty { print("accepted: " + named(accepted)) }
        }
        for warning in a.grantsOverCap(.bundled) {
            print("warning: the grant applied for by \(warning.grant.orgNumber) (\(warning.grant.applied) kr) is above the round's cap of \(warning.cap) kr")
        }
        guard a.isDraft else { return }
        let missing = a.missingForSigning
        if missing.isEmpty {
            let signed = Set(a.signatures.map(\.orgNumber))
            print("Nothing is missing; waiting for: " + a.parties.filter { !signed.contains($0.orgNumber) }.map(\.name).joined(separator: ", "))
        } else {
            for problem in missing { print("missing: \(problem)") }
            throw ExitCode(1)
        }
    }
}

struct AgreementSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Record a party's signature on the newest version (the operator, on the party's behalf). / Underteckna.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Agreement id.") var id: String
    @Option(help: "The signing party (organisationsnummer).") var org: String
    @Option(help: "Place of signing.") var place: String
    @Option(help: "Date of signing, YYYY-MM-DD.") var date: String
    @Option(help: "The signatory's name.") var name: String
    @Option(help: "The signatory's title.") var title: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let party: Organisationsnummer
        do { party = try Organisationsnummer(org) } catch { throw CLIFailure("--org: \(error.description)") }
        do { _ = try Day(plausibleISO: date) } catch { throw CLIFailure("--date: \(error.description)") }
        let (result, signed): (AgreementImportResult, Agreement)
        do {
            (result, signed) = try await context.withStore {
                try await AgreementOperations.sign(
                    id: id, party: party, place: place, date: date, name: name, title: title, context.caller("agreement sign"), context.services($0))
            }
        } catch let error as APIError where error.status == .notFound {
            throw CLIFailure("no agreement '\(id)'")
        } catch let error as APIError {
            throw CLIFailure("\(id) was not signed: \(error.reason ?? error.message)")
        }
        print(
            signed.status == .signed
                ? "\(id) version \(result.version) är undertecknad av alla parter (signed by every party)."
                : "\(party) har undertecknat \(id) version \(result.version) (signed).")
    }
}

struct AgreementReviseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revise", abstract: "Start a revision: a new draft version from the newest signed one. / Påbörja en revidering.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Agreement id.") var id: String

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let result: AgreementImportResult
        do {
            result = try await context.withStore { try await AgreementOperations.revise(id: id, context.caller("agreement revise"), context.services($0)) }
        } catch let error as APIError where error.status == .notFound {
            throw CLIFailure("no agreement '\(id)'")
        } catch let error as APIError {
            throw CLIFailure("\(id) was not revised: \(error.reason ?? error.message)")
        }
        print("\(id) version \(result.version) är ett utkast (a draft revision).")
    }
}

struct AgreementTerminateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate", abstract: "Record a party's notice of termination (the operator, on the party's behalf). / Säg upp.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Agreement id.") var id: String
    @Option(help: "The party giving notice (organisationsnummer).") var org: String
    @Option(help: "The notice's date, YYYY-MM-DD: the agreement ends with the period it falls in.") var date: String

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let party: Organisationsnummer
        do { party = try Organisationsnummer(org) } catch { throw CLIFailure("--org: \(error.description)") }
        let day: Day
        do { day = try Day(plausibleISO: date) } catch { throw CLIFailure("--date: \(error.description)") }
        let result: AgreementImportResult
        do {
            result = try await context.withStore {
                try await AgreementOperations.terminate(id: id, party: party, date: date, context.caller("agreement terminate"), context.services($0))
            }
        } catch let error as APIError where error.status == .notFound {
            throw CLIFailure("no agreement '\(id)'")
        } catch let error as APIError {
            throw CLIFailure("\(id): no notice recorded: \(error.reason ?? error.message)")
        }
        let stored = try await context.withStore { try await AgreementOperations.versions(id, context.caller("agreement terminate"), context.services($0)) }
            .last
        let last = stored?.agreement.lifecycle(on: day).lastDay
        print("\(id) version \(result.version): uppsagd av \(party), gäller till och med \(last?.description ?? "–") (notice recorded).")
    }
}

/// `samspar agreement delete ID` (issue 18): the operator deletes a draft nobody has signed;
/// its version number is kept as deleted and never reused.
struct AgreementDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a draft nobody has signed. / Ta bort ett utkast som ingen har undertecknat.")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Agreement id.") var id: String

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        do {
            try await context.withStore { try await AgreementOperations.deleteDraft(id, context.caller("agreement delete"), context.services($0)) }
        } catch let error as APIError where error.status == .notFound {
            throw CLIFailure("no agreement '\(id)'")
        } catch let error as APIError {
            throw CLIFailure("\(id) was not deleted: \(error.reason ?? error.message)")
        }
        print("the draft of \(id) is deleted / utkastet är borttaget")
    }
}
