import SamsparDomain

/// A track as events name it: its agreement, its code, and the engine's key.
struct TrackRef: Sendable, Hashable {
    var agreement: String
    var code: String
    var id: Int64
}

/// What an engine does inside one import transaction. The engine opens the transaction,
/// hands a writer to ``Importer``, and commits only when the importer returns normally.
protocol BulkWriter {
    /// The subset of `persons` that exist as participants.
    func existingPersons(_ persons: [Int64]) async throws -> Set<Int64>
    /// For each of `persons` that exists: whether `organisation` registered them, and whether
    /// a consent covering `organisation` is valid on `day`.
    func access(_ persons: [Int64], for organisation: Int64, on day: Day) async throws -> [Int64: PersonAccess]
    func tracks() async throws -> [TrackRef]
    func write(participants: [ParticipantRecord]) async throws
    func write(events: [(record: EventRecord, track: Int64)]) async throws
    func write(statuses: [StatusRecord]) async throws
    func write(activities: [ActivityRecord]) async throws
}

/// The engine-independent half of a bulk import (SPEC §4): streams the file, validates
/// every row, checks people and tracks against the database a batch at a time, and writes
/// batches until the first problem. After a problem it keeps reading, writing nothing more,
/// so that one run lists every bad row; the caller then rolls back.
struct Importer {
    /// Rows per batch. SQLite takes them as one multi-row statement (bound-parameter limits);
    /// PostgreSQL as one `COPY`, where fewer, larger batches save round trips.
    var batchSize = 1000
    /// A file with this many problems stops being read: the list is already long enough to act on.
    static let maxProblems = 10_000

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
        var rows = 0
        var tracksByCode: [String: [TrackRef]] = [:]
        if kind == .events {
            for track in try await writer.tracks() { tracksByCode[track.code, default: []].append(track) }
        }

        var participants: [(line: Int, record: ParticipantRecord)] = []
        var events: [(line: Int, record: EventRecord)] = []
        var statuses: [(line: Int, record: StatusRecord)] = []
        var activities: [(line: Int, record: ActivityRecord)] = []

        func note(_ error: ImportError) { problems.append(contentsOf: error.problems) }

        // The database work of a batch (checks and writes) runs while the next batch is
        // parsed: with two cores the parse and SQLite's inserts overlap. At most one batch is
        // in flight, and it is awaited before the next is submitted, so problems from earlier
        // batches are always known when deciding whether to write.
        var inFlight: Task<[ImportProblem], any Error>? = nil
        func settle() async throws {
            if let task = inFlight {
                inFlight = nil
                problems.append(contentsOf: try await task.value)
            }
        }

        func flush() async throws {
            try await settle()
            let writeAllowed = problems.isEmpty
            switch kind {
            case .participants:
                let batch = Self.lastWins(participants, key: { $0.record.person })
                participants.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                let scope = self.scope
                guard writeAllowed || scope.organisation != nil else { return }
                inFlight = Task {
                    var found: [ImportProblem] = []
                    if let organisation = scope.organisation {
                        let access = try await writer.access(batch.map(\.record.person.value), for: organisation, on: scope.today)
                        for (line, record) in batch where access[record.person.value].map({ !$0.own }) ?? false {
                            found.append(
                                .init(
                                    line: line, column: "person_id",
                                    reason: "\(record.person) is registered by another organisation, which alone can change them"))
                        }
                    }
                    if writeAllowed && found.isEmpty { try await writer.write(participants: batch.map(\.record)) }
                    return found
                }
            case .events:
                let scope = self.scope
                let batch = events
                events.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                let tracks = tracksByCode
                inFlight = Task {
                    var found = try await Self.missingPersons(batch.map { ($0.line, $0.record.person) }, writer, scope)
                    var resolved: [(record: EventRecord, track: Int64)] = []
                    resolved.reserveCapacity(batch.count)
                    for (line, event) in batch {
                        switch Self.resolve(event, tracks) {
                        case .success(let id): resolved.append((event, id))
                        case .failure(let reason): found.append(.init(line: line, column: reason.column, reason: reason.reason))
                        }
                    }
                    if writeAllowed && found.isEmpty {
                        try await writer.write(
                            events: Self.lastWins(
                                resolved, key: { EventKey(person: $0.record.person, track: $0.track, kind: $0.record.kind, date: $0.record.date) }))
                    }
                    return found
                }
            case .statuses:
                let scope = self.scope
                let batch = statuses
                statuses.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                inFlight = Task {
                    let found = try await Self.missingPersons(batch.map { ($0.line, $0.record.person) }, writer, scope)
                    if writeAllowed && found.isEmpty {
                        try await writer.write(statuses: Self.lastWins(batch.map(\.record), key: { StatusKey(person: $0.person, date: $0.date) }))
                    }
                    return found
                }
            case .activities:
                let scope = self.scope
                let batch = activities
                activities.removeAll(keepingCapacity: true)
                guard !batch.isEmpty else { return }
                inFlight = Task {
                    let found = try await Self.missingPersons(batch.map { ($0.line, $0.record.person) }, writer, scope)
                    if writeAllowed && found.isEmpty {
                        try await writer.write(
                            activities: Self.lastWins(
                                batch.map(\.record), key: { ActivityKey(person: $0.person, activity: $0.activity.rawValue, start: $0.start) }))
                    }
                    return found
                }
            }
        }

