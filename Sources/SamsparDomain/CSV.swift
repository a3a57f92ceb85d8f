/// One record of a CSV file: its fields as UTF-8 bytes, and the line it starts on
/// (the header is line 1). Reused between records so a file streams without allocating.
public struct CSVRecord: Sendable {
    public internal(set) var line = 0
    var bytes: [UInt8] = []
    var ends: [Int] = []

    public init() {
        bytes.reserveCapacity(512)
        ends.reserveCapacity(16)
    }

    public var count: Int { ends.count }

    public subscript(i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    /// A record made of one empty field: a blank line.
    var isBlank: Bool { ends.count == 1 && ends[0] == 0 }

    mutating func reset(line: Int) {
        self.line = line
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}

/// A problem with the shape of a CSV file itself (not with a value in it).
public struct CSVSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// A streaming CSV reader (SPEC §4): UTF-8 with or without a byte-order mark, `;` or `,`
/// (whichever the header uses; `;` wins when both appear), quoted fields with `""` for a
/// quote and line breaks inside quotes, LF or CRLF. It holds one chunk and one record in
/// memory, whatever the size of the file. Blank lines are skipped.
public struct CSVReader {
    /// A header is short (SPEC §4 names at most 11 columns): one with more columns than this,
    /// or longer than ``maxHeaderBytes``, is refused as one problem at once (issue 20), before
    /// the rest of it is read or a problem is made for each column.
    public static let maxHeaderColumns = 64
    public static let maxHeaderBytes = 64 << 10

    public private(set) var separator: UInt8 = UInt8(ascii: ";")
    private var readingHeader = true
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var started = false
    private var nextLine = 1
    private let refill: () throws -> [UInt8]?

    /// `refill` returns the next chunk of the file, or `nil` at its end.
    public init(refill: @escaping () throws -> [UInt8]?) {
        self.refill = refill
    }

    /// Reads the whole of an in-memory text (tests, HTTP bodies).
    public init(bytes: [UInt8]) {
        var given = false
        self.init(refill: {
            if given { return nil }
            given = true
            return bytes
        })
    }

    private mutating func fill() throws -> Bool {
        guard !atEnd else { return false }
        while true {
            guard let chunk = try refill() else {
                atEnd = true
                return false
            }
            if !chunk.isEmpty {
                buffer = chunk
                position = 0
                return true
            }
        }
    }

    /// Strips the byte-order mark and picks the separator from the first line.
    private mutating func start() throws {
        started = true
        guard try fill() else { return }
        // Gather the first line (a header is short; ensure it is all in the buffer, up to the
        // header's limit: a longer one is refused when it is read).
        while !buffer.contains(UInt8(ascii: "\n")), !atEnd, buffer.count <= Self.maxHeaderBytes + 3 {
            let saved = buffer
            if try fill() { buffer = saved + buffer } else { buffer = saved }
        }
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        let lineEnd = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) ?? buffer.endIndex
        let header = buffer[position..<lineEnd]
        if !header.contains(UInt8(ascii: ";")) && header.contains(UInt8(ascii: ",")) { separator = UInt8(ascii: ",") }
    }

    /// Reads the next non-blank record into `record`; `false` at the end of the file.
    public mutating func next(into record: inout CSVRecord) throws -> Bool {
        if !started { try start() }
        while true {
            guard try readRecord(into: &record) else { return false }
            if !record.isBlank {
                readingHeader = false
                return true
            }
        }
    }

    /// The header's column limit, checked as each of its fields ends.
    private func checkHeader(_ record: CSVRecord) throws {
        guard readingHeader else { return }
        if record.ends.count > Self.maxHeaderColumns {
            throw CSVSyntaxError(
                line: record.line, reason: "the header has more than \(Self.maxHeaderColumns) columns; the file was not read further")
        }
    }

    /// The header's bytes so far (its line breaks not counted).
    private var headerLength = 0

    private mutating func readRecord(into record: inout CSVRecord) throws -> Bool {
        if position >= buffer.count, !(try fill()) { return false }
        record.reset(line: nextLine)
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let sep = separator
        var inQuotes = false
        var afterQuote = false  // just saw a quote inside a quoted field
        var fieldStartedQuoted = false
        var fieldLength = 0
        while true {
            if position >= buffer.count {
                guard try fill() else {
                    if inQuotes && !afterQuote {
                        throw CSVSyntaxError(line: record.line, reason: "a quoted field is not closed before the end of the file")
                    }
                    record.ends.append(record.bytes.count)
                    if readingHeader { try checkHeader(record) }
                    return true
                }
            }
            let c = buffer[position]
            position += 1
            if readingHeader && c != 10 && c != 13 {
                headerLength += 1
                if headerLength > Self.maxHeaderBytes {
                    throw CSVSyntaxError(
                        line: record.line, reason: "the header is longer than 64 KiB (\(Self.maxHeaderBytes) bytes); the file was not read further")
                }
            }
            if inQuotes {
                if afterQuote {
                    afterQuote = false
                    if c == quote {  // "" is a quote
                        record.bytes.append(quote)
                        continue
                    }
                    inQuotes = false  // the quote closed the field; fall through to handle c
                } else if c == quote {
                    afterQuote = true
                    continue
                } else {
                    if c == lf { nextLine += 1 }
                    record.bytes.append(c)
                    continue
                }
            }
            if c == sep {
                record.ends.append(record.bytes.count)
                fieldStartedQuoted = false
                fieldLength = 0
                if readingHeader { try checkHeader(record) }
            } else if c == lf {
                nextLine += 1
                if record.bytes.last == cr && !fieldStartedQuoted && fieldLength > 0 { record.bytes.removeLast() }
                record.ends.append(record.bytes.count)
                if readingHeader { try checkHeader(record) }
                return true
            } else if c == quote && fieldLength == 0 && !fieldStartedQuoted {
                inQuotes = true
                fieldStartedQuoted = true
            } else if fieldStartedQuoted {
                if c == cr { continue }  // CRLF after a closing quote
                throw CSVSyntaxError(line: record.line, reason: "unexpected text after a closing quote in field \(record.ends.count + 1)")
            } else {
                record.bytes.append(c)
                fieldLength += 1
            }
        }
    }
}

/// Writes one `;`-separated line of a bulk file (SPEC §4): a cell is quoted when it holds
/// a separator, a quote or a line break; `nil` is an empty cell.
public enum CSVLine {
    public static func format(_ cells: [String?]) -> String {
        cells.map { cell in
            guard let cell else { return "" }
            return cell.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "," })
                ? "\"" + cell.replacing("\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ";")
    }
}
