import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A directory of this process's own under the system's temporary directory, named
/// `prefix-PID` and readable by its user only. It is removed, with what is in it, when the
/// process exits; and when one is made, those of the same prefix whose process is gone (killed
/// before it could remove its own) are removed too.
///
/// Decided: uploads wait in such a directory (``SpooledFile/directory``), and an upload is a
/// file of personal data. Before this, every server left its directory behind, and a server
/// killed during an upload left the file: a newcomer found hundreds of them in `/tmp`, one
/// with an identity number in it. A directory is only removed when `kill(pid, 0)` says there
/// is no such process; another user's is left alone (its mode keeps us out anyway).
public enum ProcessDirectory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String] = []

    public static func make(_ prefix: String) -> String {
        let base = NSTemporaryDirectory()
        let own = (base as NSString).appendingPathComponent("\(prefix)-\(getpid())")
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix(prefix + "-") {
            guard let pid = Int32(name.dropFirst(prefix.count + 1)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? files.removeItem(atPath: (base as NSString).appendingPathComponent(name)) }
        }
        mkdir(own, 0o700)
        let first = lock.withLock {
            made.append(own)
            return made.count == 1
        }
        if first { atexit { ProcessDirectory.removeAll() } }
        return own
    }

    private static func removeAll() {
        for path in lock.withLock({ made }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
