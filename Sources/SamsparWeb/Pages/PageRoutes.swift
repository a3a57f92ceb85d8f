import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// The web interface's routes, in the same process and behind the same middleware as the API
/// (issue 8). Every page goes through ``run(_:_:_:_:)``: a refusal is audited exactly as the
/// API's (``AuditOperations/recordRefusal(_:principal:_:)``) and answered with a page, a missing or
/// ended session sends the reader to sign-in and back.
struct PageRoutes {
    let services: Services
    let router: Router<AppContext>

    typealias Handler = @Sendable (PageRequest) async throws -> Response

    func get(_ url: SiteURL, _ handler: @escaping Handler) {
        let s = services
        router.get(RouterPath(url.path)) { request, context in try await PageRoutes.run(request, context, s, handler) }
    }

    /// A form's target. The form is read, and its CSRF token checked, before the handler
    /// runs: no page write can skip the check. (Sign-in, which has no session yet, is the
    /// one exception and checks its own double-submit token.)
    ///
    /// `before` is the act's own role decision, taken before the body is read (issue 20: a
    /// 64 MiB file is not read for someone who may not send it).
    func post(
        _ url: SiteURL, limit: Int = Limits.formBody, before: (@Sendable (PageRequest) throws -> Void)? = nil,
        _ handler: @escaping @Sendable (PageRequest, FormData) async throws -> Response
    ) {
        let s = services
        router.post(RouterPath(url.path)) { request, context in
            try await PageRoutes.run(request, context, s) { r in
                _ = try r.signedIn()
                try before?(r)
                return try await handler(r, try await FormData.read(r, limit: limit))
            }
        }
    }

    static func run(_ request: Request, _ context: AppContext, _ s: Services, _ handler: Handler) async throws -> Response {
        var r = PageRequest(request: request, context: context, services: s, language: Language(request))
        if let caller = try? Caller.signedIn(context.principal, on: context.channel(request)) {
            r.organisationName = try await OrganisationOperations.own(caller, s)?.name
        }
        r.demo = try await s.isDemo()
        do {
            return try await handler(r)
        } catch let redirect as PageRedirect {
            return .redirect(redirect.location)
        } catch let error as APIError {
            if error.code == "unauthenticated" { return .redirect(r.signInFirst(back: request.method == .get ? r.here : nil).location) }
            try await AuditOperations.recordRefusal(error, principal: context.principal, s)
            // A refusal with a sentence of its own in the reader's language says it (issue 26).
            let sentence = error.pageText.flatMap { r.language.strings[$0] }.map { String(format: $0, error.pageArgument ?? "") }
            return ErrorPage.response(r, status: error.status, message: sentence ?? (error.status == .badRequest ? error.message : nil))
        }
    }

