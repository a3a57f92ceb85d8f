import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SamsparDomain
import SamsparStore

/// The JSON API under `/api/v1` (SPEC §6 and issue 4). Every route is registered through
/// ``API/add(_:_:_:)``, which also records it in ``API/routes`` so a test can hold the
/// OpenAPI document to exactly this list.
struct API {
    let services: Services
    let router: Router<AppContext>
    private(set) var routes: [(method: HTTPRequest.Method, path: String)] = []

    typealias Handler = @Sendable (Request, AppContext) async throws -> Response

    mutating func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path))
        router.on(RouterPath(path), method: method, use: handler)
    }

    mutating func registerAll() {
        let s = services
        add(.post, "/api/v1/session") { try await SessionRoutes.signIn($0, $1, s) }
        add(.get, "/api/v1/session") { try await SessionRoutes.current($0, $1, s) }
        add(.delete, "/api/v1/session") { try await SessionRoutes.signOut($0, $1, s) }

        add(.get, "/api/v1/agreements") { try await AgreementRoutes.list($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}") { try await AgreementRoutes.get($0, $1, s) }
        add(.put, "/api/v1/agreements/{id}") { try await AgreementRoutes.put($0, $1, s) }
        add(.get, "/api/v1/agreements/{id}/report") { try await AgreementRoutes.report($0, $1, s) }

        add(.get, "/api/v1/participants") { try await ParticipantRoutes.search($0, $1, s) }
        add(.post, "/api/v1/participants") { try await ParticipantRoutes.create($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}") { try await ParticipantRoutes.get($0, $1, s) }
        add(.put, "/api/v1/participants/{personId}") { try await ParticipantRoutes.update($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/events") { try await ParticipantRoutes.record(.events, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/statuses") { try await ParticipantRoutes.record(.statuses, $0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/activities") { try await ParticipantRoutes.record(.activities, $0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.list($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents") { try await ConsentRoutes.give($0, $1, s) }
        add(.post, "/api/v1/participants/{personId}/consents/{consentId}/withdraw") { try await ConsentRoutes.withdraw($0, $1, s) }
        add(.get, "/api/v1/participants/{personId}/access-log") { try await ParticipantRoutes.accessLog($0, $1, s) }

        add(.post, "/api/v1/imports/{kind}") { try await ImportRoutes.importFile($0, $1, s) }

        add(.get, "/api/v1/audit") { try await AuditRoutes.search($0, $1, s) }
        add(.get, "/api/v1/audit/verify") { try await AuditRoutes.verify($0, $1, s) }

        add(.get, "/api/v1/disagreements") { try await ParticipantRoutes.disagreements($0, $1, s) }

        add(.get, "/api/v1/users") { try await AccountRoutes.users($0, $1, s) }
        add(.post, "/api/v1/users") { try await AccountRoutes.addUser($0, $1, s) }
        add(.post, "/api/v1/users/{userId}/disable") { try await AccountRoutes.setDisabled(true, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/enable") { try await AccountRoutes.setDisabled(false, $0, $1, s) }
        add(.post, "/api/v1/users/{userId}/password") { try await AccountRoutes.resetPassword($0, $1, s) }
        add(.get, "/api/v1/tokens") { try await AccountRoutes.tokens($0, $1, s) }
        add(.post, "/api/v1/tokens") { try await AccountRoutes.createToken($0, $1, s) }
        add(.delete, "/api/v1/tokens/{tokenId}") { try await AccountRoutes.revokeToken($0, $1, s) }
    }
}

// MARK: - Shared helpers

enum Body {
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the body is larger than \(limit / (1 << 20)) MiB")
        }
    }

    static func json<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> (T, [UInt8]) {
        let bytes = try await bytes(request, limit: Limits.jsonBody)
        guard !bytes.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        do {
            return (try JSONDecoder().decode(T.self, from: Data(bytes)), bytes)
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not the JSON this endpoint takes: \(ErrorMiddleware.describe(error))")
        }
    }
}

extension AppContext {
    /// The caller, when their role may do `what`; otherwise a `403` that goes into the audit
    /// log as a refusal (with the person of the path, when there is one).
    func require(_ allowed: (Role) -> Bool, _ what: String, _ request: Request) throws -> Principal {
        let principal = try requirePrincipal()
        guard allowed(principal.role) else {
            var error = APIError.forbidden("the role \(principal.role.rawValue) may not \(what) / rollen \(principal.role.rawValue) saknar behörighet")
            error.refusal = .init(
                person: try? personParameter(year: today.year), reason: "the role \(principal.role.rawValue) may not \(what)", channel: channel(request))
            throw error
        }
        return principal
    }

    func channel(_ request: Request) -> String { "\(request.method.rawValue) \(endpointPath ?? request.uri.path)" }

    /// `year` decides the century of a ten-digit number (this year, from the injected clock).
    func personParameter(year: Int) throws -> Personnummer {
        let text = parameters.get("personId") ?? ""
        // An unparseable number is "not found": the answer is the same as for a stranger.
        guard let person = try? Personnummer(text, currentYear: year) else { throw APIError.notFound() }
        return person
    }
}

extension Services {
    func draft(
        _ principal: Principal, _ action: String, person: Personnummer?, channel: String, detail: String = "", subjects: [Organisationsnummer] = []
    ) -> AuditDraft {
        AuditDraft(
            actor: principal.actor, role: principal.role.rawValue, organisation: principal.organisation, action: action, person: person, channel: channel,
            detail: detail, subjects: person.map { p in subjects.map { PersonParty(person: p.value, org: $0.value) } } ?? [])
    }
}

/// `Idempotency-Key` (issue 4): a create sent again with the same key and the same body gets
/// the first answer back without doing anything twice; the same key with another body is an
/// error. Keys are per caller; the answer is stored in the write's own transaction.
struct Idempotency: Sendable {
    let principal: String
    let key: String
    let fingerprint: String

    init?(_ request: Request, principal: Principal, body: [UInt8]) throws {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard !key.isEmpty, key.count <= 200 else { throw APIError.badRequest("Idempotency-Key must have 1 to 200 characters") }
        self.principal = principal.actor + "@" + principal.organisation.description
        self.key = key
        self.fingerprint = Registry.digest(request.method.rawValue + " " + request.uri.path + "\n" + String(decoding: body, as: UTF8.self))
    }

    /// The stored answer to replay, if this key was used before.
    func replay(_ services: Services) async throws -> Response? {
        guard let stored = try await services.store.read({ try await Registry.storedResponse(principal: principal, key: key, in: $0) }) else {
            return nil
        }
        guard stored.fingerprint == fingerprint else {
            throw APIError(
                status: .unprocessableContent, code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with another request / nyckeln har använts för en annan begäran")
        }
        var response = JSONResponse.text(stored.body, contentType: "application/json; charset=utf-8", status: .init(code: stored.status))
        response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
        return response
    }

    func save(status: HTTPResponse.Status, body: JSONValue, now: Date, in session: any SQLSession) async throws {
        let stored = try await Registry.storeResponse(
            principal: principal, key: key, response: .init(fingerprint: fingerprint, status: status.code, body: body.serialized(pretty: false)), now: now,
            in: session)
        // Two requests with one key at once: the second is rolled back; sent again, it gets
        // the first one's answer.
        guard stored else {
            throw APIError.conflict("a request with this Idempotency-Key was handled at the same moment; send it again to get its answer")
        }
    }
}

// MARK: - Session

enum SessionRoutes {
    struct SignIn: Decodable {
        var email: String
        var password: String
    }

    /// A hash to verify against when the account does not exist, so both answers take as long.
    static let dummyHash = Bcrypt.hash("not a real password, only for timing", cost: 12)

    static func signIn(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let (body, _) = try await Body.json(SignIn.self, request)
        let email = body.email.lowercased().trimmingCharacters(in: .whitespaces)
        let now = s.now()
        let address = s.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
        if let wait = await s.signInLimiter.retryAfter(account: email, address: address, now: now) {
            throw APIError(
                status: .tooManyRequests, code: "rate_limited", message: "too many failed sign-ins; try again in \(wait) s / för många misslyckade försök",
                headers: [.retryAfter: String(wait)])
        }
        let user = try await s.store.read { try await Registry.user(email: email, in: $0) }
        let valid = try await Services.verifyPassword(body.password, hash: user?.passwordHash ?? dummyHash)
        guard let user, valid, !user.disabled else {
            await s.signInLimiter.failed(account: email, address: address, now: now)
            throw APIError(status: .unauthorized, code: "sign_in_failed", message: "wrong e-mail address or password / fel e-postadress eller lösenord")
        }
        await s.signInLimiter.succeeded(account: email)
        let secret = Services.newSecret()
        let csrf = Services.newSecret()
        let principal = Principal(actor: user.email, role: user.role, organisation: user.organisation)
        let channel = context.channel(request)
        try await s.store.transaction { session in
            try await Registry.createSession(userID: user.id, secret: secret, csrfToken: csrf, now: now, lifetime: s.sessionLifetime, in: session)
            try await AuditLog.append([s.draft(principal, "sign-in", person: nil, channel: channel)], at: now, in: session)
        }
        var response = JSONResponse.make(whoAmI(principal, csrf: csrf))
        response.setCookie(
            Cookie(name: Services.sessionCookie, value: secret, maxAge: Int(s.sessionLifetime), path: "/", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    static func current(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.requirePrincipal()
        return JSONResponse.make(whoAmI(principal, csrf: context.sessionCSRF))
    }

    static func signOut(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        if let secret = request.cookies[Services.sessionCookie]?.value {
            try await s.store.transaction { try await Registry.deleteSession(secret: secret, in: $0) }
        }
        var response = Response(status: .noContent)
        response.setCookie(Cookie(name: Services.sessionCookie, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    static func whoAmI(_ p: Principal, csrf: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("actor", .string(p.actor)), ("role", .string(p.role.rawValue)), ("organisation", .string(p.organisation.description)),
        ]
        if let csrf { members.append(("csrfToken", .string(csrf))) }
        return .object(members)
    }
}

// MARK: - Agreements and reports

enum AgreementRoutes {
    static func list(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let items = try await s.store.agreements().map { stored -> JSONValue in
            .object([
                ("id", .string(stored.agreement.id)), ("title", .string(stored.agreement.title)), ("version", .int(stored.version)),
                ("validFrom", .string(stored.agreement.validFrom.description)),
            ])
        }
        return JSONResponse.make(.object([("items", .array(items))]))
    }

    static func get(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        _ = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let versions = try await s.store.agreementVersions(id: id)
        var chosen = versions.last
        if let text = request.uri.queryParameters.get("version") {
            guard let number = Int(text) else { throw APIError.badRequest("version must be a whole number") }
            chosen = versions.first { $0.version == number }
        }
        guard let stored = chosen else { throw APIError.notFound("no such agreement or version / avtalet finns inte") }
        return JSONResponse.make(
            .object([("version", .int(stored.version)), ("versions", .int(versions.count)), ("agreement", stored.agreement.document)]))
    }

    static func put(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.managesAgreements, "import or revise agreements", request)
        let id = context.parameters.get("id") ?? ""
        let bytes = try await Body.bytes(request, limit: Limits.jsonBody)
        let agreement: Agreement
        do {
            agreement = try Agreement.parse(json: Data(bytes))
        } catch {
            throw APIError.invalid(
                "the agreement was not imported / avtalet lästes inte in",
                problems: error.problems.map { ImportProblem(line: 0, column: $0.path, reason: $0.reason) })
        }
        guard agreement.id == id else { throw APIError.invalid("the document's id '\(agreement.id)' is not the id in the path ('\(id)')") }
        let now = s.now()
        let channel = context.channel(request)
        let result: AgreementImportResult
        do {
            // A coordinator works on their own organisation's agreements only, and never
            // changes the registry (SPEC §2).
            result = try await s.store.importAgreement(
                agreement, document: Data(bytes), importedAt: now, editor: .coordinator(principal.organisation),
                beforeCommit: { session, result in
                    try await AuditLog.append(
                        [s.draft(principal, "agreement", person: nil, channel: channel, detail: "\(agreement.id) version \(result.version)")], at: now,
                        in: session)
                })
        } catch let error as AgreementStoreError {
            switch error {
            case .notAParty, .notAPartyOfExisting:
                var refusal = APIError.forbidden("\(error.description) / din organisation är inte part i avtalet")
                refusal.refusal = .init(person: nil, reason: error.description, channel: channel)
                throw refusal
            case .partyMismatch, .unknownParty:
                throw APIError.invalid(
                    "the agreement was not imported / avtalet lästes inte in", problems: [.init(line: 0, column: "parties", reason: error.description)])
            }
        }
        let change: String =
            switch result.change {
            case .created: "created"
            case .revised: "revised"
            case .unchanged: "unchanged"
            }
        return JSONResponse.make(
            .object([("id", .string(result.id)), ("version", .int(result.version)), ("change", .string(change))]),
            status: result.change == .created ? .created : .ok)
    }

    /// SPEC §5's document. Roles without access to individual data always get it suppressed.
    static func report(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let query = request.uri.queryParameters
        guard let yearText = query.get("year"), let year = Int(yearText), (1900...2200).contains(year) else {
            throw APIError.badRequest("year is required: a year such as 2019")
        }
        var asOf = s.today
        if let text = query.get("asOf") {
            do { asOf = try Day(iso: text) } catch { throw APIError.badRequest("asOf: \(error.description)") }
        }
        var suppress = !principal.role.seesUnsuppressedReports
        if let text = query.get("suppress") {
            guard let flag = Bool(text) else { throw APIError.badRequest("suppress must be true or false") }
            suppress = suppress || flag
        }
        let (report, stored): (Report, StoredAgreement)
        do {
            (report, stored) = try await s.store.report(agreementID: id, year: year, asOf: asOf)
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
        let document = ReportDocument(report: report, suppression: suppress ? s.suppression : nil, agreementVersion: stored.version)
        return JSONResponse.make(document.json)
    }
}

// MARK: - Bulk imports

enum ImportRoutes {
    static func importFile(_ request: Request, _ context: AppContext, _ s: Services) async throws -> Response {
        let principal = try context.require(\.writesParticipants, "import records", request)
        guard let kind = ImportKind(rawValue: context.parameters.get("kind") ?? "") else {
            throw APIError.notFound("no such import; use participants, events, statuses or activities")
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("text/csv") {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "send the file as Content-Type: text/csv")
        }
        let bytes = try await Body.bytes(request, limit: Limits.importBody)
        let idempotency = try Idempotency(request, principal: principal, body: bytes)
        if let replay = try await idempotency?.replay(s) { return replay }
        let channel = context.channel(request)
        let now = s.now()
        do {
            let summary = try await s.store.importFile(
                kind, from: .bytes(bytes, name: "body"), currentYear: s.today.year,
                scope: ImportScope(
                    organisation: principal.organisation.value, today: s.today,
                    beforeCommit: { session, summary in
                        var draft = s.draft(principal, "import", person: nil, channel: channel, detail: "\(kind.rawValue): \(summary.rows) rows")
                        draft.subjects = summary.touched
                        try await AuditLog.append([draft], at: now, in: session)
                        try await idempotency?.save(status: .ok, body: .object([("imported", .int(summary.rows))]), now: now, in: session)
                    }), progress: nil)
            return JSONResponse.make(.object([("imported", .int(summary.rows))]))
        } catch let error as ImportError {
            throw APIError.invalid("the file was not imported: nothing was written / filen lästes inte in", problems: error.problems)
        }
    }
}
