import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// Sends the browser elsewhere (sign-in, after a form) from inside a page handler.
struct PageRedirect: Error {
    var location: String
}

/// One page request: who asks, in which language, and the means to answer.
struct PageRequest: Sendable {
    let request: Request
    let context: AppContext
    let services: Services
    let language: Language
    /// The signed-in person's organisation as the registry names it (the page header).
    var organisationName: String? = nil
    /// Whether this is a demo database (every page says so).
    var demo = false

    var principal: Principal? { context.principal }
    var today: Day { services.today }
    var here: String { request.uri.path + (request.uri.query.map { "?" + $0 } ?? "") }
    func t(_ key: String) -> String { language.text(key) }

    /// Where the request came in, as the audit log names it (the route's pattern).
    var channel: Channel { context.channel(request) }

    /// The signed-in caller, for an act every role may do; sign-in first otherwise (a refused
    /// role decision of the operations layer also ends at sign-in when nobody is signed in).
    func caller() throws -> Caller {
        guard let principal = context.principal else { throw signInFirst(back: request.method == .get ? here : nil) }
        return try Caller.signedIn(principal, on: channel)
    }

    func signedIn() throws -> Principal {
        guard let principal = context.principal else { throw signInFirst(back: request.method == .get ? here : nil) }
        return principal
    }

    /// To sign-in, saying so when a session was there but has ended, and where to return.
    func signInFirst(back: String?) -> PageRedirect {
        var query: [(String, String)] = []
        if let back, SiteURL.isLocal(back), back != SiteURL.signIn.path { query.append(("till", back)) }
        if request.cookies[Services.sessionCookie] != nil { query.append(("utgangen", "1")) }
        return PageRedirect(location: SiteURL.signIn.with(query))
    }

    func layout(title: String, current: SiteURL? = nil, notice: String? = nil) -> Layout {
        let switchTo: Language = language == .sv ? .en : .sv
        var layout = Layout(
            lang: language.rawValue, title: title, who: nil, csrf: context.sessionCSRF ?? "", here: here,
            switchLanguage: .init(
                href: SiteURL.language.with([("till", switchTo.rawValue), ("tillbaka", here)]), label: switchTo == .en ? "English" : "Svenska"),
            switchLang: switchTo.rawValue, notice: notice, year: String(today.year))
        layout.demo = demo
        if let p = principal {
            if let held = p.heldRole {
                layout.oneFactor = String(format: t("oneFactor.held"), t("role." + held.rawValue))
                layout.offerSetUp = context.sessionUser.map { $0.provider == nil && $0.totpSecret == nil } ?? false
            }
            layout.who = .init(
                name: p.actor, organisation: organisationName.map { "\($0) (\(p.organisation))" } ?? p.organisation.description,
                role: t("role." + p.role.rawValue))
            var links: [SiteURL] = [.home]
            if ParticipantOperations.Act.search.allows(p) { links.append(.participants) }
            if ParticipantOperations.Act.register.allows(p) { links += [.newParticipant, .imports] }
            links.append(.agreements)
            if AuditOperations.Act.search.allows(p) { links.append(.audit) }
            if AccountOperations.Act.manageUsers.allows(p) { links.append(.accounts) }
            // Everyone's own sign-ins and second factor (issue 25).
            links.append(.ownSessions)
            layout.nav = links.map { link in
                Layout.Link(href: link.path, label: t("nav." + link.path), current: current.map { $0.path == link.path } ?? false)
            }
        }
        return layout
    }

    func render<Model>(
        _ template: String, title: String, _ model: Model, current: SiteURL? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok,
        refresh: String? = nil
    ) -> Response {
        var layout = self.layout(title: title, current: current, notice: notice)
        layout.refresh = refresh
        let page = Page(layout: layout, t: language.tree, page: model)
        return .html(Templates.shared.render(page, template), status: status)
    }

    /// The organisation's name from the registry, or its number.
    func organisationName(_ number: Organisationsnummer, _ names: [Organisationsnummer: String]) -> String {
        names[number].map { "\($0) (\(number))" } ?? number.description
    }
}

