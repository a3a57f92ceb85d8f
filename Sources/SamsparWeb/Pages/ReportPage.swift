import Foundation
import SamsparDomain

/// The follow-up for the nämnd (issues 9 and 26): the report as a standalone page in Swedish,
/// in klarspråk, printed to PDF by headless Chromium for the parties' boards. It renders a
/// ``ShownReport`` alone: what suppression hides was decided there, once, and this page only
/// writes it out (every value escaped by Mustache). A publication or a close is printed from
/// its stored document; nothing is counted again.
///
/// Each measure has a short definition beside it. Numbers are written the Swedish way
/// ("207 588,4"). A hidden figure and one that does not apply are told apart: `<5` and `..`
/// are suppression's marks, "–" means that there is nothing to measure (nobody in the
/// denominator). The charts are the dashboard's own drawing code (``Chart``), fed from the
/// document's figures.
public enum ReportPage {
    /// Whose figures the document holds, which its heading says.
    public enum Scope: Sendable, Equatable {
        /// Every party's records (the operator, a coordinator without registrations).
        case joint
        /// What one organisation may see: headed "Endast det … får se".
        case own(String)
        /// A publication: a closed quarter's suppressed form.
        case published
    }

    struct Row: Sendable {
        var name: String
        var definition: String
        var value: String
    }

    struct TrackRow: Sendable {
        var name: String
        var definition: String
        var values: [String]
    }

    struct GoalRow: Sendable {
        var name: String
        var definition: String
        var value: String
        var target: String
        var verdict: String
    }

    struct ActivityRow: Sendable {
        var name: String
        var participants: String
        var hours: String
    }

    struct CostRow: Sendable {
        var track: String
        var party: String
        var source: String
        var planned: String
        var spent: String
    }

    struct ChartBox: Sendable {
        var svg: String
        var caption: String
    }

    struct Model: Sendable {
        var year: String
        var title: String
        var asOf: String
        var version: String?
        var quarter: String?
        var ownHeading: String?
        var scopeText: String
        var suppressed: Bool
        var threshold: String
        var largestSmall: String
        var goals: [GoalRow]
        var participants: [Row]
        var municipalities: [Row]
        var hasMunicipalities: Bool
        var trackNames: [String]
        var trackRows: [TrackRow]
        var establishment: [Row]
        var charts: [ChartBox]
        var hasCharts: Bool
        var activities: [ActivityRow]
        var hasActivities: Bool
        var costs: [CostRow]
        var hasCosts: Bool
        var planned: String
        var spent: String
        var hasFollowUp: Bool
    }

    /// A count as written: the number with Swedish thousands, or the mark that hides it.
    static func text(_ figure: ShownReport.Figure) -> String { NumberText.figure(figure, .sv) }

    /// A share as a percentage with one decimal at most ("66,7 %"); where there is none, ".."
    /// if suppression hid it and "–" if there was nothing to measure (its denominator is zero,
    /// or the document is not suppressed, where nil means exactly that).
    static func share(_ value: Double?, of denominator: [ShownReport.Figure], suppressed: Bool) -> String {
        if let value {
            let tenths = (value * 1000).rounded() / 10
            let whole = tenths == tenths.rounded()
            return (whole ? NumberText.integer(Int(tenths), .sv) : NumberText.decimal(tenths, digits: 1, .sv)) + "\u{00A0}%"
        }
        let nothing = denominator.allSatisfy { $0.value == 0 }
        return suppressed && !nothing ? ".." : "–"
    }

    static func kronor(_ n: Int?) -> String { n.map(AgreementDocument.kronor) ?? "–" }

    static func verdict(_ met: Bool?, hidden: Bool = false) -> String {
        if hidden { return "Dolt" }
        switch met {
        case true?: return "Uppfyllt"
        case false?: return "Ej uppfyllt"
        case nil: return "Kan inte bedömas ännu"
        }
    }

