import Foundation
import SamsparDomain
import SamsparStore

/// Backup and restore (SPEC §5, issue 24), the operator's acts at the command line.
///
/// A backup is one portable file: a Samspår SQLite database holding a consistent copy of either
/// engine, taken in one read snapshot while `serve` answers reads and writes. Its own audit
/// entry is written first, so the copy holds it, and the head the copy holds is what the
/// operator keeps. The file is written as `FILE.partial` (mode 0600), verified (its chain, with
/// the installation's key, and its row counts) and only then renamed to `FILE`: a backup killed
/// half-way leaves no file that claims to be complete. The audit key is never in it.
///
/// A restore goes into an empty database of either engine. It never makes a key: it verifies
/// the backup's chain with the installation's key and refuses a backup that does not verify,
/// copies it, checks that the copy reaches the backup's head, appends its own entry, removes
/// again every registration on the removal list kept beside the key (people weeded or erased
/// since the backup), and runs retention, all before `serve` answers anyone.
public enum BackupOperations {
    /// Only the operator backs up and restores (no role of SPEC §1 runs the installation).
    static func mayRun(_ caller: Caller) -> Bool { Mutant.decide("backup.operatorOnly", caller.organisation == nil && caller.principal == nil) }

    public struct BackupError: Error, CustomStringConvertible {
        public let description: String
        init(_ text: String) { description = text }
    }

    /// The backup's result: the head it holds and the rows per table.
    public struct Made: Sendable {
        public var head: AuditLog.Head
        public var rows: [(table: String, rows: Int)]
    }

    public static func backup(to path: String, key: AuditKey, _ caller: Caller, _ s: Services) async throws -> Made {
        guard mayRun(caller) else { throw APIError.forbidden("backups are made by the operator") }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BackupError("\(path) exists already: a backup never overwrites one; choose a new name")
        }
        let partial = path + ".partial"
        for stale in [partial, partial + "-wal", partial + "-shm", partial + "-journal"] { try? FileManager.default.removeItem(atPath: stale) }
        // Mode 0600 from the first byte: SQLite keeps the mode of a file that exists.
        let fd = open(partial, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw BackupError("cannot create \(partial): \(String(cString: strerror(errno)))") }
        close(fd)
        try await AuditOperations.recordAct("backup", detail: "to \((path as NSString).lastPathComponent)", caller, s)
        let copy = try await SQLiteStore.open(path: partial, migrate: true, auditKey: key)
        let made: Made
        do {
            let summary = try await DatabaseCopy.copy(from: s.store, to: copy)
            let verification = try await copy.verifyAudit()
            guard verification.problem == nil else {
                throw BackupError("the copy's audit chain does not verify: \(verification.problem ?? "")")
            }
            for (table, rows) in summary.rows {
                let counted = try await copy.rowCount(table) ?? -1
                guard counted == rows else { throw BackupError("the copy's \(table) has \(counted) rows, the snapshot had \(rows)") }
            }
            made = Made(head: try await copy.auditHead(), rows: summary.rows)
            // One file: the write-ahead log folded in and emptied before it is closed.
            _ = try await copy.reclaimRemoved()
            try await copy.close()
        } catch {
            try? await copy.close()
            for file in [partial, partial + "-wal", partial + "-shm"] { try? FileManager.default.removeItem(atPath: file) }
            throw error
        }
        for leftover in [partial + "-wal", partial + "-shm"] { try? FileManager.default.removeItem(atPath: leftover) }
        try syncFile(partial)
        guard rename(partial, path) == 0 else { throw BackupError("cannot rename \(partial) to \(path): \(String(cString: strerror(errno)))") }
        try syncFile((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        return made
    }

    /// What a restore did.
    public struct Restored: Sendable {
        public var head: AuditLog.Head
        public var rows: [(table: String, rows: Int)]
        public var removedAgain: [(Organisationsnummer, Removal)]
        public var retention: [(RetentionPlan.Line, Removal)]
    }

    /// Restores `path` into `s.store`, which must be empty. The backup file itself is never
    /// written: a private copy of it is opened (and brought to this version's schema).
    public static func restore(from path: String, key: AuditKey, removalList: RemovalList, _ caller: Caller, _ s: Services) async throws -> Restored {
        guard mayRun(caller) else { throw APIError.forbidden("restores are made by the operator") }
        guard FileManager.default.fileExists(atPath: path) else { throw BackupError("\(path): no such file") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samspar-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let work = directory.appendingPathComponent("backup.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: work)
        let backup: SQLiteStore
        do {
            backup = try await SQLiteStore.open(path: work, migrate: true, auditKey: key)
        } catch {
            throw BackupError("\(path) is not a Samspår backup that this installation's key opens: \(error)")
        }
        let head: AuditLog.Head
        let rows: [(table: String, rows: Int)]
        do {
            let verification = try await backup.verifyAudit()
            guard verification.problem == nil else {
                throw BackupError(
                    "the backup's audit chain does not verify with this installation's key, so it is not restored: \(verification.problem ?? "")")
            }
            head = try await backup.auditHead()
            rows = try await DatabaseCopy.copy(from: backup, to: s.store).rows
            try await backup.close()
        } catch {
            try? await backup.close()
            throw error
        }
        let restored = try await s.store.verifyAudit(head: head)
        guard restored.problem == nil else { throw BackupError("the restored chain does not reach the backup's head \(head): \(restored.problem ?? "")") }
        try await AuditOperations.recordAct("restore", detail: "from \((path as NSString).lastPathComponent), head \(head)", caller, s)
        let listed = try removalList.lines()
        let again = try await s.store.removeListed(
            listed, line: { removalList.line($0) }, today: s.today,
            audit: { org, removal in
                caller.entry(
                    "restore-removal", detail: "\(org): removed again after the restore (on the removal list): \(removal.summary)",
                    registrations: [RetentionOperations.marker(org)])
            }, at: s.now())
        let retention = try await RetentionOperations.run(for: nil, today: s.today, removalList: removalList, caller, s)
        return Restored(head: head, rows: rows, removedAgain: again, retention: retention)
    }

    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BackupError("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BackupError("cannot flush \(path): \(String(cString: strerror(errno)))") }
    }
}
