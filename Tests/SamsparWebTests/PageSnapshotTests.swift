import Foundation
import Testing

@testable import SamsparDomain
@testable import SamsparWeb

/// Every page's view with models written here, not by a handler (issue 8): snapshots of
/// several models per page (empty, long names, no consent, suppressed), and the same models
/// with `"'<>&` and `<script>` in every string field, which must come out as text, never as
/// markup. Record snapshots anew with `SAMSPAR_RECORD_SNAPSHOTS=1`.
@Suite("Page views")
struct PageSnapshotTests {
    typealias P = ParticipantPages
    static let hostile = "\"'<>&<script>alert(1)</script>"
    static let long = "Anna-Karin Maria Eleonora Johansson-Abdirahman Wahlström de la Gardie"

    func layout(_ s: String, signedIn: Bool = true) -> Layout {
        var layout = Layout(
            lang: "sv", title: s, who: signedIn ? .init(name: s, organisation: s, role: s) : nil, csrf: s, here: "/",
            switchLanguage: .init(href: "/sprak?till=en", label: "English"), notice: s, year: "2026")
        layout.nav = signedIn ? [.init(href: "/", label: s, current: true), .init(href: "/deltagare", label: s)] : []
        return layout
    }

    func option(_ s: String, _ selected: Bool = false) -> Option { Option(value: s, label: s, selected: selected) }

    func form(_ s: String, id: String = "event", error: Bool) -> FormModel {
        FormModel(
            action: "/deltagare/19900101-2385/handelser", heading: s, submit: s,
            fields: [
                FieldModel(name: "track", label: s, hint: s, value: s, error: error ? s : nil, required: true, options: [option(s, true), option("vard")]),
                FieldModel(name: "date", label: s, hint: nil, value: s, error: error ? s : nil, required: true),
            ], summary: error ? s : nil, id: id)
    }

    func row(_ s: String) -> P.Row {
        P.Row(href: "/deltagare/19900101-2385", person: "19900101-2385", name: s, municipality: s, track: s, groups: s, status: s, attention: s)
    }

