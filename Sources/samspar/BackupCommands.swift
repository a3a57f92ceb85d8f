import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

/// `samspar backup FILE` (SPEC §5, issue 24): a consistent copy of either engine while `serve`
/// runs, as one Samspår SQLite file (mode 0600), verified before it gets its name. Prints the
/// head it holds: keep it apart from the backup, as the key is.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up the installation while it serves. / Säkerhetskopiera.",
        discussion: """
            Writes FILE.partial, verifies its audit chain with the installation's key and its row
            counts, and renames it to FILE. The audit key is never in the backup: keep it in a
            secret store apart from backups. Prints the head the backup holds.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The backup file to write (it must not exist).") var file: String

    func run() async throws {
        try await runReportingErrors {
            let context = try Context(options: database)
            let key = try context.installationKey()
            let made = try await context.withStore { store in
                do {
                    return try await BackupOperations.backup(to: file, key: key, context.caller("backup"), context.services(store))
                } catch let error as BackupOperations.BackupError {
                    throw CLIFailure(error.description)
                }
            }
            let rows = made.rows.filter { $0.rows > 0 }.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")
            print("Säkerhetskopia (backup) \(file): \(rows).")
            print("Huvud (head): \(made.head)")
        }
    }
}

/// `samspar restore FILE` (SPEC §5, issue 24): into an empty database of either engine, with
/// the installation's key; people weeded or erased since the backup are removed again, and
/// retention runs, before anyone is served.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into an empty database. / Återställ en säkerhetskopia.",
        discussion: """
            Never makes an audit key: the backup's chain must verify with the installation's key.
            Removes again every registration on the removal list beside the key, then runs
            retention. Prints the head it restored.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The backup file (from `samspar backup`).") var file: String

    func run() async throws {
        try await runReportingErrors {
            let context = try Context(options: database)
            let key = try context.installationKey()
            let restored = try await context.withStore { store in
                do {
                    return try await BackupOperations.restore(
                        from: file, key: key, removalList: try context.removalList(store), context.caller("restore"), context.services(store))
                } catch let error as BackupOperations.BackupError {
                    throw CLIFailure(error.description)
                }
            }
            print("Återställt (restored) från \(file): \(restored.rows.filter { $0.rows > 0 }.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")).")
            print("Huvud (head) som återställdes: \(restored.head)")
            for (org, removal) in restored.removedAgain {
                print("\(org): borttaget igen (removed again, on the removal list) \(removal.summary)")
            }
            for (line, removal) in restored.retention where line.setting != nil {
                print("\(line.organisation): gallrat (weeded) \(removal.summary)")
            }
        }
    }
}
