import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// A request's body, read with a limit and, for JSON, decoded with a message that names what is wrong.
enum Body {
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
