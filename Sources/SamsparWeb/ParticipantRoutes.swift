import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// Participants one at a time. Single records are written through the same importer as
/// bulk files (a one-row file), so one set of rules validates both and decides who may
/// write what.
enum ParticipantRoutes {
    /// JSON field ↔ CSV column (SPEC §4), per kind. The API speaks camelCase.
    static let fields: [ImportKind: [(json: String, column: String)]] = [
        .participants: [
            ("personId", "person_id"), ("givenName", "given_name"), ("familyName", "family_name"), ("sex", "sex"), ("municipality", "municipality"),
            ("firstPermitDate", "first_permit_date"), ("registeredOn", "registered_on"), ("exitedOn", "exited_on"), ("exitReason", "exit_reason"),
            ("upperSecondaryCompleted", "upper_secondary_completed"), ("educationLevel", "education_level"),
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
            case .bool(let flag)? where json == "upperSecondaryCompleted": value = flag ? "yes" : "no"
            case .number(let number)? where json == "hoursPerWeek": value = String(number)
            default:
                problems.append(.init(line: 0, column: json, reason: json == "upperSecondaryCompleted" ? "must be true or false" : "must be a string"))
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

    /// Writes one record through the importer, for the caller's organisation, with its audit
    /// entry (and idempotent answer) in the same transaction. A refusal because the caller's
    /// organisation has not registered the person reads the same whoever else holds them.
    static func write(
        _ kind: ImportKind, body: [UInt8], person pathPerson: Personnummer?, action: String, status: HTTPResponse.Status, _ request: Request,
        _ context: AppContext, _ s: Services, principal: Principal
    ) async throws -> Response {
        let (csv, person) = try row(kind, body, person: pathPerson, year: s.today.year)
        let idempotency = try Idempotency(request, principal: principal, body: body)
        if let replay = try await idempotency?.replay(s) { return replay }
        let channel = context.channel(request)
        let now = s.now()
        let answer: JSONValue = .object([("personId", .string(person.description)), ("saved", .string(kind.rawValue))])
        do {
            _ = try await s.store.importFile(
                kind, from: .bytes(csv), currentYear: s.today.year,
                scope: ImportScope(
                    organisation: principal.organisation.value, today: s.today,
                    audit: { _ in s.draft(principal, action, person: person, channel: channel, detail: kind.rawValue) }, now: now,
                    beforeCommit: { session, _ in try await idempotency?.save(status: status, body: answer, now: now, in: session) }), progress: nil)
        } catch let error as ImportError {
            let names = Dictionary(uniqueKeysWithValues: fields[kind]!.map { ($0.column, $0.json) })
            var refusal = APIError.invalid(
                "the record was not saved / posten sparades inte",
                problems: error.problems.map { ImportProblem(line: 0, column: names[$0.column] ?? $0.column, reason: $0.reason) })
            if error.problems.contains(where: { $0.column == "person_id" }) {
                refusal.refusal = .init(person: person, reason: "not theirs or does not exist", channel: channel)
            }
            throw refusal
        }
        return JSONResponse.make(answer, status: status)
    }

    /// Registers the person for the caller's organisation (or updates its registration):
    /// the same answer whether or not another party has registered them (SPEC §2).
    static func create(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "register participants", request)
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(.participants, body: body, person: nil, action: "create", status: .created, request, context, s, principal: principal)
    }

    /// Changes the caller's organisation's own registration; to an organisation that has not
    /// registered the person, they do not exist.
    static func update(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "change participants", request)
        let person = try context.personParameter(year: s.today.year)
        let own = principal.organisation
        guard try await s.store.hasRegistered(person, organisation: own) else {
            throw APIError.refused(person, channel: context.channel(request))
        }
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(.participants, body: body, person: person, action: "update", status: .ok, request, context, s, principal: principal)
    }

