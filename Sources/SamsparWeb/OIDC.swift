import Crypto
import Foundation
import JWTKit
import SamsparDomain
import SamsparStore
import SamsparWire

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The relying party's side of OpenID Connect (issue 25): discovery, the provider's keys, the
/// sign-ins under way, the code exchange and the ID token's checks. What a sign-in then gives
/// (the account, the role, the factors) is ``SignInOperations``' decision.
enum OIDC {
    /// What discovery says of a provider (OpenID Connect Discovery 1.0 §3).
    struct Metadata: Decodable, Sendable {
        var issuer: String
        var authorization_endpoint: String
        var token_endpoint: String
        var jwks_uri: String
        var end_session_endpoint: String?
        var authorization_response_iss_parameter_supported: Bool?
    }

    enum Failure: Error, CustomStringConvertible {
        case provider(String)
        case token(String)
        /// The signature does not verify with the keys at hand.
        case signature

        var description: String {
            switch self {
            case .provider(let why): "the identity provider could not be used: \(why)"
            case .token(let why): "the ID token was refused: \(why)"
            case .signature: "the ID token was refused: the signature does not verify with the provider's keys"
            }
        }
    }

    /// The ID token's registered claims that every check needs; the rest are read as JSON.
    struct IDToken: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nonce: String?
        var azp: String?
        var acr: String?

        /// The times are checked against the server's clock in ``OIDC/verify(_:keys:issuer:clientID:nonce:now:)``.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// What a verified ID token says.
    struct Identity: Sendable {
        var subject: String
        var acr: String?
        /// Each claim that is a text or a list of texts (the others are not read).
        var claims: [String: [String]]

        func strings(_ claim: String) -> [String] { claims[claim] ?? [] }

