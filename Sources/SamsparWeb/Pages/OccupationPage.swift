import Hummingbird
import SamsparDomain

/// SSYK 2012 by name or code (`/yrken?q=vård`): where a coordinator drafting a track finds
/// the codes of its occupations. Any signed-in person may look; it is public reference data.
enum OccupationPage {
    struct Item: Sendable {
        var code: String
        var name: String
    }

    struct Model: Sendable {
        var query: String
        var items: [Item]
        var searched: Bool
        var action = SiteURL.occupations.path
    }

    static func show(_ r: PageRequest) throws -> Response {
        _ = try r.signedIn()
        let query = r.request.uri.queryParameters.get("q").map { String($0.prefix(100)) } ?? ""
        let items = SSYKCode.search(query).map { Item(code: $0.code, name: $0.label) }
        return r.render("occupations", title: r.t("occupations.title"), Model(query: query, items: items, searched: !query.isEmpty), current: .agreements)
    }
}
