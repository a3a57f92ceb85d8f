import Foundation
import SamsparDomain

/// A track as events name it: its agreement, its code, and the engine's key.
struct TrackRef: Sendable, Hashable {
    var agreement: String
    var code: String
    var id: Int64
}

/// A row and the organisation whose registration or record it is (SPEC §2: every record
/// belongs to exactly one party).
struct Owned<Value: Sendable>: Sendable {
    var org: Int64
    var value: Value
}

/// An event with its track resolved to the engine's key.
struct TrackedEvent: Sendable {
    var record: EventRecord
    var track: Int64
}

/// What an engine does inside one import transaction. The engine opens the transaction,
/// hands a writer to ``Importer``, and commits only when the importer returns normally.
protocol BulkWriter {
    /// The organisations that have registered each of `persons` (a person nobody registered
    /// is absent).
    func registrants(_ persons: [Int64]) async throws -> [Int64: [Int64]]
    /// Every registration, or every registration of `organisation`, in person order: a large
    /// file asks this once instead of asking ``registrants(_:)`` batch by batch.
    func allRegistrants(of organisation: Int64?) async throws -> RegistrantIndex
    /// The municipality organisations of the registry, by kommunkod.
    func municipalityOrganisations() async throws -> [Int16: [Int64]]
    /// The next value of the registrations' change counter (SPEC §2: among parties of one
    /// kind, the registration changed most recently wins).
    func nextChange() async throws -> Int64
    func tracks() async throws -> [TrackRef]
    /// Every stored version's document that is not a deleted draft (which agreement, in a
    /// version signed by every party, has which tracks and parties).
    func agreementDocuments() async throws -> [String]
    func write(participants: [Owned<ParticipantRecord>], changed: Int64) async throws
    func write(events: [Owned<TrackedEvent>]) async throws
    func write(statuses: [Owned<StatusRecord>]) async throws
    func write(activities: [Owned<ActivityRecord>]) async throws
}

/// The engine-independent half of a bulk import (SPEC §4): streams the file, validates
/// every row, checks people and tracks against the database a batch at a time (a large file:
/// against one index of every registration, see ``ImportScope/registrantIndexAfterRows``), and writes
/// batches until the first problem. After a problem it keeps reading, writing nothing more,
/// so that one run lists every bad row; the caller then rolls back. Batches go to the
/// engine's staging table in file order; the engine moves them into place in key order, and
/// there the last row of each key in the file wins (a re-sent row replaces the earlier one).
struct Importer {
    /// Rows per batch. SQLite takes them as one multi-row statement (bound-parameter limits);
    /// PostgreSQL as one `COPY`, where fewer, larger batches save round trips.
    var batchSize = 1000
    /// A file with this many problems, or this much of their text, stops being read: the list
    /// is already long enough to act on (``ProblemCap``).
    static let maxProblems = ProblemCap.maxProblems

    let kind: ImportKind
    let currentYear: Int
    var scope: ImportScope = .commandLine
    let progress: (@Sendable (Int) -> Void)?

