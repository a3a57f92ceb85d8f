import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

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
///
/// | setting | environment | default |
/// | --- | --- | --- |
/// | database | `SAMSPAR_DATABASE_URL` (or `--db`) | `sqlite://samspar.sqlite` |
/// | audit key | `SAMSPAR_AUDIT_KEY` (64 hex digits) or `SAMSPAR_AUDIT_KEY_FILE` | `PATH.audit-key` beside a SQLite file; `samspar-audit.key` in the working directory for PostgreSQL |
/// | suppression threshold | `SAMSPAR_SUPPRESSION_THRESHOLD` | 5 |
/// | days after a quarter before its close is due | `SAMSPAR_CLOSE_DELAY_DAYS` | 31 |
/// | trusted proxies | `SAMSPAR_TRUSTED_PROXIES` (comma-separated addresses) | none |
/// | PostgreSQL connections of `serve` | `SAMSPAR_DATABASE_POOL` (or `serve --db-pool`) | 10 |
/// | SQLite's page cache, all connections together | `SAMSPAR_SQLITE_CACHE_MIB` (8–65536) | 128 |
/// | blocks `samspar import` gives back to the system when freed (``Memory``) | glibc's `MALLOC_MMAP_THRESHOLD_` | 1 MiB and larger |
struct Context {
    let database: DatabaseURL
    let today: Day
    let now: Date
    /// The operating-system user, named in the audit log for writes made here.
    let operatorName: String
    /// SPEC §3: counts from 1 to this minus one are suppressed, everywhere.
    let suppressionThreshold: Int
    let trustedProxies: Set<String>
    /// The days after a quarter's last day before its close is due (SPEC §3).
    let closeDelay: Int
    /// The most PostgreSQL connections `serve` keeps (issue 10, part 4). Other commands use
    /// one connection; SQLite has its own writer and readers.
    var poolSize: Int
    static let defaultPoolSize = 10
    /// How much of a SQLite database is kept in memory (``SQLiteStore/PageCache``).
    let sqliteCache: SQLiteStore.PageCache
    private let auditKeyHex: String?
    private let auditKeyFile: String?

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
        // The operator's user and host (issue 19: `cli:unknown` told an auditor nothing).
        let user = environment["USER"] ?? environment["LOGNAME"] ?? Self.loginName() ?? "uid\(getuid())"
        operatorName = "\(user)@\(ProcessInfo.processInfo.hostName)"
        if let text = environment["SAMSPAR_SUPPRESSION_THRESHOLD"] {
            guard let value = Int(text), value >= 1 else {
                throw CLIFailure("SAMSPAR_SUPPRESSION_THRESHOLD='\(text)' is not a whole number of at least 1")
            }
            suppressionThreshold = value
        } else {
            suppressionThreshold = Suppression.defaultThreshold
        }
        trustedProxies = Set((environment["SAMSPAR_TRUSTED_PROXIES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            .subtracting([""])
        if let text = environment["SAMSPAR_CLOSE_DELAY_DAYS"] {
            guard let value = Int(text), (0...366).contains(value) else {
                throw CLIFailure("SAMSPAR_CLOSE_DELAY_DAYS='\(text)' is not a number of days from 0 to 366")
            }
            closeDelay = value
        } else {
            closeDelay = Closes.defaultDelay
        }
        poolSize = Self.defaultPoolSize
        if let text = environment["SAMSPAR_DATABASE_POOL"] { poolSize = try Self.poolSize(text, source: "SAMSPAR_DATABASE_POOL") }
        if let text = environment["SAMSPAR_SQLITE_CACHE_MIB"] {
            guard let value = Int(text), let cache = SQLiteStore.PageCache(totalMiB: value) else {
                throw CLIFailure("SAMSPAR_SQLITE_CACHE_MIB='\(text)' is not a number of MiB from 8 to 65536")
            }
            sqliteCache = cache
        } else {
            sqliteCache = .standard
        }
        auditKeyHex = environment["SAMSPAR_AUDIT_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        auditKeyFile = environment["SAMSPAR_AUDIT_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let hex = auditKeyHex, AuditKey(text: hex) == nil {
            throw CLIFailure("SAMSPAR_AUDIT_KEY must be 64 hexadecimal digits (32 bytes), optionally followed by ' from N'")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .current
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        today = Day(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The login name of the process's user, from the password database.
    static func loginName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// A pool size from the environment or `--db-pool`: 1 to 200 connections.
    static func poolSize(_ text: String, source: String) throws -> Int {
        guard let value = Int(text), (1...200).contains(value) else {
            throw CLIFailure("\(source)='\(text)' is not a number of connections from 1 to 200")
        }
        return value
    }

    /// The operator at the command line, acting through `command` (issue 4: every write, with
    /// the command it came through). The actor is the operating-system user; the operations
    /// layer decides, asks the store and writes the audit entry, as for the API and the pages.
    func caller(_ command: String) -> Caller {
        .operator(operatorName, on: .command(command))
    }

    /// What the operations layer needs of the command line: the store, this command's clock
    /// and the suppression threshold.
    func services(_ store: any SamsparStore) -> Services {
        let now = self.now
        return Services(store: store, now: { now }, suppression: Suppression(threshold: suppressionThreshold), closeDelay: closeDelay)
    }

    func openStore() async throws -> any SamsparStore {
        try await openStore(database)
    }

    /// The store `serve` uses: PostgreSQL through a pool of ``poolSize`` connections.
    func openPooledStore() async throws -> any SamsparStore {
        try await openStore(database, pooled: true)
    }

    /// Where the audit key of `url` is kept when it is a file.
    func auditKeyPath(for url: DatabaseURL) -> String {
        if let auditKeyFile { return auditKeyFile }
        switch url {
        case .sqlite(let path): return path + ".audit-key"
        case .postgres: return "samspar-audit.key"
        }
    }

    /// Opens a store (migrating it) with its audit key (issue 7). The key is never made up for
    /// a log that has entries, and a log without its key is an error, with one exception: the
    /// run of `samspar migrate` that moves a database written by a samspar from before keys
    /// (and registrations) creates it, and its keyed chain starts from the old head. Otherwise
    /// the key is created only while the log is empty: by any command for the embedded SQLite
    /// file (its first use is its migration), by `samspar migrate` alone for PostgreSQL, whose
    /// instances may run on several machines and must be given the one key.
    func openStore(_ url: DatabaseURL, keyFrom keyURL: DatabaseURL? = nil, migrating: Bool = false, pooled: Bool = false) async throws -> any SamsparStore {
        let keyPath = auditKeyPath(for: keyURL ?? url)
        if let key = try loadAuditKey(path: keyPath) { return try await open(url, auditKey: key, migrate: true, pooled: pooled) }
        // Written by a samspar from before keys: migrations applied, but not migration 3.
        let unmigrated = try await open(url, auditKey: nil, migrate: false)
        let applied = (try? await unmigrated.appliedMigrations()) ?? []
        try? await unmigrated.close()
        let fromBeforeKeys = !applied.isEmpty && !applied.contains(3)
        if fromBeforeKeys && !migrating {
            throw CLIFailure(
                "this database was written by an earlier samspar: run `samspar migrate` once (it moves the data to registrations and creates the audit key \(keyPath))"
            )
        }
        let probe = try await open(url, auditKey: nil, migrate: true)
        let state: (empty: Bool, keyed: Bool)
        let head: AuditLog.Head
        do {
            state = try await probe.auditState()
            head = try await probe.auditHead()
            try await probe.close()
        } catch {
            try? await probe.close()
            throw error
        }
        if state.keyed {
            throw CLIFailure(
                "the audit log is chained with a key, and the key is missing: restore \(keyPath) (every instance of one installation shares it) or set SAMSPAR_AUDIT_KEY"
            )
        }
        guard state.empty || fromBeforeKeys else {
            throw CLIFailure(
                "the audit log has \(head.count) entries and no key at \(keyPath): restore the key (every instance of one installation shares it) or set SAMSPAR_AUDIT_KEY; a new key is made only for an empty log"
            )
        }
        if case .postgres = url, !migrating {
            throw CLIFailure(
                "no audit key at \(keyPath): run `samspar migrate` once to create it, and give every instance the same key (SAMSPAR_AUDIT_KEY_FILE)")
        }
        // Entries already there (from before keys) stay SHA-256; the key chains the rest.
        var key = AuditKey.random(keyedFrom: head.count + 1)
        if !(try writeAuditKey(key, path: keyPath)) {
            // Another process of this installation created it a moment ago: use theirs.
            var theirs: AuditKey?
            for _ in 0..<100 where theirs == nil {
                theirs = try? loadAuditKey(path: keyPath)
                if theirs == nil { usleep(20_000) }
            }
            guard let theirs else { throw CLIFailure("the audit key file \(keyPath) appeared but cannot be read") }
            key = theirs
        }
        if !state.empty {
            printError("Ny granskningsnyckel (new audit key) i \(keyPath): the keyed chain starts after the existing entries. Keep a copy safe.")
        }
        return try await open(url, auditKey: key, migrate: true, pooled: pooled)
    }

    private func open(_ url: DatabaseURL, auditKey: AuditKey?, migrate: Bool, pooled: Bool = false) async throws -> any SamsparStore {
        switch url {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, migrate: migrate, auditKey: auditKey, pageCache: sqliteCache)
        case .postgres(let location):
            return try await PostgreSQLStore.open(location, migrate: migrate, auditKey: auditKey, poolSize: pooled ? poolSize : nil)
        }
    }

    /// The removal list beside the audit key (``RemovalList``): `KEYFILE.removed`, where
    /// KEYFILE is `SAMSPAR_AUDIT_KEY_FILE` or the default key file, also when the key itself
    /// comes from `SAMSPAR_AUDIT_KEY` (keep that path with the secret store, not the backups).
    func removalList(_ store: any SamsparStore) throws -> RemovalList {
        let keyPath = auditKeyPath(for: database)
        guard let key = try loadAuditKey(path: keyPath) else {
            throw CLIFailure("no audit key at \(keyPath): retention and erasure keep their removal list beside it")
        }
        return RemovalList(path: keyPath + ".removed", key: key)
    }

    /// `audit rekey`: only when no key is there. A new key is written first (mode 0600, never
    /// over an existing file), then `body` chains the log with it; if that fails the new key is
    /// removed again, so the key on disk always matches the chain. The old removal list is
    /// kept aside (`.removed.lost-key`): its lines are under the lost key.
    func rekey(_ body: (any SamsparStore) async throws -> (old: AuditLog.Head, new: AuditLog.Head)) async throws -> (
        old: AuditLog.Head, new: AuditLog.Head, path: String
    ) {
        let path = auditKeyPath(for: database)
        if auditKeyHex != nil { throw CLIFailure("SAMSPAR_AUDIT_KEY is set: `audit rekey` is for a lost key; unset it") }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CLIFailure("the audit key \(path) exists: `audit rekey` starts a new chain only when the key is lost")
        }
        let key = AuditKey.random(keyedFrom: 1)
        guard try writeAuditKey(key, path: path) else { throw CLIFailure("the audit key \(path) appeared meanwhile; nothing was changed") }
        do {
            let store = try await open(database, auditKey: key, migrate: true)
            do {
                let heads = try await body(store)
                try await store.close()
                let list = path + ".removed"
                if FileManager.default.fileExists(atPath: list) { try FileManager.default.moveItem(atPath: list, toPath: list + ".lost-key") }
                return (heads.old, heads.new, path)
            } catch {
                try? await store.close()
                throw error
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// The installation's audit key, which must exist: backup and restore never make one.
    func installationKey() throws -> AuditKey {
        let path = auditKeyPath(for: database)
        guard let key = try loadAuditKey(path: path) else {
            throw CLIFailure(
                "no audit key at \(path): a backup and a restore use the installation's key and never make one; put it there from the secret store, or set SAMSPAR_AUDIT_KEY / SAMSPAR_AUDIT_KEY_FILE"
            )
        }
        return key
    }

    private func loadAuditKey(path: String) throws -> AuditKey? {
        if let auditKeyHex { return AuditKey(text: auditKeyHex) }
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let key = AuditKey(text: String(decoding: data, as: UTF8.self)) else {
            throw CLIFailure("the audit key file \(path) is unreadable or not 64 hexadecimal digits (optionally followed by ' from N')")
        }
        return key
    }

    /// Written with mode 0600, created exclusively: two processes starting at once cannot
    /// both create a key. False when the file exists already (another process made it).
    private func writeAuditKey(_ key: AuditKey, path: String) throws -> Bool {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 && errno == EEXIST { return false }
        guard fd >= 0 else { throw CLIFailure("cannot create the audit key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let text = Array((key.text + "\n").utf8)
        guard write(fd, text, text.count) == text.count else { throw CLIFailure("cannot write the audit key file \(path)") }
        return true
    }

    /// Runs `body` with an open store and closes it whatever happens.
    /// `pooled`: PostgreSQL through a pool of ``poolSize`` connections, as `serve` opens it, for
    /// a command that works on several things at once (`samspar close`).
    func withStore<T>(pooled: Bool = false, _ body: (any SamsparStore) async throws -> T) async throws -> T {
        let store = try await (pooled ? openPooledStore() : openStore())
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
            case let e as APIError: (e.message, e.problems.map { "\($0.column): \($0.reason)" })
            case let e as AgreementError:
                ("the agreement was not imported: \(e.problems.count) problem\(e.problems.count == 1 ? "" : "s")", e.problems.map(\.description))
            default: (reason(error), [])
            }
        var text = "samspar: \(line)\n"
        for d in details { text += "  \(d)\n" }
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode(1)
    }
}

var stderrIsTerminal: Bool { isatty(2) == 1 }

/// An error in words: the system's own for a failed system call (Foundation wraps them, and
/// prints the wrapping: `Error Domain=NSCocoaErrorDomain Code=256 "(null)"`), else the error's.
func reason(_ error: any Error) -> String {
    let wrapped = error as NSError
    for candidate in [wrapped.userInfo[NSUnderlyingErrorKey] as? NSError, wrapped] {
        if let candidate, candidate.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(candidate.code))) }
    }
    return "\(error)"
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