    static func record(_ kind: ImportKind, _ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "record \(kind.rawValue)", request)
        let person = try context.personParameter(year: s.today.year)
        let body = try await Body.bytes(request, limit: Limits.jsonBody)
        return try await write(kind, body: body, person: person, action: "record", status: .created, request, context, s, principal: principal)
    }

    /// SPEC §6: the participant as the caller may see them, `404` whether or not they exist
    /// otherwise. The read is in the audit log, naming every party whose records it showed,
    /// before the answer leaves.
    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "read participants", request)
        let person = try context.personParameter(year: s.today.year)
        let view = try await Reads.participant(principal, person, channel: context.channel(request), s)
        return JSONResponse.make(Documents.participant(view))
    }

    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "search participants", request)
        let query = request.uri.queryParameters
        var wanted: Personnummer?
        if let text = query.get("personId") {
            guard let parsed = try? Personnummer(text, currentYear: s.today.year) else {
                throw APIError.badRequest("personId is not a valid personnummer or samordningsnummer")
            }
            wanted = parsed
        }
        let person = wanted
        let name = query.get("name").map { String($0) }
        let limit = try intParameter(query.get("limit"), "limit", default: 50, range: 1...100)
        let offset = try intParameter(query.get("offset"), "offset", default: 0, range: 0...10_000_000)
        let today = s.today
        let viewer = principal.organisation
        let found = try await s.store.searchParticipants(visibleTo: viewer, person: person, name: name, on: today, limit: limit, offset: offset)
        let channel = context.channel(request)
        try await Reads.listed(principal, found.map { ($0.person, $0.parties) }, action: "search", channel: channel, s)
        let items = found.map { f -> JSONValue in
            .object([
                ("personId", .string(f.person.description)), ("givenName", f.merged.givenName.map { .string($0) } ?? .null),
                ("familyName", f.merged.familyName.map { .string($0) } ?? .null), ("municipality", .string(f.merged.municipality.description)),
                ("parties", .array(f.parties.map { .string($0.description) })),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items)), ("limit", .int(limit)), ("offset", .int(offset))]))
    }

    /// Who has looked at or changed the caller's organisation's records of this person, by
    /// anyone (other parties under consent included). It never lists another party's acts on
    /// that party's own records: that would tell the caller the other party holds the person.
    static func accessLog(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsParticipants, "read the access log", request)
        let person = try context.personParameter(year: s.today.year)
        let query = request.uri.queryParameters
        let after = try intParameter(query.get("after"), "after", default: 0, range: 0...Int.max)
        let limit = try intParameter(query.get("limit"), "limit", default: 100, range: 1...1000)
        let entries = try await Reads.accessLog(principal, person, after: Int64(after), limit: limit, channel: context.channel(request), s)
        return JSONResponse.make(.object([("items", .array(entries.map(AuditRoutes.document)))]))
    }

    /// Where registrations of one person disagree (issue 7): a count per attribute for
    /// everyone (an aggregate that names nobody), and the values, by party, for the people
    /// whose consent lets the coordinator see two registrations or more. Each person shown is
    /// a read of personal data, and audited as one.
    static func disagreements(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "read disagreements between registrations", request)
        let today = s.today
        let viewer = principal.organisation
        let (counts, visible) = try await s.store.disagreements(visibleTo: viewer, on: today)
        let channel = context.channel(request)
        var seen = Set<Personnummer>()
        var drafts: [AuditDraft] = []
        for d in visible where seen.insert(d.person).inserted {
            drafts.append(s.draft(principal, "read", person: d.person, channel: channel, detail: "disagreements", subjects: d.parties))
        }
        try await s.auditBuffer.record(drafts)
        return JSONResponse.make(
            .object([
                ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) })),
                (
                    "items",
                    .array(
                        visible.map { d in
                            .object([
                                ("personId", .string(d.person.description)), ("attribute", .string(d.attribute)),
                                (
                                    "values",
                                    .array(d.values.map { .object([("party", .string($0.party.description)), ("value", .string($0.value))]) })
                                ),
                            ])
                        })
                ),
            ]))
    }

    static func intParameter(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
