import Foundation
import SamsparDomain
import SamsparStore

/// A quarter's close as its two stored forms (SPEC §3): the whole follow-up document (the
/// report with its follow-up, per-municipality counts, funnels and the Kaplan–Meier steps),
/// once unsuppressed and once suppressed at the threshold of the moment. The suppressed form
/// also hides every count that some registering organisation's own figures, at that moment,
/// match to within the threshold (``Report/nearOwn(_:own:threshold:)``).
enum CloseDocument {
    static func make(stored: StoredAgreement, quarter: Quarter, snapshot: CloseSnapshot, suppression: Suppression) -> (
        unsuppressed: String, suppressed: String
    ) {
        let agreement = stored.agreement
        let (year, asOf) = (quarter.year, quarter.lastDay)
        func compute(_ input: ReportInput, _ spans: [ActivitySpan]) -> (Report, FollowUp) {
            let report = Report.compute(for: agreement, year: year, asOf: asOf, input: input)
            return (report, FollowUp(report: report, agreement: agreement, activities: spans))
        }
        let (report, followUp) = compute(Registrations.reportInput(snapshot.facts, asOf: asOf), snapshot.activities)
        var own: [[CountKey: Int]] = []
        // An organisation that may see nobody of the population has figures of zero: computed once.
        var sawNobody = false
        for (_, visible) in snapshot.visible.sorted(by: { $0.key < $1.key }) {
            if visible.isEmpty {
                if sawNobody { continue }
                sawNobody = true
            }
            let (positions, spans) = FigureOperations.own(snapshot.facts, snapshot.activities, visible: visible)
            let (r, f) = compute(Registrations.reportInput(snapshot.facts, at: positions, asOf: asOf), spans)
            own.append(r.counts(activities: f.activities))
        }
        let hidden = Report.nearOwn(report.counts(activities: followUp.activities), own: own, threshold: suppression.threshold)
        func form(_ suppression: Suppression?) -> String {
            var shown = ShownReport(report, suppression: suppression, agreementVersion: stored.version, followUp: followUp, nearOwn: hidden)
            shown.scope = FigureOperations.Scope.joint.rawValue
            shown.quarter = quarter
            shown.keepSteps(of: report.establishment.kaplanMeier)
            return shown.json.serialized(pretty: true)
        }
        return (form(nil), form(suppression))
    }
}
