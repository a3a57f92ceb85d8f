import Foundation
import SamsparDomain

/// The follow-up report as a standalone page, Swedish first with English in smaller type
/// (SPEC §5's `--format html`, and through headless Chromium its PDF for the parties'
/// boards). It renders a ``ShownReport``: what suppression hides was decided there, once, and
/// the template only writes it out (every value escaped by Mustache).
public enum ReportPage {
    struct Row: Sendable {
        var sv: String
        var en: String
        var value: String
    }

    struct TrackRow: Sendable {
        var sv: String
        var en: String
        var values: [String]
    }

    struct GoalRow: Sendable {
        var sv: String
        var en: String
        /// ` – ` and the track's name, for a track's sub-goal.
        var track: String
        var value: String
        var target: String
        var met: Bool
        var notMet: Bool
        var unknown: Bool
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

    struct FollowUpModel: Sendable {
        var year: String
        var goals: [GoalRow]
        var activities: [ActivityRow]
        var hasActivities: Bool
        var costs: [CostRow]
        var hasCosts: Bool
        var planned: String
        var spent: String
    }

    struct Model: Sendable {
        var year: String
        var title: String
        var agreement: String
        var asOf: String
        var suppressed: Bool
        var threshold: String
        var largestSmall: String
        var participants: [Row]
        var trackNames: [String]
        var trackRows: [TrackRow]
        var genderGoals: [String]
        var establishment: [Row]
        var followUp: FollowUpModel?
    }

    /// A count, or the mark that hides it.
    static func text(_ figure: ShownReport.Figure) -> String {
        switch figure {
        case .value(let n): String(n)
        case .hidden(let mark): mark
        }
    }

    /// A share as a percentage with one decimal at most and a decimal comma ("66,7 %").
    static func percent(_ share: Double?) -> String {
        guard let share else { return "–" }
        let scaled = (share * 100 * 10).rounded() / 10
        let number = scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
        return (number + "\u{00A0}%").replacing(".", with: ",")
    }

    static func decimal(_ d: Double?) -> String { d.map { String($0).replacing(".", with: ",") } ?? "–" }

    static func kronor(_ n: Int?) -> String { n.map { NumberText.integer($0, .sv) + "\u{00A0}kr" } ?? "–" }

    static func model(_ shown: ShownReport, agreementTitle: String) -> Model {
        let p = shown.participants
        let participants = [
            Row(sv: "Aktiva", en: "Active", value: text(p.active)), Row(sv: "Kvinnor", en: "Women", value: text(p.female)),
            Row(sv: "Män", en: "Men", value: text(p.male)), Row(sv: "Målgrupp A", en: "Target group A", value: text(p.targetGroupA)),
            Row(sv: "Målgrupp B", en: "Target group B", value: text(p.targetGroupB)),
            Row(sv: "Andel på rekryteringsträff (delmål 1)", en: "Recruitment share", value: percent(shown.recruitmentShare)),
        ]
        // One column per track, one row per figure: four tracks fit a page, ten figures would not.
        let tracks = shown.tracks
        let names: [(TrackEventKind, String, String)] = [
            (.invited, "Inbjudna till rekryteringsträff", "Invited"), (.attended, "Deltog i rekryteringsträff", "Attended"),
            (.accepted, "Tackade ja", "Accepted"), (.declined, "Tackade nej", "Declined"), (.started, "Började", "Started"),
            (.completed, "Fullföljde", "Completed"), (.discontinued, "Avbröt", "Discontinued"),
        ]
        var trackRows = names.map { kind, sv, en in TrackRow(sv: sv, en: en, values: tracks.map { text($0.count(kind)) }) }
        trackRows += [
            TrackRow(sv: "Andel som tackade ja (delmål 2)", en: "Acceptance share", values: tracks.map { percent($0.acceptanceShare) }),
            TrackRow(sv: "Andel som fullföljde (delmål 3)", en: "Completion share", values: tracks.map { percent($0.completionShare) }),
            TrackRow(sv: "Andel i arbete eller studier 90 dagar efter (delmål 4)", en: "Outcome share", values: tracks.map { percent($0.outcomeShare) }),
        ]
        let genderGoals = tracks.map { t -> String in
            guard let g = t.genderGoal else { return "–" }
            var goal = "minst \(percent(g.target)) \(g.sex == .male ? "män" : "kvinnor"): \(percent(g.share))"
            if let met = g.met { goal += met ? " – uppfyllt" : " – ej uppfyllt" }
            return goal
        }
        let e = shown.establishment
        let establishment = [
            Row(sv: "I målgrupp A", en: "In target group A", value: text(e.population)), Row(sv: "Mätbara", en: "Measurable", value: text(e.measurable)),
            Row(sv: "Etablerade inom målet", en: "Established within goal", value: text(e.establishedWithinGoal)),
            Row(sv: "Andel inom målet", en: "Share within goal", value: percent(e.shareWithinGoal)),
            Row(sv: "Andel inom målet (Kaplan–Meier)", en: "Share within goal (Kaplan–Meier)", value: percent(e.kmShareWithinGoal)),
            Row(sv: "Mediantid i dagar (Kaplan–Meier)", en: "Median days (Kaplan–Meier)", value: e.kmMedianDays.map { String($0) } ?? "–"),
        ]
        let threshold = shown.threshold ?? Suppression.defaultThreshold
        return Model(
            year: String(shown.year), title: agreementTitle, agreement: shown.agreement, asOf: shown.asOf.description, suppressed: shown.suppressed,
            threshold: String(threshold), largestSmall: String(threshold - 1), participants: participants, trackNames: tracks.map(\.name),
            trackRows: trackRows, genderGoals: genderGoals, establishment: establishment,
            followUp: shown.followUp.map { followUp($0, shown) })
    }

