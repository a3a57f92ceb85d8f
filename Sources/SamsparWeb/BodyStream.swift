import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamsparDomain
import SamsparStore
import SamsparWire

extension Body {
    /// A body larger than its route takes is refused from its `Content-Length` before a byte
    /// of it is read (issue 20); a body without one is refused when it passes the limit.
    static func refuseDeclared(over limit: Int, _ request: Request) throws {
        guard let declared = request.headers[.contentLength] else { return }
        guard let length = Int(declared), length >= 0 else { throw APIError.badRequest("the Content-Length header is not a length") }
        if length > limit { throw tooLarge(limit) }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "too_large", message: "the body is larger than \(limit / (1 << 20)) MiB / för stor")
    }

    /// An error while the body arrives that is not ours is the request's framing (a malformed
    /// chunk, a body cut short): the client's fault, answered 400, never 500 (issue 20).
    static func framing(_ error: any Error) -> any Error {
        if error is APIError || error is CancellationError { return error }
        if let wire = error as? WireError { return wire.apiError }
        return APIError.badRequest("the request's body is not framed as HTTP/1.1 says (chunks, Content-Length) / felaktig begäran")
    }

    /// The body into a spooled file, at most `limit` bytes, with the SHA-256 of `prefix` and the
    /// body (the idempotency fingerprint of an import).
    static func spool(_ request: Request, limit: Int, digestPrefix: String) async throws -> (file: SpooledFile, digest: String) {
        try refuseDeclared(over: limit, request)
        var writer = try SpoolWriter()
        var digest = Digest.Streaming()
        digest.update(digestPrefix)
        do {
            for try await buffer in request.body {
                if writer.size + buffer.readableBytes > limit { throw tooLarge(limit) }
                try buffer.withUnsafeReadableBytes { bytes in
                    digest.update(bytes)
                    try writer.write(bytes)
                }
            }
        } catch {
            writer.discard()
            throw framing(error)
        }
        return (writer.finish(), digest.hex())
    }
}

extension MultipartReader {
    /// Reads a whole request body (at most `limit` bytes). Spooled files of a refused body are removed.
    static func read(_ body: RequestBody, boundary: String, limit: Int) async throws -> FormData {
        var reader = MultipartReader(boundary: boundary)
        var total = 0
        do {
            for try await buffer in body {
                total += buffer.readableBytes
                if total > limit { throw Body.tooLarge(limit) }
                try buffer.withUnsafeReadableBytes { try reader.feed($0) }
            }
            return try reader.finish()
        } catch {
            reader.abandon()
            throw Body.framing(error)
        }
    }
}

extension WireError {
    /// The refusal as the API and the pages answer it.
    var apiError: APIError {
        switch self {
        case .malformed(let reason): APIError.badRequest(reason)
        case .storage: APIError(status: .internalServerError, code: "internal", message: "the upload could not be stored / uppladdningen kunde inte sparas")
        }
    }
}
