import Foundation
import SamsparDomain

/// An agreement as stored: the validated document and its version number.
public struct StoredAgreement: Sendable {
    public var agreement: Agreement
    public var version: Int

    /// The version of `versions` (one agreement's, oldest first) in force on `day`, the newest
    /// when `day` is `nil`. A draft has no figures, not even a preview (SPEC §2): only
    /// versions signed by every party are in force.
    public static func inForce(_ versions: [StoredAgreement], on day: Day?) -> StoredAgreement? {
        let signed = versions.filter { Mutant.decide("agreement.inForceSigned", $0.agreement.signedByAll) }
        guard let day else { return signed.last }
        return signed.last { $0.agreement.validFrom <= day } ?? signed.first
    }
}

/// What an agreement import did.
public struct AgreementImportResult: Sendable, Equatable {
    public enum Change: Sendable, Equatable { case created, revised, unchanged }
    public var id: String
    public var version: Int
    public var change: Change
    /// Organisations the operator's import added to the registry (SPEC §2's one exception).
    public var addedOrganisations: [Organisationsnummer] = []

    public init(id: String, version: Int, change: Change, addedOrganisations: [Organisationsnummer] = []) {
        self.id = id
        self.version = version
        self.change = change
        self.addedOrganisations = addedOrganisations
    }
}

/// What a bulk import did.
public struct ImportSummary: Sendable, Equatable {
    /// Rows read and accepted (the whole file).
    public var rows: Int
    /// Every registration (person and party) the file wrote to, in order: the audit entry
    /// names each, so that each person's access log shows the write.
    public var touched: [PersonParty] = []
}

/// A bulk file as a stream of chunks, so the importer never holds the whole file.
public struct ImportSource: @unchecked Sendable {
    public let name: String
    let makeReader: () throws -> CSVReader

    /// A file on disk, read in 1 MiB chunks.
    public static func file(path: String) -> ImportSource {
        ImportSource(name: path) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw StoreError.unreadableFile(path)
            }
            return CSVReader(refill: {
                guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                    try? handle.close()
                    return nil
                }
                return [UInt8](data)
            })
        }
    }

    /// Text already in memory (an HTTP body, a test).
    public static func bytes(_ bytes: [UInt8], name: String = "body") -> ImportSource {
        ImportSource(name: name) { CSVReader(bytes: bytes) }
    }
}

/// The one storage interface (STYLE §4). SQLite and PostgreSQL implement it; nothing above
/// this module knows which engine it talks to.
public protocol SamsparStore: Sendable {
    /// Applies every migration not yet applied; returns the numbers applied now.
    @discardableResult
    func migrate() async throws -> [Int]

    /// Imports a bulk file whole or not at all (SPEC §4). Throws ``ImportError`` listing
    /// every bad row. `currentYear` decides the century of ten-digit identity numbers.
    func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary

    /// The engine's SQL sessions, which only this module's code can use: everything above it
    /// asks the store in the domain's words (``SamsparStore`` intents), never in SQL.
    var engine: StoreEngine { get }

    /// Every registration of the people of `agreement`'s municipalities, with the events and
    /// status changes its party recorded, dated on or before `asOf` (the report's input before
    /// the domain merges each person's registrations).
    func reportFacts(for agreement: Agreement, asOf: Day) async throws -> [RegisteredFacts]

    /// The report input (``reportInput(for:asOf:)``) of each of `agreements`, in their order,
    /// from one read of every registration in identity-number order (issue 27, part 3): each
    /// person goes to every agreement whose population holds them (``Populations``).
    func reportInputs(forEach agreements: [Agreement], asOf: Day) async throws -> [ReportInput]

    /// After retention or erasure removed rows (issue 22): no copy of them stays in the
    /// engine's files. SQLite rewrites the file (VACUUM) and empties its write-ahead log;
    /// PostgreSQL vacuums the tables a removal touches. Returns what was done, in words.
    func reclaimRemoved() async throws -> String

    func close() async throws
}

/// The tables a removal touches (``SamsparStore/reclaimRemoved()``).
let removalTables = [
    "registrations", "track_events", "status_changes", "activities", "consents", "audit_log", "audit_subjects", "audit_removed_subjects",
    "audit_previous", "idempotency_keys",
]

extension SamsparStore {
    /// The facts a report of `agreement` needs, as of `asOf`: each person once (SPEC §2).
    public func reportInput(for agreement: Agreement, asOf: Day) async throws -> ReportInput {
        Registrations.reportInput(try await reportFacts(for: agreement, asOf: asOf), asOf: asOf)
    }

    /// Row counts per table, for `samspar demo`, `db copy` and the benchmarks.
    public func counts() async throws -> [String: Int] {
        try await read { s in
            var result: [String: Int] = [:]
            for table in ["agreements", "registrations", "track_events", "status_changes", "activities"] {
                result[table] = Int(try await s.query("SELECT count(*) AS n FROM \(table)").first?["n"].int ?? 0)
            }
            return result
        }
    }

    /// A bulk import from the command line (SPEC §5).
    public func importFile(
        _ kind: ImportKind, from source: ImportSource, currentYear: Int, progress: (@Sendable (Int) -> Void)?
    ) async throws -> ImportSummary {
        try await importFile(kind, from: source, currentYear: currentYear, scope: .commandLine, progress: progress)
    }

    /// The version in force on `day` (the latest whose `validFrom` is on or before it; the
    /// first version when none is), or the newest when `day` is nil. Only a version signed by
    /// every party is in force (issue 9: a revision being drafted does not change the
    /// reports); an agreement no version of which every party has signed has none (`nil`).
    public func agreement(id: String, inForceOn day: Day?) async throws -> StoredAgreement? {
        StoredAgreement.inForce(try await agreementVersions(id: id), on: day)
    }

