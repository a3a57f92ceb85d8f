import Foundation
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore

/// Issue 21 (the soak): a SQLite serve's memory grows with its database until the page caches
/// are full, so their size is the operator's to set (`SAMSPAR_SQLITE_CACHE_MIB`).
@Suite("SQLite's page cache")
struct PageCacheTests {
    /// The total is shared out as written in `PageCache`'s comment: the writer half, each of
    /// four readers an eighth, an import at most 24 MiB (values in KiB, negative as SQLite
    /// takes a size in KiB).
    @Test(arguments: [(8, -4096, -1024, -4096), (128, -65536, -16384, -24576), (1024, -524_288, -131_072, -24576)])
    func theTotalIsSharedOut(total: Int, writer: Int, reader: Int, importing: Int) async throws {
        let path = TestFiles.directory.appendingPathComponent("cache-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let cache = try #require(SQLiteStore.PageCache(totalMiB: total))
        let store = try await SQLiteStore.open(path: path, pageCache: cache)
        let writerSetting: Int? = try await store.query("PRAGMA cache_size").first?["cache_size"].int.map { Int($0) }
        let readerSetting: Int? = try await store.read { session -> Int? in
            let rows = try await session.query("PRAGMA cache_size", [])
            return rows.first?["cache_size"].int.map { Int($0) }
        }
        try await store.close()
        #expect(writerSetting == writer)
        #expect(readerSetting == reader)
        #expect(-cache.importKiB == importing)
    }

    @Test func outsideTheRangeIsNoCache() {
        #expect(SQLiteStore.PageCache(totalMiB: 7) == nil)
        #expect(SQLiteStore.PageCache(totalMiB: 65_537) == nil)
        #expect(SQLiteStore.PageCache(totalMiB: 65_536) != nil)
    }
}
