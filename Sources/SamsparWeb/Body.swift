import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// A request's body, read with a limit and, for JSON, decoded with a message that names what is wrong.
enum Body {
    /// A JSON body must say so (issue 21, ASVS 13.1.5): a page of another site can send
    /// `text/plain` or a form's types without asking the browser's permission, and would
    /// otherwise sign a reader into an account of its choosing (login CSRF on
    /// `POST /api/v1/session`, which has no session to take a CSRF token from).
    static func requireJSON(_ request: Request) throws {
        let type = (request.headers[.contentType] ?? "").lowercased()
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard Mutant.flips("api.jsonContentType") || media == "application/json" else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as Content-Type: application/json / skicka JSON")
        }
    }

    /// The whole body, at most `limit` bytes: refused unread when its `Content-Length` says
    /// more, and as soon as it passes the limit otherwise.
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        try refuseDeclared(over: limit, request)
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch {
            throw framing(error)
        }
    }

    /// A JSON endpoint's body (1 MiB at most), which, when it is not empty, must be declared JSON.
    static func jsonBytes(_ request: Request) async throws -> [UInt8] {
        let body = try await bytes(request, limit: Limits.jsonBody)
        if !body.isEmpty { try requireJSON(request) }
        return body
    }

    static func json<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> (T, [UInt8]) {
        let bytes = try await bytes(request, limit: Limits.jsonBody)
        guard !bytes.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        try requireJSON(request)
        do {
            return (try JSONDecoder().decode(T.self, from: Data(bytes)), bytes)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes: \(ErrorMiddleware.describe(error))")
        }
    }
}
