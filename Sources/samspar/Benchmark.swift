import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore

/// `samspar bench-reports`: times the report of every agreement in the database (load from
/// the store + compute), for BENCHMARKS.md. Hidden: a tool for engineers, not a user command.
struct BenchReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-reports", abstract: "Time every agreement's report (benchmark).", shouldDisplay: false)
    @OptionGroup var database: DatabaseOptions
    @Option var year: Int = 2018
    @Option(name: .customLong("as-of")) var asOf: String = "2019-03-31"
    @Option(help: "Repeat the whole round this many times; the best round is reported.") var rounds: Int = 3
    @Flag(name: .customLong("one-read-only"), help: "Only the reports from one read (to profile them alone).") var oneReadOnly = false

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        let day = try Day(iso: asOf)
        let year = self.year
        // A pool for PostgreSQL, so that the parallel round has a connection per task.
        let store = try await context.openPooledStore()
        do {
            let ids = try await store.agreements().map(\.agreement.id)
            guard !ids.isEmpty else { throw CLIFailure("no agreements in \(context.database)") }
            // One at a time: each report's own time.
            var best: (total: Double, each: [Double], active: Int)? = nil
            var alone: [String: Report] = [:]
            for _ in 0..<(oneReadOnly ? 0 : max(1, rounds)) {
                var each: [Double] = []
                var active = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for id in ids {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let (report, _) = try await store.report(agreementID: id, year: year, asOf: day)
                    each.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    active += report.participants.active
                    alone[id] = report
                }
                let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                if best == nil || total < best!.total { best = (total, each, active) }
            }
            // All of them from one read of the population (issue 27, part 3), checked against
            // the reports made one at a time above.
            var onePass = Double.infinity
            var same = 0
            for _ in 0..<max(1, rounds) {
                let start = DispatchTime.now().uptimeNanoseconds
                let all = try await store.reports(year: year, asOf: day)
                onePass = min(onePass, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                same = all.filter { alone[$0.1.agreement.id] == $0.0 }.count
            }
            // All of them, one task per core (issue 10: "using both cores").
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var parallel = Double.infinity
            for _ in 0..<(oneReadOnly ? 0 : max(1, rounds)) {
                let start = DispatchTime.now().uptimeNanoseconds
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var next = 0
                    for _ in 0..<min(cores, ids.count) {
                        let id = ids[next]
                        next += 1
                        group.addTask { _ = try await store.report(agreementID: id, year: year, asOf: day) }
                    }
                    while try await group.next() != nil, next < ids.count {
                        let id = ids[next]
                        next += 1
                        group.addTask { _ = try await store.report(agreementID: id, year: year, asOf: day) }
                    }
                    try await group.waitForAll()
                }
                parallel = min(parallel, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            guard let b = best else {
                print(String(format: "all reports (ms), from one read: %.1f", onePass))
                try await store.close()
                return
            }
            let sorted = b.each.sorted()
            print(String(format: "reports: %d agreements, %d active participants in %d", ids.count, b.active, year))
            print(String(format: "one report (ms): min %.1f, median %.1f, max %.1f", sorted.first!, sorted[sorted.count / 2], sorted.last!))
            print(String(format: "all reports one at a time (ms): %.1f", b.total))
            print(String(format: "all reports, %d at a time (ms): %.1f", cores, parallel))
            print("all reports from one read, the same figures as one at a time: \(same) of \(ids.count)")
            print(String(format: "all reports (ms), from one read: %.1f", onePass))
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }
}
