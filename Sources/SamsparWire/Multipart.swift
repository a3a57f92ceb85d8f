import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why bytes from outside were refused (`malformed`, the sender's fault: 400), or could not be
/// kept (`storage`, the server's: 500). The web layer says it as an HTTP answer.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case storage

    public var description: String {
        switch self {
        case .malformed(let reason): reason
        case .storage: "the upload could not be stored"
        }
    }
}

/// A body written to a private temporary file as it arrives (issue 20: uploads are read as a
/// stream, never held whole in memory): its path, size and line count. The file is the
/// caller's to ``remove()`` when it has been read.
public struct SpooledFile: Sendable {
    public let path: String
    public let size: Int
    /// Line breaks in it (the import job's progress counts rows against them).
    public let lineBreaks: Int

    public func remove() { unlink(path) }

    /// Uploads wait here: a directory of this process's own, readable by its user only,
    /// removed when the process exits (``ProcessDirectory``).
    public static let directory = ProcessDirectory.make("samspar-uploads")

    /// A new empty file (mode 0600, created exclusively) and its descriptor.
    static func create() throws -> (path: String, fd: Int32) {
        for _ in 0..<8 {
            let path = directory + "/" + UUID().uuidString + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return (path, fd) }
        }
        throw WireError.storage
    }
}

/// Writes bytes to a spooled file, counting them and their line breaks.
public struct SpoolWriter {
    public let path: String
    private let fd: Int32
    public private(set) var size = 0
    public private(set) var lineBreaks = 0
    private var closed = false

    public init() throws { (path, fd) = try SpooledFile.create() }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        lineBreaks += bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WireError.storage
            }
            offset += n
        }
        size += bytes.count
    }

    public mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Closes the file and hands it over.
    public mutating func finish() -> SpooledFile {
        if !closed { close(fd) }
        closed = true
        return SpooledFile(path: path, size: size, lineBreaks: lineBreaks)
    }

    /// Closes and removes the file (the body was refused).
    public mutating func discard() {
        if !closed { close(fd) }
        closed = true
        unlink(path)
    }
}

/// `multipart/form-data` (RFC 7578) read as it arrives: small fields into memory (64 KiB
/// each at most), each file part into a spooled file. The delimiter is found with
/// Knuth–Morris–Pratt, so the time is linear in the body whatever the boundary (issue 20:
/// a naive search took body × boundary); boundaries are 1–70 characters (RFC 2046).
public struct MultipartReader {
    public static let maxBoundary = 70
    public static let maxField = 64 << 10
    public static let maxPartHeaders = 8 << 10
    public static let maxParts = 16

    /// The boundary of a `multipart/form-data` Content-Type, checked against RFC 2046.
    public static func boundary(contentType: String) throws(WireError) -> String {
        guard
            let parameter = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") })
        else { throw WireError.malformed("multipart without a boundary") }
        var value = Substring(parameter.dropFirst("boundary=".count))
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
        guard (1...maxBoundary).contains(value.count), value.allSatisfy({ allowed.contains($0) }), value.last != " " else {
            throw WireError.malformed("a multipart boundary has 1 to 70 of the characters RFC 2046 allows")
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
    public private(set) var form = FormData()

    public init(boundary: String) {
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

    /// The form, once the closing delimiter has been read.
    public mutating func finish() throws -> FormData {
        guard case .epilogue = state else { throw WireError.malformed("the form's body is not multipart: it ends before its closing boundary") }
        return form
    }

    /// Removes every spooled file (the form was refused).
    public mutating func abandon() {
        if case .file(_, _, var writer) = sink { writer.discard() }
        sink = .none
        form.removeFiles()
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
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
                        throw WireError.malformed("the form's body is not multipart: a boundary is not followed by a line break")
                    }
                    parts += 1
                    guard parts <= Self.maxParts else { throw WireError.malformed("the form has more than \(Self.maxParts) parts") }
                    headerBytes.removeAll(keepingCapacity: true)
                    state = .headers
                } else if seen.count > 64 || !(seen.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } || seen == [45]) {
                    throw WireError.malformed("the form's body is not multipart: a boundary is not followed by a line break")
                } else {
                    state = .afterDelimiter(seen)
                }
            case .headers:
                headerBytes.append(bytes[i])
                i += 1
                guard headerBytes.count <= Self.maxPartHeaders else { throw WireError.malformed("a part's headers are longer than 8 KiB") }
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
            guard buffer.count + bytes.count <= Self.maxField else { throw WireError.malformed("a form field is longer than 64 KiB") }
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
