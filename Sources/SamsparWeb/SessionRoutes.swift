import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SamsparDomain
import SamsparStore

// MARK: - Session

enum SessionRoutes {
    struct SignIn: Decodable {
        var email: String
        var password: String
    }

    static func signIn(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let (body, _) = try await Body.json(SignIn.self, request)
        let started = try await start(email: body.email, password: body.password, request, context, s)
        var response = JSONResponse.make(whoAmI(started.principal, csrf: started.csrf))
        response.setCookie(cookie(started.secret, s))
        return response
    }

    /// Signs a person in from this request's address (the API's and the sign-in page's).
    static func start(email: String, password: String, _ request: Request, _ context: AppContext, _ s: Services) async throws -> (
        secret: String, csrf: String, principal: Principal
    ) {
        let address = s.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
        return try await AccountOperations.signIn(email: email, password: password, from: address, on: context.channel(request), s)
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
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        try await AccountOperations.signOut(secret: request.cookies[Services.sessionCookie]?.value, caller, s)
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
