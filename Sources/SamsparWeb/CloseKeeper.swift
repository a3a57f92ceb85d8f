import Foundation
import Logging
import SamsparDomain
import ServiceLifecycle

/// Makes the quarters' closes that are due while `samspar serve` runs (SPEC §3): once at
/// start, in the background, and then every ``interval``. With several instances each tries;
/// the store keeps the first close of a quarter and discards the others' results. A round
/// that fails (a write kept landing during the snapshot, the database was away) is logged
/// and tried again next round. The server acts as the operator would with `samspar close`:
/// its audit entries name it `cli:samspar-serve`.
struct CloseKeeper: Service {
    let services: Services
    let logger: Logger
    var interval: Duration = .seconds(600)

    func run() async throws {
        let caller = Caller.operator("samspar-serve", on: .command("serve"))
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for (close, made) in try await FigureOperations.makeCloses(nil, quarter: nil, documents: false, caller, services) where made {
                        logger.notice("closed \(close.agreementID) \(close.quarter)")
                    }
                } catch {
                    logger.warning("the quarters' closes were not made this round: \(error)")
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
