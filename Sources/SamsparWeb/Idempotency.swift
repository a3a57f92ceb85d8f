import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// `Idempotency-Key` (issue 4): a create sent again with the same key and the same body gets
/// the first answer back without doing anything twice; the same key with another body is an
/// error. Keys are per caller; the answer is stored in the write's own transaction.
public struct Idempotency: Sendable {
    let principal: String
    let key: String
    let fingerprint: String
    /// The status the route answers a done write with.
    let status: HTTPResponse.Status

    init?(_ request: Request, _ caller: Caller, body: [UInt8], status: HTTPResponse.Status) throws {
        var digest = Digest.Streaming()
        digest.update(Self.digestPrefix(request))
        digest.update(body)
        try self.init(request, caller, fingerprint: digest.hex(), status: status)
    }

    /// `fingerprint`: the SHA-256 of ``digestPrefix(_:)`` and the body, taken as the body
    /// arrived (a spooled import).
    init?(_ request: Request, _ caller: Caller, fingerprint: String, status: HTTPResponse.Status) throws {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], let principal = caller.principal else { return nil }
        guard !key.isEmpty, key.count <= 200 else { throw APIError.badRequest("Idempotency-Key must have 1 to 200 characters") }
        self.principal = principal.actor + "@" + principal.organisation.description
        self.key = key
        self.status = status
        self.fingerprint = fingerprint
    }

    /// What a request's fingerprint covers before its body: the method and the path.
    static func digestPrefix(_ request: Request) -> String { request.method.rawValue + " " + request.uri.path + "\n" }

    /// The stored answer to replay, if this key was used before.
    func replay(_ services: Services) async throws -> Response? {
        guard let stored = try await services.store.storedResponse(principal: principal, key: key) else {
            return nil
        }
        guard stored.fingerprint == fingerprint else {
            throw APIError(
                status: .unprocessableContent, code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with another request / nyckeln har använts för en annan begäran")
        }
        var response = JSONResponse.text(stored.body, contentType: "application/json; charset=utf-8", status: .init(code: stored.status))
        response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
        return response
    }

    /// Two requests with one key at once: the second is rolled back; sent again, it gets the
    /// first one's answer.
    static let concurrent = APIError.conflict("a request with this Idempotency-Key was handled at the same moment; send it again to get its answer")

    /// The answer to keep with the write, made from what it did (``IdempotentAnswer``).
    func answer<Result: Sendable>(_ body: @escaping @Sendable (Result) -> JSONValue) -> IdempotentAnswer<Result> {
        IdempotentAnswer(principal: principal, key: key, fingerprint: fingerprint, status: status.code) { body($0).serialized(pretty: false) }
    }
}
