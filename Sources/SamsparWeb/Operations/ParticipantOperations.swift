import Foundation
import SamsparDomain
import SamsparStore

/// Participants and their records (SPEC §2): who may read, register, change and record, what
/// the store is asked, what the audit log records, and how a refusal reads. Single records are
/// written through the same importer as bulk files (a one-row file), so one set of rules
/// validates both and decides who may write what. A refusal because the caller's organisation
/// has not registered the person reads the same whoever else holds them.
public enum ParticipantOperations {
    /// The acts on participants, each with the role rule that allows it (SPEC §1).
    enum Act: RoleRule {
        case read, search, export, seeBehindFigure, readAccessLog, readDisagreements
        case register, change, record(ImportKind), importFile

        var rule: (Role) -> Bool {
            switch self {
            case .read, .search, .export, .seeBehindFigure, .readAccessLog: \.readsParticipants
            case .readDisagreements: \.managesAgreements
            case .register, .change, .record, .importFile: \.writesParticipants
            }
        }

        /// How a refusal names the act.
        var what: String {
            switch self {
            case .read: "read participants"
            case .search: "search participants"
            case .export: "export participants"
            case .seeBehindFigure: "see the participants behind a figure"
            case .readAccessLog: "read the access log"
            case .readDisagreements: "read disagreements between registrations"
            case .register: "register participants"
            case .change: "change participants"
            case .record(let kind): "record \(kind.rawValue)"
            case .importFile: "import records"
            }
        }
    }

    // MARK: Protected identity (SPEC §2)

