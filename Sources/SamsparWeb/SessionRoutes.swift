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
        /// A TOTP code or a recovery code, for an account with a second factor.
        var code: String?
    }

    static func signIn(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let (body, _) = try await Body.json(SignIn.self, request)
        let started = try await AccountOperations.signIn(
            email: body.email, password: body.password, code: body.code, from: context.clientAddress(request, s), on: context.channel(request), s)
        var response = JSONResponse.make(whoAmI(started.principal, csrf: started.csrf, proof: started.proof))
        response.setCookie(SessionCookie.started(started.secret, s))
        return response
    }

    static func current(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.requirePrincipal()
        return JSONResponse.make(whoAmI(principal, csrf: context.sessionCSRF, proof: context.sessionProof))
    }

    static func signOut(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try Caller.signedIn(context.principal, on: context.channel(request))
        try await AccountOperations.signOut(secret: request.cookies[Services.sessionCookie]?.value, caller, s)
        var response = Response(status: .noContent)
        response.setCookie(SessionCookie.ended)
        response.headers[SessionCookie.clearSiteData] = SessionCookie.clearEverything
        return response
    }

    static func whoAmI(_ p: Principal, csrf: String?, proof: SignInProof? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("actor", .string(p.actor)), ("role", .string(p.role.rawValue)), ("organisation", .string(p.organisation.description)),
        ]
        if let csrf { members.append(("csrfToken", .string(csrf))) }
        // SPEC §1: with one factor a person acts as an analyst; the role they hold is named.
        if let proof { members.append(("factors", .int(proof.factors))) }
        if let held = p.heldRole { members.append(("heldRole", .string(held.rawValue))) }
        return .object(members)
    }
}
