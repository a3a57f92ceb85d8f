import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamsparDomain
import SamsparStore

#if canImport(Glibc)
    import Glibc
#endif

/// A body written to a private temporary file as it arrives (issue 20: uploads are read as a
/// stream, never held whole in memory): its path, size and line count. The file is the
/// caller's to ``remove()`` when it has been read.
struct SpooledFile: Sendable {
    let path: String
    let size: Int
    /// Line breaks in it (the import job's progress counts rows against them).
    let lineBreaks: Int

    func remove() { unlink(path) }

    /// Uploads wait here: a directory of this process's own, readable by its user only.
    static let directory: String = {
        let path = NSTemporaryDirectory() + "samspar-uploads-\(getpid())"
        mkdir(path, 0o700)
        return path
    }()

    /// A new empty file (mode 0600, created exclusively) and its descriptor.
    static func create() throws -> (path: String, fd: Int32) {
        for _ in 0..<8 {
            let path = directory + "/" + Services.newSecret()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return (path, fd) }
        }
        throw APIError(status: .internalServerError, code: "internal", message: "the upload could not be stored / uppladdningen kunde inte sparas")
    }
}

/// Writes bytes to a spooled file, counting them and their line breaks.
struct SpoolWriter {
    let path: String
    private let fd: Int32
    private(set) var size = 0
    private(set) var lineBreaks = 0
    private var closed = false

    init() throws { (path, fd) = try SpooledFile.create() }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        lineBreaks += bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw APIError(status: .internalServerError, code: "internal", message: "the upload could not be stored / uppladdningen kunde inte sparas")
            }
            offset += n
        }
        size += bytes.count
    }

    mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Closes the file and hands it over.
    mutating func finish() -> SpooledFile {
        if !closed { close(fd) }
        closed = true
        return SpooledFile(path: path, size: size, lineBreaks: lineBreaks)
    }

    /// Closes and removes the file (the body was refused).
    mutating func discard() {
        if !closed { close(fd) }
        closed = true
        unlink(path)
    }
}

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

/// `multipart/form-data` (RFC 7578) read as it arrives: small fields into memory (64 KiB
/// each at most), each file part into a spooled file. The delimiter is found with
/// Knuth–Morris–Pratt, so the time is linear in the body whatever the boundary (issue 20:
/// a naive search took body × boundary); boundaries are 1–70 characters (RFC 2046).
struct MultipartReader {
    static let maxBoundary = 70
    static let maxField = 64 << 10
    static let maxPartHeaders = 8 << 10
    static let maxParts = 16

    /// The boundary of a `multipart/form-data` Content-Type, checked against RFC 2046.
    static func boundary(contentType: String) throws -> String {
        guard
            let parameter = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") })
        else { throw APIError.badRequest("multipart without a boundary") }
        var value = Substring(parameter.dropFirst("boundary=".count))
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
        guard (1...maxBoundary).contains(value.count), value.allSatisfy({ allowed.contains($0) }), value.last != " " else {
            throw APIError.badRequest("a multipart boundary has 1 to 70 of the characters RFC 2046 allows")
        }
        return String(value)
    }

    private enum State {
        case preamble
        /// Just after a delimiter: `--` ends the body, spaces then CRLF start a part.
        case afterDelimiter([UInt8])
        case headers
        case content
        case epilogue
    }

    private enum Sink {
        case none
        case field(name: String, bytes: [UInt8])
        case file(name: String, filename: String, writer: SpoolWriter)
    }

