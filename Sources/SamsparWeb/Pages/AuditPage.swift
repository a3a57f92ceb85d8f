import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

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
        var action: String
        var refusedOnly: Bool
        var rows: [Row]
        var verification: String?
        var verified: Bool
        var verifyHref: String
        var action_ = SiteURL.audit.path
        var error: String?
    }

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try AuditOperations.Act.search.authorize(r.principal, on: r.channel)
        let q = r.request.uri.queryParameters
        let personText = q.get("person").map { String($0) } ?? ""
        let actor = q.get("vem").map { String($0) } ?? ""
        let action = q.get("handling").map { String($0) } ?? ""
        let refusedOnly = q.get("nekade") == "1"
        var problem: String?
        var person: Personnummer?
        if !personText.isEmpty {
            do { person = try Personnummer(personText, currentYear: r.today.year) } catch { problem = Klarsprak.reason(String(describing: error), r.language) }
        }
        var rows: [Row] = []
        if problem == nil {
            var query = AuditLog.Query()
            query.person = person
            query.actor = actor.isEmpty ? nil : actor
            query.action = refusedOnly ? "refused" : (action.isEmpty ? nil : action)
            query.limit = 200
            query.newestFirst = true
            let entries = try await AuditOperations.search(query, caller, r.services)
            rows = entries.map { e in
                Row(
                    seq: String(e.seq), at: LocalTime.text(e.at), who: e.draft.actor, role: e.draft.role,
                    organisation: e.draft.organisation?.description ?? "–", action: e.draft.action, person: e.draft.person?.description ?? "–",
                    channel: e.draft.channel, detail: e.draft.detail, refused: e.draft.action == "refused")
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
        let model = Model(
            person: personText, actor: actor, action: action, refusedOnly: refusedOnly, rows: rows, verification: verification, verified: verified,
            verifyHref: SiteURL.audit.with([("verifiera", "1")]), error: problem)
        return r.render("audit", title: r.t("audit.title"), model, current: .audit)
    }
}
