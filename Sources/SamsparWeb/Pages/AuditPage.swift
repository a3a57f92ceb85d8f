import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The auditor's log (issue 7; issue 19): in Swedish (every action and role has its words),
/// filtered by person, actor, action, date and refusal, twenty-five entries a page with the way to
/// older ones.
enum AuditPage {
    struct Row: Sendable {
        var seq: String
        var at: String
        var who: String
        var role: String
        var organisation: String
        var action: String
        var person: String
        var channel: String
        var detail: String
        var refused: Bool
    }

    struct Model: Sendable {
        var person: String
        var actor: String
        var actions: [Option]
        var from: String
        var through: String
        var refusedOnly: Bool
        /// Only looks at people the auditor's organisation marked protected (SPEC §2).
        var protectedOnly = false
        var protectedHref = SiteURL.audit.with([("skyddade", "1")])
        var rows: [Row]
        var verification: String?
        var verified: Bool
        var verifyHref: String
        var action_ = SiteURL.audit.path
        var error: String?
        var older: String?
        var shown: String
        /// The register extract's form (issue 23): the number asked for, and why it was not made.
        var extractPerson = ""
        var extractError: String? = nil
        var extractHTML = SiteURL.extract("html").path
        var extractPDF = SiteURL.extract("pdf").path
        var extractJSON = SiteURL.extract("json").path
        var processingHref = SiteURL.processingRecord.path
        var processorHref = SiteURL.processorRecord.path
    }

    static let pageSize = 25

    /// Every action the log records, in the order the filter offers them.
    static let actions = [
        "read", "search", "export", "read-access-log", "create", "update", "record", "import", "consent", "withdraw", "refused", "sign-in",
        "read-joint-figures", "publish", "close", "agreement", "add-user", "disable-user", "enable-user", "reset-password", "create-token",
        "revoke-token", "org-add", "org-update", "audit-search", "audit-verify", "demo", "db-copy", "retention-setting", "retention-plan",
        "retention-run", "erase", "forget-expired", "extract", "audit-rechain", "read-protected", "protect", "unprotect", "backup", "restore",
        "restore-removal", "audit-rekey", "sign-in-failed", "sign-out", "end-session", "set-up-totp", "reset-second-factor", "role-from-provider",
        "set-identity-provider", "set-role-map",
    ]

    /// An action in the reader's words; an action without words (a newer one) as its code.
    static func actionText(_ action: String, _ r: PageRequest) -> String { r.language.strings["audit.action." + action] ?? action }

    /// A role in the reader's words (the operator at the command line included).
    static func roleText(_ role: String, _ r: PageRequest) -> String {
        if let known = Role(rawValue: role) { return r.t("role." + known.rawValue) }
        return r.language.strings["role." + role] ?? role
    }

    /// 00:00 Europe/Stockholm of `day`, as the log writes its times.
    static func start(of day: Day) -> String {
        let midnight = Date(timeIntervalSince1970: Double(day.ordinal) * 86_400)
        let offset = Services.sweden.secondsFromGMT(for: midnight)
        return Rows.timestamp(midnight.addingTimeInterval(-Double(offset)))
    }

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try AuditOperations.Act.search.authorize(r.principal, on: r.channel)
        let q = r.request.uri.queryParameters
        let text = { (name: String) in q.get(name).map { String($0).trimmingCharacters(in: .whitespaces) } ?? "" }
        let (personText, actor, action, fromText, throughText) = (text("person"), text("vem"), text("handling"), text("fran"), text("till"))
        let refusedOnly = q.get("nekade") == "1"
        let protectedOnly = q.get("skyddade") == "1"
        var problem: String?
        var query = AuditLog.Query()
        if !personText.isEmpty {
            do { query.person = try Personnummer(personText, currentYear: r.today.year) } catch {
                problem = Klarsprak.reason(String(describing: error), r.language)
            }
        }
        for (value, keyPath) in [(fromText, \AuditLog.Query.fromAt), (throughText, \AuditLog.Query.beforeAt)] where !value.isEmpty {
            do {
                let day = try Day(plausibleISO: value)
                query[keyPath: keyPath] = keyPath == \AuditLog.Query.fromAt ? start(of: day) : start(of: day.adding(days: 1))
            } catch { problem = Klarsprak.reason(error.description, r.language) }
        }
        var rows: [Row] = []
        var older: String?
        if problem == nil {
            query.actor = actor.isEmpty ? nil : actor
            query.action = refusedOnly ? "refused" : (action.isEmpty ? nil : action)
            query.limit = pageSize + 1
            query.newestFirst = true
            query.before = q.get("fore").flatMap { Int64($0) }
            // Every look at a person whose registration the auditor's own organisation marked
            // protected: reads, lists and changes by anyone, and each reason given to see them.
            var entries = try await AuditOperations.search(query, protectedOnly: protectedOnly, caller, r.services)
            if entries.count > pageSize {
                entries.removeLast()
                var parameters = [("person", personText), ("vem", actor), ("handling", action), ("fran", fromText), ("till", throughText)].filter {
                    !$0.1.isEmpty
                }
                if refusedOnly { parameters.append(("nekade", "1")) }
                if protectedOnly { parameters.append(("skyddade", "1")) }
                older = SiteURL.audit.with(parameters + [("fore", String(entries.last?.seq ?? 0))])
            }
            rows = entries.map { e in
                Row(
                    seq: String(e.seq), at: LocalTime.text(e.at), who: e.draft.actor, role: roleText(e.draft.role, r),
                    organisation: e.draft.organisation?.description ?? "–", action: actionText(e.draft.action, r),
                    person: e.draft.person?.description ?? "–", channel: e.draft.channel, detail: e.draft.detail, refused: e.draft.action == "refused")
            }
        }
        var verification: String?
        var verified = false
        if q.get("verifiera") == "1" {
            let result = try await AuditOperations.verify(caller, r.services)
            verified = result.problem == nil
            verification =
                result.problem.map { String(format: r.t("audit.broken"), $0) }
                ?? String(format: r.t("audit.ok"), NumberText.integer(result.entries, r.language))
        }
        let options =
            [Option(value: "", label: r.t("audit.anyAction"), selected: action.isEmpty)]
            + actions.map { Option(value: $0, label: actionText($0, r), selected: $0 == action) }
        var model = Model(
            person: personText, actor: actor, actions: options, from: fromText, through: throughText, refusedOnly: refusedOnly, rows: rows,
            verification: verification, verified: verified, verifyHref: SiteURL.audit.with([("verifiera", "1")]), error: problem, older: older,
            shown: String(format: r.t("audit.shown"), NumberText.integer(rows.count, r.language)))
        model.protectedOnly = protectedOnly
        if let asked = q.get("utdrag") {
            model.extractPerson = String(asked)
            model.extractError = r.t("audit.extract.invalid")
        }
        return r.render("audit", title: r.t("audit.title"), model, current: .audit)
    }
}
