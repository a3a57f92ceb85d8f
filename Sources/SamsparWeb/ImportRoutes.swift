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
        // Read as a stream into a spooled file (issue 20), fingerprinted as it arrives.
        let (file, digest) = try await Body.spool(request, limit: Limits.importBody, digestPrefix: Idempotency.digestPrefix(request))
        defer { file.remove() }
        let idempotency = try Idempotency(request, caller, fingerprint: digest, status: .ok)
        if let replay = try await idempotency?.replay(s) { return replay }
        let summary = try await ParticipantOperations.importFile(kind, from: .file(path: file.path), idempotency: idempotency, caller, s)
        return JSONResponse.make(.object([("imported", .int(summary.rows))]))
    }
}
