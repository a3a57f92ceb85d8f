import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SamsparDomain
import SamsparStore
import SamsparWire

/// Turns every error into the API's JSON error body, so that no route, and no unknown path,
/// answers in another shape. Unexpected errors are logged by type only (no personal data)
/// and answered with a 500 that says nothing of the inside.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: Services

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError where Self.isPage(request) {
            // A page address that does not exist: a page that says so.
            return ErrorPage.response(PageRequest(request: request, context: context, services: services, language: Language(request)), status: error.status)
        } catch let error as HTTPError {
            let code: String =
                switch error.status.code {
                case 404: "not_found"
                case 405: "method_not_allowed"
                case 413: "too_large"
                case 400: "bad_request"
                default: "http_\(error.status.code)"
                }
            let message = error.status == .notFound ? "no such resource / resursen finns inte" : (error.body ?? error.status.reasonPhrase)
            return try APIError(status: error.status, code: code, message: message).response(from: request, context: context)
        } catch let error as DecodingError {
            return try APIError.badRequest("the body is not the JSON this endpoint takes: \(Self.describe(error))").response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))", "endpoint": "\(context.endpointPath ?? "-")"])
            return try APIError(status: .internalServerError, code: "internal", message: "something went wrong on the server / serverfel")
                .response(from: request, context: context)
        }
    }

    /// Whether the request is for the web pages rather than the API, health or metrics.
    static func isPage(_ request: Request) -> Bool {
        !request.uri.path.hasPrefix("/api/") && request.uri.path != "/health" && request.uri.path != "/metrics"
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, _): return "'\(key.stringValue)' is missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "'\(path(c))' has the wrong type"
        case .dataCorrupted(let c): return path(c).isEmpty ? "not valid JSON" : "'\(path(c))' is not valid"
        @unknown default: return "not valid JSON"
        }
    }
}

/// Security headers on every response (issue 4, hardening).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        // Browsers heed it only over HTTPS, i.e. behind the TLS proxy Samspår expects (issue 21, ASVS 9.1.1).
        response.headers[HTTPField.Name("Strict-Transport-Security")!] = "max-age=31536000"
        return response
    }
}

/// One structured log line per request: method, the route's pattern (never the concrete
/// path, which can hold an identity number), status and duration.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")", "status": "\(response.status.code)",
                "ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ])
        return response
    }
}

/// Finds out who is asking: `Authorization: Bearer TOKEN` (a case system) or the session
/// cookie (a person). A cookie-authenticated write must carry the session's CSRF token in
/// `X-CSRF-Token`; a token-authenticated one needs nothing more (no browser sends it unasked).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let services: Services

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.today = services.today
        if let authorization = request.headers[.authorization] {
            guard authorization.hasPrefix("Bearer "), case let secret = String(authorization.dropFirst(7)), !secret.isEmpty else {
                throw APIError(status: .unauthorized, code: "unauthenticated", message: "the Authorization header must be 'Bearer TOKEN'")
            }
            guard let token = try await services.authenticateToken(secret) else {
                throw APIError(status: .unauthorized, code: "unauthenticated", message: "unknown or revoked API token / okänd eller återkallad token")
            }
            context.principal = Principal(actor: "token:\(token.name)", role: .system, organisation: token.organisation)
        } else if let secret = request.cookies[Services.sessionCookie]?.value {
            if let session = try await services.session(secret) {
                context.principal = SignInOperations.principal(of: session)
                context.sessionCSRF = session.csrfToken
                context.sessionProof = session.proof
                context.sessionUser = session.user
                context.sessionHandle = session.handle
                let safe = request.method == .get || request.method == .head || request.method == .options
                // Pages send the token in the form instead (``FormData/read(_:limit:)`` checks it
                // before a page reads anything else of the form).
                let api = request.uri.path.hasPrefix("/api/")
                if api && !safe && !FormData.constantTimeEqual(request.headers[HTTPField.Name("X-CSRF-Token")!] ?? "", session.csrfToken) {
                    throw APIError(
                        status: .forbidden, code: "csrf",
                        message: "a signed-in write needs the X-CSRF-Token header from sign-in / skrivning kräver X-CSRF-Token")
                }
            }
        }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            try await AuditOperations.recordRefusal(error, principal: context.principal, services)
            throw error
        } catch let error as HTTPError where ErrorMiddleware.isPage(request) {
            // A page address that does not exist, answered as a page with the reader's header.
            let context = context
            return try await PageRoutes.run(request, context, services) { ErrorPage.response($0, status: error.status) }
        }
    }
}