    func run(source: ImportSource, writer: some BulkWriter & Sendable) async throws -> ImportSummary {
        var reader = try source.makeReader()
        var record = CSVRecord()
        guard try readRecord(&reader, &record) else {
            throw ImportError(problems: [.init(line: 1, column: "", reason: "the file is empty; a header row is required")])
        }
        let schema = try ImportSchema(kind: kind, header: record, currentYear: currentYear)
        var problems: [ImportProblem] = []
        let refused = Locked(Set<Personnummer>())
        var rows = 0
        var tracksByCode: [String: [TrackRef]] = [:]
        var signedTracks: [Int64: Set<String>] = [:]
        var ownTracks: [Int64: [String: [TrackRef]]] = [:]
        if kind == .events {
            for track in try await writer.tracks() { tracksByCode[track.code, default: []].append(track) }
            signedTracks = Self.signedTracks(try await writer.agreementDocuments())
            ownTracks = Self.ownTracks(tracksByCode, signed: signedTracks)
        }

        var participants: [(line: Int, record: ParticipantRecord)] = []
        var events: [(line: Int, record: EventRecord)] = []
        var statuses: [(line: Int, record: StatusRecord)] = []
        var activities: [(line: Int, record: ActivityRecord)] = []

        // The problems' text so far (``ProblemCap``): reading stops at either bound.
        var problemBytes = 0
        func note(_ error: ImportError) {
            for p in error.problems {
                let b = ProblemCap.bounded(p)
                problemBytes += ProblemCap.size(b)
                problems.append(b)
            }
        }
        // Who each written row belongs to, for the audit entry that names every person touched.
        let touched = Locked(TouchedRegistrations())
        // One change-counter value for the whole file: it is one change by one party.
        var changeValue: Int64?
        func change() async throws -> Int64 {
            if let changeValue { return changeValue }
            let value = try await writer.nextChange()
            changeValue = value
            return value
        }
        let registrantIndex = Locked<RegistrantIndex?>(nil)
        let municipalityCache = Locked<[Int16: [Int64]]?>(nil)
        @Sendable func municipalities() async throws -> [Int16: [Int64]] {
            if let cached = municipalityCache.withLock({ $0 }) { return cached }
            let loaded = try await writer.municipalityOrganisations()
            municipalityCache.withLock { $0 = loaded }
            return loaded
        }

        // The database work of a batch (checks and writes) runs while the next batch is
        // parsed: with two cores the parse and SQLite's inserts overlap. At most one batch is
        // in flight, and it is awaited before the next is submitted, so problems from earlier
        // batches are always known when deciding whether to write.
        var inFlight: Task<[ImportProblem], any Error>? = nil
        func settle() async throws {
            if let task = inFlight {
                inFlight = nil
                note(ImportError(problems: try await task.value))
            }
        }

        func flush() async throws {
            try await settle()
            let writeAllowed = problems.isEmpty
            let scope = self.scope
            if kind != .participants, rows >= scope.registrantIndexAfterRows, registrantIndex.withLock({ $0 == nil }) {
                let index = try await writer.allRegistrants(of: scope.organisation)
                registrantIndex.withLock { $0 = index }
            }
            let index = registrantIndex.withLock { $0 }
            switch kind {
            case .participants:
                let batch = participants
                participants.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                let changed = try await change()
                inFlight = Task {
                    var found: [ImportProblem] = []
                    var owned: [(line: Int, row: Owned<ParticipantRecord>)] = []
                    owned.reserveCapacity(batch.count)
                    if let organisation = scope.organisation {
                        for (line, record) in batch { owned.append((line, Owned(org: organisation, value: record))) }
                    } else {
                        // The operator's bulk load: the municipality organisation of the row's home.
                        let byCode = try await municipalities()
                        for (line, record) in batch {
                            let candidates = byCode[record.municipality.value] ?? []
                            if candidates.count == 1 {
                                owned.append((line, Owned(org: candidates[0], value: record)))
                            } else {
                                found.append(
                                    .init(
                                        line: line, column: "municipality",
                                        reason: "the registry has no municipality organisation with kommunkod \(record.municipality): "
                                            + "add it with `samspar org add`, or name the organisation with --org"))
                            }
                        }
                    }
                    if writeAllowed && found.isEmpty {
                        let rows = owned.map(\.row)
                        try await writer.write(participants: rows, changed: changed)
                        touched.withLock { $0.insert(rows.map { PersonParty(person: $0.value.person.value, org: $0.org) }) }
                    }
                    return found
                }
            case .events:
                let batch = events
                events.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                let tracks = tracksByCode
                let allowed = signedTracks
                let own = ownTracks
                inFlight = Task {
                    let (owners, missing) = try await Self.owners(batch.map { ($0.line, $0.record.person) }, writer, index, scope, refused, touched)
                    var found = missing
                    var resolved: [Owned<TrackedEvent>] = []
                    resolved.reserveCapacity(batch.count)
                    for (i, (line, event)) in batch.enumerated() {
                        guard let org = owners[i] else { continue }
                        switch Self.resolve(event, tracks, own: own[org] ?? [:], allowed: allowed[org] ?? []) {
                        case .success(let id): resolved.append(Owned(org: org, value: TrackedEvent(record: event, track: id)))
                        case .failure(let reason): found.append(.init(line: line, column: reason.column, reason: reason.reason))
                        }
                    }
                    if writeAllowed && found.isEmpty {
                        let rows = resolved
                        try await writer.write(events: rows)
                    }
                    return found
                }
            case .statuses:
                let batch = statuses
                statuses.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                inFlight = Task {
                    let (owners, found) = try await Self.owners(batch.map { ($0.line, $0.record.person) }, writer, index, scope, refused, touched)
                    if writeAllowed && found.isEmpty {
                        let rows = zip(batch, owners).compactMap { row, org in org.map { Owned(org: $0, value: row.record) } }
                        try await writer.write(statuses: rows)
                    }
                    return found
                }
            case .activities:
                let batch = activities
                activities.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                inFlight = Task {
                    let (owners, found) = try await Self.owners(batch.map { ($0.line, $0.record.person) }, writer, index, scope, refused, touched)
                    if writeAllowed && found.isEmpty {
                        let rows = zip(batch, owners).compactMap { row, org in org.map { Owned(org: $0, value: row.record) } }
                        try await writer.write(activities: rows)
                    }
                    return found
                }
            }
        }

        do {
            while problems.count < Self.maxProblems, problemBytes < ProblemCap.maxBytes, try readRecord(&reader, &record) {
                rows += 1
                switch kind {
                case .participants:
                    switch schema.participant(record) {
                    case .success(let row): participants.append((record.line, row))
                    case .failure(let error): note(error)
                    }
                    if participants.count >= batchSize { try await flush() }
                case .events:
                    switch schema.event(record) {
                    case .success(let row): events.append((record.line, row))
                    case .failure(let error): note(error)
                    }
                    if events.count >= batchSize { try await flush() }
                case .statuses:
                    switch schema.status(record) {
                    case .success(let row): statuses.append((record.line, row))
                    case .failure(let error): note(error)
                    }
                    if statuses.count >= batchSize { try await flush() }
                case .activities:
                    switch schema.activity(record) {
                    case .success(let row): activities.append((record.line, row))
                    case .failure(let error): note(error)
                    }
                    if activities.count >= batchSize { try await flush() }
                }
                if rows % 100_000 == 0 { progress?(rows) }
            }
            try await flush()
            try await settle()
        } catch {
            try? await settle()
            throw error
        }
        guard problems.isEmpty else {
            // Reading stopped at a bound: the list says where, even when the batches' own
            // problems kept it just under.
            let stopped = problems.count >= Self.maxProblems || problemBytes >= ProblemCap.maxBytes
            var (kept, capped) = ProblemCap.apply(problems)
            if stopped && !capped {
                kept.append(ProblemCap.stop(at: record.line))
                capped = true
            }
            throw ImportError(problems: kept, refused: refused.withLock { $0.sorted() }, capped: capped)
        }
        progress?(rows)
        return ImportSummary(rows: rows, touched: touched.withLock { $0.sorted(index: registrantIndex.withLock { $0 }) })
    }

