import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// The parties of the bundled Östra Södertörn agreement.
enum Org {
    static let haninge = try! Organisationsnummer("212000-0084")
    static let tyreso = try! Organisationsnummer("212000-0092")
    static let nynashamn = try! Organisationsnummer("212000-0233")
    static let employmentService = try! Organisationsnummer("202100-2114")
    static let association = try! Organisationsnummer("222000-2162")
}

/// A server over a fresh store, with a settable clock and a user of every role. Each request
/// goes over real HTTP on loopback (HummingbirdTesting's live mode, STYLE §11).
final class Harness: @unchecked Sendable {
    let store: any SamsparStore
    let services: Services
    let router: Router<AppContext>
    let routes: [(method: String, path: String)]
    let clock: Clock

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Date(timeIntervalSince1970: 1_560_000_000)  // 2019-06-08
        var now: Date {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        func set(_ date: Date) {
            lock.lock()
            value = date
            lock.unlock()
        }
    }

    static let password = "correct horse battery staple"

    init(engine: Engine = .sqlite, trustedProxies: Set<String> = []) async throws {
        store = try await engine.makeStore()
        let clock = Clock()
        self.clock = clock
        services = Services(store: store, now: { clock.now }, bcryptCost: 4, trustedProxies: trustedProxies)
        (router, routes) = WebApp.buildRouter(services: services, metrics: nil)
        _ = try await store.importAgreement(
            try Agreement.parse(json: Caseload.ostraSodertornDocument), document: Caseload.ostraSodertornDocument, importedAt: clock.now)
        let hash = try await Services.hashPassword(Self.password, cost: 4)
        let users: [(String, Organisationsnummer, Role)] = [
            ("cw.haninge@example.se", Org.haninge, .caseworker), ("cw.tyreso@example.se", Org.tyreso, .caseworker),
            ("coordinator@example.se", Org.association, .coordinator), ("analyst@example.se", Org.association, .analyst),
            ("auditor@example.se", Org.haninge, .auditor), ("admin@example.se", Org.haninge, .admin),
        ]
        let now = clock.now
        try await store.transaction { s in
            for (email, org, role) in users {
                let id = try await Rows.addUser(email: email, organisation: org, role: role, passwordHash: hash, now: now, in: s)
                _ = try await SignInRows.setSecondFactor(
                    secret: Self.totp.base32, recoveryDigests: [], userID: id, organisation: org, keepingSession: nil, in: s)
            }
        }
    }

    /// Every harness user's TOTP secret (RFC 6238's test key, "12345678901234567890").
    static let totp = TOTP(secret: Array("12345678901234567890".utf8))

    /// The audit entries of an action, oldest first, as "actor role detail".
    func auditEntries(_ action: String) async throws -> [String] {
        try await store.read { s in
            try await s.query("SELECT actor, role, detail FROM audit_log WHERE action = $1 ORDER BY seq", [.text(action)]).map {
                "\($0["actor"].text ?? "") \($0["role"].text ?? "") \($0["detail"].text ?? "")"
            }
        }
    }

    /// A TOTP code for a harness user's sign-in: the clock first moves on one step, since each
    /// step's code is accepted once.
    func code() -> String {
        clock.set(clock.now.addingTimeInterval(Double(TOTP.period)))
        return Self.totp.code(at: clock.now)
    }

    func close() async throws { try await store.close() }

    func setDay(_ iso: String) {
        let day = try! Day(iso: iso)
        clock.set(Date(timeIntervalSince1970: Double(day.ordinal) * 86_400 + 12 * 3600))
    }

    /// A token acting as `system` for `org`.
    func token(for org: Organisationsnummer, name: String = "case system") async throws -> String {
        let secret = Services.newSecret()
        let now = clock.now
        _ = try await store.transaction { try await Rows.createToken(organisation: org, name: name, secret: secret, now: now, in: $0) }
        return secret
    }

    /// A cookie session for a user: the Cookie header value and the CSRF token.
    /// A cookie session for a user, begun with two factors unless `factors` says one.
    func session(for email: String, factors: Int = 2) async throws -> (cookie: String, csrf: String) {
        let secret = Services.newSecret()
        let csrf = Services.newSecret()
        let now = clock.now
        let lifetime = services.sessionLifetime
        try await store.transaction { s in
            guard let user = try await Rows.user(email: email, in: s) else { throw APIError.notFound() }
            try await Rows.createSession(
                userID: user.id, secret: secret, csrfToken: csrf, proof: SignInProof(factors: factors, method: factors == 2 ? "password+totp" : "password"),
                now: now, lifetime: lifetime, in: s)
        }
        return ("\(Services.sessionCookie)=\(secret)", csrf)
    }

    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String
        /// The body as sent (a PDF is not text).
        var bytes: [UInt8] = []
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    /// Who makes a request.
    enum Caller {
        case anonymous
        case token(String)
        case session(cookie: String, csrf: String?)
    }

    func request(
        _ method: HTTPRequest.Method, _ uri: String, as caller: Caller, json: String? = nil, csv: String? = nil, headers extra: HTTPFields = [:],
        body text: String? = nil
    ) async throws -> Reply {
        var headers = extra
        switch caller {
        case .anonymous: break
        case .token(let t): headers[.authorization] = "Bearer \(t)"
        case .session(let cookie, let csrf):
            headers[.cookie] = cookie
            if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json)
        }
        if let csv {
            headers[.contentType] = "text/csv"
            body = ByteBuffer(string: csv)
        }
        if let text { body = ByteBuffer(string: text) }
        let app = Application(router: router)
        let (sentHeaders, sentBody) = (headers, body)
        return try await app.test(.live) { client in
            try await client.execute(uri: uri, method: method, headers: sentHeaders, body: sentBody) { response in
                Reply(status: response.status, headers: response.headers, text: String(buffer: response.body), bytes: Array(buffer: response.body))
            }
        }
    }
}

/// Skatteverket test numbers (bundled with SamsparDomain) used as participants.
enum People {
    static let own = "199001012385"
    static let consented = "199009132391"
    static let withdrawn = "199105152392"
    static let stranger = "200001012384"  // valid, never registered
    static let both = "199202132396"  // registered by Haninge and by Arbetsförmedlingen

    static func participantJSON(_ id: String, municipality: String = "0136", given: String = "Test", family: String = "Person") -> String {
        """
        {"personId": "\(id)", "givenName": "\(given)", "familyName": "\(family)", "municipality": "\(municipality)",
         "firstPermitDate": "2017-01-01", "registeredOn": "2018-01-15", "upperSecondaryCompleted": false}
        """
    }
}
