import Testing

@testable import SamsparDomain

func records(_ text: String) throws -> [(line: Int, fields: [String])] {
    var reader = CSVReader(bytes: Array(text.utf8))
    var record = CSVRecord()
    var out: [(Int, [String])] = []
    while try reader.next(into: &record) {
        out.append((record.line, (0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }))
    }
    return out
}

@Suite("CSV and bulk-file rows (SPEC §4)")
struct CoreCSVTests {
    @Test func quotedFieldsLineBreaksAndLineNumbers() throws {
        let text = "a;b;c\r\n1;\"x;y\";\"say \"\"hi\"\"\"\r\n\r\n2;\"two\nlines\";z\n3;;\n"
        let rows = try records(text)
        #expect(rows.map(\.line) == [1, 2, 4, 6])
        #expect(rows[1].fields == ["1", "x;y", "say \"hi\""])
        #expect(rows[2].fields == ["2", "two\nlines", "z"])
        #expect(rows[3].fields == ["3", "", ""])
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

    @Test func unterminatedQuoteIsASyntaxError() {
        #expect(throws: CSVSyntaxError(line: 2, reason: "a quoted field is not closed before the end of the file")) {
            _ = try records("a;b\n1;\"open\n")
        }
        #expect(throws: CSVSyntaxError.self) { _ = try records("a;b\n\"x\"y;2\n") }
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

    func header(_ kind: ImportKind, _ text: String) throws -> ImportSchema {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        return try ImportSchema(kind: kind, header: record, currentYear: 2026)
    }

    @Test func theHeaderIsCheckedByName() throws {
        #expect(throws: Never.self) { _ = try header(.statuses, "date;status;person_id") }
        do {
            _ = try header(.statuses, "person_id;status;dates;status")
            Issue.record("accepted a bad header")
        } catch let error as ImportError {
            #expect(error.problems.map(\.column) == ["dates", "status", "date"])
            #expect(error.problems.map(\.reason).last == "required column is missing")
            #expect(error.problems[1].reason == "the column appears twice")
        }
    }

    @Test func everyProblemOfARowIsReported() throws {
        let text = "person_id;activity;start;end;hours_per_week\n199001012385;yoga;2018-02-30;2018-01-01;200\n"
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        let schema = try ImportSchema(kind: .activities, header: record, currentYear: 2026)
        _ = try reader.next(into: &record)
        guard case .failure(let error) = schema.activity(record) else {
            Issue.record("accepted a bad row")
            return
        }
        #expect(
            error.problems.map(\.description) == [
                "line 2, column activity: 'yoga' is not one of sfi, civic_orientation, vocational_swedish, work_practice, vocational_training, validation, study_guidance, job_search, health, other",
                "line 2, column start: no day 30 in February",
                "line 2, column hours_per_week: '200' is not a number of hours from 0 to 168",
            ])
    }

    @Test func participantRowsBecomeTypedRecords() throws {
        let text = """
            person_id;sex;municipality;first_permit_date;registered_on;upper_secondary_completed;exited_on;exit_reason
            900101-2385;male;0136;2016-03-01;2017-01-10;nej;;
            199009132391;;0138;2017-05-15;2018-02-01;yes;2018-01-01;flyttat
            """
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        let schema = try ImportSchema(kind: .participants, header: record, currentYear: 2026)
        _ = try reader.next(into: &record)
        let first = try schema.participant(record).get()
        #expect(first.person.value == 199_001_012_385)
        #expect(first.sex == .male)  // explicit wins over the number's female
        #expect(first.upperSecondaryCompleted == false)
        _ = try reader.next(into: &record)
        guard case .failure(let error) = schema.participant(record) else {
            Issue.record("accepted an exit before registration")
            return
        }
        #expect(error.problems.map(\.column) == ["exited_on"])
    }
}
