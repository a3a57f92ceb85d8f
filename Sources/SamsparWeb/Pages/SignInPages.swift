import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// Signing in at an organisation's identity provider (issue 25): the start, which sends the
/// browser to the provider, and the callback it returns to.
enum ProviderPages {
    /// The cookie that binds a sign-in under way to this browser: `SameSite=Lax`, since the
    /// provider's return is a top-level navigation from another site.
    static let cookie = "samspar_oidc"

    /// Where the provider sends people back: `serve --public-url`, or this request's own host.
    static func base(_ r: PageRequest) -> String {
        if let url = r.services.publicURL { return url }
        let host = r.request.head.authority ?? "localhost"
        return "http://" + host
    }

    static func organisation(_ r: PageRequest) throws -> Organisationsnummer { try r.context.parameter(.organisation) }

    static func begin(_ r: PageRequest) async throws -> Response {
        let org = try organisation(r)
        let back = r.request.uri.queryParameters.get("till").map { String($0) }.flatMap { SiteURL.isLocal($0) ? $0 : nil } ?? SiteURL.home.path
        let started = try await SignInOperations.beginProviderSignIn(org, back: back, base: base(r), r.services)
        var response = Response.redirect(started.location)
        response.setCookie(
            Cookie(
                name: cookie, value: started.state, maxAge: Int(PendingSignIns.lifetime), path: SiteURL.providerSignIn(org.description).path,
                secure: true, httpOnly: true, sameSite: .lax))
        return response
    }

    struct Done: Sendable {
        var back: String
    }

    static func callback(_ r: PageRequest) async throws -> Response {
        let org = try organisation(r)
        let query = r.request.uri.queryParameters
        func q(_ name: String) -> String? { query.get(name).map { String($0) } }
        let answer = SignInOperations.ProviderReturn(
            code: q("code"), state: q("state"), iss: q("iss"), error: q("error"), browserState: r.request.cookies[cookie]?.value)
        let ended = Cookie(name: cookie, value: "", maxAge: 0, path: SiteURL.providerSignIn(org.description).path, secure: true, httpOnly: true, sameSite: .lax)
        do {
            let session = try await SignInOperations.finishProviderSignIn(
                org, answer, address: r.context.clientAddress(r.request, r.services), on: r.channel, r.services)
            // A page, not a redirect: the session cookie is SameSite=Strict, and a redirect
            // chain that began at the provider is cross-site, so the browser would not send it.
            var response = r.render("provider-done", title: r.t("provider.done"), Done(back: session.back), refresh: session.back)
            response.setCookie(SessionCookie.started(session.secret, r.services))
            response.setCookie(ended)
            return response
        } catch let error as APIError where error.status == .forbidden {
            var response = r.render(
                "error", title: r.t("provider.refused"),
                ErrorPage.Model(
                    heading: r.t("provider.refused"), message: r.t(error.code == "no_role" ? "provider.noRole" : "provider.refusedWhy"), detail: error.message),
                status: .forbidden)
            response.setCookie(ended)
            return response
        }
    }
}

/// A person's own second factor and sessions (issue 25): shown to that person alone.
enum OwnAccountPages {
    struct Image: Sendable {
        var svg: String
    }

    struct SecondFactorModel: Sendable {
        var provider: Bool
        var active: Bool
        var unused: String
        var setUp: Bool
        /// The QR code, drawn here (the template writes its SVG unescaped, as the dashboard's charts).
        var qr: Image?
        var uri: String
        var secret: String
        var action = SiteURL.secondFactor.path
        var error: String?
        var recoveryCodes: [String]
        var done: Bool
    }

    static func secondFactor(_ r: PageRequest, secret: TOTP? = nil, error: String? = nil, codes: [String] = []) async throws -> Response {
        _ = try r.caller()
        guard let user = r.context.sessionUser else { throw APIError.notFound() }
        let active = user.totpSecret != nil || !codes.isEmpty
        let unused = active && codes.isEmpty ? try await SignInOperations.unusedRecoveryCodes(r.context.sessionUser, r.services) : 0
        let totp = secret ?? TOTP.generate()
        let uri = totp.uri(account: user.email)
        let model = SecondFactorModel(
            provider: user.provider != nil, active: active && user.provider == nil, unused: String(format: r.t("secondFactor.unused"), String(unused)),
            setUp: !active && user.provider == nil, qr: QRCode(text: uri).map { Image(svg: $0.svg(label: r.t("secondFactor.qrLabel"))) }, uri: uri,
            secret: stride(from: 0, to: totp.base32.count, by: 4).map { i in
                String(totp.base32.dropFirst(i).prefix(4))
            }.joined(separator: " "), error: error, recoveryCodes: codes, done: !codes.isEmpty)
        return r.render("second-factor", title: r.t("secondFactor.title"), model, status: error == nil ? .ok : .unprocessableContent)
    }

    static func setUpSecondFactor(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let secret = (form.fields["secret"] ?? "").filter { !$0.isWhitespace }
        do {
            let codes = try await SignInOperations.setUpTOTP(
                secret: secret, code: form.fields["code"] ?? "",
                (r.principal, r.context.sessionUser, r.request.cookies[Services.sessionCookie]?.value), on: r.channel, r.services)
            return try await secondFactor(r, codes: codes)
        } catch let error as APIError where error.status == .unprocessableContent {
            return try await secondFactor(r, secret: TOTP(base32: secret), error: r.t("secondFactor.wrong"))
        }
    }

    struct SessionRow: Sendable {
        var started: String
        var address: String
        var how: String
        var current: Bool
        var end: String
        var handle: String
    }

    struct SessionsModel: Sendable {
        var sessions: [SessionRow]
    }

    static func sessions(_ r: PageRequest, notice: String? = nil) async throws -> Response {
        let own = try await SignInOperations.ownSessions((r.principal, r.context.sessionUser), on: r.channel, r.services)
        let rows = own.map { s in
            var how = r.t("session.method." + s.proof.method)
            how += ", " + r.t(s.proof.factors == 2 ? "session.twoFactors" : "session.oneFactor")
            if let acr = s.proof.acr { how += " (acr \(acr))" }
            return SessionRow(
                started: swedishTime(s.createdAt), address: s.address ?? "–", how: how,
                current: s.handle == r.context.sessionHandle, end: SiteURL.endSession(s.handle).path, handle: s.handle)
        }
        return r.render("sessions", title: r.t("sessions.title"), SessionsModel(sessions: rows), current: .ownSessions, notice: notice)
    }

    /// A stored UTC time (`2026-12-06T02:32:10.123Z`) as Swedish local time, to the minute.
    static func swedishTime(_ stored: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: stored) else { return String(stored.prefix(16)).replacing("T", with: " ") }
        let local = date.addingTimeInterval(Double(Services.sweden.secondsFromGMT(for: date)))
        let text = Rows.timestamp(local)
        return String(text.prefix(16)).replacing("T", with: " ")
    }

    static func endSession(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let handle = try r.context.parameter(.sessionHandle)
        try await SignInOperations.endOwnSession(handle: handle, (r.principal, r.context.sessionUser), on: r.channel, r.services)
        if handle == r.context.sessionHandle {
            var response = Response.redirect(SiteURL.signIn.with([("utloggad", "1")]))
            response.setCookie(SessionCookie.ended)
            return response
        }
        return try await sessions(r, notice: r.t("sessions.ended"))
    }
}
