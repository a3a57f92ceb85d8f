import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore

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
            let sourceStore = try await context.openStore(source)
            do {
                let targetStore = try await context.openStore(target)
                do {
                    let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("samspar-copy-\(UUID().uuidString)")
                    let summary = try await DatabaseCopy.copy(
                        from: sourceStore, to: targetStore, currentYear: context.today.year, now: context.now, scratchDirectory: scratch)
                    try await targetStore.close()
                    let rows = ImportKind.allCases.map { "\(summary.rows[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
                    print("Kopierat (copied) \(source) → \(target): \(summary.agreementVersions) agreement versions, \(rows).")
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
