import Crypto
import Foundation
import HTTPTypes
import JWTKit
import SamsparTestSupport
import Testing

@testable import SamsparDomain
@testable import SamsparStore
@testable import SamsparWeb

/// A real OpenID Connect provider on loopback: `oidc-provider-mock` from PyPI (authlib
/// underneath), which `.ci/run` installs. It signs ID tokens with a fresh RSA key at each
/// start, takes any client, and lets a test set a person's claims (`PUT /users/{sub}`).
final class MockProvider: @unchecked Sendable {
    private(set) var port: Int
    private var process: Process?
    var issuer: String { "http://127.0.0.1:\(port)" }

    /// The port is free when chosen but may be taken before the provider binds it (the suite
    /// opens many connections at once): a provider that exits at start is started again on
    /// another port, up to five times.
    init() throws {
        port = try Self.freePort()
        for attempt in 1...5 {
            do {
                try start()
                return
            } catch MockError.exited where attempt < 5 {
                port = try Self.freePort()
            }
        }
    }

    /// A port no one listens on (the system's choice, through Python's socket).
    static func freePort() throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw MockError.notStarted("no free port") }
        return port
    }

    /// Starts the provider and waits for its discovery document: up to a minute, since the
    /// whole suite on two cores can slow Python's start a great deal.
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        for _ in 0..<600 {
            if (try? curl(["-sf", "-m", "2", issuer + "/.well-known/openid-configuration"]))?.contains("jwks_uri") == true { return }
            guard p.isRunning else {
                process = nil
                throw MockError.exited("oidc-provider-mock exited at start on \(port) (taken? or: pip install oidc-provider-mock)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw MockError.notStarted("oidc-provider-mock did not answer on \(port) within a minute")
    }

    /// A restart: a new signing key, as a provider that rotates its keys (and no one remembered).
    func restart() throws {
        stop()
        try start()
    }

    /// SIGKILL: uvicorn's graceful stop waits for idle keep-alive connections.
    func stop() {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    deinit { stop() }

    enum MockError: Error { case notStarted(String), exited(String), curl(String) }

    @discardableResult
    func curl(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw MockError.curl("curl \(arguments.joined(separator: " ")): \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Sets a person's claims at the provider.
    func setUser(_ sub: String, _ claims: String) throws {
        try curl(["-sf", "-X", "PUT", "-H", "Content-Type: application/json", "-d", claims, "\(issuer)/users/\(sub)"])
    }

    /// The person `sub` approves the authorization request at `url`: where the provider sends the browser.
    func authorize(_ url: String, as sub: String) throws -> String {
        try curl(["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-X", "POST", "--data-urlencode", "sub=\(sub)", url])
    }
}

@Suite("Signing in at the organisation's identity provider", .serialized)
struct ProviderSignInTests {
    static let loa3 = "http://id.elegnamnden.se/loa/1.0/loa3"
    static let loa2 = "http://id.elegnamnden.se/loa/1.0/loa2"

    static func claims(groups: [String], acr: String = loa3, email: String? = nil, orgNumber: String? = "2120000084") -> String {
        var parts = [#""groups": [\#(groups.map { "\"\($0)\"" }.joined(separator: ", "))]"#, #""acr": "\#(acr)""#]
        if let email { parts.append(#""email": "\#(email)""#) }
        if let orgNumber { parts.append(#""https://id.oidc.se/claim/orgNumber": "\#(orgNumber)""#) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Haninge's provider as the operator sets it: the `groups` claim, one group per role, loa3 as two factors.
    static func configure(_ h: Harness, _ mock: MockProvider, org: Organisationsnummer = Org.haninge, client: String = "samspar-haninge") async throws {
        try await SignInOperations.setProvider(
            IdentityProviderSettings(
                organisation: org, issuer: mock.issuer, clientID: client, secretEnvironment: "SAMSPAR_TEST_CLIENT_SECRET", roleClaim: "groups",
                roles: ["samspar-handlaggare": .caseworker, "samspar-granskare": .auditor], twoFactorACR: [loa3]),
            .operator("test", on: .command("org update")), h.services)
        // As serve does at start: the secret from the environment (client_secret_basic).
        await h.services.providerSecrets.load(try await h.store.identityProviders(), environment: ["SAMSPAR_TEST_CLIENT_SECRET": "a client secret"])
    }

    struct Attempt {
        var begin: Harness.Reply
        var callback: Harness.Reply
        /// The callback's address and the state cookie it was sent with (to send again).
        var path: String
        var cookie: String
        var session: Harness.Caller? {
            let cookies = callback.headers[values: .setCookie]
            guard let pair = cookies.first(where: { $0.hasPrefix("samspar_session=") && !$0.hasPrefix("samspar_session=;") })?.split(separator: ";").first
            else { return nil }
            return .session(cookie: String(pair), csrf: nil)
        }
    }

    /// The browser's part: begin at Samspår, approve at the provider (the request optionally
    /// changed on the way), and return to the callback with the state cookie (or another).
    func signIn(
        _ h: Harness, _ mock: MockProvider, as sub: String, org: String = "212000-0084", callbackOrg: String? = nil,
        tamper: (inout [URLQueryItem]) -> Void = { _ in }, keepCookie: Bool = true, iss: String? = nil
    ) async throws -> Attempt {
        let begin = try await h.request(.get, "/logga-in/idp/\(org)", as: .anonymous)
        #expect(begin.status == .seeOther, "\(begin.text.prefix(300))")
        let location = try #require(begin.headers[.location])
        let cookie = try #require(begin.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        var components = try #require(URLComponents(string: location))
        var items = components.queryItems ?? []
        tamper(&items)
        components.queryItems = items
        let back = try mock.authorize(try #require(components.url?.absoluteString), as: sub)
        let returned = try #require(URLComponents(string: back))
        var path = returned.path + "?" + (returned.percentEncodedQuery ?? "")
        if let callbackOrg { path = path.replacing("/idp/\(org)/", with: "/idp/\(callbackOrg)/") }
        if let iss { path += "&iss=" + OIDC.formEncode(iss) }
        let callback = try await h.request(.get, path, as: keepCookie ? .session(cookie: cookie, csrf: nil) : .anonymous)
        return Attempt(begin: begin, callback: callback, path: path, cookie: cookie)
    }

    @Test(arguments: Engine.available)
    func aHaningeCaseworkerSignsInAtHaningesProviderAndWorks(_ engine: Engine) async throws {
        let mock = try MockProvider()
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare", "alla-anstallda"], email: "Anna.Andersson@haninge.example"))

        // The sign-in page offers Haninge's provider.
        let page = try await h.request(.get, "/logga-in", as: .anonymous)
        #expect(page.text.contains(#"<a href="/logga-in/idp/212000-0084">Logga in via Haninge kommun</a>"#))
        // The request carries PKCE S256, a state and a nonce.
        let first = try await signIn(h, mock, as: "anna")
        let location = try #require(first.begin.headers[.location])
        for part in ["code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "client_id=samspar-haninge", "response_type=code"] {
            #expect(location.contains(part), "\(part)")
        }
        let failures = try await h.auditEntries("sign-in-failed")
        #expect(first.callback.status == .ok, "\(failures)")
        #expect(first.callback.text.contains(#"<meta http-equiv="refresh" content="0;url=/">"#))
        let session = try #require(first.session)
        let me = try await h.request(.get, "/api/v1/session", as: session)
        #expect(me.json["actor"] as? String == "anna.andersson@haninge.example")
        #expect(me.json["role"] as? String == "caseworker" && me.json["factors"] as? Int == 2)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: session).status == .ok)
        let people = try await h.request(.get, "/deltagare", as: session)
        #expect(people.status == .ok && people.text.contains("19900101-2385"))

        // The second sign-in finds the same account.
        let second = try await signIn(h, mock, as: "anna")
        #expect(second.session != nil)
        let accounts = try await h.store.users(of: Org.haninge).filter { $0.provider != nil }
        #expect(accounts.map(\.email) == ["anna.andersson@haninge.example"])
        #expect(
            try await h.auditEntries("sign-in") == [
                "anna.andersson@haninge.example caseworker first sign-in, provider, 2 factors, provider \(mock.issuer), acr \(Self.loa3)",
                "anna.andersson@haninge.example caseworker provider, 2 factors, provider \(mock.issuer), acr \(Self.loa3)",
            ])
        // The admin disables her: the provider's word no longer lets her in.
        let anna = try #require(accounts.first)
        _ = try await h.store.setUserDisabled(
            true, userID: anna.id, of: Org.haninge,
            audit: { _ in
                AuditDraft(
                    actor: "test", role: "admin", organisation: Org.haninge, action: "disable-user", person: nil, channel: "test", detail: "", subjects: [])
            },
            at: h.clock.now)
        let disabled = try await signIn(h, mock, as: "anna")
        #expect(disabled.callback.status == .forbidden && disabled.session == nil)
        #expect(try await h.auditEntries("sign-in-failed").last == "anna.andersson@haninge.example caseworker provider \(mock.issuer): the account is disabled")
        _ = try await h.store.setUserDisabled(
            false, userID: anna.id, of: Org.haninge,
            audit: { _ in
                AuditDraft(
                    actor: "test", role: "admin", organisation: Org.haninge, action: "enable-user", person: nil, channel: "test", detail: "", subjects: [])
            },
            at: h.clock.now)
        // A password is no way into a provider's account.
        let password = try await h.request(
            .post, "/api/v1/session", as: .anonymous, json: #"{"email": "anna.andersson@haninge.example", "password": "!", "code": "000000"}"#)
        #expect(password.status == .unauthorized)

        // Signing out ends the session here and goes on to the provider's end_session.
        let again = try #require(try await signIn(h, mock, as: "anna").session)
        guard case .session(let pair, _) = again else { return }
        let csrf = try #require(try await h.request(.get, "/api/v1/session", as: again).json["csrfToken"] as? String)
        let out = try await PageTests().post(h, "/logga-ut", as: (pair, csrf), [("_csrf", csrf)])
        #expect(out.status == .ok)
        let end = try #require(out.text.firstMatch(of: /<meta http-equiv="refresh" content="0;url=([^"]+)">/)?.1).replacing("&amp;", with: "&")
        #expect(end.hasPrefix("\(mock.issuer)/oauth2/end_session?client_id=samspar-haninge&post_logout_redirect_uri="))
        #expect(try await h.request(.get, "/api/v1/session", as: again).status == .unauthorized)
        #expect(try await h.auditEntries("sign-out") == ["anna.andersson@haninge.example caseworker "])
    }

    @Test func oneFactorAtTheProviderSeesNoPersonalData() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        try mock.setUser("bo", Self.claims(groups: ["samspar-handlaggare"], acr: Self.loa2))
        let attempt = try await signIn(h, mock, as: "bo")
        let session = try #require(attempt.session)
        let me = try await h.request(.get, "/api/v1/session", as: session)
        #expect(me.json["role"] as? String == "analyst" && me.json["heldRole"] as? String == "caseworker" && me.json["factors"] as? Int == 1)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: session).status == .forbidden)
        let home = try await h.request(.get, "/", as: session)
        #expect(home.text.contains("Du är inloggad med bara ett steg.") && !home.text.contains("Slå på tvåstegsverifiering"))
        // With no provider e-mail, the account is named by a digest of (issuer, sub).
        #expect(try #require(me.json["actor"] as? String).hasPrefix("oidc-"))
        #expect(try await h.auditEntries("sign-in").first?.hasSuffix("provider, 1 factor, provider \(mock.issuer), acr \(Self.loa2)") == true)
    }

    @Test func whoHasNoMappedRoleIsRefusedAndARoleTakenAwayEndsTheSessions() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        try mock.setUser("cecilia", Self.claims(groups: ["alla-anstallda"]))
        let refused = try await signIn(h, mock, as: "cecilia")
        #expect(refused.callback.status == .forbidden && refused.session == nil)
        #expect(refused.callback.text.contains("Din organisation har inte gett dig någon roll i Samspår."))
        #expect(try await h.auditEntries("sign-in-failed") == ["unknown none provider \(mock.issuer): no role maps from the claims"])
        #expect(try await h.store.users(of: Org.haninge).filter { $0.provider != nil }.isEmpty)

        // Anna has a role, then loses it at the provider: her next sign-in is refused, and her session ends.
        try mock.setUser("anna", Self.claims(groups: ["samspar-granskare"]))
        let session = try #require(try await signIn(h, mock, as: "anna").session)
        #expect(try await h.request(.get, "/api/v1/session", as: session).json["role"] as? String == "auditor")
        try mock.setUser("anna", Self.claims(groups: []))
        let gone = try await signIn(h, mock, as: "anna")
        #expect(gone.callback.status == .forbidden && gone.session == nil)
        #expect(try await h.request(.get, "/api/v1/session", as: session).status == .unauthorized)
        // A role changed at the provider is changed at the next sign-in.
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare"]))
        let back = try #require(try await signIn(h, mock, as: "anna").session)
        #expect(try await h.request(.get, "/api/v1/session", as: back).json["role"] as? String == "caseworker")
        #expect(try await h.auditEntries("role-from-provider").last?.hasSuffix("auditor → caseworker") == true)
    }

    @Test func aWrongNonceAWrongClientAUsedStateAndAnotherBrowserAreRefused() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare"]))
        // A token whose nonce is not this sign-in's.
        let nonce = try await signIn(
            h, mock, as: "anna",
            tamper: { items in
                items = items.map { $0.name == "nonce" ? URLQueryItem(name: "nonce", value: "someone-elses-nonce") : $0 }
            })
        #expect(nonce.callback.status == .forbidden && nonce.session == nil)
        // A code issued to another client (its token's aud is that client's): the exchange fails.
        let client = try await signIn(
            h, mock, as: "anna",
            tamper: { items in
                items = items.map { $0.name == "client_id" ? URLQueryItem(name: "client_id", value: "another-client") : $0 }
            })
        #expect(client.callback.status == .forbidden && client.session == nil)
        #expect(
            try await h.auditEntries("sign-in-failed").map { $0.replacing(/\s\(.*\)$/, with: "") } == [
                "unknown none provider \(mock.issuer): the ID token was refused: the nonce is not this sign-in's",
                "unknown none provider \(mock.issuer): the identity provider could not be used: /oauth2/token answered 400",
            ])
        // (The mix-up below adds its own entry.)
        // RFC 9207: an answer that names another issuer is refused; one that names this one is taken.
        let mixUp = try await signIn(h, mock, as: "anna", iss: "https://idp.example.com")
        #expect(mixUp.callback.status == .forbidden && mixUp.session == nil)
        #expect(try await signIn(h, mock, as: "anna", iss: mock.issuer).session != nil)
        // A state used once is unknown the second time.
        let good = try await signIn(h, mock, as: "anna")
        #expect(good.session != nil)
        let replay = try await h.request(.get, good.path, as: .session(cookie: good.cookie, csrf: nil))
        #expect(replay.status == .badRequest && replay.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("samspar_session=") })
        // Without the browser's state cookie (a link someone else began), the sign-in is refused.
        let elsewhere = try await signIn(h, mock, as: "anna", keepCookie: false)
        #expect(elsewhere.callback.status == .badRequest && elsewhere.session == nil)
        // An organisation without a provider: 404.
        #expect(try await h.request(.get, "/logga-in/idp/212000-0233", as: .anonymous).status == .notFound)
        #expect(try await h.request(.get, "/logga-in/idp/212000-0233/callback?state=x&code=y", as: .anonymous).status == .notFound)
    }

    @Test func aPersonIsKnownInOneOrganisationOnlyAndTheProvidersOrganisationNumberMustMatch() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        // Tyresö uses the same provider with its own client.
        try await Self.configure(h, mock, org: Org.tyreso, client: "samspar-tyreso")
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare"], orgNumber: nil))
        #expect(try await signIn(h, mock, as: "anna").session != nil)
        // The same (issuer, sub) at Tyresö's callback: refused, audited under Haninge where she is known.
        let there = try await signIn(h, mock, as: "anna", org: "212000-0092")
        #expect(there.callback.status == .forbidden && there.session == nil)
        #expect(
            try await h.auditEntries("sign-in-failed").last
                == "oidc-\(Digest.sha256(mock.issuer + " anna").prefix(12))@127.0.0.1 caseworker provider \(mock.issuer): the identity belongs to another organisation (212000-0084)"
        )
        // A state begun at Tyresö is not Haninge's.
        let crossed = try await signIn(h, mock, as: "anna", org: "212000-0092", callbackOrg: "212000-0084")
        #expect(crossed.callback.status == .badRequest)
        // The provider says Dan works for Tyresö: not at Haninge's callback.
        try mock.setUser("dan", Self.claims(groups: ["samspar-handlaggare"], orgNumber: "2120000092"))
        let dan = try await signIn(h, mock, as: "dan")
        #expect(dan.callback.status == .forbidden && dan.session == nil)
        // An issuer and client id belong to one organisation.
        await #expect(throws: APIError.self) { try await Self.configure(h, mock, org: Org.nynashamn, client: "samspar-tyreso") }
    }

    @Test func aProviderThatRotatesItsKeyIsStillAccepted() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare"]))
        #expect(try await signIn(h, mock, as: "anna").session != nil)
        let before = try mock.curl(["-sf", mock.issuer + "/jwks"])
        try mock.restart()
        let after = try mock.curl(["-sf", mock.issuer + "/jwks"])
        #expect(before != after)
        try mock.setUser("anna", Self.claims(groups: ["samspar-handlaggare"]))
        h.clock.set(h.clock.now.addingTimeInterval(120))
        let again = try await signIn(h, mock, as: "anna")
        let failures = try await h.auditEntries("sign-in-failed")
        #expect(again.callback.status == .ok && again.session != nil, "\(failures)")
    }

    @Test func theAdminMapsRolesWithTwoFactorsOnly() async throws {
        let mock = try MockProvider()
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        try await Self.configure(h, mock)
        let admin = try await h.session(for: "admin@example.se")
        let page = try await h.request(.get, "/konton", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(page.text.contains("samspar-granskare=auditor\nsamspar-handlaggare=caseworker"))
        let saved = try await PageTests().post(
            h, "/konton/roller", as: admin, [("_csrf", admin.csrf), ("map", "samspar-handlaggare=caseworker\r\nsamspar-samordnare=coordinator\r\n")])
        #expect(saved.status == .ok && saved.text.contains("Ändringen är sparad."))
        #expect(try await h.store.identityProvider(of: Org.haninge)?.roles == ["samspar-handlaggare": .caseworker, "samspar-samordnare": .coordinator])
        let bad = try await PageTests().post(h, "/konton/roller", as: admin, [("_csrf", admin.csrf), ("map", "samspar-x=system")])
        #expect(bad.text.contains("Rad 1 är inte på formen värde=roll"))
        #expect(try await h.store.identityProvider(of: Org.haninge)?.roles.count == 2)
        // The same admin with one factor has an analyst's powers: no accounts, no roles.
        let weak = try await h.session(for: "admin@example.se", factors: 1)
        #expect(try await PageTests().post(h, "/konton/roller", as: weak, [("_csrf", weak.csrf), ("map", "a=admin")]).status == .forbidden)
        #expect(try await h.request(.get, "/konton", as: .session(cookie: weak.cookie, csrf: nil)).status == .forbidden)
        #expect(try await h.auditEntries("set-role-map") == ["admin@example.se admin samspar-handlaggare=caseworker,samspar-samordnare=coordinator"])
        // The issuer, the client and the claim are the operator's alone, whatever role asks.
        let adminCaller = try Caller.signedIn(Principal(actor: "admin@example.se", role: .admin, organisation: Org.haninge), on: .command("test"))
        let settings = try #require(try await h.store.identityProvider(of: Org.haninge))
        await #expect(throws: APIError.self) { try await SignInOperations.setProvider(settings, adminCaller, h.services) }
    }

    // MARK: The ID token's checks, on tokens signed here

    @Test func theIDTokensChecksRefuseWhatIsNotThisSignIns() async throws {
        let key = ES256PrivateKey()
        let other = ES256PrivateKey()
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: "k1")
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: other, kid: "k1")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func token(
            iss: String = "https://idp.haninge.se", aud: [String] = ["samspar"], exp: TimeInterval = 1_800_000_300, nonce: String = "n-1", azp: String? = nil,
            by collection: JWTKeyCollection? = nil
        ) async throws -> String {
            let payload = OIDC.IDToken(
                iss: .init(value: iss), sub: .init(value: "anna"), aud: .init(value: aud), exp: .init(value: Date(timeIntervalSince1970: exp)), nonce: nonce,
                azp: azp, acr: Self.loa3)
            let signing = collection ?? JWTKeyCollection()
            if collection == nil { await signing.add(ecdsa: key, kid: "k1") }
            return try await signing.sign(payload, kid: "k1")
        }
        func verify(_ t: String) async -> String {
            do {
                let identity = try await OIDC.verify(t, keys: keys, issuer: "https://idp.haninge.se", clientID: "samspar", nonce: "n-1", now: now)
                return "ok \(identity.subject) \(identity.acr ?? "")"
            } catch {
                return "\(error)"
            }
        }
        #expect(await verify(try await token()) == "ok anna \(Self.loa3)")
        #expect(await verify(try await token(aud: ["another-client"])) == "the ID token was refused: aud does not name this client")
        #expect(await verify(try await token(aud: ["samspar", "another"], azp: "another")) == "the ID token was refused: azp does not name this client")
        #expect(await verify(try await token(nonce: "n-2")) == "the ID token was refused: the nonce is not this sign-in's")
        #expect(
            await verify(try await token(iss: "https://idp.tyreso.se")) == "the ID token was refused: iss is https://idp.tyreso.se, not https://idp.haninge.se")
        #expect(await verify(try await token(exp: 1_799_999_900)) == "the ID token was refused: it has expired")
        #expect(
            await verify(try await token(by: signer)) == "the ID token was refused: the signature does not verify with the provider's keys")
        // An unsigned token ("alg": "none") is never taken.
        let header = OIDC.base64URL(Data(#"{"alg":"none","typ":"JWT","kid":"k1"}"#.utf8))
        let body = OIDC.base64URL(Data(#"{"iss":"https://idp.haninge.se","sub":"anna","aud":"samspar","exp":1800000300,"nonce":"n-1"}"#.utf8))
        #expect(await verify("\(header).\(body).") == "the ID token was refused: the signature does not verify with the provider's keys")
    }
}
