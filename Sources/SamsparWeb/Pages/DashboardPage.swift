import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore

/// The goal dashboard of one agreement (the coordinator's page; issue 8). Its numbers are
/// the report document's (``ShownReport``): the same figures as the API and the command line.
/// A reader with live figures sees them in their scope (own or joint, SPEC §3), with the latest
/// quarter's close beside them; a role without live figures sees the quarters' closes.
enum DashboardPage {
    struct Goal: Sendable {
        var name: String
        var value: String
        var target: String
        var verdict: String
        var verdictClass: String
    }

    struct Figure: Sendable {
        var text: String
        var href: String?
    }

    struct FunnelRow: Sendable {
        var track: String
        var figures: [Figure]
    }

    struct TrendRow: Sendable {
        var quarter: String
        var values: [String]
    }

    struct Trend: Sendable {
        var name: String
        var columns: [String]
        var rows: [TrendRow]
    }

    struct ChartModel: Sendable {
        var svg: String
        var caption: String
        var header: [String]
        var rows: [TrendRow]
    }

    struct Model: Sendable {
        var title: String
        var years: [Option]
        var asOf: String
        var action: String
        var suppressed: Bool
        var drillDown: Bool
        var goals: [Goal]
        var funnelHeader: [String]
        var funnel: [FunnelRow]
        var trends: [Trend]
        var charts: [ChartModel]
        var participants: [Goal]
        var csv: String
        var xlsx: String
        var agreement: String
        /// A coordinator may publish what they see (issue 9, part 7).
        var publish: String? = nil
        var pdf = ""
        var volume: [TableRow] = []
        var hasVolume = false
        var costs: [TableRow] = []
        var hasCosts = false
        var costPlanned = ""
        var costSpent = ""
        var year = ""
        /// What the figures are (SPEC §3): the reader's own live figures, the joint live
        /// figures, or a quarter's close.
        var scopeText = ""
        /// Set when a retention run or an erasure removed records this year's live figures counted.
        var retentionNotice: String? = nil
        /// Live figures: the year and as-of may be chosen, and exported.
        var live = true
        /// The latest close beside live figures: its heading and counts.
        var closeHeading: String? = nil
        var closeCounts: [Goal] = []
        /// The stored closes, newest first, to open one.
        var closes: [Option] = []
        var hasCloses = false
        var closeAction = ""
    }

    struct PeopleModel: Sendable {
        var heading: String
        var rows: [ParticipantPages.Row]
        var pageText: String
        var previous: String?
        var next: String?
        var back: String
        /// More than one page: the pager is shown (a stored property; templates read by mirror).
        var paged: Bool
    }

    struct Selection {
        var year: Int
        var asOf: Day
    }

    static func selection(_ r: PageRequest) throws -> Selection {
        let q = r.request.uri.queryParameters
        var year = r.today.year
        if let text = q.get("ar") {
            guard let y = Int(text), (1900...2200).contains(y) else { throw APIError.badRequest("ar: \(r.t("dashboard.badYear"))") }
            year = y
        }
        var asOf = min(r.today, Day.lastOfYear(year).adding(days: 90))
        if let text = q.get("per"), !text.isEmpty {
            do { asOf = try Day(plausibleISO: text) } catch {
                throw APIError.badRequest("per: \(Klarsprak.reason(error.description, r.language, column: "per"))")
            }
        }
        return Selection(year: year, asOf: asOf)
    }

    static func compute(_ r: PageRequest, _ caller: Caller, id: String, _ sel: Selection) async throws -> (Report, StoredAgreement) {
        let (report, stored, _) = try await FigureOperations.report(id, year: sel.year, asOf: sel.asOf, caller, r.services)
        return (report, stored)
    }

