import Foundation
import HummingbirdBcrypt
import NIOPosix
import SamsparDomain
import SamsparStore
import SamsparWire

/// What the routes share: the store, the clock, and the sign-in policy.
public struct Services: Sendable {
    public let store: any SamsparStore
    /// The clock, injected so tests can move time (consent validity, session expiry).
    public let now: @Sendable () -> Date
    /// bcrypt cost for new password hashes (12 in production; tests use the minimum, 4).
    public let bcryptCost: UInt8
    public let sessionLifetime: TimeInterval
    /// How every report leaves the server for roles without access to individual data
    /// (SPEC §3: the threshold is one setting, read by every command and by `serve`).
    public let suppression: Suppression
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (the sign-in limits
    /// then count the client's address). Empty: the header is ignored.
    public let trustedProxies: Set<String>
    /// The grant rounds' cap tables (issue 9, part 1): bundled, or `serve --grant-rounds FILE`.
    public let grantRounds: GrantRounds
    /// The days after a quarter's last day before its close is due (SPEC §3: 31).
    public let closeDelay: Int
    let signInLimiter: SignInLimiter
    let auditBuffer: AuditBuffer
    let tokenCache = TokenCache()
    let importJobs = ImportJobs()
    /// The organisations' identity providers (issue 25): discovery and keys, sign-ins under
    /// way, and the client secrets `serve` read at start.
    let providerCache = ProviderCache()
    let pendingSignIns = PendingSignIns()
    let providerSecrets = ProviderSecrets()
    /// The address people reach Samspår at (`serve --public-url`), which a provider sends
    /// them back to; without it, the request's own `Host`.
    public let publicURL: String?
    let demoMark = DemoMark()

    static let sessionCookie = "samspar_session"

    public init(
        store: any SamsparStore, now: @escaping @Sendable () -> Date = { Date() }, bcryptCost: UInt8 = 12, sessionLifetime: TimeInterval = 8 * 3600,
        suppression: Suppression = Suppression(), trustedProxies: Set<String> = [], grantRounds: GrantRounds = .bundled,
        closeDelay: Int = Closes.defaultDelay, publicURL: String? = nil
    ) {
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.grantRounds = grantRounds
        self.closeDelay = closeDelay
        self.store = store
        self.now = now
        self.bcryptCost = bcryptCost
        self.sessionLifetime = sessionLifetime
        self.suppression = suppression
        self.trustedProxies = trustedProxies
        self.signInLimiter = SignInLimiter(store: store)
        self.auditBuffer = AuditBuffer(store: store, now: now)
    }

    /// Today in Sweden: the day consents and reports are judged on.
    public var today: Day { Services.swedishDay(now()) }

    static let sweden = TimeZone(identifier: "Europe/Stockholm") ?? .gmt

    public static func swedishDay(_ date: Date) -> Day {
        let local = date.timeIntervalSince1970 + Double(sweden.secondsFromGMT(for: date))
        return Day(ordinal: Int32((local / 86_400).rounded(.down)))
    }

    /// The live token with this secret. Answers are cached for ``TokenCache/lifetime``: a
    /// token revoked on another instance stops working there within that time (at once here).
    func authenticateToken(_ secret: String) async throws -> APIToken? {
        let now = now()
        if let cached = await tokenCache.lookup(secret, now: now) { return cached }
        let token = try await store.token(secret: secret)
        if let token { await tokenCache.store(secret, token, now: now) }
        return token
    }

    func session(_ secret: String) async throws -> UserSession? {
        let now = now()
        return try await store.session(secret: secret, now: now)
    }

    /// Whether this is a demo database (`samspar demo`): asked once, then known for good.
    /// Every page asks, so "no" is remembered for a minute (a `samspar demo` run beside a
    /// running server shows within that time), and "yes" for good.
    func isDemo() async throws -> Bool {
        let now = now()
        if let known = await demoMark.answer(at: now) { return known }
        let demo = try await store.isDemo()
        await demoMark.set(demo, at: now)
        return demo
    }

    /// Reads the client secrets of every organisation's provider (`serve`, at start); what
    /// could not be read is returned, one line each.
    public func loadProviderSecrets() async throws -> [String] {
        await providerSecrets.load(try await store.identityProviders())
        return await providerSecrets.problems
    }

    /// 256 random bits, URL-safe.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return OIDC.base64URL(bytes)
    }

