import Foundation
import SamsparWire
import Testing

@Suite("A process's own temporary directory")
struct ProcessDirectoryTests {
    /// A directory left by a process that is gone (killed during an upload) is removed, with the
    /// upload in it, when the next one is made; a living process's directory is left alone.
    @Test func aDirectoryWhoseProcessIsGoneIsRemovedWithWhatIsInIt() throws {
        let prefix = "samspar-sweep-\(UUID().uuidString.prefix(8))"
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let base = NSTemporaryDirectory() as NSString
        let stale = base.appendingPathComponent("\(prefix)-\(gone.processIdentifier)")
        let living = base.appendingPathComponent("\(prefix)-1")  // init lives as long as the machine
        for path in [stale, living] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data("person_id\n199001012385\n".utf8).write(to: URL(fileURLWithPath: path + "/upload"))
        }
        defer { try? FileManager.default.removeItem(atPath: living) }

        let own = ProcessDirectory.make(prefix)

        #expect(own == base.appendingPathComponent("\(prefix)-\(getpid())"))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: living + "/upload"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: own)[.posixPermissions] as? Int)
        #expect(mode == 0o700)
    }
}