    func registerAll() {
        get(.signIn) { try await SignInPage.show($0) }
        router.post(RouterPath(SiteURL.signIn.path)) { [services] request, context in
            try await PageRoutes.run(request, context, services) { try await SignInPage.submit($0) }
        }
        post(.signOut) { try await SignInPage.signOut($0, $1) }
        get(.providerSignIn(SiteURL.orgKey)) { try await ProviderPages.begin($0) }
        get(.providerCallback(SiteURL.orgKey)) { try await ProviderPages.callback($0) }
        get(.secondFactor) { try await OwnAccountPages.secondFactor($0) }
        post(.secondFactor) { try await OwnAccountPages.setUpSecondFactor($0, $1) }
        get(.ownSessions) { try await OwnAccountPages.sessions($0) }
        post(.endSession(SiteURL.idKey)) { try await OwnAccountPages.endSession($0, $1) }
        post(.roleMap) { try await AccountPages.roleMap($0, $1) }
        get(.language) { LanguageSwitch.handle($0) }
        get(.stylesheet) { _ in StaticFile.response("samspar.css", type: "text/css; charset=utf-8") }
        get(.script) { _ in StaticFile.response("samspar.js", type: "text/javascript; charset=utf-8") }
        get(.documentStylesheet) { _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: AgreementDocument.css)))
        }
        get(.accessibility) { AccessibilityPage.show($0) }
        get(.home) { try await HomePage.show($0) }

        get(.participants) { try await ParticipantPages.list($0) }
        get(.participantsExport(SiteURL.formatKey)) { try await ParticipantPages.export($0) }
        get(.newParticipant) { try await ParticipantPages.newForm($0) }
        post(.newParticipant) { try await ParticipantPages.register($0, $1) }
        get(.checkPersonnummer) { try ParticipantPages.check($0) }
        get(.participant(SiteURL.personKey)) { try await ParticipantPages.show($0) }
        get(.protectedParticipant(SiteURL.idKey)) { try await ParticipantPages.showProtected($0) }
        post(.protectedParticipant(SiteURL.idKey)) { try await ParticipantPages.reveal($0, $1) }
        post(.participantProtection(SiteURL.personKey)) { try await ParticipantPages.protect($0, $1) }
        for form in SiteURL.RecordForm.allCases {
            post(.participantRecord(SiteURL.personKey, form)) { try await ParticipantPages.record(form, $0, $1) }
        }
        post(.giveConsent(SiteURL.personKey)) { try await ParticipantPages.giveConsent($0, $1) }
        post(.withdrawConsent(SiteURL.personKey, SiteURL.consentKey)) { try await ParticipantPages.withdrawConsent($0, $1) }

        get(.imports) { try await ImportPages.show($0) }
        post(.imports, limit: Limits.importBody, before: { try ImportPages.mayUpload($0) }) { try await ImportPages.upload($0, $1) }
        get(.importJob(SiteURL.idKey)) { try await ImportPages.job($0) }

        get(.agreements) { try await AgreementPages.list($0) }
        get(.agreement(SiteURL.idKey)) { try await AgreementPages.show($0) }
        get(.agreementCompare(SiteURL.idKey)) { try await AgreementPages.compare($0) }
        get(.newAgreement) { try await AgreementEditPage.newForm($0) }
        post(.newAgreement) { try await AgreementEditPage.create($0, $1) }
        get(.agreementEdit(SiteURL.idKey)) { try await AgreementEditPage.show($0) }
        for part in AgreementEditPage.Part.allCases {
            post(.agreementEditPart(SiteURL.idKey, part)) { try await AgreementEditPage.save(part, $0, $1) }
        }
        post(.agreementSign(SiteURL.idKey)) { try await AgreementEditPage.sign($0, $1) }
        post(.agreementRevise(SiteURL.idKey)) { try await AgreementEditPage.revise($0, $1) }
        post(.agreementTerminate(SiteURL.idKey)) { try await AgreementEditPage.terminate($0, $1) }
        post(.agreementAccept(SiteURL.idKey)) { r, _ in
            let caller = try AgreementOperations.Act.answerInvitation.authorize(r.principal, on: r.channel)
            let id = try r.context.parameter(.agreement)
            try await AgreementOperations.accept(id, caller, r.services)
            return .redirect(SiteURL.agreement(id).with([("antagen", "1")]))
        }
        post(.agreementDecline(SiteURL.idKey)) { r, _ in
            let caller = try AgreementOperations.Act.answerInvitation.authorize(r.principal, on: r.channel)
            let id = try r.context.parameter(.agreement)
            try await AgreementOperations.decline(id, caller, r.services)
            return .redirect(SiteURL.home.with([("avbojd", id)]))
        }
        post(.agreementDelete(SiteURL.idKey)) { r, _ in
            let caller = try AgreementOperations.Act.answerInvitation.authorize(r.principal, on: r.channel)
            let id = try r.context.parameter(.agreement)
            try await AgreementOperations.deleteDraft(id, caller, r.services)
            return .redirect(SiteURL.agreements.with([("borttagen", id)]))
        }
        get(.occupations) { try OccupationPage.show($0) }
        get(.agreementDocument(SiteURL.idKey)) { r in
            let (stored, _) = try await AgreementOperations.version(
                try r.context.parameter(.agreement), r.request.uri.queryParameters.get("version").map { String($0) }, try r.caller(), r.services)
            return .html(AgreementDocument.html(stored, stylesheet: SiteURL.documentStylesheet.path))
        }
        get(.agreementDocumentPDF(SiteURL.idKey)) { r in
            let (stored, _) = try await AgreementOperations.version(
                try r.context.parameter(.agreement), r.request.uri.queryParameters.get("version").map { String($0) }, try r.caller(), r.services)
            return try await PDFResponse.make(AgreementDocument.html(stored), name: "overenskommelse-\(stored.agreement.id)-version-\(stored.version)")
        }
        // A municipal party's decision memo (issue 26): `?org=ORGNR[&version=N]`, from the
        // open draft (the newest version the reader may see) unless a version is named.
        get(.agreementMemo(SiteURL.idKey)) { r in .html(try await AgreementPages.memo(r, stylesheet: SiteURL.documentStylesheet.path)) }
        get(.agreementMemoPDF(SiteURL.idKey)) { r in
            let html = try await AgreementPages.memo(r)
            return try await PDFResponse.make(html, name: "tjansteskrivelse-\(try r.context.parameter(.agreement))")
        }
        // A publication as the follow-up for the nämnd (issue 26, part 4): printed from the
        // stored document alone.
        get(.publicationDocument(SiteURL.idKey, "{publicationId}")) { r in
            let caller = try r.caller()
            let id = try r.context.parameter(.agreement)
            let number = (try? r.context.parameter(.publication)) ?? -1
            let p = try await FigureOperations.publication(number, of: id, caller, r.services)
            // The threshold the document was suppressed at, as its own marks say ("<5").
            let threshold = p.document.firstMatch(of: /"<([0-9]+)"/).flatMap { Int($0.1) }
            guard let shown = ShownReport(stored: p.document, threshold: threshold) else { throw APIError.notFound() }
            let title = (try? await AgreementOperations.version(id, String(p.agreementVersion), caller, r.services).0.agreement) ?? nil
            return try await PDFResponse.make(
                ReportPage.html(shown, agreementTitle: title.map { $0.title + ($0.area.map { " – \($0)" } ?? "") } ?? id, scope: .published),
                name: "uppfoljning-\(id)-\(shown.quarter?.description ?? String(shown.year))")
        }
        get(.dashboard(SiteURL.idKey)) { try await DashboardPage.show($0) }
        get(.dashboardPeople(SiteURL.idKey)) { try await DashboardPage.people($0) }
        get(.dashboardExport(SiteURL.idKey, SiteURL.formatKey)) { try await DashboardPage.export($0) }
        post(.publish(SiteURL.idKey)) { r, form in
            let caller = try FigureOperations.Act.publish.authorize(r.principal, on: r.channel)
            let id = try r.context.parameter(.agreement)
            let quarter = try FigureOperations.quarter(named: form["kvartal"], year: Int(form["ar"] ?? ""), asOf: form["per"])
            _ = try await FigureOperations.publish(id: id, quarter: quarter, caller, r.services)
            return .redirect(SiteURL.agreement(id).with([("publicerad", "1")]))
        }

        get(.audit) { try await AuditPage.show($0) }
        get(.processingRecord) { r in
            let caller = try ProcessingOperations.Act.read.authorize(r.principal, on: r.channel)
            let record = try await ProcessingOperations.controller(caller, r.services)
            let names = Dictionary(try await OrganisationOperations.registry(r.services).map { ($0.number, $0.name) }, uniquingKeysWith: { a, _ in a })
            return .html(ProcessingDocument.controller(record, names: names))
        }
        get(.processorRecord) { r in
            let caller = try ProcessingOperations.Act.read.authorize(r.principal, on: r.channel)
            return .html(ProcessingDocument.processor(try await ProcessingOperations.processor(caller, r.services)))
        }
        get(.extract(SiteURL.formatKey)) { r in
            let caller = try ExtractOperations.Act.make.authorize(r.principal, on: r.channel)
            let format = try r.context.parameter(.format)
            guard ["html", "pdf", "json"].contains(format) else { throw APIError.notFound() }
            let text = r.request.uri.queryParameters.get("person").map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            guard let person = try? Personnummer(text, currentYear: r.today.year), let own = caller.organisation else {
                return .redirect(SiteURL.audit.with([("utdrag", text)]))
            }
            let extract = try await ExtractOperations.make(person, of: own, caller, r.services)
            let name = "registerutdrag-\(own)-\(r.today)"
            switch format {
            case "json": return JSONResponse.make(ExtractOperations.document(extract))
            default:
                let names = Dictionary(
                    try await OrganisationOperations.registry(r.services).map { ($0.number, $0.name) }, uniquingKeysWith: { first, _ in first })
                let html = ExtractDocument.html(extract, names: names)
                return format == "pdf" ? try await PDFResponse.make(html, name: name) : .html(html)
            }
        }
        get(.accounts) { try await AccountPages.show($0) }
        post(.addUser) { try await AccountPages.addUser($0, $1) }
        post(.userAction(SiteURL.idKey, SiteURL.actionKey)) { try await AccountPages.userAction($0, $1) }
        post(.createToken) { try await AccountPages.createToken($0, $1) }
        post(.revokeToken(SiteURL.idKey)) { try await AccountPages.revokeToken($0, $1) }
    }
}