    /// (template, variant, model) for every template, each string field `s`.
    func views(_ s: String) -> [(String, String, Any)] {
        let filters = P.Filters(["q": s, "kommun": s, "spar": s, "malgrupp": s, "status": s, "sortera": s])
        func list(_ rows: [P.Row]) -> P.ListModel {
            P.ListModel(
                filters: filters, municipalities: [option(s, true)], tracks: [option(s)], groups: [option(s)], statuses: [option(s)], sorts: [option(s)],
                rows: rows, total: String(rows.count), pageText: s, previous: rows.isEmpty ? nil : "/deltagare?sida=1", next: nil, csv: "/deltagare/export.csv",
                xlsx: "/deltagare/export.xlsx")
        }
        func detail(consents: Bool, own: Bool, hidden: Bool = false) -> P.DetailModel {
            var model = P.DetailModel(
                person: "19900101-2385", name: s, attributes: [.init(label: s, value: s)], registrations: [.init(party: s, registeredOn: s, exitedOn: s)],
                timeline: [
                    .init(date: "2026-11-01", kind: s, text: s, party: s, own: true), .init(date: "2026-10-01", kind: s, text: s, party: s, own: false),
                ],
                consents: consents
                    ? [.init(party: s, from: s, until: s, state: s, recordedBy: s, withdraw: "/deltagare/19900101-2385/samtycken/1/aterkalla")] : [],
                forms: own ? [form(s, error: true), form(s, id: "consent", error: false)] : [],
                log: own ? [.init(at: s, who: s, organisation: s, action: s, channel: s)] : nil,
                ownRegistration: own, canWrite: own)
            model.heading = s
            if hidden {
                // Issue 23: the own organisation's protected person before a reason is given.
                model.hidden = true
                model.protectedNotice = s
                model.reveal = form(s, id: "reveal", error: true)
                model.forms = []
                model.canWrite = false
            } else if own {
                model.protection = form(s, id: "protection", error: false)
            }
            return model
        }
        func dashboard(suppressed: Bool) -> DashboardPage.Model {
            let svg =
                Chart.bars(
                    id: "funnel-0", title: s, description: s, [.init(label: s, value: suppressed ? nil : 3, text: suppressed ? "<5" : "3")], maximum: 3,
                    target: 0.4, targetLabel: s)
                + Chart.line(
                    id: "km", title: s, description: s, points: [(0, 0), (100, 0.5)], xMax: 800, steps: true, mark: 730, markLabel: s, xLabels: [(0, s)],
                    yLabel: s)
            return DashboardPage.Model(
                title: s, years: [option(s, true)], asOf: s, action: "/avtal/x/uppfoljning", suppressed: suppressed, drillDown: !suppressed,
                goals: [.init(name: s, value: s, target: s, verdict: s, verdictClass: "met")],
                funnelHeader: [s],
                funnel: [.init(track: s, figures: [.init(text: suppressed ? "<5" : s, href: suppressed ? nil : "/avtal/x/uppfoljning/personer?figur=active")])],
                trends: [.init(name: s, columns: [s], rows: [.init(quarter: s, values: [s])])],
                charts: [.init(svg: svg, caption: s, header: [s], rows: [.init(quarter: s, values: [s])])],
                participants: [.init(name: s, value: suppressed ? ".." : s, target: "", verdict: "", verdictClass: "")], csv: "/e.csv", xlsx: "/e.xlsx",
                agreement: "/avtal/x", volume: [.init(cells: [s, s], name: s, kind: "", key: "")], hasVolume: true,
                costs: [.init(cells: [s, s, s, s], name: s, kind: "", key: "")], hasCosts: true, costPlanned: s, costSpent: s)
        }
        let agreement = AgreementPages.Model(
            title: s, area: s, purpose: s, validFrom: s, period: s, nextRevision: s, goalDays: s, groupA: s, groupB: s,
            parties: [.init(name: s, number: s, kind: s, signatory: s)], tracks: [.init(code: s, name: s, kind: s, occupations: s, genderGoal: s)],
            modelParts: [.init(name: s, number: "", kind: "", signatory: s)], versions: [.init(number: "1", href: "/avtal/x?version=1", current: true)],
            dashboard: "/avtal/x/uppfoljning", document: "/avtal/x/dokument?version=1", documentPDF: "/avtal/x/dokument.pdf?version=1", status: s,
            missing: [s, s], hasMissing: true)
        func textForm(_ id: String, error: Bool) -> FormModel {
            var f = form(s, id: id, error: error)
            f.fields.append(
                {
                    var t = FieldModel(name: "purpose", label: s, hint: s, value: s, error: error ? s : nil, required: false)
                    t.textarea = true
                    return t
                }())
            return FormModel(action: "/avtal/x/redigera/\(id)", heading: s, submit: s, fields: f.fields, summary: error ? s : nil, id: id)
        }
        func rows(_ kind: String) -> [TableRow] { [.init(cells: [s, s], name: s, kind: kind, key: s)] }
        var signing = agreement
        signing.editHref = "/avtal/x/redigera"
        signing.signForm = form(s, id: "underteckna", error: true)
        signing.signForm?.hidden = [.init(value: s, label: "text", selected: false)]
        signing.signatures = rows("")
        signing.coordinator = s
        signing.perspectives = [.init(name: s, number: "", kind: "", signatory: s)]
        signing.subGoals = [.init(name: s, number: "", kind: "", signatory: s)]
        (signing.costs, signing.costTotals, signing.decisions, signing.grants, signing.warnings) = (rows(""), rows(s), rows(""), rows(""), [s])
        (signing.hasCosts, signing.hasDecisions, signing.hasGrants, signing.hasWarnings) = (true, true, true, true)
        (signing.timePlan, signing.hasTimePlan) = (rows(s), true)
        var signed = agreement
        signed.reviseAction = "/avtal/x/revidera"
        signed.terminateForm = form(s, id: "uppsagning", error: false)
        signed.signatures = rows("")
        let editor = AgreementEditPage.Model(
            id: s, title: s, agreementHref: "/avtal/x", documentHref: "/avtal/x/dokument", removeAction: "/avtal/x/redigera/ta-bort", missing: [s, s],
            hasMissing: true, warnings: [s], hasWarnings: true, summary: s, basics: textForm("grund", error: true), model: textForm("modell", error: false),
            perspectives: textForm("perspektiv", error: false), texts: textForm("texter", error: false), timePlan: rows("tidplan"),
            milestoneForm: form(s, id: "tidplan", error: false), coordinator: form(s, id: "samordnare", error: false), parties: rows("part"),
            partyForm: form(s, id: "part", error: false), tracks: rows("spar"), trackForm: form(s, id: "spar", error: true), costs: rows("kostnad"),
            costTotals: rows(s), costForm: form(s, id: "kostnad", error: false), decisions: rows("beslut"), decisionForm: form(s, id: "beslut", error: false),
            grants: rows("bidrag"), grantForm: form(s, id: "bidrag", error: false))
        var signedEditor = editor
        signedEditor.signedWarning = s
        (signedEditor.failedHref, signedEditor.failedText) = ("#spar-heading", s)
        var emptyEditor = editor
        (emptyEditor.missing, emptyEditor.hasMissing, emptyEditor.warnings, emptyEditor.hasWarnings, emptyEditor.summary) = ([], false, [], false, nil)
        (emptyEditor.parties, emptyEditor.tracks, emptyEditor.costs, emptyEditor.decisions, emptyEditor.grants) = ([], [], [], [], [])
        let accounts = AccountPages.Model(
            users: [
                .init(
                    email: s, role: s, state: s, disabled: false, toggle: "/konton/anvandare/1/sparra", toggleLabel: s,
                    password: "/konton/anvandare/1/losenord", id: "1", signInHow: s, resetSecondFactor: "/konton/anvandare/1/tvasteg")
            ],
            q: s, total: s, pageText: s, previous: "/konton?sida=1", next: "/konton?sida=3", paged: true,
            tokens: [.init(name: s, created: s, revoked: nil, revoke: "/konton/nycklar/1/aterkalla")], revokedHidden: s,
            addUser: form(s, id: "user", error: true),
            createToken: form(s, id: "token", error: false), newToken: s, organisation: s,
            provider: .init(intro: s, map: s))
        return [
            (
                "sign-in", "first",
                SignInPage.Model(email: s, error: nil, expired: true, signedOut: false, back: s, formCSRF: s, providers: [], hasProviders: false)
            ),
            (
                "sign-in", "failed",
                SignInPage.Model(
                    email: s, error: s, expired: false, signedOut: true, back: s, formCSRF: s, providers: [.init(href: "/logga-in/idp/212000-0084", label: s)],
                    hasProviders: true)
            ),
            (
                "second-factor", "set-up",
                OwnAccountPages.SecondFactorModel(
                    provider: false, active: false, unused: s, setUp: true, qr: .init(svg: QRCode(text: "otpauth://totp/x")!.svg(label: s)), uri: s, secret: s,
                    error: s,
                    recoveryCodes: [], done: false)
            ),
            (
                "second-factor", "done",
                OwnAccountPages.SecondFactorModel(
                    provider: false, active: true, unused: s, setUp: false, qr: nil, uri: s, secret: s, error: nil, recoveryCodes: [s, s], done: true)
            ),
            (
                "sessions", "two",
                OwnAccountPages.SessionsModel(sessions: [
                    .init(started: s, address: s, how: s, current: true, end: "/konto/sessioner/0123456789abcdef/avsluta", handle: "0123456789abcdef"),
                    .init(started: s, address: s, how: s, current: false, end: "/konto/sessioner/fedcba9876543210/avsluta", handle: "fedcba9876543210"),
                ])
            ),
            ("provider-done", "done", ProviderPages.Done(back: "/")),
            ("signed-out", "provider", ProviderPages.Done(back: "https://idp.example.se/end_session?client_id=x&post_logout_redirect_uri=y")),
            ("error", "404", ErrorPage.Model(heading: s, message: s, detail: s)),
            (
                "home", "todo",
                HomePage.Model(
                    caseworker: true, items: [.init(href: "/deltagare/19900101-2385", person: "19900101-2385", name: s, reasons: [s, s])],
                    groups: [
                        .init(
                            id: "todo-no-activity", heading: s, count: "12",
                            items: [.init(href: "/deltagare/19900101-2385", person: "19900101-2385", name: s, reasons: [s])], all: "/?grupp=no-activity")
                    ], total: "1", more: false, links: [.init(href: "/", label: s)], today: s)
            ),
            ("home", "empty", HomePage.Model(caseworker: true, items: [], total: "0", more: false, links: [], today: s)),
            (
                "home", "coordinator",
                HomePage.Model(caseworker: false, items: [], total: "0", more: false, links: [.init(href: "/avtal/x/uppfoljning", label: s)], today: s)
            ),
            ("participants", "empty", list([])),
            ("participants", "rows", list([row(s), row(s)])),
            ("form-page", "errors", FormPage(form: form(s, id: "register", error: true), intro: s, back: nil)),
            ("participant", "own-with-consent", detail(consents: true, own: true)),
            ("participant", "no-consent", detail(consents: false, own: true)),
            ("participant", "under-consent", detail(consents: true, own: false)),
            ("participant", "protected-hidden", detail(consents: true, own: true, hidden: true)),
            ("import", "first", ImportPages.Model(kinds: [.init(value: "events", label: s)], error: s)),
            (
                "import-job", "running",
                ImportPages.JobModel(kind: s, file: s, running: true, rowsRead: s, percent: s, percentValue: 40, done: nil, problems: [], refused: false)
            ),
            (
                "import-job", "refused",
                ImportPages.JobModel(
                    kind: s, file: s, running: false, rowsRead: s, percent: s, percentValue: 0, done: nil, problems: [.init(line: "3", column: s, reason: s)],
                    refused: true)
            ),
            (
                "agreements", "one",
                AgreementPages.ListModel(items: [.init(href: "/avtal/x", dashboard: "/avtal/x/uppfoljning", title: s, area: s, version: "1", validFrom: s)])
            ),
            ("agreements", "empty", AgreementPages.ListModel(items: [])),
            ("agreement", "full", agreement),
            ("agreement", "signing", signing),
            ("agreement", "signed", signed),
            ("agreement-edit", "missing", editor),
            ("agreement-edit", "empty", emptyEditor),
            ("agreement-edit", "signed", signedEditor),
            ("occupations", "found", OccupationPage.Model(query: s, items: [.init(code: "5330", name: s)], searched: true)),
            ("occupations", "none", OccupationPage.Model(query: s, items: [], searched: true)),
            ("dashboard", "coordinator", dashboard(suppressed: false)),
            ("dashboard", "suppressed", dashboard(suppressed: true)),
            (
                "people", "some",
                DashboardPage.PeopleModel(
                    heading: s, rows: [row(s)], pageText: s, previous: "/avtal/x/uppfoljning/personer?sida=1",
                    next: "/avtal/x/uppfoljning/personer?sida=3", back: "/avtal/x/uppfoljning", paged: true)
            ),
            (
                "people", "none",
                DashboardPage.PeopleModel(heading: s, rows: [], pageText: s, previous: nil, next: nil, back: "/avtal/x/uppfoljning", paged: false)
            ),
            (
                "audit", "rows",
                AuditPage.Model(
                    person: s, actor: s, actions: [.init(value: "read", label: s, selected: true)], from: "2019-01-01", through: "2019-06-30",
                    refusedOnly: true,
                    rows: [.init(seq: "1", at: s, who: s, role: s, organisation: s, action: s, person: s, channel: s, detail: s, refused: true)],
                    verification: s, verified: false, verifyHref: "/granskning?verifiera=1", error: s, older: "/granskning?fore=1", shown: s)
            ),
            ("accounts", "token-shown", accounts),
            ("accessibility", "statement", AccessibilityPage.Model(tested: s)),
            (
                "agreement-compare", "two-versions",
                AgreementPages.DiffModel(heading: s, rows: [.init(field: s, from: s, to: s)], back: "/avtal/x", from: "1", to: "2")
            ),
            ("agreement-compare", "same", AgreementPages.DiffModel(heading: s, rows: [], back: "/avtal/x", from: "1", to: "2")),
            (
                "agreement-document", "signed",
                AgreementDocument.Model(
                    title: s, area: s, draft: false, footer: s, parties: [.init(name: s, number: s, signatory: s)], purpose: s, overallGoal: s,
                    localGoalsLead: s, localGoals: [.init(text: s)], subGoalsLead: s, subGoals: [.init(text: s)], subGoalTargets: [.init(text: s)],
                    hasSubGoalTargets: true, groupA: s, groupB: s, establishmentNote: s, groupANote: s, modelLead: s, modelHeadings: [.init(text: s)],
                    followUp: s, duration: s, revision: s, termination: s,
                    signatures: [.init(place: s, date: s, name: s, title: s, party: s, signed: true)],
                    annexes: [
                        .init(
                            heading: s, paragraphs: [.init(text: s)], parts: [.init(heading: s, text: s)], tableCaption: s, header: [s],
                            rows: [.init(cells: [s])],
                            hasTable: true, totals: [.init(label: s, amount: s)], hasTotals: true)
                    ], stylesheet: nil, inlineCSS: s)
            ),
            (
                "agreement-document", "draft",
                AgreementDocument.Model(
                    title: s, area: "", draft: true, footer: s, parties: [], purpose: s, overallGoal: s, localGoalsLead: s, localGoals: [], subGoalsLead: s,
                    subGoals: [], subGoalTargets: [], hasSubGoalTargets: false, groupA: s, groupB: s, establishmentNote: s, groupANote: s, modelLead: s,
                    modelHeadings: [], followUp: s, duration: s, revision: s, termination: nil,
                    signatures: [.init(place: nil, date: nil, name: nil, title: nil, party: s, signed: false)], annexes: [], stylesheet: s, inlineCSS: nil)
            ),
            (
                "agreement-memo", "full",
                AgreementMemo.Model(
                    party: s, date: s, footer: s, draft: false, body: s, subject: s, summary: [.init(text: s)], decider: s, proposals: [.init(text: s)],
                    matter: [.init(text: s)], tracks: [.init(text: s)], modelParts: [.init(heading: s, text: s)], coordinator: s,
                    decisions: [.init(text: s)], hasDecisions: true, ownCosts: [.init(track: s, year: s, source: s, amount: s)], hasOwnCosts: true, ownTotal: s,
                    totals: [.init(label: s, amount: s)], hasTotals: true, grants: [.init(text: s)], hasGrants: true,
                    perspectives: [.init(heading: s, text: s)],
                    timePlan: [.init(date: s, text: s)], hasTimePlan: true, annexes: [.init(text: s)], stylesheet: nil,
                    inlineCSS: "body { margin: 0; }")
            ),
            (
                "agreement-memo", "bare",
                AgreementMemo.Model(
                    party: s, date: s, footer: s, draft: false, body: nil, subject: s, summary: [], decider: s, proposals: [], matter: [], tracks: [],
                    modelParts: [], coordinator: nil, decisions: [], hasDecisions: false, ownCosts: [], hasOwnCosts: false, ownTotal: s, totals: [],
                    hasTotals: false, grants: [], hasGrants: false, perspectives: [], timePlan: [], hasTimePlan: false, annexes: [],
                    stylesheet: s, inlineCSS: nil)
            ),
            (
                "extract-document", "holds",
                ExtractDocument.Model(
                    css: "body { margin: 0; }", organisation: s, number: s, person: s, madeOn: s, holds: true, summary: s,
                    fields: [.init(label: s, value: s, meaning: s)], events: [.init(date: s, track: s, kind: s, reason: s)],
                    statuses: [.init(date: s, status: s)], activities: [.init(activity: s, start: s, end: s, hours: s, provider: s)],
                    consents: [.init(party: s, from: s, until: s, withdrawn: s)], log: [.init(at: s, organisation: s, role: s, action: s)],
                    recipients: [.init(name: s)], hasEvents: true, hasStatuses: true, hasActivities: true, hasConsents: true, hasLog: true,
                    hasRecipients: true, purpose: s, jointFigures: s, retention: s, source: s, complaint: s)
            ),
            (
                "extract-document", "nothing",
                ExtractDocument.Model(
                    css: "body { margin: 0; }", organisation: s, number: s, person: s, madeOn: s, holds: false, summary: s, purpose: s, jointFigures: s,
                    retention: s, source: s, complaint: s)
            ),
            (
                "processing-controller", "full",
                ProcessingDocument.ControllerModel(
                    css: "body { margin: 0; }", organisation: s, number: s, madeOn: s, people: s, agreements: s,
                    recipients: [.init(name: s, number: s, count: s)], smallest: s, retention: s, engine: s,
                    readers: [.init(agreement: s, organisation: s, coordinators: s)], hasRecipients: true, hasReaders: true)
            ),
            (
                "processing-processor", "full",
                ProcessingDocument.ProcessorModel(
                    css: "body { margin: 0; }", madeOn: s, controllers: [.init(name: s, number: s)], engine: s, hasControllers: true)
            ),
            (
                "report-document", "full",
                ReportPage.Model(
                    year: s, title: s, asOf: s, version: s, quarter: s, ownHeading: s, scopeText: s, suppressed: true, threshold: s, largestSmall: s,
                    goals: [.init(name: s, definition: s, value: s, target: s, verdict: s)], participants: [.init(name: s, definition: s, value: s)],
                    municipalities: [.init(name: s, definition: s, value: s)], hasMunicipalities: true, trackNames: [s],
                    trackRows: [.init(name: s, definition: s, values: [s])], establishment: [.init(name: s, definition: s, value: s)],
                    charts: [.init(svg: Chart.bars(id: s, title: s, description: s, [.init(label: s, value: 1, text: s)], maximum: 1), caption: s)],
                    hasCharts: true, activities: [.init(name: s, participants: s, hours: s)], hasActivities: true,
                    costs: [.init(track: s, party: s, source: s, planned: s, spent: s)], hasCosts: true, planned: s, spent: s, hasFollowUp: true)
            ),
            (
                "report-document", "bare",
                ReportPage.Model(
                    year: s, title: s, asOf: s, version: nil, quarter: nil, ownHeading: nil, scopeText: s, suppressed: false, threshold: s, largestSmall: s,
                    goals: [], participants: [], municipalities: [], hasMunicipalities: false, trackNames: [], trackRows: [], establishment: [], charts: [],
                    hasCharts: false, activities: [], hasActivities: false, costs: [], hasCosts: false, planned: s, spent: s, hasFollowUp: false)
            ),
        ]
    }