extension FormData {
    /// Reads the body and checks its CSRF token against the session's: a form that does not
    /// carry the token this session was given is refused before anything is read of it.
    ///
    /// A file form (`multipart/form-data`) carries the token in its address (`?_csrf=`), so
    /// that it is checked before a byte of the body is read (issue 20), and the body is read
    /// as a stream, its files spooled to disk. A plain form (1 MiB at most) carries it in the
    /// body. A body larger than `limit` is refused from its `Content-Length`, unread.
    static func read(_ r: PageRequest, limit: Int = Limits.formBody) async throws -> FormData {
        try Body.refuseDeclared(over: limit, r.request)
        let type = r.request.headers[.contentType] ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") {
            let sent = r.request.uri.queryParameters.get("_csrf").map { String($0) }
            guard let expected = r.context.sessionCSRF, let sent, Self.constantTimeEqual(sent, expected) else { throw csrf }
            let boundary: String
            do { boundary = try MultipartReader.boundary(contentType: type) } catch { throw error.apiError }
            return try await MultipartReader.read(r.request.body, boundary: boundary, limit: limit)
        }
        var form = FormData()
        let bytes = try await Body.bytes(r.request, limit: limit)
        form.fields = Self.urlencoded(String(decoding: bytes, as: UTF8.self))
        guard let expected = r.context.sessionCSRF, let sent = form.fields["_csrf"], Self.constantTimeEqual(sent, expected) else { throw csrf }
        return form
    }

    static let csrf = APIError(status: .forbidden, code: "csrf", message: "the form is out of date; open the page again / formuläret är för gammalt")

}

/// The importer's and the API's reasons (English, for the contract) as the page says them in
/// Swedish, klarspråk. A reason not known here is shown as it is.
enum Klarsprak {
    /// `column` tells a date's "no day 30 in February" from an identity number's.
    static func reason(_ english: String, _ language: Language, column: String = "") -> String {
        guard language == .sv else { return english }
        let identity = column.isEmpty || column == "personId" || column == "person_id"
        if !identity && english.hasPrefix("no day") { return "Det finns ingen sådan dag. Skriv datumet som ÅÅÅÅ-MM-DD." }
        if english == "a value is required" || english == "is required" { return "Fyll i det här fältet." }
        if english.hasSuffix("is not a date of the form YYYY-MM-DD") { return "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-11-25." }
        if english.contains("is not a plausible date") { return "Datumet måste ligga mellan 1900-01-01 och 2099-12-31." }
        if english.hasPrefix("there is no month") { return "Det finns ingen sådan månad. Skriv datumet som ÅÅÅÅ-MM-DD." }
        if let range = english.range(of: "is not one of ") { return "Välj ett av: " + english[range.upperBound...] + "." }
        if let range = english.range(of: "is before the birth date ") { return "Datumet är före födelsedagen (\(english[range.upperBound...]))." }
        if let range = english.range(of: "is before registered_on ") { return "Datumet är före registreringsdagen (\(english[range.upperBound...]))." }
        if let range = english.range(of: "is before start ") { return "Slutdatumet är före startdatumet (\(english[range.upperBound...]))." }
        if english == "is before validFrom" { return "Sista dagen är före första dagen." }
        if english.contains("is not a number of hours") { return "Skriv timmar per vecka som ett tal från 0 till 168." }
        if let range = english.range(of: "is longer than ") {
            return "Texten är för lång (högst \(english[range.upperBound...].prefix { $0.isNumber }) tecken)."
        }
        if english.contains("is not a valid personnummer") { return "Det är inte ett giltigt personnummer eller samordningsnummer." }
        if english.hasPrefix("your organisation has not registered") || english == "not theirs or does not exist" {
            return "Din organisation har inte registrerat personen. Registrera personen först."
        }
        if english.hasPrefix("no agreement has a track") { return "Det finns inget spår med den koden i något avtal." }
        if english.hasPrefix("agreement '") && english.contains("has no track") { return "Avtalet har inget spår med den koden." }
        if english.contains("exists in several agreements") { return "Spåret finns i flera avtal. Välj avtal." }
        if english == "is your own organisation, which needs no consent" { return "Det är din egen organisation. Den behöver inget samtycke." }
        if english == "is not a valid organisationsnummer" { return "Välj en organisation i listan." }
        if english == "is not an organisation in the registry" { return "Organisationen finns inte i registret." }
        if english.hasPrefix("expected 10 or 12 digits") { return "Skriv 10 eller 12 siffror, till exempel 19900101-2385." }
        if english.contains("Luhn") || english.contains("check digit") { return "Kontrollsiffran stämmer inte. Kontrollera numret." }
        if english.hasPrefix("no day") || english.hasPrefix("day 00") || english.hasPrefix("month 00") {
            return "Födelsedatumet i numret finns inte. Kontrollera numret."
        }
        if english.hasPrefix("unexpected character") { return "Numret får bara innehålla siffror och ett bindestreck." }
        return english
    }
}
