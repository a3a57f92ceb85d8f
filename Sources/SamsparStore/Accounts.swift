import Foundation
import SamsparDomain

extension Rows {
    // MARK: Accounts

    public struct User: Sendable, Equatable {
        public var id: Int64
        public var email: String
        public var organisation: Organisationsnummer
        public var role: Role
        public var passwordHash: String
        public var disabled: Bool
        /// The TOTP secret (RFC 6238, base32); `nil` when the account has no second factor.
        public var totpSecret: String? = nil
        /// The identity provider that made the account (its issuer); `nil` for a Samspår account.
        public var provider: String? = nil
    }

    /// The columns every read of a user takes.
    static let userColumns = "id, email, org_number, role, password_hash, disabled, totp_secret, oidc_issuer"

    static func addUser(
        email: String, organisation: Organisationsnummer, role: Role, passwordHash: String, now: Date, in s: any SQLSession
    ) async throws -> Int64 {
        let existing = try await s.query("SELECT id FROM users WHERE email = $1", [.text(email)])
        if !existing.isEmpty { throw AccountError.conflict("a user with the e-mail address \(email) already exists") }
        let rows = try await s.query(
            "INSERT INTO users (email, org_number, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            [.text(email), .int(organisation.value), .text(role.rawValue), .text(passwordHash), .text(timestamp(now))])
        return rows.first?["id"].int ?? 0
    }

    static func user(email: String, in s: any SQLSession) async throws -> User? {
        try await s.query(
            "SELECT \(userColumns) FROM users WHERE email = $1", [.text(email)]
        ).first.flatMap(user)
    }

    /// Every user, or those of one organisation (an admin manages their own organisation only).
    static func users(of organisation: Organisationsnummer? = nil, in s: any SQLSession) async throws -> [User] {
        if let organisation, !Mutant.flips("accounts.users.own") {
            return try await s.query(
                "SELECT \(userColumns) FROM users WHERE org_number = $1 ORDER BY email", [.int(organisation.value)]
            ).compactMap(user)
        }
        return try await s.query("SELECT \(userColumns) FROM users ORDER BY email").compactMap(user)
    }

    /// Disables or enables a user of `organisation` (any organisation when `nil`); false when
    /// there is no such user there. A disabled user's sessions end at once.
    static func setDisabled(
        _ disabled: Bool, userID: Int64, organisation: Organisationsnummer?, in s: any SQLSession
    ) async throws -> User? {
        let rows = try await s.query(
            "UPDATE users SET disabled = $1 WHERE id = $2 AND ($3 = 0 OR org_number = $3) RETURNING \(userColumns)",
            [.int(disabled ? 1 : 0), .int(userID), .int(Mutant.flips("accounts.disable.own") ? 0 : organisation?.value ?? 0)])
        guard let user = rows.first.flatMap(user) else { return nil }
        if disabled { try await s.query("DELETE FROM sessions WHERE user_id = $1", [.int(user.id)]) }
        return user
    }

    /// Sets a new password hash for a user of `organisation` (any when `nil`) and ends their
    /// sessions; `nil` when there is no such user there.
    static func setPassword(
        hash: String, userID: Int64, organisation: Organisationsnummer?, in s: any SQLSession
    ) async throws -> User? {
        let rows = try await s.query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND ($3 = 0 OR org_number = $3) RETURNING \(userColumns)",
            [.text(hash), .int(userID), .int(Mutant.flips("accounts.password.own") ? 0 : organisation?.value ?? 0)])
        guard let user = rows.first.flatMap(user) else { return nil }
        try await s.query("DELETE FROM sessions WHERE user_id = $1", [.int(user.id)])
        return user
    }

    static func user(_ row: SQLRow) -> User? {
        guard let id = row["id"].int, let email = row["email"].text, let org = row["org_number"].int,
            let role = row["role"].text.flatMap(Role.init(rawValue:)), let hash = row["password_hash"].text
        else { return nil }
        return User(
            id: id, email: email, organisation: Organisationsnummer(storedValue: org), role: role, passwordHash: hash,
            disabled: row["disabled"].int == 1, totpSecret: row["totp_secret"].text, provider: row["oidc_issuer"].text)
    }

    // MARK: Sessions (stored, so that several instances share them)

    public struct Session: Sendable {
        public var user: User
        public var csrfToken: String
        public var expiresAt: Int64
        /// How the person signed in (SPEC §1): the factors it counts as, and how.
        public var proof: SignInProof = .init(factors: 1, method: "password")
        /// The session's handle on the person's own sessions page (``SignInRows/handle(ofHash:)``).
        public var handle: String = ""

