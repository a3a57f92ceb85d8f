import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations. / Kör databasmigreringar.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let before: [Int]
        switch context.database {
        case .sqlite(let path):
            let store = try await SQLiteStore.open(path: path, migrate: false)
            before = (try? await store.appliedMigrations()) ?? []
            try await store.close()
        case .postgres(let location):
            let store = try await PostgreSQLStore.open(location, migrate: false)
            before = (try? await store.appliedMigrations()) ?? []
            try await store.close()
        }
        // Migrates, and makes the audit key where the log has none yet (issue 7).
        let store = try await context.openStore(context.database, migrating: true)
        let after = (try? await store.appliedMigrations()) ?? []
        try await store.close()
        let applied = after.filter { !before.contains($0) }
        print(
            applied.isEmpty
                ? "Databasen är aktuell (up to date): \(context.database)"
                : "Migreringar körda (applied): \(applied.map(String.init).joined(separator: ", ")) – \(context.database)")
    }
}

struct AgreementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement", abstract: "Agreements (överenskommelser).",
        subcommands: [
            ImportAgreement.self, AgreementDocumentCommand.self, AgreementMemoCommand.self, AgreementCheckCommand.self, AgreementSignCommand.self,
            AgreementReviseCommand.self,
            AgreementTerminateCommand.self, AgreementDeleteCommand.self,
        ])

    struct ImportAgreement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Import or revise an agreement from its JSON document.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The agreement document (SPEC §4).") var file: String

        func run() async throws {
            try await runReportingErrors(execute)
        }

        private func execute() async throws {
            let context = try Context(options: database)
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure("cannot read \(file)") }
            let agreement: Agreement
            do { agreement = try Agreement.parse(json: data) } catch {
                throw CLIFailure(
                    "\(file) was not imported: \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")",
                    details: error.problems.map { "\(file): \($0)" })
            }
            let result: AgreementImportResult
            do {
                // The operator's import: organisations the registry lacks are created (SPEC §2).
                result = try await context.withStore {
                    try await AgreementOperations.importDocument(agreement, document: data, context.caller("agreement import"), context.services($0))
                }
            } catch let error as APIError {
                throw CLIFailure("\(file) was not imported: \(error.reason ?? error.message)")
            } catch let error as OrganisationError {
                throw CLIFailure("\(file) was not imported: \(error.description)")
            }
            switch result.change {
            case .created: print("Överenskommelse \(result.id) importerad, version \(result.version) (imported).")
            case .revised: print("Överenskommelse \(result.id) reviderad, version \(result.version) (new revision).")
            case .unchanged: print("Överenskommelse \(result.id) oförändrad, version \(result.version) (unchanged).")
            }
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import a bulk CSV file: participants, events, statuses or activities (SPEC §4).")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "participants | events | statuses | activities") var kind: String
    @Argument(help: "The CSV file.") var file: String
    @Option(
        help: """
            The organisation whose registrations and records the file holds (organisationsnummer). \
            Without it, participants go to their home municipality's organisation, and other rows to the one organisation that registered the person.
            """)
    var org: String?
    /// Before migration 14, PostgreSQL dropped the table's foreign keys for the write and
    /// validated them after it, locking readers out. Every import now checks its rows' keys
    /// once per statement without that (``RecordKeysMigration``), so the flag changes nothing;
    /// it is accepted, and hidden, so that operators' scripts keep working.
    @Flag(help: .hidden) var exclusive = false

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        guard let importKind = ImportKind(rawValue: kind) else {
            throw CLIFailure("'\(kind)' is not a file kind: use participants, events, statuses or activities")
        }
        let context = try Context(options: database)
        Memory.returnLargeBlocksWhenFreed(environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.isReadableFile(atPath: file) else { throw CLIFailure("cannot read \(file)") }
        var chosen: Organisationsnummer?
        if let org {
            do { chosen = try Organisationsnummer(org) } catch { throw CLIFailure("--org \(org): \(error.description)") }
        }
        let organisation = chosen
        let name = file
        var progress: (@Sendable (Int) -> Void)? = nil
        if stderrIsTerminal { progress = { rows in printProgress("\(name): \(rows) rader (rows)") } }
        let started = Date()
        let summary: ImportSummary
        do {
            summary = try await context.withStore { store in
                if let organisation, try await store.organisation(organisation) == nil {
                    throw CLIFailure("--org \(organisation): \(OrganisationError.unknown(organisation).description)")
                }
                // Rows refused because the organisation has not registered the person are
                // refused writes, audited person by person like the API's.
                return try await ParticipantOperations.importFile(
                    importKind, from: .file(path: file), for: organisation, context.caller("import \(importKind.rawValue)"), context.services(store),
                    progress: progress)
            }
        } catch let error as APIError where !error.problems.isEmpty {
            if stderrIsTerminal { printError("") }
            throw CLIFailure(
                "\(file) was not imported: \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s"); nothing was written",
                details: error.problems.map { "\(file): \($0)" })
        } catch let error where !(error is CLIFailure || error is StoreError || error is ImportError || error is APIError) {
            // The import is one transaction: whatever else stopped it (the file could not be
            // read, the database went away), nothing of the file stays.
            if stderrIsTerminal { printError("") }
            throw CLIFailure("\(file) was not imported; nothing was written: \(reason(error))")
        }
        if stderrIsTerminal { printError("") }
        let seconds = Date().timeIntervalSince(started)
        print("Importerade \(summary.rows) rader från \(file) (imported \(summary.rows) \(importKind.rawValue) rows in \(String(format: "%.2f", seconds)) s).")
    }
}

