import Foundation
import SamsparDomain

/// How a session was begun (SPEC §1, *Signing in*): the factors it counts as, how, and the
/// provider's `acr` when an identity provider signed the person in.
public struct SignInProof: Sendable, Equatable {
    /// 1 or 2: a person needs two for personal data and for every role's powers.
    public var factors: Int
    /// `password`, `password+totp`, `password+recovery-code`, `demo` or `provider`.
    public var method: String
    /// The provider's authentication context class (`acr`), as it sent it.
    public var acr: String?

    public init(factors: Int, method: String, acr: String? = nil) {
        self.factors = factors
        self.method = method
        self.acr = acr
    }
}

/// One of a person's own active sessions, as their sessions page lists it.
public struct SessionSummary: Sendable, Equatable {
    public var handle: String
    public var createdAt: String
    public var expiresAt: Int64
    public var proof: SignInProof
    public var address: String?
}

/// An organisation's identity provider (SPEC §1, §5 `org update --oidc-…`): OpenID Connect,
/// set by the operator. The client secret itself is never stored: only the file it is read
/// from, or the environment variable's name, which every `serve` reads at start.
public struct IdentityProviderSettings: Sendable, Equatable, Codable {
    public var organisation: Organisationsnummer
    public var issuer: String
    public var clientID: String
    public var secretFile: String?
    public var secretEnvironment: String?
    /// The ID token's claim whose values map to roles (`roles`, `groups`, …).
    public var roleClaim: String?
    /// The claim's values and the role each gives (the organisation's admin sets them).
    public var roles: [String: Role]
    /// The `acr` values that count as two factors.
    public var twoFactorACR: [String]

    public init(
        organisation: Organisationsnummer, issuer: String, clientID: String, secretFile: String? = nil, secretEnvironment: String? = nil,
        roleClaim: String? = nil, roles: [String: Role] = [:], twoFactorACR: [String] = []
    ) {
        self.organisation = organisation
        self.issuer = issuer
        self.clientID = clientID
        self.secretFile = secretFile
        self.secretEnvironment = secretEnvironment
        self.roleClaim = roleClaim
        self.roles = roles
        self.twoFactorACR = twoFactorACR
    }
}

/// Migration 11 (issue 25): second factors, identity providers, sessions a person sees, and
/// the demo database's mark.
enum SignInMigration {
    static func statements(bigint: String) -> [String] {
        [
            "ALTER TABLE users ADD COLUMN totp_secret TEXT",
            "ALTER TABLE users ADD COLUMN totp_step \(bigint) NOT NULL DEFAULT 0",
            "ALTER TABLE users ADD COLUMN oidc_issuer TEXT",
            "ALTER TABLE users ADD COLUMN oidc_subject TEXT",
            // A person is known by (issuer, sub) in one organisation only (SPEC §1).
            "CREATE UNIQUE INDEX users_provider_subject ON users (oidc_issuer, oidc_subject) WHERE oidc_issuer IS NOT NULL",
            // Sessions begun before this migration were a password's alone.
            "ALTER TABLE sessions ADD COLUMN factors INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password'",
            "ALTER TABLE sessions ADD COLUMN acr TEXT",
            "ALTER TABLE sessions ADD COLUMN address TEXT",
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """
            CREATE TABLE recovery_codes (
                user_id \(bigint) NOT NULL REFERENCES users(id),
                code_hash TEXT NOT NULL,
                used_at TEXT,
                PRIMARY KEY (user_id, code_hash)
            )
            """,
            """
            CREATE TABLE identity_providers (
                org_number \(bigint) PRIMARY KEY REFERENCES organisations(org_number),
                issuer TEXT NOT NULL,
                client_id TEXT NOT NULL,
                secret_file TEXT,
                secret_env TEXT,
                role_claim TEXT,
                role_map TEXT NOT NULL DEFAULT '{}',
                two_factor_acr TEXT NOT NULL DEFAULT '[]',
                UNIQUE (issuer, client_id)
            )
            """,
            "CREATE TABLE installation_marks (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]
    }
}

/// The rows of signing in: second factors, recovery codes, a person's sessions, providers.
enum SignInRows {
    /// A session's handle on its owner's page: the first 16 hexadecimal digits of its
    /// secret's SHA-256 (which tell nothing of the secret).
    static func handle(ofHash hash: String) -> String { String(hash.prefix(16)) }

    // MARK: Second factor

