import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import SamsparDomain
import SamsparWire

/// The page templates (issue 8). swift-mustache was chosen over Plot 0.14 because Plot writes
/// attribute values unescaped: with Mustache every `{{value}}`, in text or in an attribute,
/// is escaped (`< > & " '`), and markup is written only by the templates themselves. The one
/// exception is server-drawn SVG, which ``Chart`` builds with the same escaping and which
/// templates place with `{{{svg}}}`; a test renders every page with hostile strings in every
/// field and finds no markup from them. Mustache is untyped, so each page has a typed model
/// (a Swift struct) and a test checks that every `{{t.key}}` a template uses exists in both
/// languages.
struct Templates: Sendable {
    let library: MustacheLibrary

    static let shared: Templates = {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else {
            fatalError("the page templates are missing from the bundle")
        }
        var templates: [String: MustacheTemplate] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for file in files where file.hasSuffix(".mustache") {
            let text = (try? String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)) ?? ""
            do {
                templates[String(file.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
            } catch {
                fatalError("template \(file) does not parse: \(error)")
            }
        }
        return Templates(library: MustacheLibrary(templates: templates))
    }()

    /// The template's source, for the test that holds keys and templates together.
    static func source(_ name: String) -> String? {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else { return nil }
        return try? String(contentsOf: url.appendingPathComponent(name + ".mustache"), encoding: .utf8)
    }

    static var names: [String] {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".mustache") }.map {
            String($0.dropLast(".mustache".count))
        }.sorted()
    }

    func render(_ object: Any, _ template: String) -> String {
        library.render(object, withTemplate: template) ?? ""
    }
}

/// What every page renders: the layout, the strings of the reader's language, and the page's
/// own model.
struct Page<Model>: @unchecked Sendable {
    var layout: Layout
    var t: [String: Any]
    var page: Model
}

/// The frame of every page: who is signed in, where they can go, the language switch.
struct Layout: Sendable {
    struct Link: Sendable {
        var href: String
        var label: String
        var current: Bool = false
    }

    struct Who: Sendable {
        var name: String
        var organisation: String
        var role: String
    }

    var lang: String
    var title: String
    var who: Who?
    var nav: [Link] = []
    var csrf: String = ""
    /// The path of this page, which forms send back as `_back` (where to return after a new sign-in).
    var here: String = "/"
    var switchLanguage: Link
    var switchLang: String = "en"
    var checkURL = SiteURL.checkPersonnummer.path
    var notice: String?
    var home = SiteURL.home.path
    var signOut = SiteURL.signOut.path
    var accessibility = SiteURL.accessibility.path
    var stylesheet = SiteURL.stylesheet.path
    var script = SiteURL.script.path
    var year: String
    /// A demo database says so on every page (SPEC §1).
    var demo = false
    /// With one factor: the role the person holds, which they act without (SPEC §1).
    var oneFactor: String?
    /// Whether the one-factor notice offers the set-up of a second factor (a Samspår account without one).
    var offerSetUp = false
    var secondFactor = SiteURL.secondFactor.path
    var ownSessions = SiteURL.ownSessions.path
    /// Where the page sends the browser at once (after a provider's sign-in).
    var refresh: String?
}

/// The interface's two languages: Swedish first, English by a switch that persists in a cookie
/// (`Accept-Language` decides until the reader chooses).
enum Language: String, Sendable {
    case sv, en

    static let cookie = "samspar_lang"

    init(_ request: Request) {
        if let chosen = request.cookies[Language.cookie]?.value, let language = Language(rawValue: chosen) {
            self = language
            return
        }
        self = Language(acceptLanguage: request.headers[.acceptLanguage] ?? "")
    }

    /// The first language an `Accept-Language` header names that we speak; Swedish when none.
    init(acceptLanguage accept: String) {
        self = AcceptLanguage.prefersEnglish(accept) ? .en : .sv
    }

    var strings: [String: String] { self == .sv ? Strings.sv : Strings.en }
    var tree: [String: Any] { self == .sv ? Strings.svTree : Strings.enTree }

    func text(_ key: String) -> String { strings[key] ?? key }
}

/// Numbers as the reader's language writes them. Swedish: a non-breaking space between
/// thousands, a decimal comma, "42 %" with a non-breaking space. Negative numbers on pages use
/// the minus sign U+2212, which screen readers read as "minus" and which does not break from
/// its number; files for other programs (CSV, XLSX) keep the ASCII hyphen-minus, which
/// spreadsheets parse. Dates are ISO (YYYY-MM-DD) in both languages.
enum NumberText {
    static func integer(_ n: Int, _ language: Language) -> String {
        let digits = String(n.magnitude)
        var grouped = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { grouped.append(language == .sv ? "\u{00A0}" : ",") }
            grouped.append(c)
        }
        return n < 0 ? (language == .sv ? "\u{2212}" : "-") + grouped : grouped
    }

    /// A share in [0, 1] as a whole percentage.
    static func percent(_ share: Double?, _ language: Language) -> String {
        guard let share else { return "–" }
        let value = Int((share * 100).rounded())
        return language == .sv ? "\(integer(value, language))\u{00A0}%" : "\(value)%"
    }

    static func decimal(_ value: Double, digits: Int, _ language: Language) -> String {
        let text = String(format: "%.\(digits)f", abs(value))
        let parts = text.split(separator: ".")
        let whole = integer(Int(parts[0]) ?? 0, language)
        let sign = value < 0 ? (language == .sv ? "\u{2212}" : "-") : ""
        guard parts.count == 2 else { return sign + whole }
        return sign + whole + (language == .sv ? "," : ".") + parts[1]
    }

    /// A count of a report as shown: the number, or the suppression mark ("<5", "..").
    static func figure(_ value: ShownReport.Figure, _ language: Language) -> String {
        switch value {
        case .value(let n): integer(n, language)
        case .hidden(let mark): mark
        }
    }
}

/// An audit timestamp (UTC, `2026-11-25T19:54:53.011Z`) as Swedish local time,
/// `2026-11-25 20:54:53`: what the reader's clock said.
enum LocalTime {
    static func text(_ utc: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: utc) else { return String(utc.prefix(19)).replacing("T", with: " ") }
        let local = DateFormatter()
        local.timeZone = Services.sweden
        local.locale = Locale(identifier: "sv_SE")
        local.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return local.string(from: date)
    }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    var double: Double? {
        switch self {
        case .double(let d): d
        case .int(let n): Double(n)
        default: nil
        }
    }

    var int: Int? {
        if case .int(let n) = self { return n }
        return nil
    }

    var items: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }

    var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

extension Response {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