    static func show(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        let id = try r.context.parameter(.agreement)
        // A role without live figures reads the quarters' closes (SPEC §3).
        guard FigureOperations.Act.readLive.allows(principal) else {
            let (closes, unsuppressed) = try await FigureOperations.closes(id, caller, r.services)
            return try await showClose(r, caller, id, closes, unsuppressed: unsuppressed)
        }
        // Beside live figures: the latest close and the quarters closed, not every document.
        let (closedQuarters, latestClose, unsuppressed) = try await FigureOperations.latestClose(id, caller, r.services)
        let sel = try selection(r)
        // The report's facts and the activity volume are read at once, each on reader
        // connections of its own, and the facts once for the report and its quarters (issue
        // 10: the dashboard read the population five times), in the reader's scope.
        let live = try await FigureOperations.live(id, year: sel.year, asOf: sel.asOf, caller, r.services)
        let stored = live.stored
        let report = live.report(year: sel.year, asOf: sel.asOf)
        // The annual follow-up (issue 9, part 7): sub-goal targets, activity volume, costs.
        let followUp = FollowUp(report: report, agreement: stored.agreement, activities: live.activities)
        // Every figure as the reader may see it (issue 16): the page only writes out what this
        // value holds. Live figures are the reader's own or joint, unsuppressed (SPEC §3).
        let shown = ShownReport(report, suppression: nil, agreementVersion: stored.version, followUp: followUp)
        let drill = FigureOperations.Act.seePeopleBehind.allows(principal)
        let writer = Writer(r: r) { figure in
            drill ? SiteURL.dashboardPeople(id).with([("ar", String(sel.year)), ("per", sel.asOf.description), ("figur", figure)]) : nil
        }
        let quarters = try await quarterReports(r, caller, stored, facts: live.facts, sel, suppression: nil)
        let firstYear = stored.agreement.validFrom.year
        let years = (min(firstYear, sel.year)...max(r.today.year, sel.year)).reversed().map {
            Option(value: String($0), label: String($0), selected: $0 == sel.year)
        }
        let query = [("ar", String(sel.year)), ("per", sel.asOf.description)]
        var page = Model(
            title: stored.agreement.area ?? stored.agreement.title, years: years, asOf: sel.asOf.description, action: SiteURL.dashboard(id).path,
            suppressed: shown.suppressed, drillDown: drill, goals: writer.goals(shown),
            funnelHeader: Writer.kinds.map { r.t("event." + $0.rawValue) } + [r.t("goal.acceptance"), r.t("goal.completion"), r.t("goal.outcome")],
            funnel: writer.funnel(shown), trends: writer.trends(quarters, shown),
            charts: writer.charts(shown, kaplanMeier: report.establishment.kaplanMeier, quarters), participants: writer.counts(shown),
            csv: SiteURL.dashboardExport(id, "csv").with(query), xlsx: SiteURL.dashboardExport(id, "xlsx").with(query),
            agreement: SiteURL.agreement(id).path)
        page.scopeText = r.t(live.scope == .joint ? "dashboard.scopeJoint" : "dashboard.scopeOwn")
        // Retention or erasure removed records these figures counted (issue 22, part 5).
        let weeded = try await FigureOperations.retentionEffects(stored, year: sel.year, scope: live.scope, caller, r.services)
        if let last = weeded.first {
            page.retentionNotice = String(format: r.t("dashboard.retentionTouched"), last.description, String(sel.year))
        }
        page.volume = writer.volume(shown)
        page.costs = writer.costs(followUp, shown)
        (page.hasVolume, page.hasCosts) = (!page.volume.isEmpty, !page.costs.isEmpty)
        page.pdf = SiteURL.dashboardExport(id, "pdf").with(query)
        page.costPlanned = AgreementEditPage.kronor(followUp.totals.total, r)
        page.costSpent = AgreementEditPage.kronor(followUp.totals.spent, r)
        // The latest joint close beside the live figures, in the reader's form.
        if let latest = latestClose, let closeShown = ShownReport(stored: latest.form(suppressed: !unsuppressed).document, threshold: latest.threshold) {
            page.closeHeading = String(format: r.t("dashboard.latestClose"), latest.quarter.description)
            page.closeCounts = Writer(r: r) { _ in nil }.counts(closeShown)
        }
        if FigureOperations.Act.publish.allows(principal) {
            page.publish = SiteURL.publish(id).path
            page.year = String(sel.year)
        }
        page.closes = closedQuarters.reversed().map { Option(value: $0.description, label: $0.description, selected: false) }
        page.hasCloses = !page.closes.isEmpty
        page.closeAction = SiteURL.dashboard(id).path
        return r.render("dashboard", title: String(format: r.t("dashboard.title"), page.title), page, current: .agreements)
    }

