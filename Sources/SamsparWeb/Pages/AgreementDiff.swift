import Foundation
import Hummingbird
import SamsparDomain

/// Two versions of an agreement side by side (issue 9, part 5): every field of the document
/// whose value differs, by a path a coordinator can read (`tracks[vard].genderGoal.minShare`).
/// Lists are keyed by what identifies their items (a party's and a signature's organisation
/// number, a track's code), so a reordered list is no difference.
enum AgreementDiff {
    struct Row: Sendable, Equatable {
        var field: String
        var from: String
        var to: String
    }

    static func rows(from a: JSONValue, to b: JSONValue) -> [Row] {
        let left = flatten(a)
        let right = flatten(b)
        return Set(left.keys).union(right.keys).sorted().compactMap { path in
            let x = left[path] ?? "–"
            let y = right[path] ?? "–"
            return x == y ? nil : Row(field: path, from: x, to: y)
        }
    }

    static func flatten(_ value: JSONValue, _ path: String = "", into out: inout [String: String]) {
        switch value {
        case .object(let members):
            for (key, member) in members { flatten(member, path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let items):
            for (i, item) in items.enumerated() {
                // Parties and signatures by organisation number, tracks by code; cost lines,
                // decisions and grants (several may name one party) by their place in the list.
                let key = (path == "parties" || path == "signatures" ? item["orgNumber"]?.text : path == "tracks" ? item["code"]?.text : nil) ?? String(i + 1)
                flatten(item, "\(path)[\(key)]", into: &out)
            }
        case .null: out[path] = "–"
        case .bool(let b): out[path] = b ? "true" : "false"
        case .int(let n): out[path] = String(n)
        case .double(let d): out[path] = String(d)
        case .string(let s): out[path] = s
        }
    }

    /// A path in the reader's words: `tracks[vard].genderGoal.minShare` is "Spår vard ›
    /// Jämställdhetsmål › Minsta andel" in Swedish. A key without a text keeps its name.
    static func label(_ path: String, _ r: PageRequest) -> String {
        path.split(separator: ".").map { segment -> String in
            var name = String(segment)
            var key = ""
            if let open = name.firstIndex(of: "[") {
                key = String(name[name.index(after: open)...].dropLast())
                name = String(name[..<open])
            }
            let word = r.language.strings["diff." + name] ?? name
            return key.isEmpty ? word : "\(word) \(key)"
        }.joined(separator: " › ")
    }

    /// A value in the reader's words where the document writes a code.
    static func value(_ text: String, _ r: PageRequest) -> String {
        switch text {
        case "true": r.t("yes")
        case "false": r.t("no")
        case "draft", "signed", "active", "expired": r.t("agreementStatus." + text)
        default:
            // A decimal number in the reader's notation (0.45 is 0,45 in Swedish).
            if r.language == .sv, text.contains("."), Double(text) != nil {
                text.replacing(".", with: ",")
            } else {
                r.language.strings["source." + text] ?? text
            }
        }
    }

    static func flatten(_ value: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        flatten(value, into: &out)
        return out
    }
}

extension AgreementPages {
    struct DiffModel: Sendable {
        var heading: String
        var rows: [AgreementDiff.Row]
        var back: String
        var from: String
        var to: String
    }

    /// `/avtal/{id}/jamfor?fran=N&till=M` (default: the newest against the one before).
    static func compare(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        let id = try r.context.parameter(.agreement)
        let versions = try await AgreementOperations.versions(id, caller, r.services)
        guard let newest = versions.last else { throw APIError.notFound() }
        let q = r.request.uri.queryParameters
        let to = q.get("till").flatMap { Int($0) } ?? newest.version
        let from = q.get("fran").flatMap { Int($0) } ?? max(1, to - 1)
        guard let a = versions.first(where: { $0.version == from }), let b = versions.first(where: { $0.version == to }) else { throw APIError.notFound() }
        let model = DiffModel(
            heading: String(format: r.t("compare.heading"), a.agreement.area ?? a.agreement.title, from, to),
            rows: AgreementDiff.rows(from: a.agreement.document, to: b.agreement.document).map {
                AgreementDiff.Row(field: AgreementDiff.label($0.field, r), from: AgreementDiff.value($0.from, r), to: AgreementDiff.value($0.to, r))
            }, back: SiteURL.agreement(id).path, from: String(from),
            to: String(to))
        return r.render("agreement-compare", title: model.heading, model, current: .agreements)
    }
}
