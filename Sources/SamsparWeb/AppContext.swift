import HTTPTypes
import Hummingbird
import NIOCore
import SamsparDomain
import SamsparStore

/// The per-request context: who is asking, and how they proved it.
struct AppContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware``; `nil` for anonymous requests.
    var principal: Principal?
    /// The CSRF token of the cookie session, when the request came with one (writes must echo it).
    var sessionCSRF: String?
    /// How the cookie session was begun (factors, method, a provider's `acr`), when there is one.
    var sessionProof: SignInProof?
    /// The account behind the cookie session (its own sessions page, its second factor).
    var sessionUser: UserAccount?
    /// The session's secret, so the person's own page can tell "this session" among theirs.
    var sessionHandle: String?
    /// The peer's IP address (sign-in rate limits); never logged.
    let remoteAddress: String
    /// Today in Sweden, set by ``AuthenticationMiddleware`` from the injected clock.
    var today = Day(ordinal: 0)

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        sessionCSRF = nil
        sessionProof = nil
        sessionUser = nil
        sessionHandle = nil
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read with explicit limits per route (``Limits``).
    var maxUploadSize: Int { Limits.importBody }

    /// The client's address for the sign-in limits: the peer's, or the nearest untrusted one
    /// a trusted proxy names (``Services/clientAddress(peer:forwardedFor:)``).
    func clientAddress(_ request: Request, _ s: Services) -> String {
        s.clientAddress(peer: remoteAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
    }

    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated }
        return principal
    }
}

/// Request size limits by route (issue 4, hardening; issue 20: each route reads at most its
/// own, and a body declared larger is refused with 413 before it is read).
enum Limits {
    /// A JSON body: one record, one agreement.
    static let jsonBody = 1 << 20
    /// A page's form (not a file).
    static let formBody = 1 << 20
    /// A bulk CSV file through the API or the import page, read as a stream into a spooled
    /// file. Larger files go through `samspar import`.
    static let importBody = 64 << 20
}
