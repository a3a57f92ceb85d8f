import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// A request's body, read with a limit and, for JSON, decoded with a message that names what is wrong.
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
