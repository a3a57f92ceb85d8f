import Crypto
import Foundation
import SamsparDomain
import SamsparStore

/// Signing in (SPEC §1, issue 25): the factors a session counts as and what they give, the
/// second factor of a Samspår account, a person's own sessions, and an organisation's identity
/// provider. Every sign-in, failure and sign-out is audited.
public enum SignInOperations {
    // MARK: The factor rule

    /// What a person may do with the factors they signed in with: with one, only what the
    /// `analyst` role gets, whatever role they hold (SPEC §1). A token is not a person.
    static func effectiveRole(held: Role, factors: Int) -> Role {
        Mutant.decide("signIn.oneFactorIsAnalyst", factors < 2) ? .analyst : held
    }

    /// The principal of a cookie session: the held role, or less for one factor.
    static func principal(of session: UserSession) -> Principal {
        let held = session.user.role
        let role = effectiveRole(held: held, factors: session.proof.factors)
        return Principal(actor: session.user.email, role: role, organisation: session.user.organisation, heldRole: role == held ? nil : held)
    }

    /// Whether a provider's sign-in counts as two factors: only when its `acr` is one of the
    /// organisation's accepted values.
    static func providerFactors(acr: String?, accepted: [String]) -> Int {
        Mutant.decide("signIn.acrTwoFactor", acr.map { accepted.contains($0) } ?? false) ? 2 : 1
    }

    /// The role a provider's claim values map to; `nil` when none maps, or when they map to
    /// more than one role (which the admin's map must settle, not a guess here).
    static func mappedRole(values: [String], map: [String: Role]) -> Role? {
        let roles = Set(values.compactMap { map[$0] })
        guard Mutant.decide("signIn.oneMappedRole", roles.count == 1) else { return nil }
        return roles.first
    }

    // MARK: Samspår accounts: the second factor

    /// Recovery codes: ten, each 80 random bits as 16 base32 letters in groups of four; kept
    /// as SHA-256 digests (80 bits are beyond guessing, so a slow hash adds nothing).
    static func newRecoveryCodes() -> [String] {
        (0..<10).map { _ in
            let letters = Array(TOTP.generate().base32.prefix(16))
            return stride(from: 0, to: 16, by: 4).map { String(letters[$0..<($0 + 4)]) }.joined(separator: "-")
        }
    }

    static func recoveryDigest(_ code: String) -> String? {
        let letters = code.uppercased().filter { $0 != "-" && !$0.isWhitespace }
        guard letters.count == 16, Base32.decode(letters) != nil else { return nil }
        return Digest.sha256("recovery:" + letters)
    }

    /// What `samspar user add` and the set-up page give a new second factor: the secret, its
    /// URI and the recovery codes (shown once) with their digests.
    public struct NewSecondFactor: Sendable {
        public var totp: TOTP
        public var uri: String
        public var recoveryCodes: [String]
        var digests: [String] { recoveryCodes.compactMap(SignInOperations.recoveryDigest) }
    }

    public static func newSecondFactor(for email: String, secret: TOTP = .generate()) -> NewSecondFactor {
        NewSecondFactor(totp: secret, uri: secret.uri(account: email), recoveryCodes: newRecoveryCodes())
    }

    /// Sets up the signed-in person's own TOTP (the set-up page): `code` must be the secret's
    /// current code. The session they are in becomes a two-factor one; their others end.
    /// Returns the recovery codes, shown once.
    static func setUpTOTP(
        secret base32: String, code: String, _ r: (principal: Principal?, user: UserAccount?, sessionSecret: String?), on channel: Channel, _ s: Services
    )
        async throws -> [String]
    {
        let caller = try Caller.signedIn(r.principal, on: channel)
        guard let user = r.user, user.provider == nil else {
            throw APIError.conflict("only a Samspår account has its own second factor / bara ett Samspår-konto har egen tvåstegsverifiering")
        }
        guard Mutant.decide("totp.setUpOnlyWithout", user.totpSecret == nil) else {
            throw APIError.conflict("the account already has a second factor; an admin resets it / kontot har redan tvåstegsverifiering")
        }
        guard let totp = TOTP(base32: base32), totp.secret.count >= 16, let step = totp.matchingStep(code, at: s.now()) else {
            throw APIError.invalid("the code does not match / koden stämmer inte", problems: [.init(line: 0, column: "code", reason: "does not match")])
        }
        let factor = newSecondFactor(for: user.email, secret: totp)
        let updated = try await s.store.setSecondFactor(
            secret: totp.base32, recoveryDigests: factor.digests, userID: user.id, of: user.organisation, keepingSession: r.sessionSecret,
            audit: { _ in caller.entry("set-up-totp", detail: "user \(user.id) \(user.email)") }, at: s.now())
        guard updated != nil else { throw APIError.notFound() }
        _ = try await s.store.takeTOTPStep(step, userID: user.id)
        if let secret = r.sessionSecret { try await s.store.raiseSession(secret: secret, to: SignInProof(factors: 2, method: "password+totp")) }
        return factor.recoveryCodes
    }

    /// Removes a user's second factor (the admin page, audited): they sign in with their
    /// password alone into a one-factor session and set up a new one. Their sessions end.
    static func resetSecondFactor(id: Int64, _ caller: Caller, _ s: Services) async throws -> UserAccount {
        let user = try await s.store.setSecondFactor(
            secret: nil, recoveryDigests: [], userID: id, of: caller.organisation,
            audit: { caller.entry("reset-second-factor", detail: "user \(id) \($0.email)") }, at: s.now())
        guard let user else {
            var error = APIError.notFound("no such user in your organisation / användaren finns inte")
            error.refusal = caller.refusal("account \(id) is not theirs or does not exist")
            throw error
        }
        return user
    }