    private func readRecord(_ reader: inout CSVReader, _ record: inout CSVRecord) throws -> Bool {
        do {
            return try reader.next(into: &record)
        } catch let error as CSVSyntaxError {
            throw ImportError(problems: [.init(line: error.line, column: "", reason: error.reason)])
        }
    }

    /// The organisation each row's record belongs to: the import's own organisation, which
    /// must have registered the person (SPEC §2); or, for the operator's bulk load without
    /// `--org`, the one organisation that has. A refusal reads the same whether or not another
    /// party holds the person.
    private static func owners(
        _ rows: [(line: Int, person: Personnummer)], _ writer: some BulkWriter, _ index: RegistrantIndex?, _ scope: ImportScope,
        _ refused: Locked<Set<Personnummer>>, _ touched: Locked<TouchedRegistrations>
    ) async throws -> ([Int64?], [ImportProblem]) {
        guard !rows.isEmpty else { return ([], []) }
        let looked = index == nil ? try await writer.registrants(Array(Set(rows.map(\.person.value)))) : [:]
        var owners: [Int64?] = []
        owners.reserveCapacity(rows.count)
        var problems: [ImportProblem] = []
        // Every row that finds its owner is written unless the file has a problem, and then
        // nothing is: so the registrations touched are marked here, where the index already
        // knows each one's place.
        var positions: [Int] = []
        defer {
            touched.withLock { t in
                if let index {
                    for position in positions { t.mark(position, of: index) }
                } else {
                    for (row, owner) in zip(rows, owners) {
                        if let owner { t.insert(PersonParty(person: row.person.value, org: owner)) }
                    }
                }
            }
        }
        for (line, person) in rows {
            let range = index?.range(of: person.value)
            let parties = range.map { index!.organisations[$0] } ?? looked[person.value].map { $0[...] } ?? []
            defer {
                // A slice of the index keeps the index's positions.
                if range != nil, let owner = owners.last!, let position = parties.firstIndex(of: owner) { positions.append(position) }
            }
            if let organisation = scope.organisation {
                if Mutant.decide("importer.ownRegistration", parties.contains(organisation)) {
                    owners.append(organisation)
                } else {
                    owners.append(nil)
                    refused.withLock { _ = $0.insert(person) }
                    problems.append(
                        .init(
                            line: line, column: "person_id",
                            reason: "your organisation has not registered \(person) (send a participants row for them first)"))
                }
            } else if parties.count == 1 || (Mutant.flips("importer.singleRegistrant") && parties.count > 1) {
                owners.append(parties[parties.startIndex])
            } else {
                owners.append(nil)
                problems.append(
                    .init(
                        line: line, column: "person_id",
                        reason: parties.isEmpty
                            ? "no participant \(person) (import the participants file first)"
                            : "\(person) is registered by \(parties.count) organisations: name the one whose record this is with --org"))
            }
        }
        return (owners, problems)
    }

