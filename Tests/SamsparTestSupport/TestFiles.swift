import Foundation

/// Where tests put their files: one folder per test process under the system's temporary
/// folder (`samspar-tests-PID`), removed when the process exits. A folder whose process is
/// gone (a run that was killed) is removed by the next run. Before this, every run left its
/// databases behind: thousands of files in `/tmp` on a machine that runs the tests all day.
public enum TestFiles {
    public static let directory: URL = {
        let base = FileManager.default.temporaryDirectory
        let own = base.appendingPathComponent("samspar-tests-\(getpid())")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix("samspar-tests-") {
            guard let pid = Int32(name.dropFirst("samspar-tests-".count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(at: base.appendingPathComponent(name)) }
        }
        try? FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestFiles.directory) }
        return own
    }()

    /// A new path in ``directory``: `prefix`, a UUID, then `suffix` (such as `.sqlite`).
    public static func path(_ prefix: String, _ suffix: String = "") -> String {
        directory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)").path
    }
}