func printProgress(_ text: String) {
    FileHandle.standardError.write(Data(("\r" + text).utf8))
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "The follow-up report of an agreement for a year (SPEC §3, §5).")
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv, html, pdf }

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Agreement id.") var agreement: String
    @Option(help: "The year Y.") var year: Int
    @Option(name: .customLong("as-of"), help: "Reference date YYYY-MM-DD (default: today).") var asOf: String?
    @Option(help: "json | csv | html | pdf (the html page printed by headless Chromium; needs --output)") var format: Format = .json
    @Option(help: "The file to write (pdf only).") var output: String?
    @Flag(help: "Suppress small counts as for roles without access to individual data.") var suppress = false
    @Option(
        name: .customLong("suppression-threshold"),
        help: "Counts from 1 up to this minus one are suppressed (default: $SAMSPAR_SUPPRESSION_THRESHOLD, else 5).")
    var threshold: Int?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        guard (1900...2200).contains(year) else { throw CLIFailure("--year \(year) is not a plausible year") }
        let threshold = self.threshold ?? context.suppressionThreshold
        guard threshold >= 1 else { throw CLIFailure("--suppression-threshold must be at least 1") }
        var day = context.today
        if let asOf {
            do { day = try Day(plausibleISO: asOf) } catch { throw CLIFailure("--as-of: \(error.description)") }
        }
        let (report, stored, followUp) = try await context.withStore {
            try await FigureOperations.followUp(agreement, year: year, asOf: day, context.caller("report"), context.services($0))
        }
        var document = ReportDocument(report: report, suppression: suppress ? Suppression(threshold: threshold) : nil, agreementVersion: stored.version)
        switch format {
        case .json: print(document.json.serialized())
        case .csv: FileHandle.standardOutput.write(Data(document.csv.utf8))
        case .html:
            // The page carries the annual follow-up's further content (issue 9, part 7); the
            // JSON and CSV stay the contract of SPEC §5.
            document.followUp = followUp
            print(ReportPage.html(Self.printable(document, report), agreementTitle: Self.title(stored.agreement)), terminator: "")
        case .pdf:
            document.followUp = followUp
            guard let output else { throw CLIFailure("--format pdf needs --output FILE.pdf") }
            try PDFPrinter.print(html: ReportPage.html(Self.printable(document, report), agreementTitle: Self.title(stored.agreement)), to: output)
            print(output)
        }
    }
}

extension ReportCommand {
    /// The follow-up for the nämnd (issue 26): the document's figures as shown, with the
    /// Kaplan–Meier steps its chart is drawn from (kept only as suppression allows).
    static func printable(_ document: ReportDocument, _ report: Report) -> ShownReport {
        var shown = document.shown
        shown.keepSteps(of: report.establishment.kaplanMeier)
        return shown
    }

