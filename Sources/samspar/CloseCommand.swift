import ArgumentParser
import Foundation
import SamsparDomain
import SamsparStore
import SamsparWeb

/// `samspar close` (SPEC §5): stores the quarters' closes that are due, of one agreement or of
/// every one, or the one quarter named. A quarter not yet due is refused; one already stored
/// is left as it is. One line per close: the quarter, `made` or `stored`, and the SHA-256 of
/// its unsuppressed and its suppressed form.
struct CloseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close", abstract: "Store the quarters' closes that are due. / Stäng de kvartal som ska stängas.",
        discussion: """
            A quarter's close is due at 00:00 Europe/Stockholm on the 31st day after its last day
            (SAMSPAR_CLOSE_DELAY_DAYS), for every quarter from the one in which the agreement's
            first version signed by every party is valid through the one in which it ends.
            `samspar serve` makes them too, at start and while it runs. On PostgreSQL it
            connects as `serve` does, through a pool of SAMSPAR_DATABASE_POOL connections
            (default 10): two agreements' closes are made at once.
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Agreement id (default: every agreement).") var agreement: String?
    @Option(help: "One quarter, YYYY-Qn (default: every quarter that is due).") var quarter: String?

    func run() async throws {
        try await runReportingErrors(execute)
    }

    private func execute() async throws {
        let context = try Context(options: database)
        var named: Quarter? = nil
        if let quarter {
            guard let q = Quarter(quarter) else { throw CLIFailure("--quarter \(quarter) is not a quarter such as 2018-Q2") }
            named = q
        }
        // Pooled as `serve` is (SAMSPAR_DATABASE_POOL): the closes are made for two agreements
        // at once, and on one connection each waited while the other read (a quarter of the
        // two cores idle at a national first start, issue 27).
        let closes = try await context.withStore(pooled: true) {
            try await FigureOperations.makeCloses(agreement, quarter: named, documents: false, context.caller("close"), context.services($0))
        }
        for (close, made) in closes {
            print("\(close.agreementID) \(close.quarter) \(made ? "made" : "stored") \(close.unsuppressedHash) \(close.suppressedHash)")
        }
        if closes.isEmpty { print("no close is due that is not stored / inget kvartal att stänga") }
    }
}
