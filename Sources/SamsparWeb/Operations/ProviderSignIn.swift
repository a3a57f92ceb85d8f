import Foundation
import SamsparDomain
import SamsparStore
import SamsparWire

/// Signing in at an organisation's identity provider (SPEC §1, §5; issue 25): the
/// authorization code flow with PKCE S256, `state` bound to the organisation and used once,
/// `nonce`, and RFC 9207's mix-up defence. What the provider vouches for becomes a session
/// here only through these decisions: the (issuer, `sub`) pair belongs to one organisation,
/// an organisation number the provider sends must be this one's, the role comes from the
/// admin's map of the role claim, and the `acr` decides the factors.
extension SignInOperations {
    /// The provider's OIDC `oidc.se` claim of the organisation number (the Swedish OpenID
    /// Connect Profile).
    static let orgNumberClaim = "https://id.oidc.se/claim/orgNumber"

    /// The organisations whose providers `/logga-in` offers, by name.
    static func providerChoices(_ s: Services) async throws -> [(organisation: Organisationsnummer, name: String)] {
        let providers = try await s.store.identityProviders()
        var result: [(Organisationsnummer, String)] = []
        for p in providers {
            let name = try await s.store.organisation(p.organisation)?.name ?? p.organisation.description
            result.append((p.organisation, name))
        }
        return result
    }

    /// Begins a sign-in at `organisation`'s provider: where to send the browser, and the state
    /// that its cookie binds to this browser. `404` when the organisation has no provider.
    static func beginProviderSignIn(_ organisation: Organisationsnummer, back: String, base: String, _ s: Services) async throws -> (
        location: String, state: String
    ) {
        guard let settings = try await s.store.identityProvider(of: organisation) else {
            throw APIError.notFound("the organisation signs in with no identity provider / organisationen har ingen inloggningstjänst")
        }
        let metadata: OIDC.Metadata
        do {
            metadata = try await s.providerCache.metadata(issuer: settings.issuer, now: s.now())
        } catch let failure as OIDC.Failure {
            throw APIError(status: .badGateway, code: "provider", message: failure.description)
        }
        let (verifier, challenge) = OIDC.pkce()
        let nonce = Services.newSecret()
        let redirect = base + SiteURL.providerCallback(organisation.description).path
        let state = await s.pendingSignIns.begin(
            .init(organisation: organisation, nonce: nonce, verifier: verifier, back: back, redirectURI: redirect, started: s.now()))
        let query: [(String, String)] = [
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", redirect), ("scope", "openid email profile"),
            ("state", state), ("nonce", nonce), ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ]
        let separator = metadata.authorization_endpoint.contains("?") ? "&" : "?"
        return (metadata.authorization_endpoint + separator + query.map { "\(OIDC.formEncode($0.0))=\(OIDC.formEncode($0.1))" }.joined(separator: "&"), state)
    }

    /// What the provider's return to the callback asked for.
    struct ProviderReturn: Sendable {
        var code: String?
        var state: String?
        var iss: String?
        var error: String?
        /// The state this browser's cookie holds (the sign-in it began).
        var browserState: String?
    }

    /// A sign-in the provider vouched for, made a session: its secret, where to go, and the principal.
    struct ProviderSession: Sendable {
        var secret: String
        var csrf: String
        var back: String
        var principal: Principal
    }

