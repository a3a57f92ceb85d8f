import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

// MARK: - Users and tokens

/// An admin manages the users and tokens of their own organisation only (SPEC §1); the
/// operator's command line manages any. Every act is audited; an attempt on another
/// organisation's account is refused and audited as a refusal.
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

    static func userDocument(_ u: Registry.User) -> JSONValue {
        .object([
            ("id", .int(Int(u.id))), ("email", .string(u.email)), ("organisation", .string(u.organisation.description)),
            ("role", .string(u.role.rawValue)), ("disabled", .bool(u.disabled)),
        ])
    }

    /// The organisation a body names, which must be the admin's own (or absent).
    private static func ownOrganisation(_ text: String?, _ principal: Principal, _ channel: String) throws -> Organisationsnummer {
        guard let text else { return principal.organisation }
        guard let org = try? Organisationsnummer(text) else {
            throw APIError.invalid("nothing was saved", problems: [.init(line: 0, column: "organisation", reason: "is not a valid organisationsnummer")])
        }
        guard Mutant.decide("accounts.ownOrganisation", org == principal.organisation) else {
            var error = APIError.forbidden("an admin manages their own organisation only / du administrerar bara din egen organisation")
            error.refusal = .init(person: nil, reason: "account of another organisation (\(org))", channel: channel)
            throw error
        }
        return org
    }

    static func users(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage users", request)
        let own = principal.organisation
        let users = try await s.store.users(of: own)
        return JSONResponse.make(.object([("items", .array(users.map(userDocument)))]))
    }

    static func addUser(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage users", request)
        let channel = context.channel(request)
        let (body, _) = try await Body.json(NewUser.self, request)
        let own = try ownOrganisation(body.organisation, principal, channel)
        let (id, email, org, role) = try await add(
            email: body.email, organisation: own, role: body.role, password: body.password, principal, channel: channel, s)
        return JSONResponse.make(
            .object([("id", .int(Int(id))), ("email", .string(email)), ("organisation", .string(org.description)), ("role", .string(role.rawValue))]),
            status: .created)
    }

    /// Adds a user of `organisation` (the API's and the accounts page's), audited.
    static func add(
        email rawEmail: String, organisation: Organisationsnummer, role rawRole: String, password: String, _ principal: Principal, channel: String,
        _ s: Services
    ) async throws -> (Int64, String, Organisationsnummer, Role) {
        let (email, org, role) = try UserInput.validate(email: rawEmail, organisation: organisation.description, role: rawRole, password: password)
        let hash = try await Services.hashPassword(password, cost: s.bcryptCost)
        do {
            let id = try await s.store.addUser(
                email: email, organisation: org, role: role, passwordHash: hash,
                audit: s.draft(principal, "add-user", person: nil, channel: channel, detail: "\(email) \(role.rawValue) \(org)"), at: s.now())
            return (id, email, org, role)
        } catch let error as RegistryError {
            throw APIError.conflict(error.description)
        } catch let error as OrganisationError {
            throw APIError.invalid("the user was not added", problems: [.init(line: 0, column: "organisation", reason: error.description)])
        }
    }

    static func setDisabled(_ disabled: Bool, _ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage users", request)
        guard let id = context.parameters.get("userId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        return JSONResponse.make(userDocument(try await setDisabled(disabled, id: id, principal, channel: context.channel(request), s)))
    }

    static func setDisabled(_ disabled: Bool, id: Int64, _ principal: Principal, channel: String, _ s: Services) async throws -> Registry.User {
        let user = try await s.store.setUserDisabled(
            disabled, userID: id, of: principal.organisation,
            audit: { s.draft(principal, disabled ? "disable-user" : "enable-user", person: nil, channel: channel, detail: "user \(id) \($0.email)") },
            at: s.now())
        guard let user else { throw refusedAccount(id, channel) }
        return user
    }

    static func resetPassword(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage users", request)
        guard let id = context.parameters.get("userId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        let channel = context.channel(request)
        let (body, _) = try await Body.json(NewPassword.self, request)
        return JSONResponse.make(userDocument(try await resetPassword(id: id, to: body.password, principal, channel: channel, s)))
    }

    static func resetPassword(id: Int64, to password: String, _ principal: Principal, channel: String, _ s: Services) async throws -> Registry.User {
        if let reason = Services.checkPassword(password) {
            throw APIError.invalid("the password was not changed", problems: [.init(line: 0, column: "password", reason: reason)])
        }
        let hash = try await Services.hashPassword(password, cost: s.bcryptCost)
        let user = try await s.store.setPassword(
            hash: hash, userID: id, of: principal.organisation,
            audit: { s.draft(principal, "reset-password", person: nil, channel: channel, detail: "user \(id) \($0.email)") }, at: s.now())
        guard let user else { throw refusedAccount(id, channel) }
        return user
    }

    /// Another organisation's account (or none at all): the same `404`, audited as a refusal.
    private static func refusedAccount(_ id: Int64, _ channel: String) -> APIError {
        var error = APIError.notFound("no such user in your organisation / användaren finns inte")
        error.refusal = .init(person: nil, reason: "account \(id) is not theirs or does not exist", channel: channel)
        return error
    }

    static func tokens(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage API tokens", request)
        let own = principal.organisation
        let tokens = try await s.store.tokens(of: own)
        return JSONResponse.make(.object([("items", .array(tokens.map(tokenDocument)))]))
    }

    static func tokenDocument(_ t: Registry.Token) -> JSONValue {
        .object([
            ("id", .int(Int(t.id))), ("organisation", .string(t.organisation.description)), ("name", .string(t.name)), ("createdAt", .string(t.createdAt)),
            ("revokedAt", t.revokedAt.map { .string($0) } ?? .null),
        ])
    }

    static func createToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage API tokens", request)
        let channel = context.channel(request)
        let (body, _) = try await Body.json(NewToken.self, request)
        let org = try ownOrganisation(body.organisation, principal, channel)
        let (id, name, secret) = try await createToken(named: body.name, for: org, principal, channel: channel, s)
        return JSONResponse.make(
            .object([("id", .int(Int(id))), ("organisation", .string(org.description)), ("name", .string(name)), ("token", .string(secret))]), status: .created)
    }

    /// A new token, its secret shown once (the API's and the accounts page's), audited.
    static func createToken(named rawName: String, for org: Organisationsnummer, _ principal: Principal, channel: String, _ s: Services) async throws -> (
        Int64, String, String
    ) {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
            throw APIError.invalid("the token was not created", problems: [.init(line: 0, column: "name", reason: "must have 1 to 100 characters")])
        }
        let secret = Services.newSecret()
        do {
            let id = try await s.store.createToken(
                organisation: org, name: name, secret: secret,
                audit: { s.draft(principal, "create-token", person: nil, channel: channel, detail: "token \($0) '\(name)' for \(org)") }, at: s.now())
            return (id, name, secret)
        } catch let error as OrganisationError {
            throw APIError.invalid("the token was not created", problems: [.init(line: 0, column: "organisation", reason: error.description)])
        }
    }

    static func revokeToken(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAccounts, "manage API tokens", request)
        guard let id = context.parameters.get("tokenId").flatMap({ Int64($0) }) else { throw APIError.notFound() }
        try await revokeToken(id, principal, channel: context.channel(request), s)
        return Response(status: .noContent)
    }

    static func revokeToken(_ id: Int64, _ principal: Principal, channel: String, _ s: Services) async throws {
        let revoked = try await s.store.revokeToken(
            id, of: principal.organisation, audit: s.draft(principal, "revoke-token", person: nil, channel: channel, detail: "token \(id)"), at: s.now())
        await s.tokenCache.removeAll()
        guard revoked else {
            var error = APIError.notFound("no such live token in your organisation / token finns inte")
            error.refusal = .init(person: nil, reason: "token \(id) is not theirs, revoked or does not exist", channel: channel)
            throw error
        }
    }
}

/// The checks on a new account, shared by the API and `samspar user add`.
public enum UserInput {
    public static func validate(email: String, organisation: String, role: String, password: String) throws(APIError) -> (
        String, Organisationsnummer, Role
    ) {
        var problems: [ImportProblem] = []
        let email = email.lowercased().trimmingCharacters(in: .whitespaces)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || email.count > 254
            || email.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 32 } ?? false })
        {
            problems.append(.init(line: 0, column: "email", reason: "is not an e-mail address"))
        }
        let org = try? Organisationsnummer(organisation)
        if org == nil { problems.append(.init(line: 0, column: "organisation", reason: "is not a valid organisationsnummer")) }
        let parsedRole = Role(rawValue: role)
        if parsedRole == nil || parsedRole == .system {
            problems.append(
                .init(line: 0, column: "role", reason: "must be one of caseworker, coordinator, analyst, auditor, admin (case systems get API tokens)"))
        }
        if let reason = Services.checkPassword(password) { problems.append(.init(line: 0, column: "password", reason: reason)) }
        guard problems.isEmpty, let org, let parsedRole else {
            throw APIError.invalid("the user was not added / användaren lades inte till", problems: problems)
        }
        return (email, org, parsedRole)
    }
}