    func render(_ template: String, _ model: Any, _ s: String) -> String {
        if ["agreement-document", "agreement-memo", "report-document", "extract-document", "processing-controller", "processing-processor"].contains(template) {
            return Templates.shared.render(model, template)
        }
        return Templates.shared.render(Page(layout: layout(s, signedIn: template != "sign-in"), t: Language.sv.tree, page: model), template)
    }

    @Test func everyTemplateHasViews() {
        #expect(Set(views("x").map(\.0)) == Set(Templates.names.filter { !["header", "footer", "form", "remove", "document-page"].contains($0) }))
    }

    /// The hostile string in every field comes out escaped, in text and in attributes alike.
    @Test func hostileTextIsNeverMarkup() {
        for (template, variant, model) in views(Self.hostile) {
            let html = render(template, model, Self.hostile)
            #expect(!html.contains("<script>"), "\(template)/\(variant) has a script element from data")
            #expect(!html.contains("\"'<>"), "\(template)/\(variant) has the raw string")
            #expect(html.contains("&quot;&#39;&lt;&gt;&amp;&lt;script&gt;"), "\(template)/\(variant) does not show the string at all")
        }
    }

    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    @Test func snapshots() throws {
        let record = ProcessInfo.processInfo.environment["SAMSPAR_RECORD_SNAPSHOTS"] == "1"
        for (template, variant, model) in views(Self.long) {
            let html = render(template, model, Self.long)
            let file = Self.snapshots.appendingPathComponent("\(template)-\(variant).html")
            if record {
                try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
                try html.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            let stored = try? String(contentsOf: file, encoding: .utf8)
            #expect(stored == html, "\(template)-\(variant).html differs from its snapshot (SAMSPAR_RECORD_SNAPSHOTS=1 records it anew)")
        }
    }
}