    /// Per organisation, the tracks (`agreement` NUL `code`) of the agreements it is a party to
    /// in a version signed by every party: the only ones its events may name (SPEC §4).
    static func signedTracks(_ documents: [String]) -> [Int64: Set<String>] {
        var result: [Int64: Set<String>] = [:]
        for text in documents {
            guard let agreement = try? parseStored(text), Mutant.decide("tracks.resolveSigned", agreement.signedByAll) else { continue }
            for party in agreement.parties {
                for track in agreement.tracks { result[party.orgNumber.value, default: []].insert(agreement.id + "\u{0}" + track.code) }
            }
        }
        return result
    }

    /// Per organisation, by code, the tracks ``signedTracks(_:)`` allows it: worked out once per
    /// file. (Checking every track of a code against the allowed set row by row cost 97 string
    /// joins and hashes per event at national scale, where every agreement has the same four
    /// codes: 5 million events took 51 s instead of 15, issue 27.)
    static func ownTracks(_ tracks: [String: [TrackRef]], signed: [Int64: Set<String>]) -> [Int64: [String: [TrackRef]]] {
        signed.mapValues { allowed in
            tracks.compactMapValues { refs in
                let kept = refs.filter { allowed.contains($0.agreement + "\u{0}" + $0.code) }
                return kept.isEmpty ? nil : kept
            }
        }
    }

