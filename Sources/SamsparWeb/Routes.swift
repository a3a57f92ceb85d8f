import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// The JSON API under `/api/v1` (SPEC §6 and issue 4). Every route is registered through
/// ``API/add(_:_:_:)``, which also records it in ``API/routes`` so a test can hold the
/// OpenAPI document to exactly this list.
struct API {
    let services: Services
    let router: Router<AppContext>
    private(set) var routes: [(method: HTTPRequest.Method, path: String)] = []

    typealias Handler = @Sendable (Request, AppContext) async throws -> Response

    mutating func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path))
        router.on(RouterPath(path), method: method, use: handler)
    }

    mutating func registerAll() {
        let s = services
        add(.post, "/api/v1/session") { try await SessionRoutes.signIn($0, $1, s) }
        add(.get, "/api/v1/session") { try await SessionRoutes.current($0, $1, s) }
        add(.delete, "/api/v1/session") { try await SessionRoutes.signOut($0, $1, s) }

        add(.get, "/api/v1/agreements") { try await AgreementRoutes.list($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}") { try await AgreementRoutes.get($0, $1, s) }
        add(.put, "/api/v1/agreements/{id}") { try await AgreementRoutes.put($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/report") { try await AgreementRoutes.report($0, $1, s) }
        add(.put, "/api/v1/agreements/{id}/draft") { try await AgreementLifeRoutes.putDraft($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/check") { try await AgreementLifeRoutes.check($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/signatures") { try await AgreementLifeRoutes.sign($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/revisions") { try await AgreementLifeRoutes.revise($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/termination") { try await AgreementLifeRoutes.terminate($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/document") { try await AgreementRoutes.document($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/published") { try await AgreementRoutes.publications($0, $1, s) }
        add(.post, "/api/v1/agreements/{id}/published") { try await AgreementRoutes.publish($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/published/{publicationId}") { try await AgreementRoutes.publication($0, $1, s) }

        add(.get, "/api/v1/participants") { try await ParticipantRoutes.search($0, $1, s) }
        add(.post, "/api/v1/participants") { try await ParticipantRoutes.create($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}") { try await ParticipantRoutes.get($0, $1, s) }
        add(.put, "/api/v1/participants/{personId}") { try await ParticipantRoutes.update($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/events") { try await ParticipantRoutes.record(.events, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/statuses") { try await ParticipantRoutes.record(.statuses, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/activities") { try await ParticipantRoutes.record(.activities, $0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.list($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.give($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents/{consentId}/withdraw") { try await ConsentRoutes.withdraw($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/access-log") { try await ParticipantRoutes.accessLog($0, $1, s) }

        add(.post, "/api/v1/imports/{kind}") { try await ImportRoutes.importFile($0, $1, s) }

        add(.get, "/api/v1/audit") { try await AuditRoutes.search($0, $1, s) }
        add(.get, "/api/v1/audit/verify") { try await AuditRoutes.verify($0, $1, s) }

        add(.get, "/api/v1/disagreements") { try await ParticipantRoutes.disagreements($0, $1, s) }

        add(.get, "/api/v1/users") { try await AccountRoutes.users($0, $1, s) }
        add(.post, "/api/v1/users") { try await AccountRoutes.addUser($0, $1, s) }
        add(.post, "/api/v1/users/{userId}/disable") { try await AccountRoutes.setDisabled(true, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/enable") { try await AccountRoutes.setDisabled(false, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/password") { try await AccountRoutes.resetPassword($0, $1, s) }
        add(.get, "/api/v1/tokens") { try await AccountRoutes.tokens($0, $1, s) }
        add(.post, "/api/v1/tokens") { try await AccountRoutes.createToken($0, $1, s) }
        add(.delete, "/api/v1/tokens/{tokenId}") { try await AccountRoutes.revokeToken($0, $1, s) }
    }
}

// MARK: - Shared helpers

enum Body {
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the body is larger than \(limit / (1 << 20)) MiB")
        }
    }

    static func json<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> (T, [UInt8]) {
        let bytes = try await bytes(request, limit: Limits.jsonBody)
        guard !bytes.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        do {
            return (try JSONDecoder().decode(T.self, from: Data(bytes)), bytes)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes: \(ErrorMiddleware.describe(error))")
        }
    }
}

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
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], let principal = caller.principal else { return nil }
        guard !key.isEmpty, key.count <= 200 else { throw APIError.badRequest("Idempotency-Key must have 1 to 200 characters") }
        self.principal = principal.actor + "@" + principal.organisation.description
        self.key = key
        self.status = status
        self.fingerprint = Registry.digest(request.method.rawValue + " " + request.uri.path + "\n" + String(decoding: body, as: UTF8.self))
    }

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

    /// The answer to keep with the write, made from what it did (``IdempotentAnswer``).
    func answer<Result: Sendable>(_ body: @escaping @Sendable (Result) -> JSONValue) -> IdempotentAnswer<Result> {
        IdempotentAnswer(principal: principal, key: key, fingerprint: fingerprint, status: status.code) { body($0).serialized(pretty: false) }
    }
}