    static func title(_ a: Agreement) -> String { a.title + (a.area.map { " – \($0)" } ?? "") }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the Östra Södertörn agreement and a realistic synthetic caseload. / Läs in demodata.",
        discussion: """
            Default: the Östra Södertörn agreement, revised each year since 2018, and 2,000
            participants in Haninge, Tyresö and Nynäshamn over the three years up to today (or
            --today), built only from Skatteverket's test numbers. With --national:
            all 290 municipalities in agreements of three, for benchmarks (e.g. --participants 1000000).
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Number of participants.") var participants: Int?
    @Option(help: "Random seed: the same seed gives the same caseload.") var seed: UInt64 = 2018
    @Flag(help: "National scale: 290 municipalities in agreements of three.") var national = false
    @Option(name: .customLong("files"), help: "Keep the generated CSV files in this folder.") var files: String?
    @Flag(name: .customLong("files-only"), help: "Only write the files (with --files); do not import.") var filesOnly = false
    @Option(
        help:
            "Row order of the files: realistic (participants by registration date, events by kind, statuses and activities by date) or sorted (by identity number)."
    )
    var order: String = "realistic"
    @Option(
        name: .customLong("today"),
        help: "The day the demo lives in, YYYY-MM-DD (default: today in Sweden): its dates run up to it; the same day gives the same caseload.")
    var todayText: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let template = try Agreement.parse(json: Caseload.ostraSodertornDocument)
        let count = participants ?? (national ? 1_000_000 : 2000)
        guard count >= 1 else { throw CLIFailure("--participants must be at least 1") }
        var today = context.today
        if let todayText {
            do { today = try Day(plausibleISO: todayText) } catch { throw CLIFailure("--today: \(error.description)") }
            guard today <= context.today, today.year >= 2019 else { throw CLIFailure("--today must be from 2019-01-01 through today") }
        }
        // The demo lives in today (issue 19): three years of caseload up to it, under the seed's
        // agreement revised each year since 2018. The national benchmark keeps its fixed years.
        let (caseload, agreements) =
            national
            ? Caseload.national(template: template, participants: count, seed: seed)
            : (
                Caseload.ostraSodertorn(agreement: template, participants: count, seed: seed, today: today),
                Caseload.yearlyVersions(of: template, through: today)
            )
        if filesOnly && files == nil { throw CLIFailure("--files-only needs --files DIR") }
        let directory = files ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("samspar-demo-\(ProcessInfo.processInfo.processIdentifier)")
        guard let fileOrder = DemoLoader.FileOrder(rawValue: order) else { throw CLIFailure("--order \(order) is not realistic or sorted") }
        let paths = try DemoLoader.writeFiles(caseload, to: directory, order: fileOrder)
        if national {
            let agreementsPath = (directory as NSString).appendingPathComponent("agreements")
            try FileManager.default.createDirectory(atPath: agreementsPath, withIntermediateDirectories: true)
            for a in agreements {
                try Data(a.document.serialized().utf8).write(to: URL(fileURLWithPath: (agreementsPath as NSString).appendingPathComponent("\(a.id).json")))
            }
        }
        defer { if files == nil { try? FileManager.default.removeItem(atPath: directory) } }
        if filesOnly {
            print("Filer skrivna (files written) i \(directory): \(ImportKind.allCases.map { "\($0.rawValue).csv" }.joined(separator: ", "))")
            return
        }
        var progress: (@Sendable (ImportKind, Int) -> Void)? = nil
        if stderrIsTerminal { progress = { kind, rows in printProgress("\(kind.rawValue): \(rows) rader (rows)   ") } }
        let rows = try await context.withStore { store in
            try await DemoOperations.load(agreements: agreements, files: paths, progress: progress, context.caller("demo"), context.services(store))
        }
        if stderrIsTerminal { printError("") }
        var accounts: [(String, Role)] = []
        if !national {
            accounts = try await context.withStore { store in
                try await DemoOperations.createAccounts(
                    DemoAccounts.accounts, password: DemoAccounts.password, context.caller("demo"), context.services(store))
            }
        }
        let summary = ImportKind.allCases.map { "\(rows[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        if national {
            print(
                """
                Nationell demo inläst (national demo loaded) i \(context.database): \(agreements.count) överenskommelser, \(summary).
                Prova (try): samspar report --agreement \(agreements[0].id) --year 2018 --as-of 2019-03-31
                """)
        } else {
            print(
                """
                Demo inläst (demo loaded) i \(context.database):
                  Överenskommelse ostra-sodertorn – Haninge, Tyresö, Nynäshamn; \(summary), \(caseload.years.lowerBound)–\(today).
                Titta vidare (where to look next):
                  samspar report --agreement ostra-sodertorn --year \(today.year) --as-of \(today)
                  samspar report --agreement ostra-sodertorn --year \(today.year - 1) --format html > rapport.html
                  samspar report --agreement ostra-sodertorn --year \(today.year) --as-of \(today) --suppress
                """)
            if !accounts.isEmpty {
                print(
                    """