    /// The track an event names, among the tracks of the agreements the writing party is a
    /// party to in a version signed by every party (`own`, from `allowed`); drafts and other
    /// agreements are never consulted, and an `agreement` naming one is refused as unknown
    /// (SPEC §4).
    private static func resolve(_ event: EventRecord, _ tracks: [String: [TrackRef]], own: [String: [TrackRef]], allowed: Set<String>) -> Result<
        Int64, ImportProblem
    > {
        let candidates = Mutant.flips("tracks.resolveOwn") ? (tracks[event.track] ?? []) : (own[event.track] ?? [])
        if let agreement = event.agreement {
            if let match = candidates.first(where: { $0.agreement == agreement }) { return .success(match.id) }
            if allowed.contains(where: { $0.hasPrefix(agreement + "\u{0}") }) {
                return .failure(.init(line: 0, column: "track", reason: "agreement '\(agreement)' has no track '\(event.track)'"))
            }
            return .failure(
                .init(line: 0, column: "agreement", reason: "'\(agreement)' is not an agreement your organisation is a party to, signed by every party"))
        }
        switch candidates.count {
        case 0: return .failure(.init(line: 0, column: "track", reason: "no agreement your organisation is a party to has a track '\(event.track)'"))
        case 1: return .success(candidates[0].id)
        default:
            let names = candidates.map(\.agreement).sorted().joined(separator: ", ")
            return .failure(
                .init(line: 0, column: "agreement", reason: "track '\(event.track)' exists in several agreements (\(names)): name one in the agreement column"))
        }
    }
}

/// Registrations as two arrays in person order (16 bytes each: 16 MB for a million), which
/// a binary search answers; built once per large import.
struct RegistrantIndex: Sendable {
    private(set) var persons: [Int64] = []
    private(set) var organisations: [Int64] = []

    init() {}

    /// Rows must come in person order (the loaders ask for `ORDER BY person_id`).
    mutating func append(person: Int64, organisation: Int64) {
        persons.append(person)
        organisations.append(organisation)
    }

    var count: Int { persons.count }

    func registration(at position: Int) -> PersonParty { PersonParty(person: persons[position], org: organisations[position]) }

    func registrants(of person: Int64) -> ArraySlice<Int64> { organisations[range(of: person)] }