    /// Finishes a sign-in at `organisation`'s callback. Throws `400` for an unknown or used
    /// `state` (or one of another organisation or browser), `403` with the reason, audited,
    /// when the provider's answer does not give a session.
    static func finishProviderSignIn(
        _ organisation: Organisationsnummer, _ answer: ProviderReturn, address: String, on channel: Channel, _ s: Services
    ) async throws -> ProviderSession {
        guard let settings = try await s.store.identityProvider(of: organisation) else {
            throw APIError.notFound("the organisation signs in with no identity provider / organisationen har ingen inloggningstjänst")
        }
        guard let state = answer.state, let pending = await s.pendingSignIns.take(state, now: s.now()) else {
            throw APIError.badRequest("the sign-in is unknown or already used; start again / inloggningen är okänd eller redan använd")
        }
        guard Mutant.decide("oidc.stateOwnOrganisation", pending.organisation == organisation),
            answer.browserState.map({ FormData.constantTimeEqual($0, state) }) ?? false
        else {
            throw APIError.badRequest("the sign-in was begun elsewhere; start again / inloggningen påbörjades någon annanstans")
        }
        func refuse(_ reason: String, _ user: UserAccount? = nil, code: String = "sign_in_refused", message: String) async throws -> Never {
            try await recordFailure(user, reason: "provider \(settings.issuer): \(reason)", on: channel, s, organisation: organisation)
            throw APIError(status: .forbidden, code: code, message: message)
        }
        if let error = answer.error {
            try await refuse("the provider answered \(error.prefix(100))", message: "the sign-in was cancelled at the provider / inloggningen avbröts")
        }
        let metadata: OIDC.Metadata
        do {
            metadata = try await s.providerCache.metadata(issuer: settings.issuer, now: s.now())
        } catch let failure as OIDC.Failure {
            throw APIError(status: .badGateway, code: "provider", message: failure.description)
        }
        // RFC 9207: the answer names its issuer when the provider says it does, and then it must be this one.
        if answer.iss != nil || metadata.authorization_response_iss_parameter_supported == true {
            guard Mutant.decide("oidc.mixUpDefence", answer.iss == settings.issuer) else {
                try await refuse(
                    "the answer's iss is not the organisation's issuer", message: "the answer came from another provider / svaret kom från en annan tjänst")
            }
        }
        guard let code = answer.code else { throw APIError.badRequest("the provider sent no code / inget svar från inloggningstjänsten") }
        let identity: OIDC.Identity
        do {
            let secret = await s.providerSecrets.secret(of: organisation)
            var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", pending.redirectURI), ("code_verifier", pending.verifier)]
            if secret == nil { form.append(("client_id", settings.clientID)) }
            let data = try await OIDC.post(metadata.token_endpoint, form: form, basic: secret.map { (settings.clientID, $0) })
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let idToken = object["id_token"] as? String else {
                throw OIDC.Failure.provider("its token answer has no id_token")
            }
            let kid =
                OIDC.base64URLDecode(String(idToken.split(separator: ".").first ?? ""))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["kid"] as? String
            let keys = try await s.providerCache.keys(issuer: settings.issuer, jwksURI: metadata.jwks_uri, kid: kid, now: s.now())
            do {
                identity = try await OIDC.verify(
                    idToken, keys: keys, issuer: settings.issuer, clientID: settings.clientID, nonce: pending.nonce, now: s.now())
            } catch OIDC.Failure.signature {
                // The provider may have rotated its key (with a token that names no kid): its
                // keys are read again, at most once a minute, and the token checked once more.
                let fresh = try await s.providerCache.keys(issuer: settings.issuer, jwksURI: metadata.jwks_uri, kid: kid, now: s.now(), force: true)
                identity = try await OIDC.verify(
                    idToken, keys: fresh, issuer: settings.issuer, clientID: settings.clientID, nonce: pending.nonce, now: s.now())
            }
        } catch let failure as OIDC.Failure {
            try await refuse(failure.description, message: "the provider's answer could not be accepted / svaret från inloggningstjänsten godtogs inte")
        }

        // The person is known by (issuer, sub), in one organisation only.
        let existing = try await s.store.providerUser(issuer: settings.issuer, subject: identity.subject)
        if let existing, !Mutant.decide("oidc.subjectOwnOrganisation", existing.organisation == organisation) {
            try await refuse(
                "the identity belongs to another organisation (\(existing.organisation))", existing,
                message: "you are known in another organisation; sign in there / du är känd i en annan organisation")
        }
        // An admin's "spärra" holds for a provider's person too.
        if let existing, existing.disabled {
            try await refuse("the account is disabled", existing, message: "your account is disabled / ditt konto är spärrat")
        }
        if let sent = identity.strings(orgNumberClaim).first {
            let number = try? Organisationsnummer(sent.count == 10 ? String(sent.prefix(6)) + "-" + String(sent.suffix(4)) : sent)
            guard Mutant.decide("oidc.orgNumberMatches", number == organisation) else {
                try await refuse(
                    "the provider's organisation number \(sent.prefix(20)) is not this organisation's", existing,
                    message: "the provider says you belong to another organisation / du hör till en annan organisation")
            }
        }
        let values = settings.roleClaim.map { identity.strings($0) } ?? []
        guard let role = mappedRole(values: values, map: settings.roles) else {
            // A role taken away at the provider is taken away now: the person's sessions end.
            if let existing {
                try await s.store.endProviderUserSessions(
                    userID: existing.id,
                    audit: AuditDraft(
                        actor: existing.email, role: existing.role.rawValue, organisation: organisation, action: "sign-in-failed", person: nil,
                        channel: channel.description, detail: "provider \(settings.issuer): no role maps from the claims; the person's sessions end",
                        subjects: []), at: s.now())
                throw APIError(
                    status: .forbidden, code: "no_role",
                    message: "your organisation has given you no role in Samspår / din organisation har inte gett dig någon roll i Samspår")
            }
            try await refuse(
                "no role maps from the claims", code: "no_role",
                message: "your organisation has given you no role in Samspår / din organisation har inte gett dig någon roll i Samspår")
        }
        let proof = SignInProof(factors: providerFactors(acr: identity.acr, accepted: settings.twoFactorACR), method: "provider", acr: identity.acr)
        let host = URL(string: settings.issuer)?.host ?? "provider"
        let fallback = "oidc-" + Digest.sha256(settings.issuer + " " + identity.subject).prefix(12) + "@" + host
        let email = identity.strings("email").first.map { $0.lowercased() }.flatMap { e in
            (try? UserInput.validate(email: e, organisation: organisation.description, role: role.rawValue, password: String(repeating: "x", count: 12))) != nil
                ? e : nil
        }
        let secret = Services.newSecret()
        let csrf = Services.newSecret()
        let issuer = settings.issuer
        let user = try await s.store.signInProviderUser(
            existing: existing, email: email, fallbackEmail: fallback, organisation: organisation, role: role, issuer: issuer, subject: identity.subject,
            session: (secret, csrf, proof, address, s.sessionLifetime),
            audit: { user in
                let held = user.role
                let acting = effectiveRole(held: held, factors: proof.factors)
                var drafts: [AuditDraft] = []
                if let existing, existing.role != held {
                    drafts.append(
                        AuditDraft(
                            actor: user.email, role: held.rawValue, organisation: organisation, action: "role-from-provider", person: nil,
                            channel: channel.description, detail: "\(existing.role.rawValue) → \(held.rawValue)", subjects: []))
                }
                drafts.append(
                    AuditDraft(
                        actor: user.email, role: acting.rawValue, organisation: organisation, action: "sign-in", person: nil, channel: channel.description,
                        detail: (existing == nil ? "first sign-in, " : "") + describe(proof, provider: issuer), subjects: []))
                return drafts
            }, at: s.now())
        let session = UserSession(user: user, csrfToken: csrf, expiresAt: 0, proof: proof)
        return ProviderSession(secret: secret, csrf: csrf, back: pending.back, principal: principal(of: session))
    }

    /// Where sign-out sends a person a provider signed in: the provider's `end_session`
    /// (RP-Initiated Logout 1.0), when it offers one, and back to the sign-in page.
    static func providerSignOut(_ user: UserAccount?, base: String, _ s: Services) async -> String? {
        guard let user, let issuer = user.provider,
            let settings = try? await s.store.identityProvider(of: user.organisation), settings.issuer == issuer,
            let metadata = try? await s.providerCache.metadata(issuer: issuer, now: s.now()), let end = metadata.end_session_endpoint
        else { return nil }
        let back = base + SiteURL.signIn.with([("utloggad", "1")])
        let separator = end.contains("?") ? "&" : "?"
        return end + separator + "client_id=\(OIDC.formEncode(settings.clientID))&post_logout_redirect_uri=\(OIDC.formEncode(back))"
    }
}
