import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore

#if canImport(Glibc)
    import Glibc
#endif

/// `--db`, shared by every command that touches the database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long, help: "Database URL: sqlite://PATH or postgres://user:pass@host:port/db (default: $SAMSPAR_DATABASE_URL, else sqlite://samspar.sqlite).")
    var db: String?
}

/// The one typed configuration, read once at start: command line over environment over
/// defaults (STYLE §7). Nothing else reads the environment or the clock.
struct Context {
    let database: DatabaseURL
    let today: Day
    let now: Date
    /// The operating-system user, named in the audit log for writes made here.
    let operatorName: String

    init(options: DatabaseOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(db: options.db, environment: environment)
    }

    init(db: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let text = db ?? environment["SAMSPAR_DATABASE_URL"] {
            database = try DatabaseURL(text)
        } else {
            database = .default
        }
        now = Date()
        operatorName = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .current
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        today = Day(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// An audit entry for a write made through the command line (issue 4: every write, with
    /// the command it came through). The actor is the operating-system user.
    func commandDraft(_ action: String, channel: String, detail: String = "", person: Personnummer? = nil) -> AuditDraft {
        AuditDraft(actor: "cli:\(operatorName)", role: "cli", organisation: nil, action: action, person: person, channel: channel, detail: detail)
    }

    func openStore() async throws -> any SamsparStore {
        try await openStore(database)
    }

    func openStore(_ url: DatabaseURL) async throws -> any SamsparStore {
        switch url {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path)
        case .postgres(let location):
            return try await PostgreSQLStore.open(location)
        }
    }

    /// Runs `body` with an open store and closes it whatever happens.
    func withStore<T>(_ body: (any SamsparStore) async throws -> T) async throws -> T {
        let store = try await openStore()
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// A failure already worded for the user.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    var details: [String] = []
    init(_ description: String, details: [String] = []) {
        self.description = description
        self.details = details
    }
}

/// Errors map to the outside in one place (STYLE §9): one line of reason on stderr (and, for
/// a rejected file, every problem after it), exit status 1, nothing half-written.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let (line, details): (String, [String]) =
            switch error {
            case let e as CLIFailure: (e.description, e.details)
            case let e as StoreError: (e.description, [])
            case let e as ImportError:
                ("the file was not imported: \(e.problems.count) problem\(e.problems.count == 1 ? "" : "s")", e.problems.map(\.description))
            case let e as AgreementError:
                ("the agreement was not imported: \(e.problems.count) problem\(e.problems.count == 1 ? "" : "s")", e.problems.map(\.description))
            default: ("\(error)", [])
            }
        var text = "samspar: \(line)\n"
        for d in details { text += "  \(d)\n" }
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode(1)
    }
}

var stderrIsTerminal: Bool { isatty(2) == 1 }

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