    /// The positions of the person's registrations (empty when there are none).
    func range(of person: Int64) -> Range<Int> {
        var low = 0
        var high = persons.count
        while low < high {
            let middle = (low + high) / 2
            if persons[middle] < person { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < persons.count && persons[end] == person { end += 1 }
        return low..<end
    }
}

/// The registrations an import touched: a set while the file is small, then one bit per
/// registration of the ``RegistrantIndex`` (a million registrations are 1 MB of flags, and
/// reading them off in index order gives the sorted list the audit entry needs, with no
/// hashing per row).
struct TouchedRegistrations {
    private var set = Set<PersonParty>()
    private var flags: [Bool] = []

    mutating func insert(_ rows: [PersonParty]) { set.formUnion(rows) }

    mutating func insert(_ row: PersonParty) { set.insert(row) }

    mutating func mark(_ position: Int, of index: RegistrantIndex) {
        if flags.isEmpty {
            // From here on, flags: what the set holds so far moves into them (a set of a
            // million registrations is 34 MB; issue 10's memory target is 150).
            flags = Array(repeating: false, count: index.count)
            var elsewhere = Set<PersonParty>()
            for registration in set {
                // A slice of the index keeps the index's positions.
                if let found = index.registrants(of: registration.person).firstIndex(of: registration.org) {
                    flags[found] = true
                } else {
                    elsewhere.insert(registration)
                }
            }
            set = elsewhere
        }
        flags[position] = true
    }

    func sorted(index: RegistrantIndex?) -> [PersonParty] {
        guard let index, !flags.isEmpty else { return set.sorted() }
        var result: [PersonParty] = []
        result.reserveCapacity(flags.count)
        for (position, flag) in flags.enumerated() where flag { result.append(index.registration(at: position)) }
        guard !set.isEmpty else { return result }
        return (result + set).sorted()
    }
}

/// Whose records an import writes, and what runs with it.
public struct ImportScope: Sendable {
    /// The organisation whose registrations and records these are (an API token, a
    /// caseworker, `samspar import --org`). `nil` for the operator's bulk load (SPEC §4):
    /// a participant row belongs to the municipality organisation of their home, any other
    /// row to the one organisation that registered the person.
    public var organisation: Int64?
    /// Today (kept for the callers; registrations, not consent, decide who writes).
    public var today: Day
    /// The audit entry of the write, appended in the import's own transaction with `now` as
    /// its time. The store adds every registration the file touched to its subjects.
    public var audit: (@Sendable (ImportSummary) -> AuditDraft)?
    public var now: Date
    /// After this many rows the importer loads every registration once (``RegistrantIndex``)
    /// instead of looking the people of each batch up: in a file in registration or date
    /// order, every batch names people all over the registrations' B-tree (issue 10). A small
    /// file (an API import, a caseworker's upload) never pays for the whole load. Tests set 0
    /// to take that path with a small file.
    public var registrantIndexAfterRows = 100_000
    /// The answer to keep for the request's `Idempotency-Key`, stored in the import's own
    /// transaction after the audit entry.
    public var idempotency: IdempotentAnswer<ImportSummary>?

    public init(
        organisation: Int64?, today: Day, audit: (@Sendable (ImportSummary) -> AuditDraft)? = nil, now: Date = Date(timeIntervalSince1970: 0),
        idempotency: IdempotentAnswer<ImportSummary>? = nil
    ) {
        self.organisation = organisation
        self.today = today
        self.audit = audit
        self.now = now
        self.idempotency = idempotency
    }

    /// What runs in the import's transaction once every row is written: the audit entry,
    /// naming every registration touched, then the idempotent answer.
    /// `previous`: what the file changed, as it was (kept with the entry, chained).
    /// `protection`: the marks the file set or removed (SPEC §2), each an entry of its own
    /// (`protect`, `unprotect`) by the same actor, after the write's.
    func finish(_ summary: ImportSummary, previous: [PreviousValue] = [], protection: [ProtectionChange] = [], in session: any SQLSession) async throws {
        if let audit {
            var draft = audit(summary)
            var drafts: [AuditDraft] = []
            for change in protection {
                var entry = draft
                entry.action = change.marked ? "protect" : "unprotect"
                entry.person = change.person
                entry.detail = change.marked ? "protected identity marked" : "protected identity mark removed"
                entry.subjects = [PersonParty(person: change.person.value, org: change.organisation.value)]
                drafts.append(entry)
            }
            // Shared, not copied, when the draft names no subject of its own (a million, nationally).
            if draft.subjects.isEmpty { draft.subjects = summary.touched } else { draft.subjects += summary.touched }
            draft.previous = previous
            try await AuditLog.append([draft] + drafts, at: now, in: session)
        }
        try await idempotency?.store(summary, now: now, in: session)
    }

    public static let commandLine = ImportScope(organisation: nil, today: Day(ordinal: 0))
}

/// A person and a party: one registration, or the records one party keeps of one person.
public struct PersonParty: Sendable, Hashable, Comparable {
    public var person: Int64
    public var org: Int64

    public init(person: Int64, org: Int64) {
        self.person = person
        self.org = org
    }

    public static func < (a: PersonParty, b: PersonParty) -> Bool { (a.person, a.org) < (b.person, b.org) }

    /// One word to hash, not two: a close builds and probes sets of these for every
    /// registration of its population and party (issue 27). Equality still compares both.
    public func hash(into hasher: inout Hasher) { hasher.combine(person &* 1_000_000_007 &+ org) }
}

/// A value the import's batch tasks share (the registrations touched, the people refused,
/// the municipality organisations), behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