    /// Every agreement, newest version, in id order.
    public func agreements() async throws -> [StoredAgreement] {
        var result: [StoredAgreement] = []
        for id in try await agreementIDs() {
            if let stored = try await agreementVersions(id: id).last { result.append(stored) }
        }
        return result
    }

    /// Loads the agreement version in force and computes the report (SPEC §3, §5).
    public func report(agreementID: String, year: Int, asOf: Day) async throws -> (Report, StoredAgreement) {
        let inForce = min(Day.lastOfYear(year), asOf)
        guard let stored = try await agreement(id: agreementID, inForceOn: inForce) else {
            if try await agreementVersions(id: agreementID).isEmpty { throw StoreError.unknownAgreement(agreementID) }
            throw StoreError.notSignedByAll(agreementID)
        }
        let input = try await reportInput(for: stored.agreement, asOf: asOf)
        return (Report.compute(for: stored.agreement, year: year, asOf: asOf, input: input), stored)
    }
}

extension SamsparStore {
    /// Every agreement's report for `year` as of `asOf` (SPEC §3), in id order, each as
    /// ``report(agreementID:year:asOf:)`` computes it, from one read of the whole population
    /// (issue 27, part 3: a national database's 97 reports read each person's rows once, not
    /// a million index seeks per report), computed on every core. An agreement that no version
    /// every party signed has no figures (a draft), and is not among them.
    public func reports(year: Int, asOf: Day) async throws -> [(Report, StoredAgreement)] {
        let inForce = min(Day.lastOfYear(year), asOf)
        var stored: [StoredAgreement] = []
        for id in try await agreementIDs() {
            if let version = StoredAgreement.inForce(try await agreementVersions(id: id), on: inForce) { stored.append(version) }
        }
        let inputs = try await reportInputs(forEach: stored.map(\.agreement), asOf: asOf)
        return try await withThrowingTaskGroup(of: (Int, Report).self) { group in
            for (i, (version, input)) in zip(stored, inputs).enumerated() {
                group.addTask { (i, Report.compute(for: version.agreement, year: year, asOf: asOf, input: input)) }
            }
            var reports: [Report?] = Array(repeating: nil, count: stored.count)
            for try await (i, report) in group { reports[i] = report }
            return zip(reports, stored).map { ($0!, $1) }
        }
    }
}

/// Errors of the store, with a message a user can act on.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case badURL(String, reason: String)
    case unreadableFile(String)
    case unknownAgreement(String)
    /// No version of the agreement is signed by every party: a draft has no figures (SPEC §2).
    case notSignedByAll(String)
    case cannotOpen(String, reason: String)
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .badURL(let url, let reason): "bad database URL '\(url)': \(reason)"
        case .unreadableFile(let path): "cannot read \(path)"
        case .unknownAgreement(let id): "there is no agreement '\(id)' (import it with `samspar agreement import FILE.json`)"
        case .notSignedByAll(let id): "no version of agreement '\(id)' is signed by every party: a draft has no figures, not even a preview"
        case .cannotOpen(let what, let reason): "cannot open the database \(what): \(reason)"
        case .schemaTooNew(let found, let known):
            "the database has migration \(found) but this samspar knows only up to \(known): upgrade samspar"
        }
    }
}

/// Where the database is: `sqlite://PATH` (relative or absolute) or
/// `postgres://user:pass@host:port/db` (SPEC §5).
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        /// `sslmode` in the URL, as libpq names them (issue 10, part 4).
        public var tls: TLSMode = .disable
        /// `sslrootcert`: the certificate authority a `verify-full` connection trusts (default:
        /// the system's).
        public var rootCertificate: String? = nil
    }

    /// How a PostgreSQL connection uses TLS. Decision: without `sslmode` the connection is
    /// plain, as before (libpq's default `prefer` would silently fall back to plain anyway).
    public enum TLSMode: String, Sendable, Equatable {
        case disable
        /// Encrypted, the server's certificate not checked (libpq's `require`).
        case require
        /// Encrypted, the certificate checked against the trusted authorities and the host name.
        case verifyFull = "verify-full"
    }

    public static let `default` = DatabaseURL.sqlite(path: "samspar.sqlite")

    public init(_ text: String) throws(StoreError) {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .badURL(text, reason: "no file path after sqlite://") }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw .badURL(text, reason: "expected sqlite://PATH or postgres://user:pass@host:port/db")
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw .badURL(text, reason: "no host")
        }
        guard let user = components.user, !user.isEmpty else { throw .badURL(text, reason: "no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .badURL(text, reason: "no database name after the host") }
        if components.port == nil, let portText = text.split(separator: "@").last?.split(separator: "/").first?.split(separator: ":").dropFirst().first {
            throw .badURL(text, reason: "port '\(portText)' is not a number")
        }
        var location = PostgresLocation(host: host, port: components.port ?? 5432, user: user, password: components.password, database: database)
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw .badURL(text, reason: "sslmode '\(item.value ?? "")' is not one of disable, require, verify-full")
                }
                location.tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw .badURL(text, reason: "sslrootcert needs a file path") }
                location.rootCertificate = path
            default:
                throw .badURL(text, reason: "'\(item.name)' is not a parameter Samspår knows (sslmode, sslrootcert)")
            }
        }
        if location.rootCertificate != nil, location.tls != .verifyFull { throw .badURL(text, reason: "sslrootcert is for sslmode=verify-full") }
        self = .postgres(location)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let l): "postgres://\(l.user)@\(l.host):\(l.port)/\(l.database)" + (l.tls == .disable ? "" : "?sslmode=\(l.tls.rawValue)")
        }
    }
}
