import Foundation
import SamsparWire

/// Where tests put their files: one folder per test process under the system's temporary
/// folder (`samspar-tests-PID`), removed when the process exits. A folder whose process is
/// gone (a run that was killed) is removed by the next run. Before this, every run left its
/// databases behind: thousands of files in `/tmp` on a machine that runs the tests all day.
public enum TestFiles {
    public static let directory = URL(fileURLWithPath: ProcessDirectory.make("samspar-tests"))

    /// A new path in ``directory``: `prefix`, a UUID, then `suffix` (such as `.sqlite`).
    public static func path(_ prefix: String, _ suffix: String = "") -> String {
        directory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)").path
    }
}