    private let delimiter: [UInt8]
    private let fallback: [Int]
    private var matched = 0
    private var state = State.preamble
    private var headerBytes: [UInt8] = []
    private var sink = Sink.none
    private var parts = 0
    private(set) var form = FormData()

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The KMP failure table: for each prefix, the longest proper prefix that is also its suffix.
        var table = [Int](repeating: 0, count: delimiter.count)
        var k = 0
        for i in 1..<delimiter.count {
            while k > 0 && delimiter[i] != delimiter[k] { k = table[k - 1] }
            if delimiter[i] == delimiter[k] { k += 1 }
            table[i] = k
        }
        fallback = table
        // The body opens with the delimiter without its CRLF: read as if the CRLF came first.
        matched = 2
    }

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

    /// The form, once the closing delimiter has been read.
    mutating func finish() throws -> FormData {
        guard case .epilogue = state else { throw APIError.badRequest("the form's body is not multipart: it ends before its closing boundary") }
        return form
    }

    /// Removes every spooled file (the form was refused).
    mutating func abandon() {
        if case .file(_, _, var writer) = sink { writer.discard() }
        sink = .none
        form.removeFiles()
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .preamble, .content:
                // Fast path: no delimiter is under way, so everything before the next CR is content.
                if matched == 0 {
                    let rest = UnsafeRawBufferPointer(rebasing: bytes[i...])
                    let cr = rest.firstIndex(of: 13).map { $0 - rest.startIndex } ?? rest.count
                    if cr > 0 {
                        try emit(UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<(rest.startIndex + cr)]))
                        i += cr
                        continue
                    }
                }
                let c = bytes[i]
                i += 1
                while matched > 0 && delimiter[matched] != c {
                    let back = fallback[matched - 1]
                    try emitDelimiterPrefix(matched - back)
                    matched = back
                }
                if delimiter[matched] == c {
                    matched += 1
                    if matched == delimiter.count {
                        matched = 0
                        try endPart()
                        state = .afterDelimiter([])
                    }
                } else {
                    try emit(byte: c)
                }
            case .afterDelimiter(var seen):
                let c = bytes[i]
                i += 1
                seen.append(c)
                if seen == [45, 45] {  // "--": the closing delimiter
                    state = .epilogue
                } else if seen.last == 10 {
                    guard seen.count >= 2, seen[seen.count - 2] == 13, seen.dropLast(2).allSatisfy({ $0 == 32 || $0 == 9 }) else {
                        throw APIError.badRequest("the form's body is not multipart: a boundary is not followed by a line break")
                    }
                    parts += 1
                    guard parts <= Self.maxParts else { throw APIError.badRequest("the form has more than \(Self.maxParts) parts") }
                    headerBytes.removeAll(keepingCapacity: true)
                    state = .headers
                } else if seen.count > 64 || !(seen.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } || seen == [45]) {
                    throw APIError.badRequest("the form's body is not multipart: a boundary is not followed by a line break")
                } else {
                    state = .afterDelimiter(seen)
                }
            case .headers:
                headerBytes.append(bytes[i])
                i += 1
                guard headerBytes.count <= Self.maxPartHeaders else { throw APIError.badRequest("a part's headers are longer than 8 KiB") }
                if headerBytes.count >= 4, headerBytes.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    try startPart()
                    state = .content
                } else if headerBytes == [13, 10] {
                    // A part without headers: it has no name, and is skipped.
                    sink = .none
                    state = .content
                }
            case .epilogue:
                return
            }
        }
    }

    private mutating func startPart() throws {
        let headers = String(decoding: headerBytes.dropLast(4), as: UTF8.self)
        sink = .none
        guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition") }) else { return }
        func attribute(_ name: String) -> String? {
            guard let range = disposition.range(of: " \(name)=\"") ?? disposition.range(of: ";\(name)=\"") else { return nil }
            let rest = disposition[range.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
        guard let name = attribute("name") else { return }
        if let filename = attribute("filename") {
            sink = .file(name: name, filename: filename, writer: try SpoolWriter())
        } else {
            sink = .field(name: name, bytes: [])
        }
    }

    private mutating func endPart() throws {
        switch sink {
        case .none: break
        case .field(let name, let bytes): form.fields[name] = String(decoding: bytes, as: UTF8.self)
        case .file(let name, let filename, var writer):
            let file = writer.finish()
            if let earlier = form.files[name] { earlier.file.remove() }
            form.files[name] = (filename, file)
        }
        sink = .none
    }

    private mutating func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard case .content = state else { return }
        switch sink {
        case .none: break
        case .field(let name, var buffer):
            guard buffer.count + bytes.count <= Self.maxField else { throw APIError.badRequest("a form field is longer than 64 KiB") }
            sink = .none
            buffer.append(contentsOf: bytes)
            sink = .field(name: name, bytes: buffer)
        case .file(let name, let filename, var writer):
            sink = .none
            defer { sink = .file(name: name, filename: filename, writer: writer) }
            try writer.write(bytes)
        }
    }

    private mutating func emit(byte: UInt8) throws {
        try withUnsafeBytes(of: byte) { try emit($0) }
    }

    private mutating func emitDelimiterPrefix(_ count: Int) throws {
        let prefix = delimiter[0..<count]
        try prefix.withUnsafeBytes { try emit($0) }
    }
}