    /// A quarter's close as the dashboard shows it to a role without live figures: the one
    /// asked for (`kvartal`), else the latest; its figures as stored, nothing counted again.
    static func showClose(_ r: PageRequest, _ caller: Caller, _ id: String, _ closes: [QuarterClose], unsuppressed: Bool) async throws -> Response {
        guard let latest = try await FigureOperations.inForce(id, on: r.today, caller, r.services) else { throw APIError.notFound() }
        let asked = r.request.uri.queryParameters.get("kvartal").flatMap { Quarter($0) }
        let close = asked.flatMap { q in closes.first { $0.quarter == q } } ?? closes.last
        let writer = Writer(r: r) { _ in nil }
        var page = Model(
            title: latest.agreement.area ?? latest.agreement.title, years: [], asOf: "", action: SiteURL.dashboard(id).path, suppressed: false,
            drillDown: false, goals: [],
            funnelHeader: Writer.kinds.map { r.t("event." + $0.rawValue) } + [
                r.t("goal.acceptance"), r.t("goal.completion"), r.t("goal.outcome"),
            ], funnel: [], trends: [], charts: [], participants: [], csv: "", xlsx: "", agreement: SiteURL.agreement(id).path)
        page.live = false
        if let close, let shown = ShownReport(stored: close.form(suppressed: !unsuppressed).document, threshold: close.threshold) {
            page.scopeText = String(format: r.t("dashboard.scopeClose"), close.quarter.description, close.asOf.description)
            page.suppressed = shown.suppressed
            page.goals = writer.goals(shown)
            page.funnel = writer.funnel(shown)
            page.participants = writer.counts(shown)
            page.volume = writer.volume(shown)
            page.hasVolume = !page.volume.isEmpty
        } else {
            page.scopeText = r.t("dashboard.noCloses")
        }
        page.closes = closes.reversed().map {
            Option(value: $0.quarter.description, label: $0.quarter.description, selected: $0.quarter == close?.quarter)
        }
        page.hasCloses = !page.closes.isEmpty
        page.closeAction = SiteURL.dashboard(id).path
        return r.render("dashboard", title: String(format: r.t("dashboard.title"), page.title), page, current: .agreements)
    }

