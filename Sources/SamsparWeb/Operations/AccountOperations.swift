import Foundation
import HummingbirdBcrypt
import SamsparDomain
import SamsparStore

/// Users, API tokens and sessions (SPEC §1): an admin manages the users and tokens of their own
/// organisation only; the operator's command line manages any. Every act is audited; an
/// attempt on another organisation's account is refused and audited as a refusal.
public enum AccountOperations {
    /// The acts on accounts, each with the role rule that allows it (SPEC §1).
    enum Act: RoleRule {
        case manageUsers, manageTokens

        var rule: (Role) -> Bool { \.managesAccounts }

        var what: String {
            switch self {
            case .manageUsers: "manage users"
            case .manageTokens: "manage API tokens"
            }
        }
    }

    /// The organisation a request names, which must be the admin's own (or absent); any for
    /// the operator.
    static func ownOrganisation(_ text: String?, _ caller: Caller) throws -> Organisationsnummer {
        guard let text else {
            guard let own = caller.organisation else { throw APIError.badRequest("the organisation is required") }
            return own
        }
        guard let org = try? Organisationsnummer(text) else {
            throw APIError.invalid("nothing was saved", problems: [.init(line: 0, column: "organisation", reason: "is not a valid organisationsnummer")])
        }
        guard let own = caller.organisation else { return org }
        guard Mutant.decide("accounts.ownOrganisation", org == own) else {
            var error = APIError.forbidden("an admin manages their own organisation only / du administrerar bara din egen organisation")
            error.refusal = caller.refusal("account of another organisation (\(org))")
            throw error
        }
        return org
    }

    // MARK: Users

    /// The users of the caller's organisation (every user for the operator).
    public static func users(_ caller: Caller, _ s: Services) async throws -> [UserAccount] {
        try await s.store.users(of: caller.organisation)
    }

    /// Adds a user of `organisation` (the API's, the accounts page's and `samspar user add`'s), audited.
    ///
    /// `samspar user add` gives the account its second factor at once (`secondFactor`, whose
    /// URI the command prints); the API and the admin's page make it without one, and the
    /// person sets it up at their first sign-in (SPEC §1: a one-factor session whose only extra
    /// page is that set-up).
    public static func addUser(
        email rawEmail: String, organisation: String?, role rawRole: String, password: String, secondFactor: SignInOperations.NewSecondFactor? = nil,
        _ caller: Caller, _ s: Services
    ) async throws -> (id: Int64, email: String, organisation: Organisationsnummer, role: Role) {
        // An admin's own organisation, checked first; the operator's, checked with the rest.
        let named = caller.organisation == nil ? organisation ?? "" : try ownOrganisation(organisation, caller).description
        let (email, org, role) = try UserInput.validate(email: rawEmail, organisation: named, role: rawRole, password: password)
        let hash = try await Services.hashPassword(password, cost: s.bcryptCost)
        do {
            let id = try await s.store.addUser(
                email: email, organisation: org, role: role, passwordHash: hash, totpSecret: secondFactor?.totp.base32,
                recoveryDigests: secondFactor?.digests ?? [],
                audit: caller.entry("add-user", detail: "\(email) \(role.rawValue) \(org)" + (secondFactor == nil ? ", no second factor" : ", with TOTP")),
                at: s.now())
            return (id, email, org, role)
        } catch let error as AccountError {
            throw APIError.conflict(error.description)
        } catch let error as OrganisationError {
            throw APIError.invalid("the user was not added", problems: [.init(line: 0, column: "organisation", reason: error.description)])
        }
    }

    /// Disables or enables a user of the caller's organisation (any, for the operator).
    public static func setDisabled(_ disabled: Bool, id: Int64, _ caller: Caller, _ s: Services) async throws -> UserAccount {
        // An admin does not lock themselves out (issue 19): another admin, or the operator, may.
        if disabled, let principal = caller.principal,
            Mutant.decide("user.notSelf", try await s.store.users(of: principal.organisation).contains { $0.id == id && $0.email == principal.actor })
        {
            throw APIError.conflict("you cannot disable your own account / du kan inte spärra ditt eget konto")
        }
        let user = try await s.store.setUserDisabled(
            disabled, userID: id, of: caller.organisation,
            audit: { caller.entry(disabled ? "disable-user" : "enable-user", detail: "user \(id) \($0.email)") }, at: s.now())
        guard let user else { throw refusedAccount(id, caller) }
        return user
    }

    /// Sets a user's password, checked by the password rule.
    public static func resetPassword(id: Int64, to password: String, _ caller: Caller, _ s: Services) async throws -> UserAccount {
        if let reason = Services.checkPassword(password) {
            throw APIError.invalid("the password was not changed", problems: [.init(line: 0, column: "password", reason: reason)])
        }
        let hash = try await Services.hashPassword(password, cost: s.bcryptCost)
        let user = try await s.store.setPassword(
            hash: hash, userID: id, of: caller.organisation, audit: { caller.entry("reset-password", detail: "user \(id) \($0.email)") }, at: s.now())
        guard let user else { throw refusedAccount(id, caller) }
        return user
    }

    /// Another organisation's account (or none at all): the same `404`, audited as a refusal.
    private static func refusedAccount(_ id: Int64, _ caller: Caller) -> APIError {
        var error = APIError.notFound("no such user in your organisation / användaren finns inte")
        error.refusal = caller.refusal("account \(id) is not theirs or does not exist")
        return error
    }

    // MARK: Tokens

    /// The tokens of the caller's organisation (every token for the operator).
    public static func tokens(_ caller: Caller, _ s: Services) async throws -> [APIToken] {
        try await s.store.tokens(of: caller.organisation)
    }

