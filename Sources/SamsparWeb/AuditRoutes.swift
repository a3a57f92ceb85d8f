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
        ])
    }

    /// An auditor sees the acts of their own organisation's users and tokens and every act on
    /// their organisation's records; their own searches are in the log too.
    static func search(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsAuditLog, "read the audit log", request)
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
        q.after = Int64(try ParticipantRoutes.intParameter(query.get("after"), "after", default: 0, range: 0...Int.max))
        q.limit = try ParticipantRoutes.intParameter(query.get("limit"), "limit", default: 100, range: 1...1000)
        q.visibleTo = principal.organisation
        let entries = try await searched(q, principal, channel: context.channel(request), s)
        return JSONResponse.make(.object([("items", .array(entries.map(document)))]))
    }

    static func verify(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.readsAuditLog, "verify the audit log", request)
        let result = try await verified(principal, channel: context.channel(request), s)
        return JSONResponse.make(
            .object([("intact", .bool(result.problem == nil)), ("entries", .int(result.entries)), ("problem", result.problem.map { .string($0) } ?? .null)]))
    }

    /// The auditor's search (the API's and the page's): the entries, and in the log the
    /// search itself with each person it showed.
    static func searched(_ q: AuditLog.Query, _ principal: Principal, channel: String, _ s: Services) async throws -> [AuditEntry] {
        var q = q
        q.visibleTo = principal.organisation
        let entries = try await s.store.searchAudit(q)
        var drafts = [s.draft(principal, "audit-search", person: q.person, channel: channel, detail: "\(entries.count) entries")]
        for person in Set(entries.compactMap(\.draft.person)).sorted() {
            drafts.append(s.draft(principal, "audit-read", person: person, channel: channel))
        }
        try await s.auditBuffer.record(drafts)
        return entries
    }

    static func verified(_ principal: Principal, channel: String, _ s: Services) async throws -> AuditLog.Verification {
        let result = try await s.store.verifyAudit()
        try await s.auditBuffer.record([s.draft(principal, "audit-verify", person: nil, channel: channel)])
        return result
    }
}
