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

    struct Model: Sendable {
        var caseworker: Bool
        var items: [Item]
        var total: String
        var more: Bool
        var links: [Layout.Link]
        var today: String
        /// The coordinator's reminders of their agreements' life (issue 9, part 5).
        var reminders: [Layout.Link] = []
        var showReminders = false
    }

    static let shown = 100

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        var model = Model(caseworker: principal.role == .caseworker, items: [], total: "0", more: false, links: [], today: r.today.description)
        if principal.role == .caseworker {
            // Computed only from what the caseworker may see, for their organisation's own
            // registrations; soonest first.
            let (views, agreements) = try await ParticipantOperations.caseload(caller, r.services)
            let rows = CaseRow.build(views, viewer: principal.organisation, agreements: agreements, today: r.today).filter { $0.own && !$0.attention.isEmpty }
                .sorted { ($0.attention.map(\.day).min()!, $0.view.person) < ($1.attention.map(\.day).min()!, $1.view.person) }
            let listed = Array(rows.prefix(shown))
            try await ParticipantOperations.listed(listed.map { ($0.view.person, $0.view.parties) }, action: "search", caller, r.services)
            model.items = listed.map { c in
                Item(
                    href: SiteURL.participant(c.view.person.description).path, person: c.view.person.description, name: c.name.isEmpty ? "–" : c.name,
                    reasons: c.attention.map { String(format: r.t("attention.\($0.reason.rawValue).why"), $0.day.description) })
            }
            model.total = NumberText.integer(rows.count, r.language)
            model.more = rows.count > shown
            model.links = [.init(href: SiteURL.participants.with([("behover", "1")]), label: r.t("home.allAttention"))]
        } else {
            var links: [Layout.Link] = []
            if ParticipantOperations.allows(.search, principal) { links.append(.init(href: SiteURL.participants.path, label: r.t("nav./deltagare"))) }
            for stored in try await AgreementOperations.list(caller, r.services) {
                links.append(
                    .init(
                        href: SiteURL.dashboard(stored.agreement.id).path,
                        label: String(format: r.t("home.dashboard"), stored.agreement.area ?? stored.agreement.title)))
            }
            if AuditOperations.allows(.search, principal) { links.append(.init(href: SiteURL.audit.path, label: r.t("nav./granskning"))) }
            if AccountOperations.allows(.manageUsers, principal) { links.append(.init(href: SiteURL.accounts.path, label: r.t("nav./konton"))) }
            model.links = links
            if AgreementOperations.allows(.sign, principal) {
                model.showReminders = true
                for stored in try await AgreementOperations.withParty(caller, r.services) {
                    let a = stored.agreement
                    let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
                    for reminder in a.reminders(on: r.today) {
                        let text: String =
                            switch reminder {
                            case .revisionDue(let day): String(format: r.t("reminder.revision"), a.area ?? a.title, day.description)
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
        return r.render("home", title: r.t(principal.role == .caseworker ? "home.todo" : "home.title"), model, current: .home)
    }
}

/// Bulk files through the browser, as the signed-in person's organisation: each runs as a job
/// whose page shows its progress and, when a file is refused, every bad row.
enum ImportPages {
    struct KindOption: Sendable {
        var value: String
        var label: String
    }

    struct Model: Sendable {
        var kinds: [KindOption]
        var action = SiteURL.imports.path
        var error: String?
        var maxMiB = Limits.importBody >> 20
    }

    static func show(_ r: PageRequest, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try ParticipantOperations.authorize(.importFile, r.principal, on: r.channel)
        let model = Model(kinds: ImportKind.allCases.map { KindOption(value: $0.rawValue, label: r.t("kind." + $0.rawValue)) }, error: error)
        return r.render("import", title: r.t("import.title"), model, current: .imports, status: status)
    }

    static func upload(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try ParticipantOperations.authorize(.importFile, r.principal, on: r.channel)
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        guard let kind = form["kind"].flatMap(ImportKind.init(rawValue:)) else {
            return try await show(r, error: r.t("import.noKind"), status: .unprocessableContent)
        }
        guard let file = form.files["file"], !file.bytes.isEmpty else { return try await show(r, error: r.t("import.noFile"), status: .unprocessableContent) }
        let lines = max(1, file.bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (file.bytes.last == 10 ? 0 : 1) - 1)
        let job = await r.services.importJobs.start(owner: principal, kind: kind, file: file.name, rows: lines)
        let s = r.services
        let bytes = file.bytes
        let jobs = s.importJobs
        Task {
            do {
                let summary = try await ParticipantOperations.importFile(
                    kind, from: .bytes(bytes, name: "body"), caller, s, progress: { rows in Task { await jobs.progress(job, rows: rows) } })
                await jobs.finish(job, .done(summary.rows))
            } catch let error as APIError {
                await jobs.finish(job, .refused(error.problems.isEmpty ? [ImportProblem(line: 0, column: "", reason: error.message)] : error.problems))
            } catch {
                await jobs.finish(job, .refused([ImportProblem(line: 0, column: "", reason: "the file could not be read")]))
            }
        }
        return .redirect(SiteURL.importJob(job).path)
    }

    struct ProblemRow: Sendable {
        var line: String
        var column: String
        var reason: String
    }

    struct JobModel: Sendable {
        var kind: String
        var file: String
        var running: Bool
        var rowsRead: String
        var percent: String
        var percentValue: Int
        var done: String?
        var problems: [ProblemRow]
        var refused: Bool
        var again = SiteURL.imports.path
    }

    static func job(_ r: PageRequest) async throws -> Response {
        let caller = try ParticipantOperations.authorize(.importFile, r.principal, on: r.channel)
        guard let principal = caller.principal, let job = await r.services.importJobs.job(try r.context.parameter(.agreement), owner: principal) else {
            throw APIError.notFound()
        }
        var model = JobModel(
            kind: r.t("kind." + job.kind.rawValue), file: job.file, running: false, rowsRead: NumberText.integer(job.rowsRead, r.language), percent: "",
            percentValue: 0, done: nil, problems: [], refused: false)
        switch job.state {
        case .running:
            model.running = true
            let percent = min(99, job.rowsRead * 100 / max(1, job.rows))
            model.percentValue = percent
            model.percent = NumberText.percent(Double(percent) / 100, r.language)
        case .done(let rows):
            model.percentValue = 100
            model.done = String(format: r.t("import.done"), NumberText.integer(rows, r.language))
        case .refused(let problems):
            model.refused = true
            model.problems = problems.map {
                ProblemRow(
                    line: $0.line == 0 ? "–" : String($0.line), column: $0.column.isEmpty ? "–" : $0.column,
                    reason: Klarsprak.reason($0.reason, r.language, column: $0.column))
            }
        }
        var response = r.render("import-job", title: r.t("import.jobTitle"), model, current: .imports)
        // Refreshes itself until done, without script (the page also says so).
        if model.running { response.headers[HTTPField.Name("Refresh")!] = "1" }
        return response
    }
}

/// The import jobs of this process, held in memory (a restart forgets them; the files
/// themselves are written all or nothing, so nothing is half done).
actor ImportJobs {
    enum State: Sendable {
        case running
        case done(Int)
        case refused([ImportProblem])
    }

    struct Job: Sendable {
        var owner: String
        var kind: ImportKind
        var file: String
        var rows: Int
        var rowsRead = 0
        var state = State.running
        var started: Date
    }

    private var jobs: [String: Job] = [:]

    static func key(_ p: Principal) -> String { "\(p.actor)@\(p.organisation)" }

    func start(owner: Principal, kind: ImportKind, file: String, rows: Int) -> String {
        // Finished jobs older than a day are forgotten.
        let now = Date()
        jobs = jobs.filter { if case .running = $0.value.state { return true } else { return now.timeIntervalSince($0.value.started) < 86_400 } }
        let id = Services.newSecret()
        jobs[id] = Job(owner: Self.key(owner), kind: kind, file: file, rows: rows, started: now)
        return id
    }

    func progress(_ id: String, rows: Int) {
        guard var job = jobs[id], case .running = job.state else { return }
        job.rowsRead = max(job.rowsRead, rows)
        jobs[id] = job
    }

    func finish(_ id: String, _ state: State) {
        jobs[id]?.state = state
        if case .done(let rows) = state { jobs[id]?.rowsRead = rows }
    }

    /// Only the person who started a job sees it.
    func job(_ id: String, owner: Principal) -> Job? {
        guard let job = jobs[id], job.owner == Self.key(owner) else { return nil }
        return job
    }
}

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
        let model = ListModel(items: items, newDraft: AgreementOperations.allows(.draft, caller.principal) ? SiteURL.newAgreement.path : nil)
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
        // Issue 9: the life of the agreement.
        var editHref: String? = nil
        var reviseAction: String? = nil
        var terminateForm: ParticipantPages.FormModel? = nil
        var signForm: ParticipantPages.FormModel? = nil
        var signatures: [AgreementEditPage.Row] = []
        var coordinator: String = "–"
        var perspectives: [Party] = []
        var subGoals: [Party] = []
        var costs: [AgreementEditPage.Row] = []
        var costTotals: [AgreementEditPage.Row] = []
        var decisions: [AgreementEditPage.Row] = []
        var grants: [AgreementEditPage.Row] = []
        var warnings: [String] = []
        var hasCosts = false
        var hasDecisions = false
        var hasGrants = false
        var hasWarnings = false
    }

    struct Published: Sendable {
        var year: String
        var asOf: String
        var at: String
        var by: String
        var hash: String
        var href: String
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
                href: SiteURL.publication(id, String($0.id)).path)
        }
        life(&shown, a, stored.version == versions.last?.version, principal, failure: failure, r)
        let q = r.request.uri.queryParameters
        let notice =
            q.get("publicerad") != nil
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
        func field(_ form: String, _ f: ParticipantPages.FieldModel) -> ParticipantPages.FieldModel {
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
        let coordinates = AgreementOperations.allows(.sign, principal) && own != nil && newest
        if coordinates && a.isDraft { m.editHref = SiteURL.agreementEdit(a.id).path }
        if coordinates && !a.isDraft { m.reviseAction = SiteURL.agreementRevise(a.id).path }
        if coordinates && a.signedByAll && a.termination == nil {
            m.terminateForm = ParticipantPages.FormModel(
                action: SiteURL.agreementTerminate(a.id).path, heading: r.t("agreement.terminateHeading"), submit: r.t("agreement.terminate"),
                fields: [
                    field(
                        "uppsagning",
                        ParticipantPages.FieldModel(
                            name: "date", label: r.t("agreement.terminateDate"), hint: r.t("agreement.terminateHint"), value: "", error: nil, required: true,
                            type: "date"))
                ], summary: summary("uppsagning"), id: "uppsagning")
        }
        let signed = Dictionary(a.signatures.map { ($0.orgNumber, $0) }, uniquingKeysWith: { x, _ in x })
        m.signatures = a.parties.map { p in
            let s = signed[p.orgNumber]
            return AgreementEditPage.Row(
                cells: [
                    s.map { [$0.place, $0.date.description].compactMap { $0 }.joined(separator: ", ") } ?? r.t("agreement.notSigned"),
                    s.map { [$0.name, $0.title].compactMap { $0 }.joined(separator: ", ") } ?? "–",
                ], name: p.name, kind: "", key: p.orgNumber.description)
        }
        if coordinates, a.isDraft, let own, signed[own.orgNumber] == nil, m.missing.isEmpty || failure?.form == "underteckna" {
            typealias Field = ParticipantPages.FieldModel
            var form = ParticipantPages.FormModel(
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
    }
}

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
        let caller = try AuditOperations.authorize(.search, r.principal, on: r.channel)
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