    static let kinds: [(TrackEventKind, String, String)] = [
        (.invited, "Inbjudna till rekryteringsträff", "Deltagare som bjöds in till spårets rekryteringsträff under året."),
        (.attended, "Var på rekryteringsträff", "Deltagare som var på spårets rekryteringsträff."),
        (.accepted, "Tackade ja", "Deltagare som tackade ja till spåret."), (.declined, "Tackade nej", "Deltagare som tackade nej till spåret."),
        (.started, "Började", "Deltagare som började spåret."), (.completed, "Fullföljde", "Deltagare som fullföljde spåret."),
        (.discontinued, "Avbröt", "Deltagare som avbröt spåret."),
    ]

    static func model(_ shown: ShownReport, agreementTitle: String, scope: Scope) -> Model {
        let s = shown.suppressed
        let p = shown.participants
        let e = shown.establishment
        let days = NumberText.integer(e.goalDays, .sv)
        let participants = [
            Row(
                name: "Aktiva deltagare", definition: "Registrerade senast årets sista dag (eller per-datumet) och inte avslutade före årets början.",
                value: text(p.active)),
            Row(name: "Kvinnor", definition: "Aktiva deltagare som är kvinnor.", value: text(p.female)),
            Row(name: "Män", definition: "Aktiva deltagare som är män.", value: text(p.male)),
            Row(
                name: "Målgrupp A",
                definition: "Aktiva deltagare som någon dag under året var inom överenskommelsens tid efter sitt första uppehållstillstånd.",
                value: text(p.targetGroupA)),
            Row(
                name: "Målgrupp B", definition: "Aktiva deltagare som någon dag under året var 16–24 år och saknade fullföljd gymnasieutbildning.",
                value: text(p.targetGroupB)),
            Row(
                name: "Andel på rekryteringsträff (delmål 1)",
                definition: "Andel av de aktiva deltagarna som var på en rekryteringsträff för något yrkesspår under året.",
                value: share(shown.recruitmentShare, of: [p.active], suppressed: s)),
        ]
        let municipalities = shown.municipalities.map {
            Row(name: $0.code.name, definition: "Aktiva deltagare som bor i kommunen.", value: text($0.active))
        }
        let tracks = shown.tracks
        var trackRows = kinds.map { kind, name, definition in TrackRow(name: name, definition: definition, values: tracks.map { text($0.count(kind)) }) }
        trackRows += [
            TrackRow(
                name: "Andel som tackade ja (delmål 2)", definition: "Av dem som var på spårets rekryteringsträff: andel som sedan tackade ja.",
                values: tracks.map { share($0.acceptanceShare, of: [$0.count(.attended)], suppressed: s) }),
            TrackRow(
                name: "Andel som fullföljde (delmål 3)", definition: "Av dem som avslutade spåret under året: andel som fullföljde det.",
                values: tracks.map { share($0.completionShare, of: [$0.count(.completed), $0.count(.discontinued)], suppressed: s) }),
            TrackRow(
                name: "Andel i arbete eller studier (delmål 4)",
                definition: "Av dem som fullföljde spåret: andel med arbete, subventionerat arbete eller studier 90 dagar efteråt.",
                values: tracks.map { share($0.outcomeShare, of: [$0.count(.completed)], suppressed: s) }),
            TrackRow(
                name: "Jämställdhetsmål", definition: "Av dem som fullföljde spåret: andel av det kön som målet gäller, mot målvärdet.",
                values: tracks.map { t in
                    guard let g = t.genderGoal else { return "inget mål" }
                    let value = share(g.share, of: [t.count(.completed)], suppressed: s)
                    return "\(value) \(g.sex == .male ? "män" : "kvinnor") (mål minst \(share(g.target, of: [], suppressed: false)))"
                }),
        ]
        let median = e.kmMedianDays.map { "\(NumberText.integer($0, .sv))\u{00A0}dagar" }
        let establishment = [
            Row(name: "I målgrupp A", definition: "Aktiva deltagare i målgrupp A under året: de som målet gäller.", value: text(e.population)),
            Row(
                name: "Mätbara", definition: "De i målgrupp A vars första uppehållstillstånd är minst \(days) dagar gammalt, så att hela måltiden kan bedömas.",
                value: text(e.measurable)),
            Row(
                name: "Etablerade inom målet", definition: "Av de mätbara: de som fick arbete eller började studera inom \(days) dagar.",
                value: text(e.establishedWithinGoal)),
            Row(
                name: "Andel inom målet, bland de mätbara", definition: "Etablerade inom målet delat med de mätbara.",
                value: share(e.shareWithinGoal, of: [e.measurable], suppressed: s)),
            Row(
                name: "Andel inom målet, uppskattad",
                definition:
                    "Uppskattad andel av alla i målgrupp A som etablerar sig inom \(days) dagar. Räknar också med dem som ännu inte har följts så länge (Kaplan–Meier).",
                value: share(e.kmShareWithinGoal, of: [e.population], suppressed: s)),
            Row(
                name: "Mediantid till etablering",
                definition: "Uppskattad tid från första uppehållstillståndet tills hälften har arbete eller studier (Kaplan–Meier).",
                value: median ?? (s && e.population.value != 0 && e.kmShareWithinGoal == nil ? ".." : "–")),
        ]

        var goals: [GoalRow] = []
        let followUp = shown.followUp
        // The overall goal's outcome is its median against the goal (issue 26).
        let overallHidden = e.overallGoalHidden || (s && e.kmMedianDays == nil && e.kmShareWithinGoal == nil && e.population.value != 0)
        goals.append(
            GoalRow(
                name: "Övergripande mål: etableringstid", definition: "Mediantiden till arbete eller studier, mot målet.",
                value: median.map { "median \($0)" } ?? (overallHidden ? ".." : "ingen median ännu"), target: "högst \(days) dagar",
                verdict: verdict(followUp?.overallGoalMet ?? e.overallGoalMet, hidden: overallHidden)))
        let goalNames: [FollowUp.SubGoal: (String, String)] = [
            .recruitment: ("Delmål 1: rekryteringsträff", "Andel av de aktiva deltagarna som var på en rekryteringsträff."),
            .acceptance: ("Delmål 2: tackade ja", "Av dem på spårets rekryteringsträff: andel som tackade ja."),
            .completion: ("Delmål 3: fullföljde", "Av dem som avslutade spåret: andel som fullföljde."),
            .outcome: ("Delmål 4: arbete eller studier", "Av dem som fullföljde: andel i arbete eller studier 90 dagar efter."),
        ]
        let byCode = Dictionary(tracks.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for t in followUp?.subGoals ?? [] {
            let (name, definition) = goalNames[t.goal] ?? ("", "")
            let track = t.track.flatMap { byCode[$0] }
            let denominator: [ShownReport.Figure] =
                switch t.goal {
                case .recruitment: [p.active]
                case .acceptance: [track?.count(.attended) ?? .value(0)]
                case .completion: [track?.count(.completed) ?? .value(0), track?.count(.discontinued) ?? .value(0)]
                case .outcome: [track?.count(.completed) ?? .value(0)]
                }
            let value = share(t.share, of: denominator, suppressed: s)
            goals.append(
                GoalRow(
                    name: name + (t.trackName.map { " – \($0)" } ?? ""), definition: definition, value: value,
                    target: "minst " + share(t.target, of: [], suppressed: false), verdict: verdict(t.met, hidden: value == "..")))
        }

        let threshold = shown.threshold ?? Suppression.defaultThreshold
        let trackNames = Dictionary(tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let activities = (followUp?.activities ?? []).map {
            ActivityRow(
                name: ActivityKindName.swedish[$0.kind] ?? $0.kind, participants: text($0.participants),
                hours: $0.hours.map { NumberText.decimal($0, digits: 1, .sv) } ?? "..")
        }
        let costs = (followUp?.costs ?? []).map { c in
            CostRow(
                track: c.track.map { trackNames[$0] ?? $0 } ?? "Gemensamt", party: followUp?.partyNames[c.orgNumber.description] ?? c.orgNumber.description,
                source: FundingSourceName.swedish[c.source.rawValue] ?? "", planned: kronor(c.amount), spent: kronor(c.spent))
        }
        let scopeText: String =
            switch scope {
            case .joint: "Gemensamma siffror: alla parters registreringar räknas, varje person en gång."
            case .own(let name):
                "Siffrorna räknar bara det som \(name) får se: egna registreringar och det som deltagarnas samtycken öppnar. De är inte överenskommelsens gemensamma siffror."
            case .published: "Publicerad uppföljning: ett avslutat kvartal, som aldrig ändras."
            }
        let drawn = charts(shown)
        var ownHeading: String?
        if case .own(let name) = scope { ownHeading = "Endast det \(name) får se" }
        return Model(
            year: String(shown.year), title: agreementTitle, asOf: shown.asOf.description,
            version: shown.agreementVersion.map { "version \($0) av överenskommelsen" }, quarter: shown.quarter?.description, ownHeading: ownHeading,
            scopeText: scopeText, suppressed: s, threshold: String(threshold), largestSmall: String(threshold - 1), goals: goals,
            participants: participants, municipalities: municipalities, hasMunicipalities: !municipalities.isEmpty, trackNames: tracks.map(\.name),
            trackRows: trackRows, establishment: establishment, charts: drawn, hasCharts: !drawn.isEmpty, activities: activities,
            hasActivities: !activities.isEmpty, costs: costs, hasCosts: !costs.isEmpty, planned: kronor(followUp?.totals.total),
            spent: kronor(followUp?.totals.spent), hasFollowUp: followUp != nil)
    }

    /// The dashboard's charts, drawn by its own code from the document's figures: each track's
    /// funnel, the gender goals against their targets, and the Kaplan–Meier curve where the
    /// document keeps its steps.
    static func charts(_ shown: ShownReport) -> [ChartBox] {
        var charts: [ChartBox] = []
        for (i, t) in shown.tracks.enumerated() {
            let bars = kinds.filter { [.invited, .attended, .accepted, .started, .completed].contains($0.0) }.map { kind, name, _ in
                Chart.Bar(label: name, value: t.count(kind).value.map(Double.init), text: text(t.count(kind)))
            }
            let maximum = bars.compactMap(\.value).max() ?? 0
            charts.append(
                ChartBox(
                    svg: Chart.bars(
                        id: "tratt-\(i)", title: "Spårets steg: \(t.name)", description: "Antal deltagare i varje steg av spåret under året.", bars,
                        maximum: max(1, maximum)), caption: "Spårets steg: \(t.name)"))
        }
        let gender = shown.tracks.compactMap { t -> (Chart.Bar, Double)? in
            guard let g = t.genderGoal else { return nil }
            return (Chart.Bar(label: t.name, value: g.share, text: share(g.share, of: [t.count(.completed)], suppressed: shown.suppressed)), g.target)
        }
        if !gender.isEmpty {
            charts.append(
                ChartBox(
                    svg: gender.enumerated().map { i, b in
                        Chart.bars(
                            id: "kon-\(i)", title: "Jämställdhetsmål: \(b.0.label)", description: "Andel av dem som fullföljde, mot målvärdet.", [b.0],
                            maximum: 1, target: b.1, targetLabel: "Mål " + share(b.1, of: [], suppressed: false))
                    }.joined(), caption: "Jämställdhetsmålen: andel av dem som fullföljde, mot målvärdet"))
        }
        // A suppressed document keeps only the steps that stand for enough events; with fewer
        // than two left there is no curve to draw, and none is drawn.
        if let steps = shown.kaplanMeierSteps, steps.count >= 2, shown.establishment.kmShareWithinGoal != nil {
            let goal = Double(shown.establishment.goalDays)
            let xMax = max(goal * 1.25, Double(steps.last?.days ?? 0))
            let points = [(x: 0.0, y: 0.0)] + steps.map { (x: Double($0.days), y: 1 - $0.survival) }
            charts.append(
                ChartBox(
                    svg: Chart.line(
                        id: "km", title: "Andel etablerade över tid", description: "Uppskattad andel i målgrupp A med arbete eller studier, dag för dag.",
                        points: points, xMax: xMax, steps: true, mark: goal, markLabel: "Målet \(Int(goal)) dagar",
                        xLabels: [0, 365, 730].map { (Double($0), "\($0) dagar") }, yLabel: "Andel etablerade"),
                    caption: "Andel etablerade över tid (Kaplan–Meier), dagar från första uppehållstillståndet"))
        }
        return charts
    }

    /// The standalone page of `shown`.
    public static func html(_ shown: ShownReport, agreementTitle: String, scope: Scope = .joint) -> String {
        Templates.shared.render(model(shown, agreementTitle: agreementTitle, scope: scope), "report-document")
    }
}