    static func followUp(_ f: ShownReport.FollowUpFigures, _ shown: ShownReport) -> FollowUpModel {
        let goalNames: [FollowUp.SubGoal: (String, String)] = [
            .recruitment: ("Andel på rekryteringsträff (delmål 1)", "Recruitment share"), .acceptance: ("Andel som tackade ja (delmål 2)", "Acceptance share"),
            .completion: ("Andel som fullföljde (delmål 3)", "Completion share"), .outcome: ("Andel i arbete eller studier (delmål 4)", "Outcome share"),
        ]
        let trackNames = Dictionary(shown.tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        func verdict(_ met: Bool?) -> (Bool, Bool, Bool) { (met == true, met == false, met == nil) }
        let days = shown.establishment.goalDays
        let overall = verdict(f.overallGoalMet)
        var goals = [
            GoalRow(
                sv: "Övergripande mål: etableringstid högst \(days) dagar (median)", en: "Overall goal", track: "", value: "–", target: "≤ \(days)",
                met: overall.0, notMet: overall.1, unknown: overall.2)
        ]
        for t in f.subGoals {
            let names = goalNames[t.goal] ?? ("", "")
            let v = verdict(t.met)
            goals.append(
                GoalRow(
                    sv: names.0, en: names.1, track: t.track.map { " – " + (trackNames[$0] ?? $0) } ?? "", value: percent(t.share),
                    target: "≥ " + percent(t.target), met: v.0, notMet: v.1, unknown: v.2))
        }
        let activities = f.activities.map {
            ActivityRow(name: ActivityKindName.swedish[$0.kind] ?? $0.kind, participants: text($0.participants), hours: decimal($0.hours))
        }
        let costs = f.costs.map { c in
            CostRow(
                track: c.track.map { trackNames[$0] ?? $0 } ?? "Gemensamt", party: f.partyNames[c.orgNumber.description] ?? c.orgNumber.description,
                source: FundingSourceName.swedish[c.source.rawValue] ?? "", planned: kronor(c.amount), spent: kronor(c.spent))
        }
        return FollowUpModel(
            year: String(shown.year), goals: goals, activities: activities, hasActivities: !activities.isEmpty, costs: costs, hasCosts: !costs.isEmpty,
            planned: kronor(f.totals.total), spent: kronor(f.totals.spent))
    }

    /// The standalone page of `shown`.
    public static func html(_ shown: ShownReport, agreementTitle: String) -> String {
        Templates.shared.render(model(shown, agreementTitle: agreementTitle), "report-document")
    }
}
