import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The API's participant routes: each parses the request, asks ``ParticipantOperations``, and
/// renders its answer.
enum ParticipantRoutes {
    /// Registers the person for the caller's organisation (or updates its registration):
    /// the same answer whether or not another party has registered them (SPEC §2).
    static func create(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.register.authorize(context.principal, on: context.channel(request))
        let body = try await Body.jsonBytes(request)
        let record = try ParticipantOperations.record(.participants, body: body, person: nil, s)
        let idempotency = try Idempotency(request, caller, body: body, status: .created)
        if let replay = try await idempotency?.replay(s) { return replay }
        let answer = try await ParticipantOperations.write(record, action: "create", idempotency: idempotency, caller, s)
        return JSONResponse.make(answer, status: .created)
    }

    /// Changes the caller's organisation's own registration; to an organisation that has not
    /// registered the person, they do not exist.
    static func update(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.change.authorize(context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let person = try context.parameter(.person)
        try await ParticipantOperations.mayChange(person, caller, s)
        let body = try await Body.jsonBytes(request)
        let record = try ParticipantOperations.record(.participants, body: body, person: person, s)
        let idempotency = try Idempotency(request, caller, body: body, status: .ok)
        if let replay = try await idempotency?.replay(s) { return replay }
        let answer = try await ParticipantOperations.write(record, action: "update", idempotency: idempotency, caller, s)
        return JSONResponse.make(answer, status: .ok)
    }

    static func record(_ kind: ImportKind, _ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.record(kind).authorize(
            context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let person = try context.parameter(.person)
        let body = try await Body.jsonBytes(request)
        let record = try ParticipantOperations.record(kind, body: body, person: person, s)
        let idempotency = try Idempotency(request, caller, body: body, status: .created)
        if let replay = try await idempotency?.replay(s) { return replay }
        let answer = try await ParticipantOperations.write(record, action: "record", idempotency: idempotency, caller, s)
        return JSONResponse.make(answer, status: .created)
    }

    /// SPEC §6: the participant as the caller may see them, `404` whether or not they exist
    /// otherwise. The read is in the audit log before the answer leaves.
    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.read.authorize(context.principal, on: context.channel(request), person: try? context.parameter(.person))
        // `reason`: why a person looks at their own organisation's protected person (SPEC §2);
        // a token needs none.
        let reason = request.uri.queryParameters.get("reason").map { String($0) }
        if let reason, reason.count > 500 { throw APIError.badRequest("reason must be at most 500 characters") }
        let view = try await ParticipantOperations.read(try context.parameter(.person), reason: reason, caller, s)
        return JSONResponse.make(Documents.participant(view))
    }

    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.search.authorize(context.principal, on: context.channel(request))
        let query = request.uri.queryParameters
        var person: Personnummer?
        if let text = query.get("personId") {
            guard let parsed = try? Personnummer(text, currentYear: s.today.year) else {
                throw APIError.badRequest("personId is not a valid personnummer or samordningsnummer")
            }
            person = parsed
        }
        let name = query.get("name").map { String($0) }
        let limit = try QueryParameter.int(query.get("limit"), "limit", default: 50, range: 1...100)
        let offset = try QueryParameter.int(query.get("offset"), "offset", default: 0, range: 0...10_000_000)
        let found = try await ParticipantOperations.search(person: person, name: name, limit: limit, offset: offset, caller, s)
        // A person the caller's own organisation protected, found without their number, is
        // listed without it (SPEC §2): only "protected" says that someone is there.
        let items = found.map { f -> JSONValue in
            .object([
                ("personId", f.identityHidden && person == nil ? .null : .string(f.person.description)),
                ("givenName", f.merged.givenName.map { .string($0) } ?? .null), ("familyName", f.merged.familyName.map { .string($0) } ?? .null),
                ("municipality", f.merged.municipality == .withheld ? .null : .string(f.merged.municipality.description)),
                ("parties", .array(f.parties.map { .string($0.description) })), ("identityHidden", .bool(f.identityHidden)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items)), ("limit", .int(limit)), ("offset", .int(offset))]))
    }

    /// Who has looked at or changed the caller's organisation's records of this person.
    static func accessLog(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.readAccessLog.authorize(
            context.principal, on: context.channel(request), person: try? context.parameter(.person))
        let person = try context.parameter(.person)
        let query = request.uri.queryParameters
        let after = try QueryParameter.int(query.get("after"), "after", default: 0, range: 0...Int.max)
        let limit = try QueryParameter.int(query.get("limit"), "limit", default: 100, range: 1...1000)
        let entries = try await ParticipantOperations.accessLog(person, after: Int64(after), limit: limit, caller, s)
        return JSONResponse.make(.object([("items", .array(entries.map(AuditRoutes.document)))]))
    }

    /// Where registrations of one person disagree (issue 7), for a coordinator.
    static func disagreements(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.readDisagreements.authorize(context.principal, on: context.channel(request))
        let (counts, visible) = try await ParticipantOperations.disagreements(caller, s)
        return JSONResponse.make(
            .object([
                ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) })),
                (
                    "items",
                    .array(
                        visible.map { d in
                            .object([
                                ("personId", d.identityHidden ? .null : .string(d.person.description)), ("attribute", .string(d.attribute)),
                                (
                                    "values",
                                    .array(d.values.map { .object([("party", .string($0.party.description)), ("value", .string($0.value))]) })
                                ),
                            ])
                        })
                ),
            ]))
    }
}

/// A query string's numbers, checked against their range.
enum QueryParameter {
    static func int(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
