import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The agreements: the list, one agreement with its versions, its life (signing, notice,
/// revision) and its publications, and two versions side by side.
enum AgreementPages {
    struct ListModel: Sendable {
        var items: [Item]
        /// A coordinator starts a new draft here (issue 9, part 2).
        var newDraft: String? = nil
    }

    struct Item: Sendable {
        var href: String
        var dashboard: String
        var title: String
        var area: String
        var version: String
        var validFrom: String
    }

    static func list(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        let items = try await AgreementOperations.list(caller, r.services).map { s in
            Item(
                href: SiteURL.agreement(s.agreement.id).path, dashboard: SiteURL.dashboard(s.agreement.id).path, title: s.agreement.title,
                area: s.agreement.area ?? s.agreement.id, version: String(s.version), validFrom: s.agreement.validFrom.description)
        }
        let model = ListModel(items: items, newDraft: AgreementOperations.Act.draft.allows(caller.principal) ? SiteURL.newAgreement.path : nil)
        return r.render("agreements", title: r.t("agreements.title"), model, current: .agreements)
    }

    struct Party: Sendable {
        var name: String
        var number: String
        var kind: String
        var signatory: String
    }

    struct Track: Sendable {
        var code: String
        var name: String
        var kind: String
        var occupations: String
        var genderGoal: String
    }

    struct Version: Sendable {
        var number: String
        var href: String
        var current: Bool
        /// Side by side with the version before (from version 2).
        var compare: String? = nil
    }

    struct Model: Sendable {
        var title: String
        var area: String
        var purpose: String
        var validFrom: String
        var period: String
        var nextRevision: String
        var goalDays: String
        var groupA: String
        var groupB: String
        var parties: [Party]
        var tracks: [Track]
        var modelParts: [Party]
        var versions: [Version]
        var dashboard: String
        var document: String
        var documentPDF: String
        var status: String
        var missing: [String]
        var hasMissing: Bool
        var published: [Published] = []
        var memos: [MemoLink] = []
        // Issue 9: the life of the agreement.
        var editHref: String? = nil
        var reviseAction: String? = nil
        var terminateForm: FormModel? = nil
        var signForm: FormModel? = nil
        var signatures: [TableRow] = []
        var coordinator: String = "–"
        var perspectives: [Party] = []
        var subGoals: [Party] = []
        var costs: [TableRow] = []
        var costTotals: [TableRow] = []
        var decisions: [TableRow] = []
        var grants: [TableRow] = []
        var warnings: [String] = []
        var hasCosts = false
        var hasDecisions = false
        var hasGrants = false
        /// The time plan's milestones (issue 26): the date as the row's name, what as its cell.
        var timePlan: [TableRow] = []
        var hasTimePlan = false
        var hasWarnings = false
        /// The caller's invitation to this draft (issue 18): what it is, and the answers.
        var invitation: String? = nil
        var acceptAction: String? = nil
        var declineAction: String? = nil
        var deleteAction: String? = nil
        var deleted: String? = nil
    }

    struct Published: Sendable {
        var year: String
        var asOf: String
        var at: String
        var by: String
        var hash: String
        var href: String
        /// The follow-up for the nämnd, printed from the published document (issue 26).
        var pdf: String
    }

    /// A link to a municipal party's decision memo (issue 26).
    struct MemoLink: Sendable {
        var party: String
        var html: String
        var pdf: String
    }

    /// The status today and its period, in the reader's language (issue 9, part 4).
    static func statusText(_ a: Agreement, _ r: PageRequest) -> String {
        let life = a.lifecycle(on: r.today)
        var text = r.t("agreementStatus." + life.status.rawValue)
        if let start = life.periodStart, let end = life.periodEnd {
            text += " – " + String(format: r.t("agreementStatus.period"), start.description, end.description)
        }
        if let last = life.lastDay, let t = a.termination {
            text +=
                " – "
                + String(
                    format: r.t("agreementStatus.terminated"), a.parties.first { $0.orgNumber == t.orgNumber }?.name ?? t.orgNumber.description,
                    t.date.description, last.description)
        }
        return text
    }

    /// What blocks signing, said by the page (the domain's list, by path).
    static func missingText(_ a: Agreement, _ r: PageRequest) -> [String] {
        a.missingForSigning.map { p in
            if p.path.hasPrefix("parties.") {
                let number = String(p.path.dropFirst("parties.".count))
                return String(format: r.t("missing.signatory"), a.parties.first { $0.orgNumber.description == number }?.name ?? number)
            }
            if p.path.hasPrefix("modelParts.") { return String(format: r.t("missing.modelPart"), r.t("modelPart." + p.path.dropFirst("modelParts.".count))) }
            if p.path.hasPrefix("tracks."), !p.path.hasSuffix(".responsible") {
                let code = String(p.path.dropFirst("tracks.".count))
                return String(format: r.t("missing.occupation"), a.tracks.first { $0.code == code }?.name ?? code)
            }
            if p.path.hasPrefix("tracks."), p.path.hasSuffix(".responsible") {
                let code = String(p.path.dropFirst("tracks.".count).dropLast(".responsible".count))
                return String(format: r.t("missing.responsible"), a.tracks.first { $0.code == code }?.name ?? code)
            }
            if p.path.hasPrefix("perspectives.") {
                return String(format: r.t("missing.perspective"), r.t("edit.field." + p.path.dropFirst("perspectives.".count)))
            }
            if p.path == "tracks" { return String(format: r.t("missing.tracks"), a.tracks.count) }
            return r.language.strings["missing." + p.path] ?? p.reason
        }
    }

    /// A refused sign or notice form, shown again with what was typed and the reason at its field.
    struct FormFailure: Sendable {
        var form: String
        var values: [String: String]
        var field: String?
        var message: String
    }

    /// A municipal party's decision memo (`?org=ORGNR[&version=N]`, issue 26): from the open
    /// draft, or the newest version the reader may see, unless a version is named. A party that
    /// is not a municipality gets 422 and the reason.
    static func memo(_ r: PageRequest, stylesheet: String? = nil) async throws -> String {
        let caller = try r.caller()
        let query = r.request.uri.queryParameters
        guard let text = query.get("org").map({ String($0) }), let org = try? Organisationsnummer(text) else {
            throw APIError.badRequest("org must name a party by its organisation number / ange partens organisationsnummer (org)")
        }
        let (stored, _) = try await AgreementOperations.version(
            try r.context.parameter(.agreement), query.get("version").map { String($0) }, caller, r.services)
        do {
            return try AgreementMemo.html(stored, party: org, today: r.today, stylesheet: stylesheet)
        } catch {
            var refusal = APIError(status: .unprocessableContent, code: "not_a_municipal_party", message: error.description)
            switch error {
            case .notAMunicipality(let name): (refusal.pageText, refusal.pageArgument) = ("memo.notMunicipality", name)
            case .notAParty(let org): (refusal.pageText, refusal.pageArgument) = ("memo.notAParty", org)
            }
            throw refusal
        }
    }

    static func show(_ r: PageRequest, failure: FormFailure? = nil) async throws -> Response {
        let caller = try r.caller()
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        let id = try r.context.parameter(.agreement)
        let versions = try await AgreementOperations.versions(id, caller, r.services)
        var chosen = versions.last
        if let text = r.request.uri.queryParameters.get("version") { chosen = versions.first { String($0.version) == text } }
        guard let stored = chosen else { throw APIError.notFound() }
        let a = stored.agreement
        // What blocks signing, once (the template needs a flag beside the list: it sees stored values only).
        let missing = a.signedByAll ? [] : missingText(a, r)
        let model = Model(
            title: a.title, area: a.area ?? a.id, purpose: a.purpose ?? "–", validFrom: a.validFrom.description,
            period: String(format: r.t("agreement.period"), a.periodMonths), nextRevision: a.nextRevision?.description ?? "–",
            goalDays: String(format: r.t("agreement.goalDays"), NumberText.integer(a.maxEstablishmentDays, r.language)),
            groupA: String(format: r.t("agreement.groupA"), a.targetGroups.monthsSinceFirstPermit),
            groupB: String(format: r.t("agreement.groupB"), a.targetGroups.minAge, a.targetGroups.maxAge),
            parties: a.parties.map {
                Party(
                    name: $0.name, number: $0.orgNumber.description, kind: r.t("orgKind." + $0.kind.rawValue),
                    signatory: [$0.signatory, $0.title].compactMap { $0 }.joined(separator: ", "))
            },
            tracks: a.tracks.map { t in
                Track(
                    code: t.code, name: t.name, kind: r.t("trackKind." + t.kind.rawValue),
                    occupations: t.ssyk.map { "\($0) \($0.label)" }.joined(separator: "; "),
                    genderGoal: t.genderGoal.map {
                        String(format: r.t("agreement.genderGoal"), NumberText.percent($0.minShare, r.language), r.t("sexPlural." + $0.sex.rawValue))
                    } ?? "–")
            },
            // The five parts in the Dua model's order (SPEC §2), as the document has them.
            modelParts: Agreement.requiredModelParts.compactMap { key in
                a.modelParts[key].map { Party(name: r.language.strings["modelPart." + key] ?? key, number: "", kind: "", signatory: $0) }
            },
            versions: versions.map {
                Version(
                    number: String($0.version), href: SiteURL.agreement(id).with([("version", String($0.version))]), current: $0.version == stored.version,
                    compare: $0.version > 1
                        ? SiteURL.agreementCompare(id).with([("fran", String($0.version - 1)), ("till", String($0.version))]) : nil)
            },
            dashboard: SiteURL.dashboard(id).path, document: SiteURL.agreementDocument(id).with([("version", String(stored.version))]),
            documentPDF: SiteURL.agreementDocumentPDF(id).with([("version", String(stored.version))]),
            status: statusText(a, r), missing: missing, hasMissing: !missing.isEmpty)
        var shown = model
        shown.published = try await FigureOperations.publications(id, caller, r.services).map {
            Published(
                year: String($0.year), asOf: $0.asOf.description, at: LocalTime.text($0.publishedAt), by: $0.publishedBy, hash: $0.contentHash,
                href: SiteURL.publication(id, String($0.id)).path, pdf: SiteURL.publicationDocument(id, String($0.id)).path)
        }
        shown.memos = a.parties.filter { $0.kind == .municipality }.map {
            let query = [("org", $0.orgNumber.description), ("version", String(stored.version))]
            return MemoLink(party: $0.name, html: SiteURL.agreementMemo(id).with(query), pdf: SiteURL.agreementMemoPDF(id).with(query))
        }
        life(&shown, a, stored.version == versions.last?.version, principal, failure: failure, r)
        // Drafts are invitations (issue 18): an invited party accepts or declines; an owner may
        // delete a draft nobody has signed.
        if stored.version == versions.last?.version, !a.signedByAll, AgreementOperations.Act.answerInvitation.allows(principal) {
            switch try await AgreementOperations.standing(id, caller, r.services) {
            case .invited?:
                shown.invitation = r.t("agreement.invited")
                (shown.acceptAction, shown.declineAction) = (SiteURL.agreementAccept(id).path, SiteURL.agreementDecline(id).path)
                // Until it accepts, an invited party does not edit (its signature accepts).
                shown.editHref = nil
            case .accepted?:
                shown.invitation = r.t("agreement.accepted")
                shown.declineAction = versions.count > 1 ? nil : SiteURL.agreementDecline(id).path
            case .owner?:
                if a.signatures.isEmpty { shown.deleteAction = SiteURL.agreementDelete(id).path }
            case nil: break
            }
        }
        let deleted = try await AgreementOperations.deletedVersions(id, caller, r.services)
        if !deleted.isEmpty { shown.deleted = String(format: r.t("agreement.deletedVersions"), deleted.map(String.init).joined(separator: ", ")) }
        let q = r.request.uri.queryParameters
        let notice =
            q.get("antagen") != nil
            ? r.t("agreement.acceptedNotice")
            : q.get("publicerad") != nil
                ? r.t("agreement.publishedNotice")
                : q.get("undertecknad") != nil
                    ? r.t("agreement.signedNotice")
                    : q.get("uppsagd") != nil ? r.t("agreement.terminatedNotice") : q.get("utkast") != nil ? r.t("agreement.notDraftNotice") : nil
        return r.render(
            "agreement", title: a.area ?? a.title, shown, current: .agreements, notice: notice, status: failure == nil ? .ok : .unprocessableContent)
    }

    /// What the agreement page shows of the agreement's life (issue 9): signatures and the
    /// form to sign, the way to edit or revise, the preparation, perspectives and costs.
    static func life(_ m: inout Model, _ a: Agreement, _ newest: Bool, _ principal: Principal, failure: FormFailure?, _ r: PageRequest) {
        /// A field as typed when its form was refused, else `value`; the reason at its field.
        func field(_ form: String, _ f: FieldModel) -> FieldModel {
            guard let failure, failure.form == form else { return f }
            var shown = f
            shown.value = failure.values[f.name] ?? ""
            if failure.field == f.name { shown.error = failure.message }
            return shown
        }
        func summary(_ form: String) -> String? {
            guard let failure, failure.form == form else { return nil }
            return failure.field == nil ? failure.message : r.t("edit.fixBelow")
        }
        let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
        func partyName(_ n: Organisationsnummer?) -> String { n.map { names[$0] ?? $0.description } ?? "–" }
        let own = a.parties.first { $0.orgNumber == principal.organisation }
        let coordinates = AgreementOperations.Act.sign.allows(principal) && own != nil && newest
        if coordinates && a.isDraft { m.editHref = SiteURL.agreementEdit(a.id).path }
        if coordinates && !a.isDraft { m.reviseAction = SiteURL.agreementRevise(a.id).path }
        if coordinates && a.signedByAll && a.termination == nil {
            m.terminateForm = FormModel(
                action: SiteURL.agreementTerminate(a.id).path, heading: r.t("agreement.terminateHeading"), submit: r.t("agreement.terminate"),
                fields: [
                    field(
                        "uppsagning",
                        FieldModel(
                            name: "date", label: r.t("agreement.terminateDate"), hint: r.t("agreement.terminateHint"), value: "", error: nil, required: true,
                            type: "date"))
                ], summary: summary("uppsagning"), id: "uppsagning")
        }
        let signed = Dictionary(a.signatures.map { ($0.orgNumber, $0) }, uniquingKeysWith: { x, _ in x })
        m.signatures = a.parties.map { p in
            let s = signed[p.orgNumber]
            return TableRow(
                cells: [
                    s.map { [$0.place, $0.date.description].compactMap { $0 }.joined(separator: ", ") } ?? r.t("agreement.notSigned"),
                    s.map { [$0.name, $0.title].compactMap { $0 }.joined(separator: ", ") } ?? "–",
                ], name: p.name, kind: "", key: p.orgNumber.description)
        }
        if coordinates, a.isDraft, let own, signed[own.orgNumber] == nil, m.missing.isEmpty || failure?.form == "underteckna" {
            typealias Field = FieldModel
            var form = FormModel(
                action: SiteURL.agreementSign(a.id).path, heading: String(format: r.t("agreement.signHeading"), own.name), submit: r.t("agreement.sign"),
                fields: [
                    Field(name: "place", label: r.t("agreement.signPlace"), value: "", required: true),
                    Field(name: "date", label: r.t("edit.date"), value: r.today.description, required: true, type: "date"),
                    Field(name: "name", label: r.t("edit.field.signatory"), value: own.signatory ?? "", required: true),
                    Field(name: "title", label: r.t("edit.field.signatoryTitle"), value: own.title ?? "", required: false),
                ].map { field("underteckna", $0) }, summary: summary("underteckna"), id: "underteckna")
            // The text this page shows: a signature is given to it, not to a later edit.
            form.hidden = [.init(value: a.textDigest, label: "text", selected: false)]
            m.signForm = form
        }
        if let c = a.coordinator {
            m.coordinator = [c.name, c.title, c.orgNumber.map { partyName($0) }, c.email, c.phone].compactMap { $0 }.joined(separator: ", ")
        }
        m.perspectives = Agreement.requiredPerspectives.map {
            Party(
                name: r.t("edit.field." + $0), number: "", kind: "",
                signatory: a.perspectives[$0].flatMap { $0.isEmpty ? nil : $0 } ?? r.t("agreement.noAssessment"))
        }
        let goals: [(String, Double?)] = [
            ("goal.recruitment", a.subGoals.recruitment), ("goal.acceptance", a.subGoals.acceptance), ("goal.completion", a.subGoals.completion),
            ("goal.outcome", a.subGoals.outcome),
        ]
        m.subGoals = goals.map {
            Party(name: r.t($0.0), number: "", kind: "", signatory: $0.1.map { "≥ " + NumberText.percent($0, r.language) } ?? r.t("goal.noTarget"))
        }
        let lists = AgreementEditPage.Lists(a, r, editable: false)
        (m.costs, m.decisions, m.grants, m.warnings) = (lists.costs, lists.decisions, lists.grants, lists.warnings)
        m.costTotals = a.costs.isEmpty ? [] : lists.costTotals
        (m.hasCosts, m.hasDecisions, m.hasGrants, m.hasWarnings) = (!m.costs.isEmpty, !m.decisions.isEmpty, !m.grants.isEmpty, !m.warnings.isEmpty)
        m.timePlan = a.timePlan.sorted { $0.date < $1.date }.map { TableRow(cells: [$0.milestone], name: $0.date.description, kind: "", key: "") }
        m.hasTimePlan = !m.timePlan.isEmpty
    }
}
