import Testing

@testable import SamsparDomain

/// SPEC §4: the CSV reader of the bulk files.
@Suite("CSV (SPEC §4)")
struct CSVTests {
    private func read(_ text: String) throws -> [(line: Int, fields: [String])] {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        var out: [(line: Int, fields: [String])] = []
        while try reader.next(into: &record) {
            out.append((record.line, (0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }))
        }
        return out
    }

    @Test func quotedFieldsLineBreaksAndLineNumbers() throws {
        let text = "a;b;c\r\n1;\"x;y\";\"say \"\"hi\"\"\"\r\n\r\n2;\"two\nlines\";z\n3;;\n"
        let rows = try records(text)
        #expect(rows.map(\.line) == [1, 2, 4, 6])
        #expect(rows[1].fields == ["1", "x;y", "say \"hi\""])
        #expect(rows[2].fields == ["2", "two\nlines", "z"])
        #expect(rows[3].fields == ["3", "", ""])
    }

    @Test func quotedFieldsEmbeddedNewlinesCRLFAndBlankLines() throws {
        let text =
            "person_id;given_name;family_name\r\n"  // 1
            + "1;\"Anna \"\"Nina\"\"\";\"Svensson;Berg\"\r\n"  // 2
            + "2;\"Multi\nline\nname\";x\r\n"  // 3–5
            + "\r\n"  // 6, blank
            + "3;;\r\n"  // 7
            + "\n"  // 8, blank
            + "4;\"q\";last"  // 9, no final line break
        let rows = try read(text)
        #expect(rows.map(\.line) == [1, 2, 3, 7, 9])
        #expect(rows[0].fields == ["person_id", "given_name", "family_name"])
        #expect(rows[1].fields == ["1", "Anna \"Nina\"", "Svensson;Berg"])
        #expect(rows[2].fields == ["2", "Multi\nline\nname", "x"])
        #expect(rows[3].fields == ["3", "", ""])
        #expect(rows[4].fields == ["4", "q", "last"])
    }

    @Test func byteOrderMarkAndCommaSeparator() throws {
        var reader = CSVReader(bytes: Array("\u{FEFF}a,b\n1,2".utf8))
        var record = CSVRecord()
        #expect(try reader.next(into: &record))
        #expect(String(decoding: record[0], as: UTF8.self) == "a")
        #expect(reader.separator == UInt8(ascii: ","))
        #expect(try reader.next(into: &record))
        #expect(String(decoding: record[1], as: UTF8.self) == "2")
        #expect(try !reader.next(into: &record))
    }

    @Test func byteOrderMarkAndSeparators() throws {
        // A byte-order mark is not part of the first column's name.
        let bom = try read("\u{FEFF}person_id;status;date\n199001012385;work;2018-01-01\n")
        #expect(bom[0].fields == ["person_id", "status", "date"])
        #expect(bom[1].fields == ["199001012385", "work", "2018-01-01"])
        // ',' when the header uses it.
        var reader = CSVReader(bytes: Array("\u{FEFF}person_id,status,date\r\n199001012385,work,\"2018-01-01\"\r\n".utf8))
        var record = CSVRecord()
        #expect(try reader.next(into: &record))
        #expect(reader.separator == UInt8(ascii: ","))
        #expect(record.count == 3)
        #expect(String(decoding: record[0], as: UTF8.self) == "person_id")
        #expect(try reader.next(into: &record))
        #expect((0..<record.count).map { String(decoding: record[$0], as: UTF8.self) } == ["199001012385", "work", "2018-01-01"])
        #expect(try !reader.next(into: &record))
        // ';' wins when the header holds both.
        #expect(try read("a;b,c\n1;2,3\n").map(\.fields) == [["a", "b,c"], ["1", "2,3"]])
    }

    @Test func unterminatedQuoteIsASyntaxError() {
        #expect(throws: CSVSyntaxError(line: 2, reason: "a quoted field is not closed before the end of the file")) {
            _ = try records("a;b\n1;\"open\n")
        }
        #expect(throws: CSVSyntaxError.self) { _ = try records("a;b\n\"x\"y;2\n") }
    }

    @Test func anUnterminatedQuoteIsAnErrorOnTheLineItStarts() {
        do {
            _ = try read("a;b\n1;2\n3;\"open\nmore\n")
            Issue.record("accepted an unterminated quote")
        } catch let error as CSVSyntaxError {
            #expect(error.line == 3)
            #expect(error.reason.contains("not closed"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func smallChunksGiveTheSameRecords() throws {
        let text = "a;b\n1;\"x;\"\"y\"\"\nz\"\n2;w\n"
        var chunks = Array(text.utf8).map { [$0] }[...]
        var reader = CSVReader(refill: {
            guard let first = chunks.first else { return nil }
            chunks = chunks.dropFirst()
            return first
        })
        var record = CSVRecord()
        var out: [[String]] = []
        while try reader.next(into: &record) { out.append((0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }) }
        #expect(out == (try records(text)).map(\.fields))
    }
}