    /// Sets (or, with `nil`, removes) a user's TOTP secret and recovery codes (their SHA-256
    /// digests); their other sessions end. `nil` when there is no such user in `organisation`
    /// (any when `nil`).
    static func setSecondFactor(
        secret: String?, recoveryDigests: [String], userID: Int64, organisation: Organisationsnummer?, keepingSession keep: String?, in s: any SQLSession
    ) async throws -> Rows.User? {
        let rows = try await s.query(
            "UPDATE users SET totp_secret = $1, totp_step = 0 WHERE id = $2 AND ($3 = 0 OR org_number = $3) RETURNING \(Rows.userColumns)",
            [.optional(secret), .int(userID), .int(organisation?.value ?? 0)])
        guard let user = rows.first.flatMap(Rows.user) else { return nil }
        try await s.query("DELETE FROM recovery_codes WHERE user_id = $1", [.int(userID)])
        for digest in recoveryDigests {
            try await s.query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", [.int(userID), .text(digest)])
        }
        try await s.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", [.int(userID), .text(keep.map(Rows.digest) ?? "")])
        return user
    }

    /// Takes a TOTP time step for the user: true only the first time a step at or after the
    /// last one taken is offered (each code is accepted once, RFC 6238 §5.2).
    static func takeStep(_ step: Int64, userID: Int64, in s: any SQLSession) async throws -> Bool {
        try await !s.query("UPDATE users SET totp_step = $1 WHERE id = $2 AND totp_step < $1 RETURNING id", [.int(step), .int(userID)]).isEmpty
    }

    /// Uses one of the user's recovery codes (by digest): true only the first time.
    static func useRecoveryCode(digest: String, userID: Int64, now: Date, in s: any SQLSession) async throws -> Bool {
        try await !s.query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL RETURNING user_id",
            [.text(Rows.timestamp(now)), .int(userID), .text(digest)]
        ).isEmpty
    }

    static func unusedRecoveryCodes(userID: Int64, in s: any SQLSession) async throws -> Int {
        Int(try await s.query("SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL", [.int(userID)]).first?["n"].int ?? 0)
    }

    // MARK: Sessions

    static func sessions(ofUser userID: Int64, now: Date, in s: any SQLSession) async throws -> [SessionSummary] {
        try await s.query(
            """
            SELECT token_hash, created_at, expires_at, factors, method, acr, address FROM sessions
            WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash
            """, [.int(userID), .int(Int64(now.timeIntervalSince1970))]
        ).map { row in
            SessionSummary(
                handle: handle(ofHash: row["token_hash"].text ?? ""), createdAt: row["created_at"].text ?? "", expiresAt: row["expires_at"].int ?? 0,
                proof: SignInProof(factors: Int(row["factors"].int ?? 1), method: row["method"].text ?? "password", acr: row["acr"].text),
                address: row["address"].text)
        }
    }

    /// Ends one of the user's sessions by its handle; false when they have none such.
    static func endSession(handle: String, userID: Int64, in s: any SQLSession) async throws -> Bool {
        guard handle.count == 16, handle.allSatisfy(\.isHexDigit) else { return false }
        return try await !s.query(
            "DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2 RETURNING user_id", [.int(userID), .text(handle)]
        ).isEmpty
    }

    // MARK: Identity providers

    static func provider(of organisation: Organisationsnummer, in s: any SQLSession) async throws -> IdentityProviderSettings? {
        try await s.query("SELECT * FROM identity_providers WHERE org_number = $1", [.int(organisation.value)]).first.flatMap(provider)
    }

    static func providers(in s: any SQLSession) async throws -> [IdentityProviderSettings] {
        try await s.query("SELECT * FROM identity_providers ORDER BY org_number").compactMap(provider)
    }

    private static func provider(_ row: SQLRow) -> IdentityProviderSettings? {
        guard let org = row["org_number"].int, let issuer = row["issuer"].text, let client = row["client_id"].text else { return nil }
        let roles = (try? JSONDecoder().decode([String: String].self, from: Data((row["role_map"].text ?? "{}").utf8))) ?? [:]
        let acr = (try? JSONDecoder().decode([String].self, from: Data((row["two_factor_acr"].text ?? "[]").utf8))) ?? []
        return IdentityProviderSettings(
            organisation: Organisationsnummer(storedValue: org), issuer: issuer, clientID: client, secretFile: row["secret_file"].text,
            secretEnvironment: row["secret_env"].text, roleClaim: row["role_claim"].text, roles: roles.compactMapValues(Role.init(rawValue:)),
            twoFactorACR: acr)
    }

