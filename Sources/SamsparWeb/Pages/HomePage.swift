import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The start page: for a caseworker "Att göra" (issue 8), for the other roles where their
/// work is.
enum HomePage {
    struct Item: Sendable {
        var href: String
        var person: String
        var name: String
        var reasons: [String]
    }

    /// One reason of *Att göra* (issue 19): its people, soonest first, and how many there are.
    struct Group: Sendable {
        var id: String
        var heading: String
        var count: String
        var items: [Item]
        /// The whole group, when only its first are shown.
        var all: String?
    }

    struct Model: Sendable {
        var caseworker: Bool
        var items: [Item]
        var groups: [Group] = []
        /// The page shows one group whole (`?grupp=`): the way back to every group.
        var back: String? = nil
        var total: String
        var more: Bool
        var links: [Layout.Link]
        var today: String
        /// The coordinator's reminders of their agreements' life (issue 9, part 5).
        var reminders: [Layout.Link] = []
        var showReminders = false
        /// The drafts the coordinator's organisation is invited to (issue 18).
        var invitations: [Layout.Link] = []
        var hasInvitations = false
    }

    static let shown = 100
    /// People shown per group on the start page; the rest one click away.
    static let perGroup = 5

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        var model = Model(caseworker: principal.role == .caseworker, items: [], total: "0", more: false, links: [], today: r.today.description)
        if principal.role == .caseworker {
            // Computed only from what the caseworker may see, for their organisation's own
            // registrations; soonest first.
            let (views, agreements) = try await ParticipantOperations.caseload(caller, r.services)
            let rows = CaseRow.build(views, viewer: principal.organisation, agreements: agreements, today: r.today).filter { $0.own && !$0.attention.isEmpty }
                .sorted { ($0.attention.map(\.day).min()!, $0.sortID) < ($1.attention.map(\.day).min()!, $1.sortID) }
            // Grouped by reason, each group soonest first (issue 19: one long list was 7,000 px):
            // a person with two reasons is in both groups.
            let only = r.request.uri.queryParameters.get("grupp").flatMap { Attention.Reason(rawValue: String($0)) }
            var listedRows: [CaseRow] = []
            for reason in Attention.Reason.allCases where only == nil || only == reason {
                let members = rows.compactMap { row -> (CaseRow, Day)? in
                    row.attention.first { $0.reason == reason }.map { (row, $0.day) }
                }.sorted { ($0.1, $0.0.sortID) < ($1.1, $1.0.sortID) }
                guard !members.isEmpty else { continue }
                let limit = only == nil ? perGroup : shown
                let shownMembers = members.prefix(limit)
                listedRows += shownMembers.map(\.0)
                model.groups.append(
                    Group(
                        id: "todo-" + reason.rawValue, heading: r.t("attention." + reason.rawValue),
                        count: NumberText.integer(members.count, r.language),
                        items: shownMembers.map { c, day in
                            Item(
                                href: c.href, person: c.person(r), name: c.name.isEmpty ? "–" : c.name,
                                reasons: [String(format: r.t("attention.\(reason.rawValue).why"), day.description)])
                        },
                        all: members.count > limit && only == nil
                            ? SiteURL.home.with([("grupp", reason.rawValue)]) : nil))
            }
            if only != nil { model.back = SiteURL.home.path }
            var seen = Set<Personnummer>()
            let listed = listedRows.filter { seen.insert($0.view.person).inserted }
            try await ParticipantOperations.listed(listed.map { ($0.view.person, $0.view.parties) }, action: "search", caller, r.services)
            model.items = listed.map { c in
                Item(
                    href: c.href, person: c.person(r), name: c.name.isEmpty ? "–" : c.name,
                    reasons: c.attention.map { String(format: r.t("attention.\($0.reason.rawValue).why"), $0.day.description) })
            }
            model.total = NumberText.integer(rows.count, r.language)
            model.more = rows.count > shown
            model.links = [.init(href: SiteURL.participants.with([("behover", "1")]), label: r.t("home.allAttention"))]
        } else {
            var links: [Layout.Link] = []
            if ParticipantOperations.Act.search.allows(principal) { links.append(.init(href: SiteURL.participants.path, label: r.t("nav./deltagare"))) }
            for stored in try await AgreementOperations.list(caller, r.services) {
                links.append(
                    .init(
                        href: SiteURL.dashboard(stored.agreement.id).path,
                        label: String(format: r.t("home.dashboard"), stored.agreement.area ?? stored.agreement.title)))
            }
            if AuditOperations.Act.search.allows(principal) { links.append(.init(href: SiteURL.audit.path, label: r.t("nav./granskning"))) }
            if AccountOperations.Act.manageUsers.allows(principal) { links.append(.init(href: SiteURL.accounts.path, label: r.t("nav./konton"))) }
            model.links = links
            if AgreementOperations.Act.answerInvitation.allows(principal) {
                model.invitations = try await AgreementOperations.invitations(caller, r.services).map { stored, standing in
                    .init(
                        href: SiteURL.agreement(stored.agreement.id).path,
                        label: String(format: r.t("home.invitation"), stored.agreement.area ?? stored.agreement.title)
                            + (standing == .accepted ? " (\(r.t("agreement.acceptedNotice")))" : ""))
                }
                model.hasInvitations = !model.invitations.isEmpty
            }
            if AgreementOperations.Act.sign.allows(principal) {
                model.showReminders = true
                // The agreements the organisation is a party to, as it may see them: drafts
                // included (the reminders of signatures still missing).
                let own = try await AgreementOperations.list(caller, r.services).filter {
                    $0.agreement.parties.contains { $0.orgNumber == principal.organisation }
                }
                for stored in own {
                    let a = stored.agreement
                    let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
                    for reminder in a.reminders(on: r.today) {
                        let text: String =
                            switch reminder {
                            case .revisionDue(let day):
                                // A date gone by is said to be late (issue 19), not "in time".
                                String(format: r.t(day < r.today ? "reminder.revisionLate" : "reminder.revision"), a.area ?? a.title, day.description)
                            case .signatureMissing(let parties):
                                String(
                                    format: r.t("reminder.signature"), a.area ?? a.title, parties.map { names[$0] ?? $0.description }.joined(separator: ", "))
                            case .grantReportDue(let party, let day):
                                String(format: r.t("reminder.grant"), a.area ?? a.title, names[party] ?? party.description, day.description)
                            }
                        model.reminders.append(.init(href: SiteURL.agreement(a.id).path, label: text))
                    }
                }
            }
        }
        let declined = r.request.uri.queryParameters.get("avbojd").map { String(format: r.t("home.declined"), String($0)) }
        return r.render("home", title: r.t(principal.role == .caseworker ? "home.todo" : "home.title"), model, current: .home, notice: declined)
    }
}