        public init(user: User, csrfToken: String, expiresAt: Int64, proof: SignInProof, handle: String = "") {
            self.user = user
            self.csrfToken = csrfToken
            self.expiresAt = expiresAt
            self.proof = proof
            self.handle = handle
        }
    }

    static func createSession(
        userID: Int64, secret: String, csrfToken: String, proof: SignInProof = .init(factors: 2, method: "password+totp"), address: String? = nil,
        now: Date, lifetime: TimeInterval, in s: any SQLSession
    ) async throws {
        try await s.query(
            """
            INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, factors, method, acr, address)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            [
                .text(digest(secret)), .int(userID), .text(csrfToken), .text(timestamp(now)), .int(Int64(now.timeIntervalSince1970 + lifetime)),
                .int(Int64(proof.factors)), .text(proof.method), proof.acr.map(SQLValue.text) ?? .null, address.map(SQLValue.text) ?? .null,
            ])
    }

    static func session(secret: String, now: Date, in s: any SQLSession) async throws -> Session? {
        let rows = try await s.query(
            """
            SELECT u.id, u.email, u.org_number, u.role, u.password_hash, u.disabled, u.totp_secret, u.oidc_issuer, s.csrf_token, s.expires_at,
                s.factors, s.method, s.acr, s.token_hash
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1
            """, [.text(digest(secret))])
        guard let row = rows.first, let user = user(row), !user.disabled, let expires = row["expires_at"].int,
            expires > Int64(now.timeIntervalSince1970), let csrf = row["csrf_token"].text
        else { return nil }
        return Session(
            user: user, csrfToken: csrf, expiresAt: expires,
            proof: SignInProof(factors: Int(row["factors"].int ?? 1), method: row["method"].text ?? "password", acr: row["acr"].text),
            handle: SignInRows.handle(ofHash: row["token_hash"].text ?? ""))
    }

    static func deleteSession(secret: String, in s: any SQLSession) async throws {
        try await s.query("DELETE FROM sessions WHERE token_hash = $1", [.text(digest(secret))])
    }

    // MARK: API tokens (stored as SHA-256: a token is 256 random bits, so a slow hash adds nothing)

    public struct Token: Sendable, Equatable {
        public var id: Int64
        public var organisation: Organisationsnummer
        public var name: String
        public var createdAt: String
        public var revokedAt: String?
    }

    static func createToken(organisation: Organisationsnummer, name: String, secret: String, now: Date, in s: any SQLSession) async throws -> Int64 {
        let rows = try await s.query(
            "INSERT INTO api_tokens (org_number, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            [.int(organisation.value), .text(name), .text(digest(secret)), .text(timestamp(now))])
        return rows.first?["id"].int ?? 0
    }

    /// The live token with this secret, if any.
    static func token(secret: String, in s: any SQLSession) async throws -> Token? {
        try await s.query(
            "SELECT id, org_number, name, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            [.text(digest(secret))]
        ).first.flatMap(token)
    }

    /// Every token, or those of one organisation.
    static func tokens(of organisation: Organisationsnummer? = nil, in s: any SQLSession) async throws -> [Token] {
        if let organisation, !Mutant.flips("accounts.tokens.own") {
            return try await s.query(
                "SELECT id, org_number, name, created_at, revoked_at FROM api_tokens WHERE org_number = $1 ORDER BY id", [.int(organisation.value)]
            ).compactMap(token)
        }
        return try await s.query("SELECT id, org_number, name, created_at, revoked_at FROM api_tokens ORDER BY id").compactMap(token)
    }

    /// Revokes a live token of `organisation` (any organisation when `nil`, the operator);
    /// false when there is no such live token there.
    static func revokeToken(id: Int64, organisation: Organisationsnummer? = nil, now: Date, in s: any SQLSession) async throws -> Bool {
        let rows = try await s.query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ($3 = 0 OR org_number = $3) RETURNING id",
            [.text(timestamp(now)), .int(id), .int(Mutant.flips("accounts.revoke.own") ? 0 : organisation?.value ?? 0)])
        return !rows.isEmpty
    }

    private static func token(_ row: SQLRow) -> Token? {
        guard let id = row["id"].int, let org = row["org_number"].int, let name = row["name"].text, let created = row["created_at"].text
        else { return nil }
        return Token(id: id, organisation: Organisationsnummer(storedValue: org), name: name, createdAt: created, revokedAt: row["revoked_at"].text)
    }

}