/// A file of `Resources/static`, read once.
enum StaticFile {
    static let files: [String: String] = {
        var files: [String: String] = [:]
        for name in ["samspar.css", "samspar.js"] {
            if let url = Bundle.module.url(forResource: "static", withExtension: nil, subdirectory: "Resources"),
                let text = try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
            {
                files[name] = text
            }
        }
        return files
    }()

    static func response(_ name: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: files[name] ?? "")))
    }
}

enum LanguageSwitch {
    /// Remembers the reader's choice for a year and returns them to the page they were on.
    static func handle(_ r: PageRequest) -> Response {
        let query = r.request.uri.queryParameters
        let chosen = query.get("till").flatMap { Language(rawValue: String($0)) } ?? .sv
        let back = query.get("tillbaka").map { String($0) }.flatMap { SiteURL.isLocal($0) ? $0 : nil } ?? SiteURL.home.path
        var response = Response.redirect(back)
        response.setCookie(Cookie(name: Language.cookie, value: chosen.rawValue, maxAge: 365 * 86_400, path: "/", secure: true, httpOnly: true, sameSite: .lax))
        return response
    }
}

enum ErrorPage {
    struct Model {
        var heading: String
        var message: String
        var detail: String?
    }

    static func response(_ r: PageRequest, status: HTTPResponse.Status, message: String? = nil) -> Response {
        let key: String =
            switch status.code {
            case 403: "error.403"
            case 404: "error.404"
            case 413: "error.413"
            case 429: "error.429"
            case 400..<500: "error.400"
            default: "error.500"
            }
        let model = Model(heading: r.t(key + ".heading"), message: r.t(key + ".message"), detail: message)
        return r.render("error", title: model.heading, model, status: status)
    }
}