    static func setProvider(_ p: IdentityProviderSettings, in s: any SQLSession) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let roles = String(decoding: try encoder.encode(p.roles.mapValues(\.rawValue)), as: UTF8.self)
        let acr = String(decoding: try encoder.encode(p.twoFactorACR), as: UTF8.self)
        let taken = try await s.query(
            "SELECT org_number FROM identity_providers WHERE issuer = $1 AND client_id = $2 AND org_number <> $3",
            [.text(p.issuer), .text(p.clientID), .int(p.organisation.value)])
        if let other = taken.first?["org_number"].int {
            throw AccountError.conflict(
                "the issuer \(p.issuer) and client id \(p.clientID) already belong to \(Organisationsnummer(storedValue: other)); a client belongs to one organisation"
            )
        }
        try await s.query("DELETE FROM identity_providers WHERE org_number = $1", [.int(p.organisation.value)])
        try await s.query(
            """
            INSERT INTO identity_providers (org_number, issuer, client_id, secret_file, secret_env, role_claim, role_map, two_factor_acr)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [
                .int(p.organisation.value), .text(p.issuer), .text(p.clientID), .optional(p.secretFile), .optional(p.secretEnvironment),
                .optional(p.roleClaim), .text(roles), .text(acr),
            ])
    }

    // MARK: People from a provider

    /// The account of (issuer, subject), wherever it is.
    static func providerUser(issuer: String, subject: String, in s: any SQLSession) async throws -> Rows.User? {
        try await s.query(
            "SELECT \(Rows.userColumns) FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2", [.text(issuer), .text(subject)]
        ).first.flatMap(Rows.user)
    }

    /// A new account for a person a provider signed in. It has no password (`!` is no bcrypt
    /// hash, so no password matches it).
    static func addProviderUser(
        email: String, organisation: Organisationsnummer, role: Role, issuer: String, subject: String, now: Date, in s: any SQLSession
    ) async throws -> Rows.User? {
        try await s.query(
            """
            INSERT INTO users (email, org_number, role, password_hash, created_at, oidc_issuer, oidc_subject)
            VALUES ($1, $2, $3, '!', $4, $5, $6) RETURNING \(Rows.userColumns)
            """,
            [.text(email), .int(organisation.value), .text(role.rawValue), .text(Rows.timestamp(now)), .text(issuer), .text(subject)]
        ).first.flatMap(Rows.user)
    }

    static func setRole(_ role: Role, userID: Int64, in s: any SQLSession) async throws {
        try await s.query("UPDATE users SET role = $1 WHERE id = $2", [.text(role.rawValue), .int(userID)])
    }

    static func emailTaken(_ email: String, in s: any SQLSession) async throws -> Bool {
        try await !s.query("SELECT id FROM users WHERE email = $1", [.text(email)]).isEmpty
    }

    // MARK: The demo database

    static let demoMark = "demo"

    static func isDemo(in s: any SQLSession) async throws -> Bool {
        try await !s.query("SELECT value FROM installation_marks WHERE name = $1", [.text(demoMark)]).isEmpty
    }
}

extension SamsparStore {
    // MARK: Signing in (issue 25)

    /// Sets or removes a user's second factor; their other sessions end. `nil` when there is
    /// no such user in `organisation` (any when `nil`).
    public func setSecondFactor(
        secret: String?, recoveryDigests: [String], userID: Int64, of organisation: Organisationsnummer?, keepingSession: String? = nil,
        audit: @escaping @Sendable (UserAccount) -> AuditDraft, at now: Date
    ) async throws -> UserAccount? {
        try await transaction { s in
            guard
                let user = try await SignInRows.setSecondFactor(
                    secret: secret, recoveryDigests: recoveryDigests, userID: userID, organisation: organisation, keepingSession: keepingSession, in: s)
            else { return nil }
            try await AuditLog.append([audit(user)], at: now, in: s)
            return user
        }
    }

    /// Raises the session with this secret to two factors (the person has just proved a
    /// second one by setting it up).
    public func raiseSession(secret: String, to proof: SignInProof) async throws {
        try await transaction { s in
            try await s.query(
                "UPDATE sessions SET factors = $1, method = $2 WHERE token_hash = $3",
                [.int(Int64(proof.factors)), .text(proof.method), .text(Rows.digest(secret))]
            )
        }
    }

    public func takeTOTPStep(_ step: Int64, userID: Int64) async throws -> Bool {
        try await transaction { try await SignInRows.takeStep(step, userID: userID, in: $0) }
    }

    public func useRecoveryCode(digest: String, userID: Int64, at now: Date) async throws -> Bool {
        try await transaction { try await SignInRows.useRecoveryCode(digest: digest, userID: userID, now: now, in: $0) }
    }

    public func unusedRecoveryCodes(userID: Int64) async throws -> Int {
        try await read { try await SignInRows.unusedRecoveryCodes(userID: userID, in: $0) }
    }

    public func createSession(
        userID: Int64, secret: String, csrfToken: String, proof: SignInProof, address: String?, lifetime: TimeInterval, audit: AuditDraft, at now: Date
    ) async throws {
        try await transaction { s in
            try await Rows.createSession(
                userID: userID, secret: secret, csrfToken: csrfToken, proof: proof, address: address, now: now, lifetime: lifetime, in: s)
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    /// A person's own active sessions, newest first.
    public func sessions(ofUser userID: Int64, at now: Date) async throws -> [SessionSummary] {
        try await read { try await SignInRows.sessions(ofUser: userID, now: now, in: $0) }
    }

    /// Ends one of a person's own sessions by its handle, audited; false when there is none.
    public func endSession(handle: String, userID: Int64, audit: AuditDraft, at now: Date) async throws -> Bool {
        try await transaction { s in
            guard try await SignInRows.endSession(handle: handle, userID: userID, in: s) else { return false }
            try await AuditLog.append([audit], at: now, in: s)
            return true
        }
    }

    public func identityProvider(of organisation: Organisationsnummer) async throws -> IdentityProviderSettings? {
        try await read { try await SignInRows.provider(of: organisation, in: $0) }
    }

    public func identityProviders() async throws -> [IdentityProviderSettings] {
        try await read { try await SignInRows.providers(in: $0) }
    }

    /// Sets an organisation's provider, audited; throws ``OrganisationError/unknown(_:)`` or
    /// ``AccountError/conflict(_:)`` (the client is another organisation's).
    public func setIdentityProvider(_ settings: IdentityProviderSettings, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            guard try await Organisations.find(settings.organisation, in: s) != nil else { throw OrganisationError.unknown(settings.organisation) }
            try await SignInRows.setProvider(settings, in: s)
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    public func providerUser(issuer: String, subject: String) async throws -> UserAccount? {
        try await read { try await SignInRows.providerUser(issuer: issuer, subject: subject, in: $0) }
    }

    /// Signs in a person a provider vouched for: creates their account on the first sign-in
    /// (under `email`, or `fallbackEmail` when another account has that address), sets the
    /// role the claims map to, and begins the session, audited; all in one transaction.
    public func signInProviderUser(
        existing: UserAccount?, email: String?, fallbackEmail: String, organisation: Organisationsnummer, role: Role, issuer: String, subject: String,
        session: (secret: String, csrf: String, proof: SignInProof, address: String?, lifetime: TimeInterval),
        audit: @escaping @Sendable (UserAccount) -> [AuditDraft], at now: Date
    ) async throws -> UserAccount {
        try await transaction { s in
            var user: UserAccount
            if let existing {
                user = existing
                if existing.role != role { try await SignInRows.setRole(role, userID: existing.id, in: s) }
                user.role = role
            } else {
                var address = fallbackEmail
                if let email, !(try await SignInRows.emailTaken(email, in: s)) { address = email }
                guard
                    let made = try await SignInRows.addProviderUser(
                        email: address, organisation: organisation, role: role, issuer: issuer, subject: subject, now: now, in: s)
                else { throw AccountError.conflict("the account could not be made") }
                user = made
            }
            try await Rows.createSession(
                userID: user.id, secret: session.secret, csrfToken: session.csrf, proof: session.proof, address: session.address, now: now,
                lifetime: session.lifetime, in: s)
            try await AuditLog.append(audit(user), at: now, in: s)
            return user
        }
    }

    /// A provider's person whose claims no longer map to a role: their sessions end, audited.
    public func endProviderUserSessions(userID: Int64, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await s.query("DELETE FROM sessions WHERE user_id = $1", [.int(userID)])
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    /// Whether this is a demo database (`samspar demo`), marked so for good.
    public func isDemo() async throws -> Bool {
        try await read { try await SignInRows.isDemo(in: $0) }
    }

    /// Marks the database a demo for good (`samspar demo`).
    public func markDemo(at now: Date) async throws {
        try await transaction { s in
            if try await !SignInRows.isDemo(in: s) {
                try await s.query("INSERT INTO installation_marks (name, value) VALUES ($1, $2)", [.text(SignInRows.demoMark), .text(Rows.timestamp(now))])
            }
        }
    }
}
