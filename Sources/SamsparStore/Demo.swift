import Foundation
import SamsparDomain

/// Loads a synthetic caseload into a store through the ordinary import path (`samspar demo`).
public enum DemoLoader {
    /// Writes the caseload's four bulk files into `directory` (created if needed) and
    /// returns their paths by kind.
    /// The row order of generated files (issue 10, part 1). Case systems export in their own
    /// order, not by key: participants in registration order, events grouped by kind,
    /// statuses and activities by date. That is the default; `sorted` (by identity number,
    /// as an export by key) is the variant.
    public enum FileOrder: String, Sendable, CaseIterable {
        case realistic, sorted
    }

    /// The column (1-based) each kind's file is ordered by in `realistic` order.
    static let realisticColumn: [ImportKind: Int] = [.participants: 7, .events: 3, .statuses: 3, .activities: 3]

    public static func writeFiles(_ caseload: Caseload, to directory: String, order: FileOrder = .realistic) throws -> [ImportKind: String] {
        let paths = try writeSortedFiles(caseload, to: directory)
        if order == .realistic {
            for (kind, path) in paths { try reorder(path, column: realisticColumn[kind]!, scratch: directory) }
        }
        return paths
    }

    /// Stable-sorts a file's rows (not its header) by one `;` column with coreutils' `sort`,
    /// an external merge sort: memory stays bounded at national scale. Rows with equal keys
    /// keep the generator's order.
    static func reorder(_ path: String, column: Int, scratch: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let script =
            #"head -n 1 "$1" > "$1.sorting" && tail -n +2 "$1" | LC_ALL=C sort -s -t ';' -k "$2,$2" -S 256M -T "$3" >> "$1.sorting""#
            + #" && mv "$1.sorting" "$1""#
        process.arguments = ["-c", script, "reorder", path, String(column), scratch]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StoreError.unreadableFile(path) }
    }

    /// The files as the generator writes them: every kind by identity number.
    static func writeSortedFiles(_ caseload: Caseload, to directory: String) throws -> [ImportKind: String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var paths: [ImportKind: String] = [:]
        var writers: [ImportKind: BufferedFileWriter] = [:]
        for kind in ImportKind.allCases {
            let path = (directory as NSString).appendingPathComponent("\(kind.rawValue).csv")
            paths[kind] = path
            writers[kind] = try BufferedFileWriter(path: path)
        }
        let p = writers[.participants]!, e = writers[.events]!, s = writers[.statuses]!, a = writers[.activities]!
        caseload.generate(into: .init(participants: p.line, events: e.line, statuses: s.line, activities: a.line))
        for writer in writers.values { try writer.close() }
        return paths
    }

    /// Imports the agreements and then the files, in the order their references need. With
    /// `audit` (what, as a detail → the operator's entry), each import is audited like the
    /// operator's own `samspar agreement import` and `samspar import`.
    public static func load(
        agreements: [Agreement], files: [ImportKind: String], into store: some SamsparStore, currentYear: Int, now: Date,
        progress: (@Sendable (ImportKind, Int) -> Void)? = nil, audit: (@Sendable (String, String) -> AuditDraft)? = nil
    ) async throws -> [ImportKind: Int] {
        for agreement in agreements {
            var agreementAudit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
            if let audit { agreementAudit = { result in audit("agreement", "\(result.id) version \(result.version)") } }
            _ = try await store.importAgreement(
                agreement, document: Data(agreement.document.serialized().utf8), importedAt: now, audit: agreementAudit)
        }
        var rows: [ImportKind: Int] = [:]
        for kind in ImportKind.allCases {
            guard let path = files[kind] else { continue }
            var perKind: (@Sendable (Int) -> Void)? = nil
            if let progress { perKind = { rows in progress(kind, rows) } }
            var fileAudit: (@Sendable (ImportSummary) -> AuditDraft)? = nil
            if let audit { fileAudit = { summary in audit("import", "demo \(kind.rawValue): \(summary.rows) rows") } }
            let scope = ImportScope(organisation: nil, today: Day(ordinal: 0), audit: fileAudit, now: now)
            let summary = try await store.importFile(kind, from: .file(path: path), currentYear: currentYear, scope: scope, progress: perKind)
            rows[kind] = summary.rows
        }
        return rows
    }
}

/// Appends lines to a file through a 1 MiB buffer (generating millions of rows).
final class BufferedFileWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var failure: (any Error)?

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StoreError.unreadableFile(path)
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20 + 4096)
    }

    func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        guard failure == nil else { return }
        do { try handle.write(contentsOf: buffer) } catch { failure = error }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
        if let failure { throw failure }
    }
}
