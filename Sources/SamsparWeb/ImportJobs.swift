import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The import jobs of this process, held in memory (a restart forgets them; the files
/// themselves are written all or nothing, so nothing is half done).
actor ImportJobs {
    enum State: Sendable {
        case running
        case done(Int)
        case refused([ImportProblem])
    }

    struct Job: Sendable {
        var owner: String
        var kind: ImportKind
        var file: String
        var rows: Int
        var rowsRead = 0
        var state = State.running
        var started: Date
    }

    private var jobs: [String: Job] = [:]

    static func key(_ p: Principal) -> String { "\(p.actor)@\(p.organisation)" }

    func start(owner: Principal, kind: ImportKind, file: String, rows: Int) -> String {
        // Finished jobs older than a day are forgotten.
        let now = Date()
        jobs = jobs.filter { if case .running = $0.value.state { return true } else { return now.timeIntervalSince($0.value.started) < 86_400 } }
        let id = Services.newSecret()
        jobs[id] = Job(owner: Self.key(owner), kind: kind, file: file, rows: rows, started: now)
        return id
    }

    func progress(_ id: String, rows: Int) {
        guard var job = jobs[id], case .running = job.state else { return }
        job.rowsRead = max(job.rowsRead, rows)
        jobs[id] = job
    }

    func finish(_ id: String, _ state: State) {
        jobs[id]?.state = state
        if case .done(let rows) = state { jobs[id]?.rowsRead = rows }
    }

    /// Only the person who started a job sees it.
    func job(_ id: String, owner: Principal) -> Job? {
        guard let job = jobs[id], job.owner == Self.key(owner) else { return nil }
        return job
    }
}
