import Foundation
import SamsparDomain
import Testing

@testable import SamsparStore

/// The rules of SPEC §4 between an import's batches, whatever overlaps with what: batches
/// reach the staging table in file order (the last row of a key wins), no batch writes after
/// a problem, and an error ends every batch in flight before the caller rolls back. A writer
/// that only records what it is given stands in for the engine, so that a write can be slow
/// or fail on purpose. (Issue 27 tried checking a batch while the one before it was written:
/// no faster, not kept; BENCHMARKS.md, fourteenth step. These tests pin the rules for any
/// such change.)
@Suite("An import's batches keep the file's order and stop at a problem")
struct ImportPipelineTests {
    /// Records the dates of every status written, in the order the writes began; the first
    /// write takes `firstWriteDelay`, and the write of batch `failing` (counted from 1) throws.
    final class RecordingWriter: BulkWriter, Sendable {
        struct Failed: Error {}
        let written = Locked<[String]>([])
        let writesInProgress = Locked(0)
        let writeCount = Locked(0)
        let firstWriteDelay: Duration
        let failing: Int?

        init(firstWriteDelay: Duration = .zero, failing: Int? = nil) {
            self.firstWriteDelay = firstWriteDelay
            self.failing = failing
        }

        func registrants(_ persons: [Int64]) async throws -> [Int64: [Int64]] {
            Dictionary(uniqueKeysWithValues: persons.filter { $0 != 199_306_022_386 }.map { ($0, [2_120_000_084]) })
        }
        func allRegistrants(of organisation: Int64?) async throws -> RegistrantIndex {
            // Amina and Ali are Haninge's; 19930602-2386 is nobody's.
            var index = RegistrantIndex()
            index.append(person: 199_001_012_385, organisation: 2_120_000_084)
            index.append(person: 199_009_132_391, organisation: 2_120_000_084)
            return index
        }
        func municipalityOrganisations() async throws -> [Int16: [Int64]] { [:] }
        func nextChange() async throws -> Int64 { 1 }
        func tracks() async throws -> [TrackRef] { [] }
        func agreementDocuments() async throws -> [String] { [] }
        func write(participants: [Owned<ParticipantRecord>], changed: Int64) async throws {}
        func write(events: [Owned<TrackedEvent>]) async throws {}
        func write(activities: [Owned<ActivityRecord>]) async throws {}
        func write(statuses: [Owned<StatusRecord>]) async throws {
            let n = writeCount.withLock { count in
                count += 1
                return count
            }
            let overlapping = writesInProgress.withLock { running in
                running += 1
                return running > 1
            }
            defer { writesInProgress.withLock { $0 -= 1 } }
            #expect(!overlapping, "two writes at once on one connection")
            if n == 1 { try await Task.sleep(for: firstWriteDelay) }
            if n == failing { throw Failed() }
            written.withLock { $0 += statuses.map { "\($0.value.person) \($0.value.date)" } }
        }
    }

    static func run(_ lines: [String], _ writer: RecordingWriter) async throws -> ImportSummary {
        var scope = ImportScope(organisation: 2_120_000_084, today: Day(year: 2019, month: 6, day: 1)!)
        scope.registrantIndexAfterRows = 0
        let importer = Importer(batchSize: 2, kind: .statuses, currentYear: 2026, scope: scope, progress: nil)
        let text = (["person_id;status;date"] + lines).joined(separator: "\n")
        return try await importer.run(source: .bytes(Array(text.utf8)), writer: writer)
    }

    /// Three batches of two; the first batch's write is slow, the second's check is instant:
    /// the second still writes after the first.
    @Test func batchesAreWrittenInFileOrderWhenAWriteIsSlow() async throws {
        let writer = RecordingWriter(firstWriteDelay: .milliseconds(300))
        let summary = try await Self.run(
            [
                "19900101-2385;work;2018-10-15", "19900913-2391;work;2018-11-01",
                "19900101-2385;studies;2018-10-15", "19900913-2391;none;2018-12-01",
                "19900101-2385;none;2018-10-15", "19900913-2391;work;2019-01-02",
            ], writer)
        #expect(summary.rows == 6)
        #expect(
            writer.written.withLock { $0 } == [
                "19900101-2385 2018-10-15", "19900913-2391 2018-11-01",
                "19900101-2385 2018-10-15", "19900913-2391 2018-12-01",
                "19900101-2385 2018-10-15", "19900913-2391 2019-01-02",
            ])
    }

    /// The first batch names a person nobody registered (found by its check while nothing is
    /// slow): the batches after it write nothing, and the file is refused with that line.
    @Test func noBatchWritesAfterAProblem() async throws {
        let writer = RecordingWriter()
        let error = try await #require(throws: ImportError.self) {
            try await Self.run(
                [
                    "19930602-2386;work;2018-10-15", "19900913-2391;work;2018-11-01",
                    "19900101-2385;studies;2018-10-15", "19900913-2391;none;2018-12-01",
                    "19900101-2385;none;2018-11-15", "19900913-2391;work;2019-01-02",
                ], writer)
        }
        #expect(error.problems.map(\.line) == [2])
        #expect(writer.written.withLock { $0 } == [])
        #expect(writer.writeCount.withLock { $0 } == 0)
    }

    /// The second batch's write fails: the import throws that error, the batches after it
    /// do not write, and no write is running when `run` returns.
    @Test func aFailedWriteEndsTheImportWithNothingRunning() async throws {
        let writer = RecordingWriter(firstWriteDelay: .milliseconds(100), failing: 2)
        await #expect(throws: RecordingWriter.Failed.self) {
            try await Self.run(
                [
                    "19900101-2385;work;2018-10-15", "19900913-2391;work;2018-11-01",
                    "19900101-2385;studies;2018-10-16", "19900913-2391;none;2018-12-01",
                    "19900101-2385;none;2018-11-15", "19900913-2391;work;2019-01-02",
                    "19900101-2385;none;2018-11-16", "19900913-2391;work;2019-01-03",
                ], writer)
        }
        #expect(writer.writesInProgress.withLock { $0 } == 0)
        #expect(writer.writeCount.withLock { $0 } == 2)
        #expect(writer.written.withLock { $0 } == ["19900101-2385 2018-10-15", "19900913-2391 2018-11-01"])
    }

    /// The file breaks (a quote never closed) while the first batch is still being written:
    /// the refusal names the line, and that write has ended before `run` returns.
    @Test func aBrokenFileEndsTheImportWithNothingRunning() async throws {
        let writer = RecordingWriter(firstWriteDelay: .milliseconds(300))
        let error = try await #require(throws: ImportError.self) {
            try await Self.run(["19900101-2385;work;2018-10-15", "19900913-2391;work;2018-11-01", "19900101-2385;\"work;2018-10-16"], writer)
        }
        #expect(error.problems.map(\.description) == ["line 4: a quoted field is not closed before the end of the file"])
        #expect(writer.writesInProgress.withLock { $0 } == 0)
        #expect(writer.written.withLock { $0 } == ["19900101-2385 2018-10-15", "19900913-2391 2018-11-01"])
    }
}
