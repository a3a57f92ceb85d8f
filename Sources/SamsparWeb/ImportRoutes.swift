import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

// MARK: - Bulk imports

enum ImportRoutes {
    static func importFile(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "import records", request)
        guard let kind = ImportKind(rawValue: context.parameters.get("kind") ?? "") else {
            throw APIError.notFound("no such import; use participants, events, statuses or activities")
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("text/csv") {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "send the file as Content-Type: text/csv")
        }
        let bytes = try await Body.bytes(request, limit: Limits.importBody)
        let idempotency = try Idempotency(request, principal: principal, body: bytes)
        if let replay = try await idempotency?.replay(s) { return replay }
        let summary = try await run(kind, bytes: bytes, principal: principal, channel: context.channel(request), s, idempotency: idempotency)
        return JSONResponse.make(.object([("imported", .int(summary.rows))]))
    }

    /// One file for the caller's organisation, all or nothing (the API's and the import
    /// page's): the audit entry naming every person it touched commits with it; every person a
    /// row was refused for is a refused write, audited before the error leaves.
    static func run(
        _ kind: ImportKind, bytes: [UInt8], principal: Principal, channel: String, _ s: Services, idempotency: Idempotency? = nil,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportSummary {
        let now = s.now()
        do {
            return try await s.store.importFile(
                kind, from: .bytes(bytes, name: "body"), currentYear: s.today.year,
                scope: ImportScope(
                    organisation: principal.organisation.value, today: s.today,
                    audit: { s.draft(principal, "import", person: nil, channel: channel, detail: "\(kind.rawValue): \($0.rows) rows") }, now: now,
                    beforeCommit: { session, summary in
                        try await idempotency?.save(status: .ok, body: .object([("imported", .int(summary.rows))]), now: now, in: session)
                    }), progress: progress)
        } catch let error as ImportError {
            try await s.auditBuffer.record(
                error.refused.map { s.draft(principal, "refused", person: $0, channel: channel, detail: "not theirs or does not exist") })
            throw APIError.invalid("the file was not imported: nothing was written / filen lästes inte in", problems: error.problems)
        }
    }
}