        static func texts(of json: Data) -> [String: [String]]? {
            guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return nil }
            var result: [String: [String]] = [:]
            for (name, value) in object {
                if let text = value as? String {
                    result[name] = [text]
                } else if let list = value as? [Any] {
                    result[name] = list.compactMap { $0 as? String }
                }
            }
            return result
        }
    }

    /// The checks of OpenID Connect Core §3.1.3.7 on a signed ID token: the signature by a key
    /// of the provider's JWKS (never `none`, never a key of the token's own choosing), `iss`,
    /// `aud` (and `azp` when there are several), `exp` with a minute's leeway, and `nonce`.
    static func verify(_ token: String, keys: JWTKeyCollection, issuer: String, clientID: String, nonce: String, now: Date) async throws -> Identity {
        let verified: IDToken
        do {
            verified = try await keys.verify(token, as: IDToken.self)
        } catch {
            throw Failure.signature
        }
        guard Mutant.decide("oidc.issuerChecked", verified.iss.value == issuer) else { throw Failure.token("iss is \(verified.iss.value), not \(issuer)") }
        guard Mutant.decide("oidc.audienceChecked", verified.aud.value.contains(clientID)) else { throw Failure.token("aud does not name this client") }
        if verified.aud.value.count > 1, verified.azp != clientID { throw Failure.token("azp does not name this client") }
        guard verified.exp.value.addingTimeInterval(60) > now else { throw Failure.token("it has expired") }
        guard Mutant.decide("oidc.nonceChecked", verified.nonce.map { FormData.constantTimeEqual($0, nonce) } ?? false) else {
            throw Failure.token("the nonce is not this sign-in's")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = base64URLDecode(String(parts[1])), let claims = Identity.texts(of: payload) else {
            throw Failure.token("the payload is not JSON")
        }
        return Identity(subject: verified.sub.value, acr: verified.acr, claims: claims)
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var s = text.replacing("-", with: "+").replacing("_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// PKCE (RFC 7636): the verifier and its S256 challenge.
    static func pkce() -> (verifier: String, challenge: String) {
        let verifier = Services.newSecret()
        return (verifier, base64URL(Data(SHA256.hash(data: Data(verifier.utf8)))))
    }

    // MARK: Talking to the provider

    /// At most this much of any answer of a provider is read.
    static let answerLimit = 1 << 20

    static func get(_ url: String) async throws -> Data {
        guard let u = URL(string: url), u.scheme == "https" || u.scheme == "http" else { throw Failure.provider("\(url) is not an http(s) address") }
        var request = URLRequest(url: u, timeoutInterval: 10)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        return try await send(request)
    }

    static func post(_ url: String, form: [(String, String)], basic: (String, String)?) async throws -> Data {
        guard let u = URL(string: url), u.scheme == "https" || u.scheme == "http" else { throw Failure.provider("\(url) is not an http(s) address") }
        var request = URLRequest(url: u, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let (id, secret) = basic {
            // RFC 6749 §2.3.1: each form-urlencoded before they are joined.
            let credentials = "\(formEncode(id)):\(formEncode(secret))"
            request.setValue("Basic " + Data(credentials.utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
        request.httpBody = Data(form.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&").utf8)
        return try await send(request)
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// No cache and no cookies: a provider's keys are read anew when they are asked for.
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration)
    }()

    private static func send(_ request: URLRequest) async throws -> Data {
        var request = request
        request.cachePolicy = .reloadIgnoringLocalCacheData
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw Failure.provider("\(request.url?.host ?? "?") did not answer")
        }
        guard data.count <= answerLimit else { throw Failure.provider("the answer is larger than \(answerLimit) bytes") }
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            throw Failure.provider("\(request.url?.path ?? "") answered \(status)")
        }
        return data
    }
}

/// Discovery documents and keys of the providers, cached: discovery for an hour, keys until a
/// token names a key they lack (the provider has rotated), then fetched anew, at most once a
/// minute per provider.
actor ProviderCache {
    private var metadata: [String: (OIDC.Metadata, Date)] = [:]
    private var keys: [String: (collection: JWTKeyCollection, kids: Set<String>, fetched: Date)] = [:]

    func metadata(issuer: String, now: Date) async throws -> OIDC.Metadata {
        if let (m, at) = metadata[issuer], now.timeIntervalSince(at) < 3600, now >= at { return m }
        let data = try await OIDC.get(issuer + "/.well-known/openid-configuration")
        guard let m = try? JSONDecoder().decode(OIDC.Metadata.self, from: data) else { throw OIDC.Failure.provider("its discovery document is not valid") }
        // OpenID Connect Discovery §4.3: the document's issuer is the one asked for.
        guard m.issuer == issuer else { throw OIDC.Failure.provider("its discovery document names the issuer \(m.issuer)") }
        metadata[issuer] = (m, now)
        return m
    }

    /// The provider's keys for a token whose header names `kid`.
    func keys(issuer: String, jwksURI: String, kid: String?, now: Date, force: Bool = false) async throws -> JWTKeyCollection {
        if let cached = keys[issuer] {
            let known = !force && (kid.map { cached.kids.contains($0) } ?? true)
            if known || abs(now.timeIntervalSince(cached.fetched)) < 60 { return cached.collection }
        }
        let data = try await OIDC.get(jwksURI)
        let json = String(decoding: data, as: UTF8.self)
        let collection = JWTKeyCollection()
        do {
            try await collection.add(jwksJSON: json)
        } catch {
            throw OIDC.Failure.provider("its keys (JWKS) could not be read")
        }
        let listed = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["keys"] as? [[String: Any]] ?? []
        let kids = Set(listed.compactMap { $0["kid"] as? String })
        keys[issuer] = (collection, kids, now)
        return collection
    }
}

/// Sign-ins under way: each `state` bound to its organisation, nonce, PKCE verifier and the
/// page to return to, used once, for ten minutes. Held in memory: a sign-in that began
/// before a restart starts again. At most 10,000 at once (the oldest go first).
actor PendingSignIns {
    struct Pending: Sendable {
        var organisation: Organisationsnummer
        var nonce: String
        var verifier: String
        var back: String
        var redirectURI: String
        var started: Date
    }

    static let lifetime: TimeInterval = 600
    private var pending: [String: Pending] = [:]

    func begin(_ p: Pending) -> String {
        if pending.count >= 10_000 {
            for (state, _) in pending.sorted(by: { $0.value.started < $1.value.started }).prefix(1_000) { pending[state] = nil }
        }
        let state = Services.newSecret()
        pending[state] = p
        return state
    }

    /// The sign-in of `state`, taken (it cannot be used again); `nil` when unknown, used or old.
    func take(_ state: String, now: Date) -> Pending? {
        guard let p = pending.removeValue(forKey: state) else { return nil }
        guard now.timeIntervalSince(p.started) < Self.lifetime, now >= p.started.addingTimeInterval(-60) else { return nil }
        return p
    }
}

/// The client secrets of the organisations' providers, read when `serve` starts (SPEC §5:
/// from a file or the environment, never the command line or the database).
actor ProviderSecrets {
    private var secrets: [Organisationsnummer: String] = [:]
    private(set) var problems: [String] = []

    func load(_ providers: [IdentityProviderSettings], environment: [String: String] = ProcessInfo.processInfo.environment) {
        secrets = [:]
        problems = []
        for p in providers {
            if let file = p.secretFile {
                if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    secrets[p.organisation] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                } else {
                    problems.append("\(p.organisation): the client secret file \(file) could not be read")
                }
            } else if let name = p.secretEnvironment {
                if let value = environment[name], !value.isEmpty {
                    secrets[p.organisation] = value
                } else {
                    problems.append("\(p.organisation): the environment variable \(name) is not set")
                }
            }
        }
    }

    func secret(of organisation: Organisationsnummer) -> String? { secrets[organisation] }
}
