import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The API's bulk import: parses the request, asks ``ParticipantOperations``, renders.
enum ImportRoutes {
    static func importFile(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try ParticipantOperations.Act.importFile.authorize(context.principal, on: context.channel(request))
        let kind = try context.parameter(.importKind)
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("text/csv") {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "send the file as Content-Type: text/csv")
        }
        let bytes = try await Body.bytes(request, limit: Limits.importBody)
        let idempotency = try Idempotency(request, caller, body: bytes, status: .ok)
        if let replay = try await idempotency?.replay(s) { return replay }
        let summary = try await ParticipantOperations.importFile(kind, from: .bytes(bytes, name: "body"), idempotency: idempotency, caller, s)
        return JSONResponse.make(.object([("imported", .int(summary.rows))]))
    }
}
