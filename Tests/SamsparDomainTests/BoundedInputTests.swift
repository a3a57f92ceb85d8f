import Testing

@testable import SamsparDomain

/// Issue 20, part 1: a header is refused as one problem past 64 columns or 64 KiB, and a
/// refused file's list of problems is bounded in count and in bytes. Expected values by hand.
@Suite struct BoundedInputTests {
    private func header(_ text: String) throws -> CSVRecord {
        var reader = CSVReader(bytes: Array(text.utf8))
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        return record
    }

    @Test func sixtyFourColumnsAreReadAndSixtyFiveAreOneProblem() throws {
        let sixtyFour = (1...64).map { "c\($0)" }.joined(separator: ";")
        #expect(try header(sixtyFour + "\n1\n").count == 64)
        let sixtyFive = (1...65).map { "c\($0)" }.joined(separator: ";")
        #expect(throws: CSVSyntaxError(line: 1, reason: "the header has more than 64 columns; the file was not read further")) {
            _ = try header(sixtyFive + "\n1\n")
        }
    }

    /// Four million separators, the review's case: one problem, at the 65th column.
    @Test func fourMillionSeparatorsAreOneProblem() throws {
        let text = String(repeating: ";", count: 4_000_000) + "\nx\n"
        #expect(throws: CSVSyntaxError(line: 1, reason: "the header has more than 64 columns; the file was not read further")) {
            _ = try header(text)
        }
    }

    @Test func aHeaderLongerThan64KiBIsOneProblem() throws {
        // 65,536 bytes of header text in two columns is still a header; one byte more is not.
        let fits = String(repeating: "x", count: 65_535 - 1) + ";y"
        #expect(try header(fits + "\n1\n").count == 2)
        let long = "person_id;" + String(repeating: "x", count: 70_000)
        #expect(throws: CSVSyntaxError(line: 1, reason: "the header is longer than 64 KiB (65536 bytes); the file was not read further")) {
            _ = try header(long + "\n1\n")
        }
        // Without any line break at all.
        #expect(throws: CSVSyntaxError.self) { _ = try header(String(repeating: "y", count: 200_000)) }
    }

    @Test func rowsAfterTheHeaderMayBeLong() throws {
        var reader = CSVReader(bytes: Array(("a;b\n1;" + String(repeating: "z", count: 100_000) + "\n").utf8))
        var record = CSVRecord()
        #expect(try reader.next(into: &record))
        #expect(try reader.next(into: &record))
        #expect(record[1].count == 100_000)
    }

    /// 10,050 short problems: 10,000 kept and one that says where reading stopped.
    @Test func theListStopsAtTenThousandProblems() {
        let problems = (1...10_050).map { ImportProblem(line: $0 + 1, column: "person_id", reason: "bad") }
        let (kept, capped) = ProblemCap.apply(problems)
        #expect(capped)
        #expect(kept.count == 10_001)
        #expect(kept[9_999] == ImportProblem(line: 10_001, column: "person_id", reason: "bad"))
        #expect(kept[10_000].line == 10_002 && kept[10_000].column == "")
        #expect(kept[10_000].reason.contains("10000 problems") && kept[10_000].reason.contains("1048576 bytes"))
    }

    /// 5,000 problems of 300-byte reasons: each costs 300 + 0 + 40 = 340 bytes, and
    /// 1,048,576 / 340 = 3,084.0…, so 3,084 are kept and the 3,085th says it stopped.
    @Test func theListStopsAtAboutOneMegabyte() {
        let reason = String(repeating: "r", count: 300)
        let problems = (1...5_000).map { ImportProblem(line: $0, column: "", reason: reason) }
        let (kept, capped) = ProblemCap.apply(problems)
        #expect(capped)
        #expect(kept.count == 3_085)
        #expect(kept[3_083].reason == reason)
        #expect(kept[3_084].line == 3_085 && kept[3_084].reason.hasPrefix("stopped reading here"))
    }

    /// A reason echoing a long value is cut to 300 bytes: 297 of it and "…" (3 bytes).
    @Test func aLongReasonIsCut() {
        let long = ImportProblem(line: 2, column: "given_name", reason: String(repeating: "å", count: 1_000))
        let cut = ProblemCap.bounded(long)
        #expect(cut.reason == String(repeating: "å", count: 148) + "…")
        #expect(cut.reason.utf8.count == 299)
        let (kept, capped) = ProblemCap.apply([long, ImportProblem(line: 1, column: "x", reason: "short")])
        #expect(!capped)
        #expect(kept.map(\.line) == [1, 2])
    }
}
