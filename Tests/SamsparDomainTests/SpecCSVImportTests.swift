import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §4: the CSV reader and the bulk-file schemas.
@Suite("Spec §4 CSV and import schema")
struct SpecCSVImportTests {
    private func read(_ text: String) throws -> [(line: Int, fields: [String])] {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        var out: [(line: Int, fields: [String])] = []
        while try reader.next(into: &record) {
            out.append((record.line, (0..<record.count).map { String(decoding: record[$0], as: UTF8.self) }))
        }
        return out
    }

    private func schema(_ kind: ImportKind, _ text: String) throws -> (ImportSchema, [CSVRecord]) { try Spec.schema(kind, text) }

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

    @Test func theHeaderNeedsEveryRequiredColumnAndNoUnknownOrRepeatedOne() throws {
        #expect(throws: Never.self) {
            _ = try schema(.participants, "upper_secondary_completed;registered_on;first_permit_date;municipality;person_id\n")
        }
        #expect(throws: Never.self) { _ = try schema(.events, "person_id;track;event;date;reason;agreement\n") }
        #expect(throws: Never.self) { _ = try schema(.statuses, "date;person_id;status\n") }
        #expect(throws: Never.self) { _ = try schema(.activities, "person_id;activity;start;end;hours_per_week;provider\n") }
        do {
            _ = try schema(.participants, "person_id;municipality;first_permit_date;foo;registered_on;registered_on\n")
            Issue.record("accepted a bad header")
        } catch let error as ImportError {
            #expect(error.problems.allSatisfy { $0.line == 1 })
            let byColumn = Dictionary(error.problems.map { ($0.column, $0.reason) }, uniquingKeysWith: { a, _ in a })
            #expect(error.problems.count == 3)
            #expect(byColumn["foo"]?.hasPrefix("unknown column") == true)
            #expect(byColumn["registered_on"] == "the column appears twice")
            #expect(byColumn["upper_secondary_completed"] == "required column is missing")
        }
        do {
            _ = try schema(.events, "person_id;track;date\n")
            Issue.record("accepted an events file without event")
        } catch let error as ImportError {
            #expect(error.problems == [ImportProblem(line: 1, column: "event", reason: "required column is missing")])
        }
    }

    @Test func everyProblemOfARowIsReportedWithItsLineAndColumn() throws {
        let text = """
            person_id;given_name;sex;municipality;first_permit_date;registered_on;upper_secondary_completed;exited_on
            900101-2385;"Anna
            Maria";;0136;2016-03-01;2017-01-10;no;
            199001012386;;other;0999;2018-02-30;;maybe;
            199001012385;;female;0136;2016-13-01;2017-01-10;yes;2016-12-31
            """
        let (s, rows) = try schema(.participants, text)
        #expect(rows.map(\.line) == [2, 4, 5])
        let first = try s.participant(rows[0]).get()
        #expect(first.person.twelveDigits == "199001012385")
        #expect(first.givenName == "Anna\nMaria")
        #expect(first.sex == .female)  // from the number
        #expect(first.municipality.description == "0136")
        #expect(first.firstPermitDate == Spec.day("2016-03-01"))
        #expect(first.upperSecondaryCompleted == false)
        #expect(first.exitedOn == nil)

        guard case .failure(let second) = s.participant(rows[1]) else {
            Issue.record("accepted a bad row")
            return
        }
        #expect(second.problems.allSatisfy { $0.line == 4 })
        #expect(Set(second.problems.map(\.column)) == ["person_id", "sex", "municipality", "first_permit_date", "registered_on", "upper_secondary_completed"])
        func reason(_ column: String) -> String { second.problems.first { $0.column == column }?.reason ?? "" }
        #expect(reason("person_id").contains("check digit should be 5"))
        #expect(reason("sex").contains("'other'"))
        #expect(reason("municipality").contains("0999"))
        #expect(reason("first_permit_date") == "no day 30 in February")
        #expect(reason("registered_on") == "a value is required")
        #expect(reason("upper_secondary_completed").contains("'maybe'"))

        guard case .failure(let third) = s.participant(rows[2]) else {
            Issue.record("accepted a bad row")
            return
        }
        #expect(third.problems.map(\.line) == [5, 5])
        #expect(Set(third.problems.map(\.column)) == ["first_permit_date", "exited_on"])
        #expect(third.problems.first { $0.column == "first_permit_date" }?.reason == "there is no month 13")
    }

    @Test func eventStatusAndActivityRows() throws {
        let (events, eventRows) = try schema(
            .events, "person_id;track;event;date;reason\n199001012385;vard;completed;2018-06-01;\n199001012385;;graduated;2018-13-01;\n199001012385;vard\n")
        let ok = try events.event(eventRows[0]).get()
        #expect(ok.kind == .completed)
        #expect(ok.track == "vard")
        #expect(ok.date == Spec.day("2018-06-01"))
        guard case .failure(let bad) = events.event(eventRows[1]) else {
            Issue.record("accepted a bad event")
            return
        }
        #expect(bad.problems.map(\.column) == ["track", "event", "date"])
        #expect(bad.problems.allSatisfy { $0.line == 3 })
        #expect(bad.problems[1].reason.hasPrefix("'graduated' is not one of invited, attended, accepted"))
        guard case .failure(let short) = events.event(eventRows[2]) else {
            Issue.record("accepted a short row")
            return
        }
        #expect(short.problems.first == ImportProblem(line: 4, column: "", reason: "has 2 fields, the header has 5"))

        let (statuses, statusRows) = try schema(.statuses, "person_id,status,date\n199001012385,subsidized_work,2018-01-01\n199001012385,employed,2018-01-01\n")
        #expect(try statuses.status(statusRows[0]).get().status == .subsidizedWork)
        guard case .failure(let badStatus) = statuses.status(statusRows[1]) else {
            Issue.record("accepted a bad status")
            return
        }
        #expect(badStatus.problems.map(\.column) == ["status"])
        #expect(badStatus.problems[0].reason == "'employed' is not one of none, work, subsidized_work, studies")

        let (activities, activityRows) = try schema(
            .activities, "person_id;activity;start;end;hours_per_week\n199001012385;sfi;2018-01-01;2018-06-30;12,5\n")
        let activity = try activities.activity(activityRows[0]).get()
        #expect(activity.activity == .sfi)
        #expect(activity.hoursPerWeek == 12.5)
    }
}
