import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 24: only the operator backs up and restores (no role of SPEC §1 runs the
/// installation), and a restore removes again what the removal list names. The command line's
/// own tests (BackupCommandLineTests) take backups while `serve` writes.
@Suite("Backup and restore")
struct BackupTests {
    static let operatorCaller = Caller.operator("test", on: .command("backup"))

    static func directory() throws -> URL {
        let url = TestFiles.directory.appendingPathComponent("samspar-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    @Test(arguments: Engine.available)
    func onlyTheOperatorBacksUpAndRestores(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("backup.sqlite").path
        for role in Role.allCases {
            let caller = try Caller.signedIn(Principal(actor: "x@example.se", role: role, organisation: Org.haninge), on: .command("test"))
            await #expect(throws: APIError.self, "\(role)") { _ = try await BackupOperations.backup(to: path, key: Engine.auditKey, caller, h.services) }
            #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + ".partial"))
        }
        let made = try await BackupOperations.backup(to: path, key: Engine.auditKey, Self.operatorCaller, h.services)
        // Haninge's four registrations and Arbetsförmedlingen's one.
        #expect(made.rows.first { $0.table == "registrations" }?.rows == 5)
        #expect(try await h.store.searchAudit(.init(action: "backup")).map(\.draft.actor) == ["cli:test"])

        // Into an empty store, removing again what the list names: Haninge's registration of
        // People.own was erased after the backup.
        let list = RemovalList(path: dir.appendingPathComponent("key.removed").path, key: Engine.auditKey)
        let own = try Personnummer(People.own, currentYear: 2026)
        try list.append([PersonParty(person: own.value, org: Org.haninge.value)])
        let target = try await engine.makeStore()
        defer { Task { try? await target.close() } }
        let services = Services(store: target, now: { h.clock.now })
        let admin = try Caller.signedIn(Principal(actor: "admin@example.se", role: .admin, organisation: Org.haninge), on: .command("test"))
        await #expect(throws: APIError.self) { _ = try await BackupOperations.restore(from: path, key: Engine.auditKey, removalList: list, admin, services) }
        #expect(try await target.auditHead().count == 0)
        let restored = try await BackupOperations.restore(from: path, key: Engine.auditKey, removalList: list, Self.operatorCaller, services)
        #expect(restored.head == made.head)
        #expect(restored.removedAgain.map { "\($0.0) \($0.1.registrations)" } == ["212000-0084 1"])
        #expect(try await target.registration(of: own, heldBy: Org.haninge) == nil)
        #expect(try await target.registration(of: try Personnummer(People.consented, currentYear: 2026), heldBy: Org.haninge) != nil)
        #expect(try await target.verifyAudit(head: made.head).problem == nil)
    }

    /// Only the operator starts a new audit chain; the chain then verifies with the store's key
    /// and its `audit-rekey` entry names the old head.
    @Test(arguments: Engine.available)
    func onlyTheOperatorStartsANewChain(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let before = try await h.store.auditHead()
        for role in Role.allCases {
            let caller = try Caller.signedIn(Principal(actor: "x@example.se", role: role, organisation: Org.haninge), on: .command("test"))
            await #expect(throws: APIError.self, "\(role)") { _ = try await AuditOperations.rekey(reason: "prov", caller, h.services) }
        }
        #expect(try await h.store.auditHead() == before)
        let (old, new) = try await AuditOperations.rekey(reason: "KS 2026/1", Self.operatorCaller, h.services)
        #expect(old == before && new.count == before.count + 1)
        #expect(try await h.store.verifyAudit().problem == nil)
        let entry = try #require(try await h.store.searchAudit(.init(action: "audit-rekey")).first)
        #expect(entry.draft.detail == "a new key after the old was lost: KS 2026/1; the head of the chain under the lost key was \(before)")
    }
}