    /// Quarter by quarter: the report as of each quarter's last day (not after as-of), as the
    /// reader may see it. Each is computed on its own input (a registration added later may
    /// change how a person is counted), the four at once on the server's cores: the facts
    /// loaded for the page cut at the quarter's end, where the quarter has the same version of
    /// the agreement in force, else read for it.
    static func quarterReports(
        _ r: PageRequest, _ caller: Caller, _ stored: StoredAgreement, facts: [RegisteredFacts], _ sel: Selection, suppression: Suppression?
    ) async throws -> [(String, ShownReport)] {
        let id = stored.agreement.id
        var ends: [Day] = []
        for q in 1...4 {
            let end = Day(year: sel.year, month: q * 3, day: q == 1 || q == 4 ? 31 : 30)!
            guard end <= sel.asOf || q == 1 else { break }
            ends.append(min(end, sel.asOf))
        }
        let quarterly = try await withThrowingTaskGroup(of: (Int, ShownReport).self) { group in
            for (i, end) in ends.enumerated() {
                group.addTask {
                    let quarterly = try await FigureOperations.inForce(id, on: end, caller, r.services)
                    let qr: Report
                    if quarterly?.version == stored.version {
                        let input = Registrations.reportInput(facts.map { $0.asOf(end) }, asOf: end)
                        qr = Report.compute(for: stored.agreement, year: sel.year, asOf: end, input: input)
                    } else {
                        (qr, _) = try await compute(r, caller, id: id, Selection(year: sel.year, asOf: end))
                    }
                    return (i, ShownReport(qr, suppression: suppression))
                }
            }
            var documents: [(Int, ShownReport)] = []
            for try await d in group { documents.append(d) }
            return documents.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return zip(ends, quarterly).enumerated().map { i, q in ("K\(i + 1) (\(q.0))", q.1) }
    }

    /// Writes a ``ShownReport`` out as the dashboard's parts, in the reader's language; each
    /// count linked to the people behind it where the reader may see them (`link`).
    struct Writer {
        let r: PageRequest
        let link: (String) -> String?

        /// The steps of a track's funnel.
        static let kinds: [TrackEventKind] = [.invited, .attended, .accepted, .started, .completed]

        var lang: Language { r.language }

        func pct(_ v: Double?) -> String { NumberText.percent(v, lang) }

        func verdictOf(_ met: Bool?) -> (String, String) {
            switch met {
            case true?: (r.t("verdict.met"), "met")
            case false?: (r.t("verdict.notMet"), "notmet")
            case nil: (r.t("verdict.notYet"), "pending")
            }
        }

        /// Every goal against its target: the overall goal, the sub-goals, the gender goals.
        func goals(_ shown: ShownReport) -> [Goal] {
            var goals: [Goal] = []
            let e = shown.establishment
            // The overall goal by the Kaplan–Meier median (issue 9, part 7). Where suppression
            // hides the median, the verdict that would tell it is hidden too.
            let goalDays = e.goalDays
            let (verdict, verdictClass) = e.overallGoalHidden ? (r.t("verdict.hidden"), "pending") : verdictOf(e.overallGoalMet)
            goals.append(
                Goal(
                    name: String(format: r.t("goal.establishment"), NumberText.integer(goalDays, lang)),
                    value: String(format: r.t("goal.medianValue"), e.kmMedianDays.map { NumberText.integer($0, lang) } ?? "–", pct(e.shareWithinGoal)),
                    target: String(format: r.t("goal.medianTarget"), NumberText.integer(goalDays, lang)), verdict: verdict, verdictClass: verdictClass))
            let targets = shown.followUp?.subGoals ?? []
            if let t = targets.first(where: { $0.goal == .recruitment }) {
                let (v, c) = verdictOf(t.met)
                goals.append(Goal(name: r.t("goal.recruitment"), value: pct(shown.recruitmentShare), target: "≥ " + pct(t.target), verdict: v, verdictClass: c))
            } else {
                goals.append(
                    Goal(
                        name: r.t("goal.recruitment"), value: pct(shown.recruitmentShare), target: r.t("goal.noTarget"), verdict: r.t("verdict.noTarget"),
                        verdictClass: "none"))
            }
            for t in targets where t.goal != .recruitment {
                let (v, c) = verdictOf(t.met)
                goals.append(
                    Goal(
                        name: r.t("goal." + t.goal.rawValue) + " – " + (t.trackName ?? ""), value: pct(t.share), target: "≥ " + pct(t.target), verdict: v,
                        verdictClass: c))
            }
            for t in shown.tracks {
                guard let g = t.genderGoal else { continue }
                // A share hidden with the completions it is of is hidden, not "not yet
                // measurable" (issue 19): the completers exist, suppression keeps them unsaid.
                let hidden = g.share == nil && t.count(.completed).value == nil
                let (met, cls) = hidden ? (r.t("verdict.hidden"), "pending") : verdictOf(g.met)
                goals.append(
                    Goal(
                        name: String(format: r.t("goal.gender"), r.t("sexPlural." + g.sex.rawValue), t.name), value: pct(g.share),
                        target: "≥ " + pct(g.target), verdict: met, verdictClass: cls))
            }
            return goals
        }

        /// Hours by activity type in the year.
        func volume(_ shown: ShownReport) -> [TableRow] {
            (shown.followUp?.activities ?? []).map { v in
                TableRow(
                    cells: [NumberText.figure(v.participants, lang), v.hours.map { NumberText.decimal($0, digits: 1, lang) } ?? "–"],
                    name: r.language.strings["activity." + v.kind] ?? v.kind, kind: "", key: "")
            }
        }

        /// The year's cost lines, planned against spent.
        func costs(_ followUp: FollowUp, _ shown: ShownReport) -> [TableRow] {
            let namesByCode = Dictionary(shown.tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            return followUp.costs.map { c in
                TableRow(
                    cells: [
                        followUp.partyNames[c.orgNumber.description] ?? c.orgNumber.description, r.t("source." + c.source.rawValue),
                        AgreementEditPage.kronor(c.amount, r), c.spent.map { AgreementEditPage.kronor($0, r) } ?? "–",
                    ], name: c.track.flatMap { namesByCode[$0] } ?? r.t("edit.common"), kind: "", key: "")
            }
        }

        /// The funnel per track, each count linked to the people behind it.
        func funnel(_ shown: ShownReport) -> [FunnelRow] {
            shown.tracks.enumerated().map { i, t in
                FunnelRow(
                    track: t.name,
                    figures: Self.kinds.map { k in
                        let value = t.count(k)
                        return Figure(text: NumberText.figure(value, lang), href: (value.value ?? 0) > 0 ? link("event.\(i).\(k.rawValue)") : nil)
                    } + [
                        Figure(text: pct(t.acceptanceShare), href: nil), Figure(text: pct(t.completionShare), href: nil),
                        Figure(text: pct(t.outcomeShare), href: nil),
                    ])
            }
        }

        /// The shares quarter by quarter.
        func trends(_ quarters: [(String, ShownReport)], _ shown: ShownReport) -> [Trend] {
            var trends = [
                Trend(
                    name: r.t("goal.recruitment"), columns: [r.t("dashboard.share")],
                    rows: quarters.map { TrendRow(quarter: $0.0, values: [pct($0.1.recruitmentShare)]) })
            ]
            let shares: [(KeyPath<ShownReport.Track, Double?>, String)] = [
                (\.acceptanceShare, "goal.acceptance"), (\.completionShare, "goal.completion"), (\.outcomeShare, "goal.outcome"),
            ]
            for (share, label) in shares {
                trends.append(
                    Trend(
                        name: r.t(label), columns: shown.tracks.map(\.name),
                        rows: quarters.map { q in TrendRow(quarter: q.0, values: q.1.tracks.map { pct($0[keyPath: share]) }) }))
            }
            return trends
        }

        /// Charts, each with its numbers as a table.
        func charts(_ shown: ShownReport, kaplanMeier: KaplanMeier, _ quarters: [(String, ShownReport)]) -> [ChartModel] {
            var charts: [ChartModel] = []
            for (i, t) in shown.tracks.enumerated() {
                let bars = Self.kinds.map { k in
                    Chart.Bar(label: r.t("event." + k.rawValue), value: t.count(k).value.map(Double.init), text: NumberText.figure(t.count(k), lang))
                }
                let maximum = bars.compactMap(\.value).max() ?? 0
                charts.append(
                    ChartModel(
                        svg: Chart.bars(
                            id: "funnel-\(i)", title: String(format: r.t("chart.funnel"), t.name), description: r.t("chart.funnelDesc"), bars,
                            maximum: max(1, maximum)),
                        caption: String(format: r.t("chart.funnel"), t.name), header: [r.t("dashboard.step"), r.t("dashboard.count")],
                        rows: bars.map { TrendRow(quarter: $0.label, values: [$0.text]) }))
            }
            let genderBars = shown.tracks.compactMap { t -> (Chart.Bar, Double)? in
                guard let g = t.genderGoal else { return nil }
                return (Chart.Bar(label: t.name, value: g.share, text: pct(g.share)), g.target)
            }
            if !genderBars.isEmpty {
                charts.append(
                    ChartModel(
                        svg: genderBars.enumerated().map { i, b in
                            Chart.bars(
                                id: "gender-\(i)", title: String(format: r.t("chart.gender"), b.0.label), description: r.t("chart.genderDesc"), [b.0],
                                maximum: 1,
                                target: b.1, targetLabel: r.t("chart.target") + " " + NumberText.percent(b.1, lang))
                        }.joined(),
                        caption: r.t("chart.genderAll"), header: [r.t("dashboard.track"), r.t("dashboard.share"), r.t("chart.target")],
                        rows: genderBars.map { TrendRow(quarter: $0.0.label, values: [$0.0.text, NumberText.percent($0.1, lang)]) }))
            }
            let km = kaplanMeier
            if shown.establishment.kmShareWithinGoal != nil, !km.isEmpty {
                let goal = Double(shown.establishment.goalDays)
                let xMax = max(goal * 1.25, Double(km.steps.last?.time ?? 0))
                let points = [(x: 0.0, y: 0.0)] + km.steps.map { (x: Double($0.time), y: 1 - $0.survival) }
                let samples = [180, 365, 547, 730, 912].filter { Double($0) <= xMax }
                charts.append(
                    ChartModel(
                        svg: Chart.line(
                            id: "km", title: r.t("chart.km"), description: r.t("chart.kmDesc"), points: points, xMax: xMax, steps: true, mark: goal,
                            markLabel: String(format: r.t("chart.goalDays"), Int(goal)),
                            xLabels: [0, 365, 730].map { (Double($0), String($0)) }, yLabel: r.t("chart.percentEstablished")),
                        caption: r.t("chart.km"), header: [r.t("chart.days"), r.t("chart.percentEstablished")],
                        rows: samples.map { TrendRow(quarter: String($0), values: [NumberText.percent(1 - km.survival(at: $0), lang)]) }))
            }
            let series = quarters.enumerated().compactMap { i, q -> (Double, Double, String)? in
                q.1.establishment.shareWithinGoal.map { (Double(i + 1), $0, q.0) }
            }
            charts.append(
                ChartModel(
                    svg: Chart.line(
                        id: "establishment", title: r.t("chart.establishment"), description: r.t("chart.establishmentDesc"),
                        points: series.map { (x: $0.0, y: $0.1) }, xMax: 4.5, steps: false, xLabels: (1...4).map { (Double($0), "K\($0)") },
                        yLabel: r.t("chart.percentEstablished")),
                    caption: r.t("chart.establishment"), header: [r.t("dashboard.quarter"), r.t("dashboard.share")],
                    rows: quarters.map { TrendRow(quarter: $0.0, values: [pct($0.1.establishment.shareWithinGoal)]) }))
            return charts
        }

        /// The counts behind the goals, each linked to the people behind it.
        func counts(_ shown: ShownReport) -> [Goal] {
            let (p, e) = (shown.participants, shown.establishment)
            let counts: [(String, ShownReport.Figure, String)] = [
                ("participants.active", p.active, "active"), ("participants.female", p.female, ""), ("participants.male", p.male, ""),
                ("participants.targetGroupA", p.targetGroupA, "targetGroupA"), ("participants.targetGroupB", p.targetGroupB, "targetGroupB"),
                ("establishment.population", e.population, "population"), ("establishment.measurable", e.measurable, "measurable"),
                ("establishment.establishedWithinGoal", e.establishedWithinGoal, "establishedWithinGoal"),
            ]
            return counts.map { key, value, figure in
                Goal(
                    name: r.t(key), value: NumberText.figure(value, lang), target: figure.isEmpty || (value.value ?? 0) == 0 ? "" : link(figure) ?? "",
                    verdict: "", verdictClass: "")
            }
        }
    }

    /// The people behind a count, among those the reader may see.
    static func people(_ r: PageRequest) async throws -> Response {
        let caller = try FigureOperations.Act.seePeopleBehind.authorize(r.principal, on: r.channel)
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        let id = try r.context.parameter(.agreement)
        let sel = try selection(r)
        let text = r.request.uri.queryParameters.get("figur").map { String($0) } ?? ""
        guard let figure = figure(text) else { throw APIError.notFound() }
        // Who of the people behind the figure the reader may see (each read audited); nobody
        // else is counted.
        let asked = Int(r.request.uri.queryParameters.get("sida").map { String($0) } ?? "1") ?? 1
        let (stored, total, page, shown) = try await FigureOperations.peopleBehind(
            figure, of: id, year: sel.year, asOf: sel.asOf, page: asked, pageSize: ParticipantPages.pageSize, caller, r.services)
        let rows = CaseRow.build(shown, viewer: principal.organisation, agreements: [stored.agreement], today: r.today).map { ParticipantPages.row($0, r) }
        let pages = max(1, (total + ParticipantPages.pageSize - 1) / ParticipantPages.pageSize)
        let query = [("figur", text), ("ar", String(sel.year)), ("per", sel.asOf.description)]
        func pageLink(_ n: Int) -> String { SiteURL.dashboardPeople(id).with(query + [("sida", String(n))]) }
        let model = PeopleModel(
            heading: String(format: r.t("people.heading"), NumberText.integer(total, r.language)), rows: rows,
            pageText: String(format: r.t("list.page"), page, pages),
            previous: page > 1 ? pageLink(page - 1) : nil, next: page < pages ? pageLink(page + 1) : nil,
            back: SiteURL.dashboard(id).with([("ar", String(sel.year)), ("per", sel.asOf.description)]), paged: pages > 1)
        return r.render("people", title: model.heading, model, current: .agreements)
    }

    static func figure(_ text: String) -> Report.Figure? {
        switch text {
        case "active": return .active
        case "targetGroupA": return .targetGroupA
        case "targetGroupB": return .targetGroupB
        case "recruited": return .recruited
        case "population": return .population
        case "measurable": return .measurable
        case "establishedWithinGoal": return .establishedWithinGoal
        default:
            let parts = text.split(separator: ".")
            guard parts.count == 3, parts[0] == "event", let track = Int(parts[1]), let kind = TrackEventKind(rawValue: String(parts[2])) else { return nil }
            return .event(track: track, kind: kind)
        }
    }

    /// The report document as CSV (`;`, decimal comma) or XLSX; suppressed as on the page.
    static func export(_ r: PageRequest) async throws -> Response {
        let caller = try r.caller()
        let id = try r.context.parameter(.agreement)
        let format = try r.context.parameter(.format)
        guard format == "csv" || format == "xlsx" || format == "pdf" else { throw APIError.notFound() }
        let sel = try selection(r)
        let live = try await FigureOperations.live(id, year: sel.year, asOf: sel.asOf, caller, r.services)
        let (report, stored) = (live.report(year: sel.year, asOf: sel.asOf), live.stored)
        var document = ReportDocument(report: report, suppression: nil, agreementVersion: stored.version)
        let name = "uppfoljning-\(id)-\(sel.year)"
        if format == "pdf" {
            // The follow-up for the parties' boards (issue 9, part 7), as `samspar report --format pdf` prints it.
            document.followUp = FollowUp(report: report, agreement: stored.agreement, activities: live.activities)
            var shown = document.shown
            shown.keepSteps(of: report.establishment.kaplanMeier)
            // A party's own figures say so at the top (issue 26): they are not the agreement's.
            var scope = ReportPage.Scope.joint
            if live.scope != .joint, let org = caller.organisation {
                let name = try await OrganisationOperations.registry(r.services).first { $0.number == org }?.name ?? org.description
                scope = .own(name)
            }
            let title = stored.agreement.title + (stored.agreement.area.map { " – \($0)" } ?? "")
            return try await PDFResponse.make(ReportPage.html(shown, agreementTitle: title, scope: scope), name: name)
        }
        if format == "csv" {
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name).csv\""],
                body: ResponseBody(byteBuffer: ByteBuffer(string: document.csv)))
        }
        // The CSV's rows as cells: numbers as numbers (decimal comma read back), the rest as text.
        let lines = document.csv.replacing("\u{FEFF}", with: "").split(separator: "\r\n").map {
            $0.split(separator: ";", omittingEmptySubsequences: false).map { String($0) }
        }
        guard let header = lines.first else { return Export.response(name: name, format: format, header: [], rows: []) }
        let rows: [[Cell]] = lines.dropFirst().map { fields in
            fields.map { f in Double(f.replacing(",", with: ".")).flatMap { $0.isFinite ? Cell.number($0) : nil } ?? .text(f) }
        }
        return Export.response(name: name, format: format, header: header, rows: rows)
    }
}
