import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

// MARK: - Session

enum SessionRoutes {
    struct SignIn: Decodable {
        var email: String
        var password: String
    }

    /// A hash to verify against when the account does not exist, so both answers take as long.
    static let dummyHash = Bcrypt.hash("not a real password, only for timing", cost: 12)

    static func signIn(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let (body, _) = try await Body.json(SignIn.self, request)
        let started = try await start(email: body.email, password: body.password, request, context, s)
        var response = JSONResponse.make(whoAmI(started.principal, csrf: started.csrf))
        response.setCookie(cookie(started.secret, s))
        return response
    }

    /// Signs a person in (the API's `POST /session` and the sign-in page): the rate limits,
    /// the password check that takes as long for an unknown account, the session and its
    /// audit entry. Throws the API's `rate_limited` or `sign_in_failed`.
    static func start(email rawEmail: String, password: String, _ request: Request, _ context: AppContext, _ s: Services) async throws -> (
        secret: String, csrf: String, principal: Principal
    ) {
        let email = rawEmail.lowercased().trimmingCharacters(in: .whitespaces)
        let now = s.now()
        let address = s.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
        if let wait = try await s.signInLimiter.retryAfter(account: email, address: address, now: now) {
            throw APIError(
                status: .tooManyRequests, code: "rate_limited", message: "too many failed sign-ins; try again in \(wait) s / för många misslyckade försök",
                headers: [.retryAfter: String(wait)])
        }
        let user = try await s.store.user(email: email)
        let valid = try await Services.verifyPassword(password, hash: user?.passwordHash ?? dummyHash)
        guard let user, valid, !user.disabled else {
            try await s.signInLimiter.failed(account: email, address: address, now: now)
            throw APIError(status: .unauthorized, code: "sign_in_failed", message: "wrong e-mail address or password / fel e-postadress eller lösenord")
        }
        try await s.signInLimiter.succeeded(account: email)
        let secret = Services.newSecret()
        let csrf = Services.newSecret()
        let principal = Principal(actor: user.email, role: user.role, organisation: user.organisation)
        let channel = context.channel(request)
        try await s.store.createSession(
            userID: user.id, secret: secret, csrfToken: csrf, lifetime: s.sessionLifetime, audit: s.draft(principal, "sign-in", person: nil, channel: channel),
            at: now)
        return (secret, csrf, principal)
    }

    static func cookie(_ secret: String, _ s: Services) -> Cookie {
        Cookie(name: Services.sessionCookie, value: secret, maxAge: Int(s.sessionLifetime), path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }

    static let endedCookie = Cookie(name: Services.sessionCookie, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict)

    static func current(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.requirePrincipal()
        return JSONResponse.make(whoAmI(principal, csrf: context.sessionCSRF))
    }

    static func signOut(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        if let secret = request.cookies[Services.sessionCookie]?.value {
            try await s.store.deleteSession(secret: secret)
        }
        var response = Response(status: .noContent)
        response.setCookie(endedCookie)
        return response
    }

    static func whoAmI(_ p: Principal, csrf: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("actor", .string(p.actor)), ("role", .string(p.role.rawValue)), ("organisation", .string(p.organisation.description)),
        ]
        if let csrf { members.append(("csrfToken", .string(csrf))) }
        return .object(members)
    }
}