    /// A new token, its secret shown once (the API's, the accounts page's and `samspar token
    /// create`'s), audited.
    public static func createToken(named rawName: String, organisation: String?, _ caller: Caller, _ s: Services) async throws -> (
        id: Int64, organisation: Organisationsnummer, name: String, secret: String
    ) {
        let org = try ownOrganisation(organisation, caller)
        let name = try tokenName(rawName)
        let secret = Services.newSecret()
        do {
            let id = try await s.store.createToken(
                organisation: org, name: name, secret: secret, audit: { caller.entry("create-token", detail: "token \($0) '\(name)' for \(org)") },
                at: s.now())
            return (id, org, name, secret)
        } catch let error as OrganisationError {
            throw APIError.invalid("the token was not created", problems: [.init(line: 0, column: "organisation", reason: error.description)])
        }
    }

    /// A token's name as it is kept: 1 to 100 characters on one line, trimmed.
    public static func tokenName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
            throw APIError.invalid("the token was not created", problems: [.init(line: 0, column: "name", reason: "must have 1 to 100 characters")])
        }
        return name
    }

    /// Revokes a live token of the caller's organisation (any, for the operator).
    public static func revokeToken(_ id: Int64, _ caller: Caller, _ s: Services) async throws {
        let revoked = try await s.store.revokeToken(id, of: caller.organisation, audit: caller.entry("revoke-token", detail: "token \(id)"), at: s.now())
        await s.tokenCache.removeAll()
        guard revoked else {
            var error = APIError.notFound("no such live token in your organisation / token finns inte")
            error.refusal = caller.refusal("token \(id) is not theirs, revoked or does not exist")
            throw error
        }
    }

    // MARK: Sessions

    /// A hash to verify against when the account does not exist, so both answers take as long.
    static let dummyHash = Bcrypt.hash("not a real password, only for timing", cost: 12)

    /// Signs a person in (the API's `POST /session` and the sign-in page): the rate limits,
    /// the password check that takes as long for an unknown account, the second factor
    /// (``SignInOperations/secondFactor(of:code:_:)``), the session and its audit entry. A
    /// failure is audited too. Throws the API's `rate_limited` or `sign_in_failed`.
    static func signIn(email rawEmail: String, password: String, code: String? = nil, from address: String, on channel: Channel, _ s: Services)
        async throws -> (secret: String, csrf: String, principal: Principal, proof: SignInProof)
    {
        let email = rawEmail.lowercased().trimmingCharacters(in: .whitespaces)
        let now = s.now()
        // The attempt is reserved before its password is checked (issue 20).
        let attempt: String
        switch try await s.signInLimiter.reserve(account: email, address: address, now: now) {
        case .reserved(let reserved): attempt = reserved
        case .refused(let wait):
            try await SignInOperations.recordFailure(try await s.store.user(email: email), reason: "too many failed sign-ins", on: channel, s)
            throw APIError(
                status: .tooManyRequests, code: "rate_limited", message: "too many failed sign-ins; try again in \(wait) s / för många misslyckade försök",
                headers: [.retryAfter: String(wait)])
        }
        let user = try await s.store.user(email: email)
        // A password bcrypt would read as less than it is (a NUL, more than 72 bytes) is never
        // one that was set (``Services/checkPassword(_:)``): it is wrong, and counted so.
        let readable = !password.utf8.contains(0) && password.utf8.count <= Services.maxPasswordBytes
        let valid = try await Services.verifyPassword(readable ? password : "", hash: user?.passwordHash ?? dummyHash) && readable
        func fail(_ reason: String) async throws -> Never {
            try await s.signInLimiter.failed(account: email, address: address, now: now)
            try await SignInOperations.recordFailure(user, reason: reason, on: channel, s)
            throw APIError(
                status: .unauthorized, code: "sign_in_failed",
                message: "wrong e-mail address, password or code / fel e-postadress, lösenord eller kod")
        }
        guard let user else { try await fail("no such account") }
        guard valid else { try await fail(user.provider == nil ? "wrong password" : "the account signs in at its identity provider") }
        guard !user.disabled else { try await fail("the account is disabled") }
        // A wrong or used code counts as a failed sign-in (SPEC §5).
        guard let proof = try await SignInOperations.secondFactor(of: user, code: code, s) else {
            try await fail((code ?? "").isEmpty ? "the password was right; no code was given" : "the password was right; the code was wrong or used")
        }
        try await s.signInLimiter.succeeded(account: email, attempt: attempt)
        let secret = Services.newSecret()
        let csrf = Services.newSecret()
        let principal = SignInOperations.principal(of: UserSession(user: user, csrfToken: csrf, expiresAt: 0, proof: proof))
        let caller = try Caller.signedIn(principal, on: channel)
        try await s.store.createSession(
            userID: user.id, secret: secret, csrfToken: csrf, proof: proof, address: address, lifetime: s.sessionLifetime,
            audit: caller.entry("sign-in", detail: SignInOperations.describe(proof)), at: now)
        return (secret, csrf, principal, proof)
    }

    /// Ends the session with this secret (signing out).
    static func signOut(secret: String?, _ caller: Caller, _ s: Services) async throws {
        guard let secret else { return }
        try await s.store.deleteSession(secret: secret)
        try await s.store.appendAudit([caller.entry("sign-out")], at: s.now())
    }
}

/// The checks on a new account, shared by the API, the accounts page and `samspar user add`.
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
        } else if Mutant.decide("user.reservedActor", email.hasPrefix("token:") || email.hasPrefix("cli:")) {
            // The audit log names case systems `token:NAME` and the operator `cli:USER`: a
            // user so named would read there as another organisation's system or the operator.
            problems.append(
                .init(line: 0, column: "email", reason: "may not begin with token: or cli:, which the audit log uses for case systems and the operator"))
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
