import Hummingbird
import SamsparDomain

/// A parameter of a route's path, by name and type: the one way the API's routes and the
/// pages read them (issue 16), so no handler writes `parameters.get("id") ?? ""`.
struct PathParameter<Value: Sendable>: Sendable {
    let name: String
    /// The value of the text, judged on `today` (a ten-digit identity number's century).
    let parse: @Sendable (Substring, Day) -> Value?
    /// The answer when the path holds no such value.
    var missing: APIError = .notFound()
}

extension PathParameter where Value == Personnummer {
    /// An unparseable number is "not found": the answer is the same as for a stranger.
    static let person = PathParameter(name: "personId") { try? Personnummer(String($0), currentYear: $1.year) }
}

extension PathParameter where Value == Int64 {
    static let consent = PathParameter(name: "consentId") { text, _ in Int64(text) }
    static let user = PathParameter(name: "userId") { text, _ in Int64(text) }
    static let token = PathParameter(name: "tokenId") { text, _ in Int64(text) }
    static let publication = PathParameter(name: "publicationId") { text, _ in Int64(text) }
    /// The pages' `{id}` of an account or a token.
    static let number = PathParameter(name: "id") { text, _ in Int64(text) }
}

extension PathParameter where Value == String {
    /// An agreement's id (`{id}`), or an import job's on the pages.
    static let agreement = PathParameter(name: "id") { text, _ in String(text) }
    /// A file format (`export.{format}`).
    static let format = PathParameter(name: "format") { text, _ in String(text) }
    /// A protected registration's reference (`/deltagare/skyddad/{id}`): 32 hexadecimal digits.
    static let reference = PathParameter(name: "id") { text, _ in
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) } ? String(text) : nil
    }
    /// One of a person's own sessions (`/konto/sessioner/{id}/avsluta`): 16 hexadecimal digits.
    static let sessionHandle = PathParameter(name: "id") { text, _ in
        text.utf8.count == 16 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) } ? String(text) : nil
    }
    /// An account page's action (`/konton/anvandare/{id}/{action}`).
    static let action = PathParameter(name: "action") { text, _ in String(text) }
}

extension PathParameter where Value == Organisationsnummer {
    /// The organisation whose identity provider a sign-in is at (`/logga-in/idp/{orgNumber}`).
    static let organisation = PathParameter(name: "orgNumber") { text, _ in try? Organisationsnummer(String(text)) }
}

extension PathParameter where Value == Quarter {
    /// A close's quarter (`{quarter}`, `2018-Q2`); anything else is "no such close".
    static let quarter = PathParameter(
        name: "quarter", parse: { text, _ in Quarter(text) }, missing: APIError.notFound("no close of that quarter is stored / kvartalet är inte stängt"))
}

extension PathParameter where Value == ImportKind {
    static let importKind = PathParameter(
        name: "kind", parse: { text, _ in ImportKind(rawValue: String(text)) },
        missing: APIError.notFound("no such import; use participants, events, statuses or activities"))
}

extension AppContext {
    /// The path's value of `parameter`; its `missing` answer when there is none.
    func parameter<Value>(_ parameter: PathParameter<Value>) throws -> Value {
        guard let text = parameters.get(parameter.name), let value = parameter.parse(Substring(text), today) else { throw parameter.missing }
        return value
    }

    /// Where the request came in, as the audit log names it: the route's method and pattern as
    /// the router matched it (issue 16: never typed beside the route).
    func channel(_ request: Request) -> Channel {
        Channel.route(method: request.method.rawValue, pattern: endpointPath ?? request.uri.path)
    }
}
