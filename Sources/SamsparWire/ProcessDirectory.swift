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
/// with an identity number in it.
///
/// Whether a directory's process is gone is decided by a lock, not by its number: beside the
/// directory lies `prefix-PID.lock`, which its process locks (`flock`) before it makes the
/// directory and holds until it exits; the kernel lets go of the lock when the process dies,
/// however it dies. A directory is removed only when its lock can be taken. Decided so because
/// two containers that share `/tmp` do not share process numbers: by `kill(pid, 0)` alone each
/// would take the other's living server for dead and remove its uploads during an import. A
/// directory with no lock file beside it was made before locks were (or the file was removed
/// by hand); it is removed only when `kill(pid, 0)` says there is no such process here. Another
/// user's is left alone (its mode keeps us out anyway).
public enum ProcessDirectory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String] = []

    public static func make(_ prefix: String) -> String {
        let base = NSTemporaryDirectory()
        // A second lock of our own file would wait for the first forever.
        if let own = lock.withLock({ made.first { ($0 as NSString).lastPathComponent.hasPrefix("\(prefix)-\(getpid())") } }) { return own }
        removeAbandoned(prefix)
        // The lock first, then the directory: a directory of ours is never seen without it. A
        // process of the same number in another container sharing `/tmp` may hold the name's
        // lock; then the next name (`prefix-PID-1`, …) is ours.
        var own = (base as NSString).appendingPathComponent("\(prefix)-\(getpid())")
        for n in 1...100 {
            if holdLock(own + ".lock") { break }
            own = (base as NSString).appendingPathComponent("\(prefix)-\(getpid())-\(n)")
        }
        mkdir(own, 0o700)
        let first = lock.withLock {
            made.append(own)
            return made.count == 1
        }
        if first { atexit { ProcessDirectory.removeAll() } }
        return own
    }

    /// Removes the directories (and lock files) of `prefix` whose process is gone, as
    /// ``make(_:)`` does before it makes its own.
    public static func removeAbandoned(_ prefix: String) {
        let base = NSTemporaryDirectory()
        var names = Set<String>()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix(prefix + "-") {
            names.insert(name.hasSuffix(".lock") ? String(name.dropLast(".lock".count)) : name)
        }
        for name in names {
            // `prefix-PID` or `prefix-PID-N`.
            guard let pid = Int32(name.dropFirst(prefix.count + 1).prefix { $0 != "-" }), pid > 0 else { continue }
            let directory = (base as NSString).appendingPathComponent(name)
            if lock.withLock({ made.contains(directory) }) { continue }
            let fd = open(directory + ".lock", O_RDWR | O_CLOEXEC)
            if fd >= 0 {
                defer { close(fd) }
                // Held: its process lives, here or in another container.
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
                try? FileManager.default.removeItem(atPath: directory)
                unlink(directory + ".lock")
            } else if errno == ENOENT, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    /// Opens and locks `path` for as long as the process lives (the descriptor is never
    /// closed); false when another process holds it. A sweep may remove the file between our
    /// open and our lock; then the file now at `path` is locked instead.
    private static func holdLock(_ path: String) -> Bool {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                return false
            }
            var held = stat()
            var named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino { return true }
            close(fd)
        }
    }

    private static func removeAll() {
        for path in lock.withLock({ made }) {
            try? FileManager.default.removeItem(atPath: path)
            unlink(path + ".lock")
        }
    }
}