    /// Whether the caller sees the name and identity number of a person whose registration its
    /// own organisation marked protected: a case system's token always (it holds the record
    /// itself), a person only after giving a reason, which the look's audit entry keeps.
    static func revealsProtected(_ caller: Caller, reason: String?) -> Bool {
        let given = !(reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        return Mutant.decide("protected.reasonToReveal", caller.principal?.role == .system || given)
    }

    /// Whether another party's protected registration reaches the caller withheld: without
    /// name, home municipality, exit reason, providers and reasons (SPEC §2: consent carries
    /// the records, not where the person lives or spends their days).
    static var consentWithholds: Bool { !Mutant.flips("protected.consentWithholds") }

    /// The view as the caller may see it: another party's protected registration withheld, and
    /// the caller's own protected registration's names hidden unless ``revealsProtected(_:reason:)``.
    static func shield(_ view: ParticipantView, _ caller: Caller, reason: String? = nil) -> ParticipantView {
        guard let viewer = caller.organisation else { return view }
        return view.shielded(for: viewer, hidingOwn: !revealsProtected(caller, reason: reason), withholdingOthers: consentWithholds)
    }

    /// The audit entry of a read of one person: a look at the caller's own protected person
    /// whose name and number it showed is `read-protected`, with the reason given (or that a
    /// case system read it), so that the auditor's list of looks says why.
    static func readEntry(_ view: ParticipantView, reason: String?, _ caller: Caller, detail: String = "") -> AuditDraft {
        guard view.isOwnProtected && !view.identityHidden else { return caller.entry("read", person: view.person, detail: detail, subjects: view.parties) }
        let why = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return caller.entry(
            "read-protected", person: view.person, detail: why.isEmpty ? "case system (token)" : "reason: " + String(why.prefix(500)), subjects: view.parties)
    }

    /// Whether a person goes into an export of a list: not when the caller's own organisation
    /// marked them protected (SPEC §2), whatever reason was given; a file travels further.
    static func exported(_ view: ParticipantView) -> Bool { Mutant.decide("protected.leftOutOfExports", !view.isOwnProtected) }

    /// The person of the caller's own protected registration `ref` (what pages link with);
    /// "not found" for any other reference, as for a stranger.
    static func protectedPerson(_ ref: String, _ caller: Caller, _ s: Services) async throws -> Personnummer {
        guard let own = caller.organisation, let person = try await s.store.protectedPerson(ref: ref, keptBy: own) else { throw caller.refused(nil) }
        return person
    }

    /// Marks the caller's organisation's registration of the person protected, or removes the
    /// mark (the participant page's form; a file or the API does it with `protected`). Audited
    /// as `protect` or `unprotect`; nothing is written when the mark is already so.
    static func setProtected(_ person: Personnummer, marked: Bool, _ caller: Caller, _ s: Services) async throws {
        guard let own = caller.organisation,
            try await s.store.setProtected(
                person, keptBy: own, marked: marked,
                audit: caller.entry(
                    marked ? "protect" : "unprotect", person: person, detail: marked ? "protected identity marked" : "protected identity mark removed",
                    subjects: [own]), at: s.now()) != nil
        else { throw caller.refused(person) }
    }

    // MARK: Reading

    /// The participant as the caller may see them, audited as a read naming every party whose
    /// records it showed; a refusal (audited) when they see nothing of the person. `reason`:
    /// why a person looks at their own organisation's protected person (SPEC §2).
    static func read(_ person: Personnummer, reason: String? = nil, _ caller: Caller, _ s: Services) async throws -> ParticipantView {
        guard let viewer = caller.organisation, let raw = try await s.store.participant(person, visibleTo: viewer, on: s.today) else {
            throw caller.refused(person)
        }
        let view = shield(raw, caller, reason: reason)
        try await s.auditBuffer.record([readEntry(view, reason: reason, caller)])
        return view
    }

    /// The acts on the caller's organisation's own records of the person (SPEC §2), audited.
    /// It never lists another party's acts on that party's own records: that would tell the
    /// caller the other party holds the person.
    static func accessLog(_ person: Personnummer, after: Int64, limit: Int, _ caller: Caller, _ s: Services) async throws -> [AuditEntry] {
        guard let own = caller.organisation, let entries = try await s.store.accessLog(of: person, keptBy: own, after: after, limit: limit) else {
            throw caller.refused(person)
        }
        try await s.auditBuffer.record([caller.entry("read-access-log", person: person, subjects: [own])])
        return entries
    }

    /// The participant page's two reads, the person and the acts on the caller's own records
    /// of them (`nil` when the caller's organisation has not registered the person), audited
    /// in one commit as the two API reads are.
    static func page(_ person: Personnummer, reason: String? = nil, _ caller: Caller, _ s: Services) async throws -> (ParticipantView, [AuditEntry]?) {
        guard let own = caller.organisation, let raw = try await s.store.participant(person, visibleTo: own, on: s.today) else {
            throw caller.refused(person)
        }
        let view = shield(raw, caller, reason: reason)
        let log = try await s.store.accessLog(of: person, keptBy: own, after: 0, limit: 50, newestFirst: true)
        var drafts = [readEntry(view, reason: reason, caller)]
        if log != nil { drafts.append(caller.entry("read-access-log", person: person, subjects: [own])) }
        try await s.auditBuffer.record(drafts)
        return (view, log)
    }

    /// The API's search: by identity number or a part of a name, among the people the caller
    /// may see, each person found audited as a read.
    static func search(person: Personnummer?, name: String?, limit: Int, offset: Int, _ caller: Caller, _ s: Services) async throws
        -> [SearchHit]
    {
        guard let viewer = caller.organisation else { return [] }
        // Only a token finds its own protected people by name; nobody finds another party's.
        let found = try await s.store.searchParticipants(
            visibleTo: viewer, person: person, name: name, on: s.today, limit: limit, offset: offset,
            ownProtectedNames: revealsProtected(caller, reason: nil))
        try await listed(found.map { ($0.person, $0.parties) }, action: "search", caller, s)
        return found.map { hit in
            var view = ParticipantView(person: hit.person, registrations: hit.registrations, merged: hit.merged)
            view = shield(view, caller)
            var shown = hit
            shown.merged = view.merged
            shown.identityHidden = view.identityHidden
            return shown
        }
    }

    /// Everyone the caller may see, with the agreements their organisation is a party to (the
    /// caseworker's lists). Not audited here: each list audits the people it shows
    /// (``listed(_:action:_:_:)``).
    static func caseload(_ caller: Caller, _ s: Services) async throws -> (views: [ParticipantView], agreements: [Agreement]) {
        guard let viewer = caller.organisation else { return ([], []) }
        let views = try await s.store.caseload(visibleTo: viewer, on: s.today).map { shield($0, caller) }
        let agreements = try await s.store.agreements(withParty: viewer).map(\.agreement)
        return (views, agreements)
    }

    /// People shown in a list (a search, "Att göra", an export, a drill-down): one audit entry
    /// each, naming the parties whose records the list drew on, before the list leaves.
    static func listed(_ shown: [(person: Personnummer, parties: [Organisationsnummer])], action: String, _ caller: Caller, _ s: Services) async throws {
        try await s.auditBuffer.record(shown.map { caller.entry(action, person: $0.person, subjects: $0.parties) })
    }

    /// Where registrations of one person disagree (issue 7): a count per attribute for
    /// everyone (an aggregate that names nobody), and the values, by party, for the people
    /// whose consent lets the coordinator see two registrations or more. Each person shown is
    /// a read of personal data, and audited as one.
    static func disagreements(_ caller: Caller, _ s: Services) async throws -> (counts: [String: Int], visible: [Disagreement]) {
        guard let viewer = caller.organisation else { return ([:], []) }
        let (counts, visible) = try await s.store.disagreements(visibleTo: viewer, on: s.today, withholdingProtected: consentWithholds)
        var seen = Set<Personnummer>()
        var drafts: [AuditDraft] = []
        for d in visible where seen.insert(d.person).inserted {
            drafts.append(caller.entry("read", person: d.person, detail: "disagreements", subjects: d.parties))
        }
        try await s.auditBuffer.record(drafts)
        return (counts, visible)
    }

    // MARK: Writing

    /// JSON field ↔ CSV column (SPEC §4), per kind. The API speaks camelCase.
    static let fields: [ImportKind: [(json: String, column: String)]] = [
        .participants: [
            ("personId", "person_id"), ("givenName", "given_name"), ("familyName", "family_name"), ("sex", "sex"), ("municipality", "municipality"),
            ("firstPermitDate", "first_permit_date"), ("registeredOn", "registered_on"), ("exitedOn", "exited_on"), ("exitReason", "exit_reason"),
            ("upperSecondaryCompleted", "upper_secondary_completed"), ("educationLevel", "education_level"), ("protected", "protected"),
        ],
        .events: [("personId", "person_id"), ("track", "track"), ("event", "event"), ("date", "date"), ("reason", "reason"), ("agreement", "agreement")],
        .statuses: [("personId", "person_id"), ("status", "status"), ("date", "date")],
        .activities: [
            ("personId", "person_id"), ("activity", "activity"), ("start", "start"), ("end", "end"), ("hoursPerWeek", "hours_per_week"),
            ("provider", "provider"),
        ],
    ]

    /// One value of a record's JSON object.
    enum Field: Decodable {
        case null, bool(Bool), number(Double), text(String), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .text(s)
            } else {
                self = .other
            }
        }
    }

    /// A JSON object of strings (and, for two fields, a boolean or a number) as one CSV row.
    static func row(_ kind: ImportKind, _ body: [UInt8], person: Personnummer?, year: Int) throws -> (csv: [UInt8], person: Personnummer) {
        guard let object = try? JSONDecoder().decode([String: Field].self, from: Data(body)) else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        let mapping = fields[kind]!
        var header: [String] = []
        var cells: [String?] = []
        var problems: [ImportProblem] = []
        for (json, column) in mapping {
            var value: String?
            switch object[json] {
            case nil, .null?: value = nil
            case .text(let text)?: value = text
            case .bool(let flag)? where json == "upperSecondaryCompleted" || json == "protected": value = flag ? "yes" : "no"
            case .number(let number)? where json == "hoursPerWeek": value = String(number)
            default:
                problems.append(
                    .init(
                        line: 0, column: json, reason: ["upperSecondaryCompleted", "protected"].contains(json) ? "must be true or false" : "must be a string"))
            }
            if json == "personId", let person {
                if let value, (try? Personnummer(value, currentYear: year)) != person {
                    problems.append(.init(line: 0, column: json, reason: "is not the participant in the path"))
                }
                value = person.description
            }
            header.append(column)
            cells.append(value)
        }
        guard problems.isEmpty else { throw APIError.invalid("the record was not saved / posten sparades inte", problems: problems) }
        guard let id = cells[0], let parsed = try? Personnummer(id, currentYear: year) else {
            throw APIError.invalid(
                "the record was not saved / posten sparades inte",
                problems: [.init(line: 0, column: "personId", reason: cells[0] == nil ? "is required" : "is not a valid personnummer or samordningsnummer")])
        }
        let text = CSVLine.format(header) + "\n" + CSVLine.format(cells) + "\n"
        return (Array(text.utf8), parsed)
    }

    /// Changing a registration needs one: to an organisation that has not registered the
    /// person, they do not exist (checked before the body is read).
    static func mayChange(_ person: Personnummer, _ caller: Caller, _ s: Services) async throws {
        guard let own = caller.organisation, try await s.store.hasRegistered(person, organisation: own) else { throw caller.refused(person) }
    }

    /// One record, read and checked, ready to be written (the body is checked before the
    /// request's `Idempotency-Key` is looked at, as it always was).
    struct Record: Sendable {
        var kind: ImportKind
        var csv: [UInt8]
        var person: Personnummer
    }

    /// The record a JSON body holds, for the participant of the path when there is one.
    static func record(_ kind: ImportKind, body: [UInt8], person: Personnummer?, _ s: Services) throws -> Record {
        let (csv, person) = try row(kind, body, person: person, year: s.today.year)
        return Record(kind: kind, csv: csv, person: person)
    }

    /// Writes one record through the importer, for the caller's organisation, with its audit
    /// entry (`action`: `create`, `update`, `record`) and idempotent answer in the same
    /// transaction. Returns the answer.
    static func write(_ record: Record, action: String, idempotency: Idempotency? = nil, _ caller: Caller, _ s: Services) async throws -> JSONValue {
        let (kind, person) = (record.kind, record.person)
        let answer: JSONValue = .object([("personId", .string(person.description)), ("saved", .string(kind.rawValue))])
        do {
            _ = try await s.store.importFile(
                kind, from: .bytes(record.csv), currentYear: s.today.year,
                scope: ImportScope(
                    organisation: caller.organisation?.value, today: s.today,
                    audit: { _ in caller.entry(action, person: person, detail: kind.rawValue) }, now: s.now(),
                    idempotency: idempotency?.answer { _ in answer }), progress: nil)
        } catch let error as ImportError {
            let names = Dictionary(uniqueKeysWithValues: fields[kind]!.map { ($0.column, $0.json) })
            var refusal = APIError.invalid(
                "the record was not saved / posten sparades inte",
                problems: error.problems.map { ImportProblem(line: 0, column: names[$0.column] ?? $0.column, reason: $0.reason) })
            if error.problems.contains(where: { $0.column == "person_id" }) {
                refusal.refusal = caller.refusal(person: person, "not theirs or does not exist")
            }
            throw refusal
        } catch IdempotencyError.concurrent {
            throw Idempotency.concurrent
        }
        return answer
    }

    /// Reads and writes one record (the pages' forms, which have no `Idempotency-Key`).
    static func write(_ kind: ImportKind, body: [UInt8], person: Personnummer?, action: String, _ caller: Caller, _ s: Services) async throws -> JSONValue {
        try await write(record(kind, body: body, person: person, s), action: action, caller, s)
    }

    /// One file for the caller's organisation, all or nothing (the API's, the import page's and
    /// `samspar import`'s): the audit entry naming every person it touched commits with it;
    /// every person a row was refused for is a refused write, audited before the error leaves.
    /// The operator's file is `organisation`'s, or, without one, each participant row's home
    /// municipality's and each other row's registrant's (SPEC §4); the store checks that a
    /// named organisation is in the registry.
    public static func importFile(
        _ kind: ImportKind, from source: ImportSource, for organisation: Organisationsnummer? = nil, idempotency: Idempotency? = nil, _ caller: Caller,
        _ s: Services, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportSummary {
        let owner = caller.organisation ?? organisation
        let of = caller.organisation == nil ? owner.map { " for \($0)" } ?? "" : ""
        let scope = ImportScope(
            organisation: owner?.value, today: s.today,
            audit: { caller.entry("import", detail: "\(kind.rawValue): \($0.rows) rows\(of)") }, now: s.now(),
            idempotency: idempotency?.answer { .object([("imported", .int($0.rows))]) })
        do {
            return try await s.store.importFile(kind, from: source, currentYear: s.today.year, scope: scope, progress: progress)
        } catch IdempotencyError.concurrent {
            throw Idempotency.concurrent
        } catch let error as ImportError {
            try await s.auditBuffer.record(error.refused.map { caller.entry("refused", person: $0, detail: "not theirs or does not exist") })
            var refusal = APIError.invalid("the file was not imported: nothing was written / filen lästes inte in", problems: error.problems)
            refusal.problemsCapped = error.capped
            throw refusal
        }
    }
}
