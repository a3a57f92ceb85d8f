import Foundation
import SamsparWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("A process's own temporary directory")
struct ProcessDirectoryTests {
    /// A directory left by a process that is gone (killed during an upload) is removed, with the
    /// upload in it, when the next one is made; a living process's directory is left alone.
    /// Neither has a lock file: directories made before lock files were.
    @Test func aDirectoryWhoseProcessIsGoneIsRemovedWithWhatIsInIt() throws {
        let prefix = "samspar-sweep-\(UUID().uuidString.prefix(8))"
        let base = NSTemporaryDirectory() as NSString
        let stale = base.appendingPathComponent("\(prefix)-\(try goneProcess())")
        let living = base.appendingPathComponent("\(prefix)-1")  // init lives as long as the machine
        for path in [stale, living] { try makeDirectoryWithUpload(path) }
        defer { try? FileManager.default.removeItem(atPath: living) }

        let own = ProcessDirectory.make(prefix)
        defer { try? FileManager.default.removeItem(atPath: own) }

        #expect(own == base.appendingPathComponent("\(prefix)-\(getpid())"))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: living + "/upload"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: own)[.posixPermissions] as? Int)
        #expect(mode == 0o700)
        #expect(FileManager.default.fileExists(atPath: own + ".lock"), "ours is locked")
        #expect(ProcessDirectory.make(prefix) == own, "made twice in one process: the same one, not a wait for our own lock")
    }

    /// In a container that shares `/tmp` but not process numbers, a living server's number can
    /// be one that is free here. Its lock says it lives: its directory stays while the lock is
    /// held, and goes with the next sweep once the lock is let go (the process died).
    @Test func aDirectoryWhoseLockIsHeldStaysWhateverItsNumberSays() throws {
        let prefix = "samspar-sweep-\(UUID().uuidString.prefix(8))"
        let base = NSTemporaryDirectory() as NSString
        let elsewhere = base.appendingPathComponent("\(prefix)-\(try goneProcess())")
        try makeDirectoryWithUpload(elsewhere)
        let held = open(elsewhere + ".lock", O_RDWR | O_CREAT, 0o600)
        #expect(held >= 0)
        #expect(flock(held, LOCK_EX) == 0)
        // A lock file whose directory was never made (its process died between the two).
        let orphan = base.appendingPathComponent("\(prefix)-\(try goneProcess()).lock")
        #expect(FileManager.default.createFile(atPath: orphan, contents: nil))

        ProcessDirectory.removeAbandoned(prefix)
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/upload"), "its lock is held: its process lives")
        #expect(FileManager.default.fileExists(atPath: elsewhere + ".lock"))
        #expect(!FileManager.default.fileExists(atPath: orphan), "an orphan lock file nobody holds is removed")

        close(held)  // the process dies: the kernel lets go of its lock
        ProcessDirectory.removeAbandoned(prefix)
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        #expect(!FileManager.default.fileExists(atPath: elsewhere + ".lock"))
    }

    /// Two containers sharing `/tmp` can each run a server of the same number. The second
    /// finds the name's lock held and takes the next name, instead of waiting for it forever
    /// or sharing the first one's uploads.
    @Test func aNameWhoseLockIsHeldElsewhereIsNotOurs() throws {
        let prefix = "samspar-sweep-\(UUID().uuidString.prefix(8))"
        let base = NSTemporaryDirectory() as NSString
        let theirs = base.appendingPathComponent("\(prefix)-\(getpid())")
        try makeDirectoryWithUpload(theirs)
        let held = open(theirs + ".lock", O_RDWR | O_CREAT, 0o600)
        #expect(flock(held, LOCK_EX) == 0)
        defer {
            close(held)
            try? FileManager.default.removeItem(atPath: theirs)
            unlink(theirs + ".lock")
        }

        let own = ProcessDirectory.make(prefix)

        #expect(own == base.appendingPathComponent("\(prefix)-\(getpid())-1"))
        #expect(FileManager.default.fileExists(atPath: theirs + "/upload"), "theirs is left alone")
    }

    private func goneProcess() throws -> Int32 {
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        return gone.processIdentifier
    }

    private func makeDirectoryWithUpload(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("person_id\n199001012385\n".utf8).write(to: URL(fileURLWithPath: path + "/upload"))
    }
}