    /// bcrypt runs on NIO's blocking thread pool: at cost 12 it takes a quarter of a second
    /// of CPU, which must not stall Swift's cooperative pool that serves every request.
    public static func hashPassword(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not one (the header's earlier entries are the
    /// client's own say and could be anything).
    func clientAddress(peer: String, forwardedFor: String?) -> String {
        Self.clientAddress(peer: peer, forwardedFor: forwardedFor, trusted: trustedProxies)
    }

    static func clientAddress(peer: String, forwardedFor: String?, trusted trustedProxies: Set<String>) -> String {
        ForwardedFor.client(peer: peer, forwardedFor: forwardedFor, trusted: trustedProxies)
    }

    /// The password rule: long enough to resist guessing, nothing else imposed.
    ///
    /// bcrypt reads at most 72 bytes and stops at a NUL (issue 21, ASVS 2.1.2): a longer
    /// password, or one with a NUL, would be kept as less than it is, so it is refused rather
    /// than cut. 72 bytes are 72 ASCII characters, or 36 of Swedish letters at worst.
    public static func checkPassword(_ password: String) -> String? {
        if password.count < 12 { return "the password must have at least 12 characters / lösenordet måste ha minst 12 tecken" }
        if password.utf8.contains(0) { return "the password may not hold a NUL character / lösenordet får inte innehålla NUL" }
        if password.utf8.count > maxPasswordBytes {
            return "the password may be at most 72 bytes (72 letters a–z, fewer with å, ä, ö) / lösenordet får vara högst 72 byte"
        }
        return nil
    }

    /// What bcrypt reads of a password.
    static let maxPasswordBytes = 72
}

/// The demo mark, once seen (it is never removed).
actor DemoMark {
    private var demo = false
    private var checked: Date?

    func answer(at now: Date) -> Bool? {
        if demo { return true }
        guard let checked, abs(now.timeIntervalSince(checked)) < 60 else { return nil }
        return false
    }

    func set(_ demo: Bool, at now: Date) {
        self.demo = self.demo || demo
        checked = now
    }
}

/// Recently authenticated API tokens, by the digest of their secret.
actor TokenCache {
    static let lifetime: TimeInterval = 10
    private var entries: [String: (token: APIToken, until: Date)] = [:]

    func lookup(_ secret: String, now: Date) -> APIToken? {
        let key = Digest.sha256(secret)
        guard let entry = entries[key] else { return nil }
        guard entry.until > now else {
            entries[key] = nil
            return nil
        }
        return entry.token
    }

    func store(_ secret: String, _ token: APIToken, now: Date) {
        if entries.count > 10_000 { entries.removeAll() }
        entries[Digest.sha256(secret)] = (token, now.addingTimeInterval(Self.lifetime))
    }

    func removeAll() { entries.removeAll() }
}

/// Sign-in attempts per account and per address: after `maxFailures` failures within
/// `window`, further attempts on the account are refused until the window has passed. The
/// failures are in the database (issue 10, part 5), so every instance on it counts the same
/// ones, and each attempt is reserved there before its password is checked (issue 20): a
/// hundred attempts at once check at most the limit's worth of passwords.
///
/// An address is limited by what it tried (issue 20; SECURITY.md *Sign-in limits*): after
/// `maxFailuresPerAddress` failures from it, it may still try an account it has not failed
/// on, once; an account it has failed on is refused. So a burst from one office's NAT does
/// not lock out a colleague behind it, and guessing across many accounts from one address
/// gets one guess per account per window once over the limit.
struct SignInLimiter: Sendable {
    let maxFailures = 5
    let maxFailuresPerAddress = 20
    let window: TimeInterval = 15 * 60
    let store: any SamsparStore

    enum Reservation {
        case reserved(attempt: String)
        case refused(retryAfter: Int)
    }

    /// Reserves one attempt, or says how many seconds to wait.
    func reserve(account: String, address: String, now: Date) async throws -> Reservation {
        let at = Int64(now.timeIntervalSince1970.rounded(.down))
        let since = at - Int64(window)
        let (accountKey, addressKey, pairKey) = ("a:" + account, "i:" + address, "p:" + address + " " + account)
        var rules = [SignInRule([(accountKey, maxFailures)])]
        if !Mutant.flips("signIn.addressTriedOnly") {
            rules.append(SignInRule([(addressKey, maxFailuresPerAddress), (pairKey, 1)]))
        } else {
            rules.append(SignInRule([(addressKey, maxFailuresPerAddress)]))
        }
        let attempt = Services.newSecret()
        let record = Mutant.flips("signIn.reserveFirst") ? [] : [accountKey, addressKey, pairKey]
        guard let first = try await store.reserveSignInAttempt(rules: rules, record: record, attempt: attempt, since: since, at: at) else {
            return .reserved(attempt: attempt)
        }
        return .refused(retryAfter: max(1, Int(window - (now.timeIntervalSince1970 - Double(first)))))
    }

    /// The reserved attempt failed: its rows stay as its failures (a mutant that reserves
    /// nothing records them here instead, as before issue 20).
    func failed(account: String, address: String, now: Date) async throws {
        guard Mutant.flips("signIn.reserveFirst") else { return }
        let at = Int64(now.timeIntervalSince1970.rounded(.down))
        try await store.recordSignInFailure(
            keys: ["a:" + account, "i:" + address, "p:" + address + " " + account], at: at, forgetBefore: at - Int64(window))
    }

    func succeeded(account: String, attempt: String) async throws {
        try await store.signInSucceeded(attempt: attempt, clearing: "a:" + account)
    }
}
