import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §4: the bulk-file schemas, from the header to typed records.
@Suite("Bulk-file rows (SPEC §4)")
struct ImportSchemaTests {
    func header(_ kind: ImportKind, _ text: String) throws -> ImportSchema {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        return try ImportSchema(kind: kind, header: record, currentYear: 2026)
    }

    private func schema(_ kind: ImportKind, _ text: String) throws -> (ImportSchema, [CSVRecord]) { try Spec.schema(kind, text) }

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

    /// A text's bound counts characters, not bytes (issue 27 counts them only when the bytes
    /// are more than the bound), and a decimal comma is read byte by byte.
    @Test func aTextIsBoundedByItsCharactersAndHoursTakeADecimalComma() throws {
        func activity(_ hours: String, _ provider: String) throws -> Result<ActivityRecord, ImportError> {
            let (schema, rows) = try self.schema(
                .activities, "person_id;activity;start;end;hours_per_week;provider\n199001012385;sfi;2018-01-01;;\(hours);\(provider)\n")
            return schema.activity(rows[0])
        }
        // 200 characters of two bytes each (400 bytes), and 150 of three code points each
        // (e, a combining acute accent: 450 bytes): within 200 characters.
        #expect(try activity("1", String(repeating: "å", count: 200)).get().provider?.count == 200)
        #expect(try activity("1", String(repeating: "e\u{301}", count: 150)).get().provider?.count == 150)
        #expect(try activity("1", String(repeating: "x", count: 200)).get().provider?.count == 200)
        for long in [String(repeating: "å", count: 201), String(repeating: "x", count: 201)] {
            guard case .failure(let error) = try activity("1", long) else {
                Issue.record("accepted 201 characters")
                continue
            }
            #expect(error.problems.map(\.reason) == ["is longer than 200 characters"])
        }
        #expect(try activity("0,5", "").get().hoursPerWeek == 0.5)
        #expect(try activity("7,25", "").get().hoursPerWeek == 7.25)
        #expect(try activity("168", "").get().hoursPerWeek == 168)
        for bad in ["168,5", "1,2,3", "7,5h", ","] {
            guard case .failure(let error) = try activity(bad, "") else {
                Issue.record("accepted \(bad) hours")
                continue
            }
            #expect(error.problems.map(\.reason) == ["'\(bad)' is not a number of hours from 0 to 168"])
        }
    }
}