enum SignInPage {
    struct Provider: Sendable {
        var href: String
        var label: String
    }

    struct Model {
        var email: String
        var error: String?
        var expired: Bool
        var signedOut: Bool
        var back: String
        var formCSRF: String
        var action = SiteURL.signIn.path
        /// The organisations whose identity providers people sign in at (SPEC §5).
        var providers: [Provider]
        var hasProviders: Bool
    }

    static let cookie = "samspar_signin"

    /// A signed-out form has no session to take a CSRF token from: the token is set as a
    /// cookie and sent back in the form (double submit); SameSite=Strict holds it to this site.
    static func show(_ r: PageRequest, email: String = "", error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let query = r.request.uri.queryParameters
        let back = query.get("till").map { String($0) }.flatMap { SiteURL.isLocal($0) ? $0 : nil } ?? SiteURL.home.path
        let token = Services.newSecret()
        let providers = try await SignInOperations.providerChoices(r.services).map { choice in
            Provider(
                href: SiteURL.providerSignIn(choice.organisation.description).with(back == SiteURL.home.path ? [] : [("till", back)]),
                label: String(format: r.t("signIn.provider"), choice.name))
        }
        let model = Model(
            email: email, error: error, expired: query.get("utgangen") != nil && error == nil, signedOut: query.get("utloggad") != nil && error == nil,
            back: back, formCSRF: token, providers: providers, hasProviders: !providers.isEmpty)
        var response = r.render("sign-in", title: r.t("signIn.title"), model, status: status)
        response.setCookie(Cookie(name: cookie, value: token, maxAge: 3600, path: SiteURL.signIn.path, secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    static func submit(_ r: PageRequest) async throws -> Response {
        let bytes = try await Body.bytes(r.request, limit: 64 * 1024)
        let fields = FormData.urlencoded(String(decoding: bytes, as: UTF8.self))
        guard let expected = r.request.cookies[cookie]?.value, let sent = fields["_csrf"], FormData.constantTimeEqual(expected, sent) else {
            return try await show(r, email: fields["email"] ?? "", error: r.t("signIn.stale"), status: .forbidden)
        }
        let back = fields["till"].flatMap { SiteURL.isLocal($0) ? $0 : nil } ?? SiteURL.home.path
        do {
            let started = try await AccountOperations.signIn(
                email: fields["email"] ?? "", password: fields["password"] ?? "", code: fields["code"],
                from: r.context.clientAddress(r.request, r.services), on: r.channel, r.services)
            var response = Response.redirect(back)
            response.setCookie(SessionCookie.started(started.secret, r.services))
            return response
        } catch let error as APIError where error.code == "sign_in_failed" || error.code == "rate_limited" {
            return try await show(
                r, email: fields["email"] ?? "", error: r.t(error.code == "rate_limited" ? "signIn.limited" : "signIn.failed"),
                status: error.status)
        }
    }

    /// Ends the session; a person a provider signed in goes on to the provider's sign-out,
    /// when it offers one (RP-Initiated Logout), and comes back to the sign-in page.
    static func signOut(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let providerEnd = await SignInOperations.providerSignOut(r.context.sessionUser, base: ProviderPages.base(r), r.services)
        try await AccountOperations.signOut(secret: r.request.cookies[Services.sessionCookie]?.value, try r.caller(), r.services)
        // A page that moves on, not a redirect: the form's CSP (form-action 'self') holds a
        // redirect after a form to this site.
        var response =
            providerEnd.map { end in r.render("signed-out", title: r.t("signedOut.title"), ProviderPages.Done(back: end), refresh: end) }
            ?? Response.redirect(SiteURL.signIn.with([("utloggad", "1")]))
        response.setCookie(SessionCookie.ended)
        response.headers[SessionCookie.clearSiteData] = SessionCookie.clearEverything
        return response
    }
}

/// Tillgänglighetsredogörelse: the accessibility statement that lag (2018:1937) om
/// tillgänglighet till digital offentlig service requires, in the structure of DIGG's template.
enum AccessibilityPage {
    struct Model {
        var tested: String
    }

    /// The day the statement was last reviewed against a test run (axe-core 4.12 in Chromium,
    /// every page of every role, and a keyboard walk-through).
    static let reviewed = "2026-11-25"

    static func show(_ r: PageRequest) -> Response {
        r.render("accessibility", title: r.t("a11y.title"), Model(tested: reviewed), current: .accessibility)
    }
}
