import Foundation
import SamsparDomain
import SamsparStore

/// `samspar demo` (issue 8): the operator loads the demo's agreements, files and accounts,
/// each act audited as the operator's.
public enum DemoOperations {
    /// Imports the agreements and then each file (the operator's bulk load, SPEC §4); returns
    /// the rows read per kind.
    public static func load(
        agreements: [Agreement], files: [ImportKind: String], progress: (@Sendable (ImportKind, Int) -> Void)? = nil, _ caller: Caller, _ s: Services
    ) async throws -> [ImportKind: Int] {
        try await DemoLoader.load(
            agreements: agreements, files: files, into: s.store, currentYear: s.today.year, now: s.now(), progress: progress,
            audit: { caller.entry($0, detail: $1) })
    }

    /// Creates the demo's accounts that do not exist yet, all with one published password and
    /// a lower bcrypt cost so that the demo loads quickly; returns them all.
    public static func createAccounts(
        _ accounts: [(email: String, org: String, role: Role)], password: String, _ caller: Caller, _ s: Services
    ) async throws -> [(String, Role)] {
        // A database with the demo's accounts is a demo for good (SPEC §1): its accounts sign in
        // without a second factor, and every page says it is a demo.
        try await s.store.markDemo(at: s.now())
        let hash = try await Services.hashPassword(password, cost: 10)
        for account in accounts {
            guard try await s.store.user(email: account.email) == nil else { continue }
            let org = try Organisationsnummer(account.org)
            _ = try await s.store.addUser(
                email: account.email, organisation: org, role: account.role, passwordHash: hash,
                audit: caller.entry("add-user", detail: "\(account.email) \(account.role.rawValue) \(org) (demo)"), at: s.now())
        }
        return accounts.map { ($0.email, $0.role) }
    }
}
