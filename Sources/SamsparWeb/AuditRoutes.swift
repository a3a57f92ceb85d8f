import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

// MARK: - Audit

enum AuditRoutes {
    static func document(_ e: AuditEntry) -> JSONValue {
        .object([
            ("seq", .int(Int(e.seq))), ("at", .string(e.at)), ("actor", .string(e.draft.actor)), ("role", .string(e.draft.role)),
            ("organisation", e.draft.organisation.map { .string($0.description) } ?? .null), ("action", .string(e.draft.action)),
            ("personId", e.draft.person.map { .string($0.description) } ?? .null), ("channel", .string(e.draft.channel)),
            ("detail", .string(e.draft.detail)), ("hash", .string(e.hash)),
            (
                "previous",
                .array(
                    e.previous.map {
                        .object([
                            ("personId", .string(Personnummer(storedValue: $0.registration.person).description)),
                            ("organisation", .string(Organisationsnummer(storedValue: $0.registration.org).description)),
                            ("before", jsonValue(parsing: $0.content)),
                        ])
                    })
            ),
        ])
    }

    /// A kept value's JSON text as a value of the answer (a string if it does not parse).
    static func jsonValue(parsing text: String) -> JSONValue {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return .string(text) }
        func convert(_ any: Any) -> JSONValue {
            switch any {
            case is NSNull: return .null
            case let s as String: return .string(s)
            case let i as Int: return .int(i)
            case let d as Double: return .double(d)
            case let b as Bool: return .bool(b)
            case let a as [Any]: return .array(a.map(convert))
            case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, convert(d[$0]!)) })
            default: return .string("\(any)")
            }
        }
        return convert(object)
    }

    /// The register extract of one person for the caller's own organisation (issue 23): the
    /// JSON of the page's `utdrag.json` and of `samspar extract`, made and audited by
    /// ``ExtractOperations/make(_:of:_:_:)``.
    static func extract(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ExtractOperations.Act.make.authorize(context.principal, on: context.channel(request))
        guard let text = request.uri.queryParameters.get("personId"), let person = try? Personnummer(text, currentYear: s.today.year) else {
            throw APIError.badRequest("personId must be a personnummer or samordningsnummer")
        }
        guard let own = caller.organisation else { throw APIError.unauthenticated }
        return JSONResponse.make(ExtractOperations.document(try await ExtractOperations.make(person, of: own, caller, s)))
    }

    /// The auditor's search of the log (``AuditOperations/search(_:_:_:)``).
    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AuditOperations.Act.search.authorize(context.principal, on: context.channel(request))
        let query = request.uri.queryParameters
        var q = AuditLog.Query()
        if let text = query.get("personId") {
            guard let person = try? Personnummer(text, currentYear: s.today.year) else { throw APIError.badRequest("personId is not valid") }
            q.person = person
        }
        if let text = query.get("organisation") {
            guard let org = try? Organisationsnummer(text) else { throw APIError.badRequest("organisation is not a valid organisationsnummer") }
            q.organisation = org
        }
        q.actor = query.get("actor").map { String($0) }
        q.action = query.get("action").map { String($0) }
        // `protected=true`: only entries that touched a registration the caller's organisation
        // marked protected (SPEC §2: every look at a protected person).
        var protectedOnly = false
        switch query.get("protected") {
        case nil, "false"?: break
        case "true"?: protectedOnly = true
        default: throw APIError.badRequest("protected must be true or false")
        }
        q.after = Int64(try QueryParameter.int(query.get("after"), "after", default: 0, range: 0...Int.max))
        q.limit = try QueryParameter.int(query.get("limit"), "limit", default: 100, range: 1...1000)
        let entries = try await AuditOperations.search(q, protectedOnly: protectedOnly, caller, s)
        return JSONResponse.make(.object([("items", .array(entries.map(document)))]))
    }

    static func verify(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AuditOperations.Act.verify.authorize(context.principal, on: context.channel(request))
        let result = try await AuditOperations.verify(caller, s)
        return JSONResponse.make(
            .object([("intact", .bool(result.problem == nil)), ("entries", .int(result.entries)), ("problem", result.problem.map { .string($0) } ?? .null)]))
    }
}