        do {
            while problems.count < Self.maxProblems, try readRecord(&reader, &record) {
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
        problems.sort { $0.line < $1.line }
        guard problems.isEmpty else {
            if problems.count >= Self.maxProblems {
                problems.append(.init(line: record.line, column: "", reason: "stopped reading after \(Self.maxProblems) problems"))
            }
            throw ImportError(problems: problems)
        }
        progress?(rows)
        return ImportSummary(rows: rows)
    }

    private func readRecord(_ reader: inout CSVReader, _ record: inout CSVRecord) throws -> Bool {
        do {
            return try reader.next(into: &record)
        } catch let error as CSVSyntaxError {
            throw ImportError(problems: [.init(line: error.line, column: "", reason: error.reason)])
        }
    }

    private static func missingPersons(
        _ rows: [(line: Int, person: Personnummer)], _ writer: some BulkWriter, _ scope: ImportScope
    ) async throws -> [ImportProblem] {
        guard !rows.isEmpty else { return [] }
        let distinct = Array(Set(rows.map(\.person.value)))
        if let organisation = scope.organisation {
            // One message whether the person is unknown or another party's without consent:
            // an import must not tell which.
            let access = try await writer.access(distinct, for: organisation, on: scope.today)
            return rows.filter { !(access[$0.person.value].map { $0.own || $0.consented } ?? false) }.map {
                ImportProblem(
                    line: $0.line, column: "person_id",
                    reason: "no participant \($0.person) that your organisation may record (register them first, or ask for their consent)")
            }
        }
        let existing = try await writer.existingPersons(distinct)
        return rows.filter { !existing.contains($0.person.value) }.map {
            ImportProblem(line: $0.line, column: "person_id", reason: "no participant \($0.person) (import the participants file first)")
        }
    }

    private static func resolve(_ event: EventRecord, _ tracks: [String: [TrackRef]]) -> Result<Int64, ImportProblem> {
        let candidates = tracks[event.track] ?? []
        if let agreement = event.agreement {
            if let match = candidates.first(where: { $0.agreement == agreement }) { return .success(match.id) }
            return .failure(.init(line: 0, column: "track", reason: "agreement '\(agreement)' has no track '\(event.track)'"))
        }
        switch candidates.count {
        case 0: return .failure(.init(line: 0, column: "track", reason: "no agreement has a track '\(event.track)'"))
        case 1: return .success(candidates[0].id)
        default:
            let names = candidates.map(\.agreement).sorted().joined(separator: ", ")
            return .failure(
                .init(line: 0, column: "agreement", reason: "track '\(event.track)' exists in several agreements (\(names)): name one in the agreement column"))
        }
    }

    /// Keeps the last row of each key within a batch: PostgreSQL's upsert refuses to touch a
    /// row twice in one statement, and "last row wins" is what a re-sent file means.
    static func lastWins<T, K: Hashable>(_ rows: [T], key: (T) -> K) -> [T] {
        var seen = Set<K>()
        seen.reserveCapacity(rows.count)
        var result: [T] = []
        result.reserveCapacity(rows.count)
        for row in rows.reversed() where seen.insert(key(row)).inserted { result.append(row) }
        if result.count == rows.count { return rows }
        return result.reversed()
    }
}

/// Whose records an import writes, and what runs with it.
public struct ImportScope: Sendable {
    /// The organisation whose records these are (an API token, a caseworker). `nil` for the
    /// command line: its participants belong to their home municipality's organisation.
    public var organisation: Int64?
    /// The day consents are checked against.
    public var today: Day
    /// Runs inside the import's transaction after the last row is written (the audit entry).
    public var beforeCommit: (@Sendable (any SQLSession, ImportSummary) async throws -> Void)?

    public init(
        organisation: Int64?, today: Day, beforeCommit: (@Sendable (any SQLSession, ImportSummary) async throws -> Void)? = nil
    ) {
        self.organisation = organisation
        self.today = today
        self.beforeCommit = beforeCommit
    }

    public static let commandLine = ImportScope(organisation: nil, today: Day(ordinal: 0))
}

/// What an organisation may do with one existing person's records.
struct PersonAccess: Sendable, Equatable {
    /// The organisation registered them (or, for command-line records, is their home municipality).
    var own: Bool
    /// A consent covering the organisation is valid.
    var consented: Bool
}

/// SQL fragments that decide ownership and consent the same way in both engines.
enum RecordOwnership {
    /// The organisation a participant row belongs to: who registered it, or for rows from the
    /// command line, the municipality organisation of their home municipality.
    static func ownerSQL(_ p: String) -> String {
        """
        COALESCE(\(p).registered_by, (SELECT min(o.org_number) FROM organisations o \
        WHERE o.municipality_code = \(p).municipality AND o.kind = 'municipality'))
        """
    }

    /// 1 when a consent of `person` covering `party` is valid on `day`, else 0.
    static func consentSQL(person: String, party: String, day: String) -> String {
        """
        CASE WHEN EXISTS (SELECT 1 FROM consents c WHERE c.person_id = \(person) AND c.party = \(party) \
        AND c.valid_from <= \(day) AND (c.valid_until IS NULL OR c.valid_until >= \(day)) \
        AND (c.withdrawn_on IS NULL OR c.withdrawn_on > \(day))) THEN 1 ELSE 0 END
        """
    }
}

struct EventKey: Hashable {
    var person: Personnummer
    var track: Int64
    var kind: TrackEventKind
    var date: Day
}

struct StatusKey: Hashable {
    var person: Personnummer
    var date: Day
}

struct ActivityKey: Hashable {
    var person: Personnummer
    var activity: String
    var start: Day
}
