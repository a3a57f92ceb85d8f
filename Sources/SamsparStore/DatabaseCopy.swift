import Foundation
import SamsparDomain

/// Lines of the bulk files (SPEC §4) from stored values, shared by every engine's `export`.
enum ExportFormat {
    static func header(_ kind: ImportKind) -> String {
        CSVLine.format(kind.requiredColumns + kind.optionalColumns)
    }

    private static func day(_ ordinal: Int?) -> String? { ordinal.map { Day(ordinal: Int32($0)).description } }
    private static func pn(_ value: Int?) -> String? { value.map { String($0) } }

    // Column order follows `requiredColumns + optionalColumns`.
    static func participant(
        person: Int?, givenName: String?, familyName: String?, sex: Int?, sexExplicit: Bool, municipality: Int?,
        firstPermit: Int?, registered: Int?, exited: Int?, exitReason: String?, upperSecondary: Bool, education: String?
    ) -> String {
        CSVLine.format([
            pn(person), municipality.map { Kommunkod(storedValue: Int16($0)).description }, day(firstPermit), day(registered),
            upperSecondary ? "yes" : "no", givenName, familyName, sexExplicit ? (sex == 1 ? "male" : "female") : nil,
            day(exited), exitReason, education,
        ])
    }

    static func event(person: Int?, track: String?, kind: Int?, date: Int?, reason: String?, agreement: String?) -> String {
        CSVLine.format([pn(person), track, kind.flatMap { TrackEventKind(code: UInt8($0))?.rawValue }, day(date), reason, agreement])
    }

    static func status(person: Int?, status: Int?, date: Int?) -> String {
        CSVLine.format([pn(person), status.flatMap { Outcome(code: UInt8($0))?.rawValue }, day(date)])
    }

    static func activity(person: Int?, kind: String?, start: Int?, end: Int?, hours: Double?, provider: String?) -> String {
        CSVLine.format([pn(person), kind, day(start), day(end), hours.map { String($0) }, provider])
    }
}

/// `samspar db copy`: moves an installation from one engine to another (SPEC §5, issue
/// "moving house"). Every agreement version is re-imported in order, then the four kinds of
/// rows go through the target's ordinary bulk import, so the target validates them as any
/// file. The target must be empty.
public enum DatabaseCopy {
    public struct Summary: Sendable {
        public var agreementVersions: Int
        public var rows: [ImportKind: Int]
    }

    public static func copy(
        from source: some SamsparStore, to target: some SamsparStore, currentYear: Int, now: Date, scratchDirectory: String
    ) async throws -> Summary {
        let existing = try await target.counts()
        guard existing.values.allSatisfy({ $0 == 0 }) else {
            throw StoreError.cannotOpen("target", reason: "the target database is not empty; copy into a new database")
        }
        let history = try await source.agreementHistory()
        for entry in history {
            let agreement = try Agreement.parse(json: entry.document)
            _ = try await target.importAgreement(agreement, document: entry.document, importedAt: now)
        }
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratchDirectory) }
        var rows: [ImportKind: Int] = [:]
        for kind in ImportKind.allCases {
            let path = (scratchDirectory as NSString).appendingPathComponent("\(kind.rawValue).csv")
            let writer = try LockedWriter(path: path)
            try await source.export(kind) { writer.line($0) }
            try writer.close()
            rows[kind] = try await target.importFile(kind, from: .file(path: path), currentYear: currentYear, progress: nil).rows
        }
        return Summary(agreementVersions: history.count, rows: rows)
    }
}

/// A ``BufferedFileWriter`` that rows may reach from a driver's thread.
final class LockedWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let writer: BufferedFileWriter

    init(path: String) throws { writer = try BufferedFileWriter(path: path) }

    func line(_ text: String) {
        lock.lock()
        writer.line(text)
        lock.unlock()
    }

    func close() throws { try writer.close() }
}