    /// The second factor a password sign-in offered, as the session will count it; `nil` when
    /// the account has a second factor and `code` is not a good, unused one.
    static func secondFactor(of user: UserAccount, code: String?, _ s: Services) async throws -> SignInProof? {
        let given = (code ?? "").trimmingCharacters(in: .whitespaces)
        if let totp = user.totpSecret.flatMap(TOTP.init(base32:)), Mutant.decide("signIn.codeRequired", true) {
            if let step = totp.matchingStep(given, at: s.now()) {
                let fresh = try await s.store.takeTOTPStep(step, userID: user.id)
                if Mutant.flips("signIn.codeOnce") || fresh { return SignInProof(factors: 2, method: "password+totp") }
                return nil
            }
            if let digest = recoveryDigest(given), try await s.store.useRecoveryCode(digest: digest, userID: user.id, at: s.now()) {
                return SignInProof(factors: 2, method: "password+recovery-code")
            }
            return nil
        }
        // Only a demo database lets an account without a second factor in as with two.
        if Mutant.decide("signIn.demoOnly", try await s.isDemo()) { return SignInProof(factors: 2, method: "demo") }
        return SignInProof(factors: 1, method: "password")
    }

    // MARK: Audit of signing in

    /// A failed sign-in, audited under the account's organisation when the account exists
    /// (what was typed for an unknown one is not kept: it may be anything).
    static func recordFailure(
        _ user: UserAccount?, reason: String, on channel: Channel, _ s: Services, organisation: Organisationsnummer? = nil
    ) async throws {
        let draft = AuditDraft(
            actor: user?.email ?? "unknown", role: user?.role.rawValue ?? "none", organisation: user?.organisation ?? organisation,
            action: "sign-in-failed",
            person: nil, channel: channel.description, detail: reason, subjects: [])
        // Group commit, as reads do: a burst of failures (a guessing attack) is one commit, not forty.
        try await s.auditBuffer.record([draft])
    }

    static func describe(_ proof: SignInProof, provider: String? = nil) -> String {
        var words = [proof.method, proof.factors == 2 ? "2 factors" : "1 factor"]
        if let provider { words.append("provider \(provider)") }
        if let acr = proof.acr { words.append("acr \(acr)") }
        return words.joined(separator: ", ")
    }

    /// How many of the person's recovery codes are unused (their own set-up page).
    static func unusedRecoveryCodes(_ user: UserAccount?, _ s: Services) async throws -> Int {
        guard let user else { return 0 }
        return try await s.store.unusedRecoveryCodes(userID: user.id)
    }

    /// The caller's own organisation's provider (the admin's accounts page).
    static func ownProvider(_ caller: Caller, _ s: Services) async throws -> IdentityProviderSettings? {
        guard let org = caller.organisation else { return nil }
        return try await s.store.identityProvider(of: org)
    }

    // MARK: A person's own sessions

    static func ownSessions(_ r: (principal: Principal?, user: UserAccount?), on channel: Channel, _ s: Services) async throws -> [SessionSummary] {
        _ = try Caller.signedIn(r.principal, on: channel)
        guard let user = r.user else { return [] }
        return try await s.store.sessions(ofUser: user.id, at: s.now())
    }

    /// Ends one of the person's own sessions (never anyone else's), audited.
    static func endOwnSession(handle: String, _ r: (principal: Principal?, user: UserAccount?), on channel: Channel, _ s: Services) async throws {
        let caller = try Caller.signedIn(r.principal, on: channel)
        guard let user = r.user,
            try await s.store.endSession(handle: handle, userID: user.id, audit: caller.entry("end-session", detail: "session \(handle)"), at: s.now())
        else {
            var error = APIError.notFound("no such session of yours / sessionen finns inte")
            error.refusal = caller.refusal("session \(handle) is not theirs or has ended")
            throw error
        }
    }

    // MARK: The organisation's identity provider

    /// The operator's settings of an organisation's provider (`samspar org update --oidc-…`).
    public static func setProvider(_ settings: IdentityProviderSettings, _ caller: Caller, _ s: Services) async throws {
        guard caller.principal == nil || Mutant.flips("oidc.operatorSetsProvider") else {
            throw APIError.forbidden("only the operator sets an identity provider / bara driftansvarig")
        }
        var detail = "issuer \(settings.issuer) client \(settings.clientID)"
        if let claim = settings.roleClaim { detail += " role claim \(claim)" }
        if !settings.roles.isEmpty {
            detail += " roles " + settings.roles.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
        }
        if !settings.twoFactorACR.isEmpty { detail += " two-factor acr " + settings.twoFactorACR.joined(separator: ",") }
        do {
            try await s.store.setIdentityProvider(
                settings, audit: caller.entry("set-identity-provider", detail: detail, subjects: []).under(settings.organisation), at: s.now())
        } catch let error as AccountError {
            throw APIError.conflict(error.description)
        }
    }

    /// The admin's map of the role claim's values to roles (the accounts page). Only the
    /// admin's own organisation's, and only with two factors (an admin with one has an analyst's powers).
    static func setRoleMap(_ map: [String: Role], _ caller: Caller, _ s: Services) async throws {
        guard let org = caller.organisation, var settings = try await s.store.identityProvider(of: org) else {
            throw APIError.notFound("your organisation has no identity provider / organisationen har ingen inloggningstjänst")
        }
        settings.roles = map
        try await s.store.setIdentityProvider(
            settings,
            audit: caller.entry(
                "set-role-map", detail: map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")),
            at: s.now())
    }
}

extension AuditDraft {
    /// The same entry, filed under `organisation` (an operator's act that concerns one).
    func under(_ organisation: Organisationsnummer) -> AuditDraft {
        var copy = self
        copy.organisation = organisation
        return copy
    }
}
