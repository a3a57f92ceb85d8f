import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The API's user and token routes: each parses the request, asks ``AccountOperations``, and
/// renders its answer.
enum AccountRoutes {
    struct NewUser: Decodable {
        var email: String
        var organisation: String?
        var role: String
        var password: String
    }

    struct NewToken: Decodable {
        var organisation: String?
        var name: String
    }

    struct NewPassword: Decodable {
        var password: String
    }

    static func userDocument(_ u: UserAccount) -> JSONValue {
        .object([
            ("id", .int(Int(u.id))), ("email", .string(u.email)), ("organisation", .string(u.organisation.description)),
            ("role", .string(u.role.rawValue)), ("disabled", .bool(u.disabled)),
        ])
    }

    static func tokenDocument(_ t: APIToken) -> JSONValue {
        .object([
            ("id", .int(Int(t.id))), ("organisation", .string(t.organisation.description)), ("name", .string(t.name)), ("createdAt", .string(t.createdAt)),
            ("revokedAt", t.revokedAt.map { .string($0) } ?? .null),
        ])
    }

    static func users(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(context.principal, on: context.channel(request))
        let users = try await AccountOperations.users(caller, s)
        return JSONResponse.make(.object([("items", .array(users.map(userDocument)))]))
    }

    static func addUser(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(context.principal, on: context.channel(request))
        let (body, _) = try await Body.json(NewUser.self, request)
        let added = try await AccountOperations.addUser(
            email: body.email, organisation: body.organisation, role: body.role, password: body.password, caller, s)
        return JSONResponse.make(
            .object([
                ("id", .int(Int(added.id))), ("email", .string(added.email)), ("organisation", .string(added.organisation.description)),
                ("role", .string(added.role.rawValue)),
            ]),
            status: .created)
    }

    static func setDisabled(_ disabled: Bool, _ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.user)
        return JSONResponse.make(userDocument(try await AccountOperations.setDisabled(disabled, id: id, caller, s)))
    }

    static func resetPassword(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageUsers.authorize(context.principal, on: context.channel(request))
        let id = try context.parameter(.user)
        let (body, _) = try await Body.json(NewPassword.self, request)
        return JSONResponse.make(userDocument(try await AccountOperations.resetPassword(id: id, to: body.password, caller, s)))
    }

    static func tokens(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageTokens.authorize(context.principal, on: context.channel(request))
        let tokens = try await AccountOperations.tokens(caller, s)
        return JSONResponse.make(.object([("items", .array(tokens.map(tokenDocument)))]))
    }

    static func createToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageTokens.authorize(context.principal, on: context.channel(request))
        let (body, _) = try await Body.json(NewToken.self, request)
        let token = try await AccountOperations.createToken(named: body.name, organisation: body.organisation, caller, s)
        return JSONResponse.make(
            .object([
                ("id", .int(Int(token.id))), ("organisation", .string(token.organisation.description)), ("name", .string(token.name)),
                ("token", .string(token.secret)),
            ]), status: .created)
    }

    static func revokeToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let caller = try AccountOperations.Act.manageTokens.authorize(context.principal, on: context.channel(request))
        try await AccountOperations.revokeToken(try context.parameter(.token), caller, s)
        return Response(status: .noContent)
    }
}
