import Foundation
import SamsparWire
import Testing

@testable import SamsparWeb

/// Issue 20, part 2: the import form's body read as it arrives, whatever the chunks, with
/// the boundary's length as RFC 2046 allows. Expected values by hand.
@Suite struct MultipartReaderTests {
    static let csv = "person_id;municipality\r\n199001012385;0136\r\n"
    static let body =
        "preamble, ignored\r\n--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"kind\"\r\n\r\nparticipants\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        + csv + "\r\n"
        // A line that begins like the delimiter but is not one stays in the field.
        + "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\r\n--XyA--XyZ-\r\n"
        + "--XyZ--\r\nepilogue, ignored"

    private func parse(_ body: [UInt8], boundary: String, cuts: [Int]) throws -> FormData {
        var reader = MultipartReader(boundary: boundary)
        var start = 0
        for cut in cuts + [body.count] where cut >= start {
            try body[start..<cut].withUnsafeBytes { try reader.feed($0) }
            start = cut
        }
        return try reader.finish()
    }

    private func contents(_ file: SpooledFile) -> String {
        String(decoding: FileManager.default.contents(atPath: file.path) ?? Data(), as: UTF8.self)
    }

    /// Cut into two pieces at every position, and into single bytes: the same form each time.
    @Test func theSameFormWhereverTheChunksEnd() throws {
        let bytes = Array(Self.body.utf8)
        var cutsList: [[Int]] = (0...bytes.count).map { [$0] }
        cutsList.append(Array(0...bytes.count))
        for cuts in cutsList {
            let form = try parse(bytes, boundary: "XyZ", cuts: cuts)
            defer { form.removeFiles() }
            #expect(form.fields == ["kind": "participants", "note": "\r\n--XyA--XyZ-"], "cut at \(cuts.prefix(3))")
            let file = try #require(form.files["file"])
            #expect(file.name == "a.csv")
            #expect(contents(file.file) == Self.csv)
            #expect(file.file.size == 43 && file.file.lineBreaks == 2)
        }
    }

    /// The worst case of a naive search: the content is made of almost-delimiters.
    @Test func almostDelimitersAreContent() throws {
        let boundary = String(repeating: "-", count: 69) + "x"
        let almost = "\r\n--" + String(repeating: "-", count: 69) + "y"
        let content = String(repeating: almost, count: 50)
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n\(content)\r\n--\(boundary)--\r\n"
        let form = try parse(Array(body.utf8), boundary: boundary, cuts: [1000, 1001, 2500])
        defer { form.removeFiles() }
        #expect(contents(try #require(form.files["file"]).file) == content)
    }

    @Test func boundariesOfOneToSeventyCharacters() throws {
        #expect(try MultipartReader.boundary(contentType: "multipart/form-data; boundary=B") == "B")
        #expect(try MultipartReader.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        let seventy = String(repeating: "7", count: 70)
        #expect(try MultipartReader.boundary(contentType: "multipart/form-data; boundary=\(seventy)") == seventy)
        for bad in ["", "\"\"", String(repeating: "7", count: 71), String(repeating: "z", count: 10_000), "a<b", "\"ends in space \""] {
            #expect(throws: WireError.self, "boundary '\(bad.prefix(20))'") {
                try MultipartReader.boundary(contentType: "multipart/form-data; boundary=\(bad)")
            }
        }
        #expect(throws: WireError.self) { try MultipartReader.boundary(contentType: "multipart/form-data") }
    }

    @Test func aBodyWithoutItsClosingBoundaryIsRefusedAndLeavesNoFile() throws {
        let body = Array(
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nabc\r\n--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n".utf8)
        var reader = MultipartReader(boundary: "B")
        try body.withUnsafeBytes { try reader.feed($0) }
        let spooled = try #require(reader.form.files["file"]).file.path
        #expect(FileManager.default.fileExists(atPath: spooled))
        #expect(throws: WireError.self) { try reader.finish() }
        reader.abandon()
        #expect(!FileManager.default.fileExists(atPath: spooled))
    }

    @Test func aFieldLongerThan64KiBIsRefused() throws {
        let body = Array(("--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + String(repeating: "v", count: 65_537) + "\r\n--B--").utf8)
        var reader = MultipartReader(boundary: "B")
        #expect(throws: WireError.self) { try body.withUnsafeBytes { try reader.feed($0) } }
    }
}
