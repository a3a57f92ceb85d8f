import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "Database maintenance.", subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole installation into a new, empty database (e.g. SQLite to PostgreSQL).")
        @Option(help: "Source database URL.") var from: String
        @Option(help: "Target database URL (must be empty).") var to: String

        func run() async throws {
            try await runReportingErrors(execute)
        }

        private func execute() async throws {
            let context = try Context(db: from)
            let source = try DatabaseURL(from), target = try DatabaseURL(to)
            guard source != target else { throw CLIFailure("--from and --to are the same database") }
            if case .sqlite(let path) = source, !FileManager.default.fileExists(atPath: path) {
                throw CLIFailure("\(from): no such file")
            }
            // One installation, one audit key: the source's key chains the target too.
            let sourceStore = try await context.openStore(source)
            do {
                // The move is an act of the operator: its entry goes into the source's log, and
                // so into the copy, whose head is then the source's.
                try await AuditOperations.recordAct("db-copy", detail: "to \(target)", context.caller("db copy"), context.services(sourceStore))
                let targetStore = try await context.openStore(target, keyFrom: source)
                do {
                    let summary = try await DatabaseCopy.copy(from: sourceStore, to: targetStore)
                    try await targetStore.close()
                    let rows = summary.rows.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")
                    print("Kopierat (copied) \(source) → \(target): \(rows).")
                } catch {
                    try? await targetStore.close()
                    throw error
                }
                try await sourceStore.close()
            } catch {
                try? await sourceStore.close()
                throw error
            }
        }
    }
}