                    Webbgränssnittet (the web interface): samspar serve, öppna sedan http://localhost:8080/
                    Demokonton (demo accounts) – ENDAST FÖR DEMO, lösenord (password) \(DemoAccounts.password):
                    """)
                for (email, role) in accounts { print("  \(email.padding(toLength: 34, withPad: " ", startingAt: 0)) \(role.rawValue)") }
            }
        }
    }
}

/// The demo's accounts (issue 8): one per role at Haninge, and a coordinator for each of the
/// agreement's five parties. Demo only: one published password, and a lower bcrypt cost so
/// that the demo loads quickly; never use these on real data.
enum DemoAccounts {
    static let password = "demo-samspar-2026"

    static let accounts: [(email: String, org: String, role: Role)] = [
        ("handlaggare@haninge.example", "212000-0084", .caseworker),
        ("samordnare@haninge.example", "212000-0084", .coordinator),
        ("analytiker@haninge.example", "212000-0084", .analyst),
        ("granskare@haninge.example", "212000-0084", .auditor),
        ("admin@haninge.example", "212000-0084", .admin),
        ("samordnare@af.example", "202100-2114", .coordinator),
        ("samordnare@tyreso.example", "212000-0092", .coordinator),
        ("samordnare@nynashamn.example", "212000-0233", .coordinator),
        ("samordnare@sodertorn-fsf.example", "222000-2162", .coordinator),
    ]
}

/// `samspar agreement document ID`: the agreement as the signed document (issue 9, part 6).
struct AgreementDocumentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "document", abstract: "Write the agreement as its document, in the seed's structure (HTML or PDF). / Överenskommelsen som dokument.",
        discussion: """
            HTML goes to standard output unless --output is given. PDF is HTML printed by headless
            Chromium (Debian's chromium; SAMSPAR_CHROMIUM names another) and needs --output.
            """)
    enum Format: String, ExpressibleByArgument, CaseIterable { case html, pdf }
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The agreement's id, e.g. ostra-sodertorn.") var id: String
    @Option(help: "A version number (default: the newest).") var version: Int?
    @Option(help: "html | pdf") var format: Format = .html
    @Option(help: "The file to write.") var output: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let versions = try await context.withStore {
            try await AgreementOperations.allVersions(id, context.caller("agreement document"), context.services($0))
        }
        guard !versions.isEmpty else { throw CLIFailure("no agreement '\(id)'") }
        let chosen = version.map { v in versions.first { $0.version == v } } ?? versions.last
        guard let stored = chosen else {
            throw CLIFailure("agreement '\(id)' has no version \(version ?? 0) (versions 1–\(versions.count))")
        }
        let html = AgreementDocument.html(stored)
        try AgreementDocumentCommand.write(html, format: format, output: output)
    }
}

extension AgreementDocumentCommand {
    /// A document's HTML to standard output or `output`, or printed to a PDF at `output`.
    static func write(_ html: String, format: Format, output: String?) throws {
        switch format {
        case .html:
            if let output {
                try Data(html.utf8).write(to: URL(fileURLWithPath: output))
                print(output)
            } else {
                print(html, terminator: "")
            }
        case .pdf:
            guard let output else { throw CLIFailure("--format pdf needs --output FILE.pdf") }
            try PDFPrinter.print(html: html, to: output)
            print(output)
        }
    }
}

/// `samspar agreement memo ID --org ORGNR`: a municipal party's decision memo (issue 26).
struct AgreementMemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memo",
        abstract: "Write a municipal party's decision memo for its board (HTML or PDF). / Tjänsteskrivelse till en kommuns nämnd.",
        discussion: """
            The memo (tjänsteskrivelse, as seed 000) is made from the open draft, or the newest
            version when there is none, unless --version names another. HTML goes to standard
            output unless --output is given; PDF needs --output.
            """)
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The agreement's id, e.g. ostra-sodertorn.") var id: String
    @Option(help: "The municipal party's organisation number.") var org: String
    @Option(help: "A version number (default: the open draft, else the newest).") var version: Int?
    @Option(help: "html | pdf") var format: AgreementDocumentCommand.Format = .html
    @Option(help: "The file to write.") var output: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let party: Organisationsnummer
        do { party = try Organisationsnummer(org) } catch { throw CLIFailure("--org '\(org)': \(error.description)") }
        let context = try Context(options: database)
        let versions = try await context.withStore {
            try await AgreementOperations.allVersions(id, context.caller("agreement memo"), context.services($0))
        }
        guard !versions.isEmpty else { throw CLIFailure("no agreement '\(id)'") }
        let chosen = version.map { v in versions.first { $0.version == v } } ?? versions.last
        guard let stored = chosen else {
            throw CLIFailure("agreement '\(id)' has no version \(version ?? 0) (versions 1–\(versions.count))")
        }
        let html: String
        do { html = try AgreementMemo.html(stored, party: party, today: context.today) } catch { throw CLIFailure(error.description) }
        try AgreementDocumentCommand.write(html, format: format, output: output)
    }
}
