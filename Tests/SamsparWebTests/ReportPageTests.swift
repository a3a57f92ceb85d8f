import Foundation
import Testing

@testable import SamsparDomain
@testable import SamsparWeb

/// SPEC §5's `--format html` (and the follow-up's PDF for the boards): a standalone Swedish
/// page written from the report as it may be shown (``ShownReport``).
@Suite struct ReportPageTests {
    static func day(_ text: String) -> Day { try! Day(iso: text) }

    /// Two active people, one of them at a recruitment meeting of the one track.
    static func report() -> Report {
        var r = Report(agreement: "ostra-sodertorn", year: 2018, asOf: day("2019-03-31"))
        r.participants.active = 2
        r.participants.female = 1
        r.participants.male = 1
        r.recruitment = Ratio(1, of: 2)
        var vard = Report.TrackFigures(code: "vard", name: "Vård & omsorg")
        vard.counts[.attended] = 1
        vard.genderGoal = .init(sex: .male, target: 0.4, ratio: Ratio())
        r.tracks = [vard]
        return r
    }

    @Test func aStandaloneSwedishPageWithItsTitleEscaped() {
        let html = ReportPage.html(ShownReport(Self.report(), suppression: nil), agreementTitle: "Östra Södertörn <2018> & co")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<html lang=\"sv\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("</html>"))
        #expect(html.contains("Östra Södertörn &lt;2018&gt; &amp; co"))
        #expect(!html.contains("<2018>"))
        #expect(html.contains("Vård &amp; omsorg"))
        // 1 of 2: 50 %, with a no-break space; the gender goal's target as 40 %, nobody
        // completed, so its share does not apply ("–").
        #expect(html.contains("<td class=\"n\">50\u{00A0}%</td>"))
        #expect(html.contains("– män (mål minst 40\u{00A0}%)"))
        #expect(
            html.contains(
                "<tr><th scope=\"row\">Aktiva deltagare<span class=\"def\">Registrerade senast årets sista dag (eller per-datumet) och inte avslutade före årets början.</span></th><td class=\"n\">2</td></tr>"
            ))
        // Swedish only (issue 26): no English gloss, no code font.
        #expect(!html.contains("lang=\"en\""))
        #expect(!html.contains("<code>"))
        // Standalone: nothing loaded from elsewhere.
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("&lt;5 betyder"))
    }

    @Test func suppressedCountsShowTheirMarkAndTheNoteSaysWhy() {
        let html = ReportPage.html(ShownReport(Self.report(), suppression: Suppression()), agreementTitle: "Östra Södertörn")
        #expect(html.contains("<td class=\"n\">&lt;5</td>"))
        #expect(html.contains("&lt;5 betyder ett litet antal (1–4) som inte visas"))
        // 1 of 2 is a share of small counts: hidden, and said so with "..", not "–".
        #expect(!html.contains("50\u{00A0}%"))
        #expect(
            html.contains(
                "Andel på rekryteringsträff (delmål 1)<span class=\"def\">Andel av de aktiva deltagarna som var på en rekryteringsträff för något yrkesspår under året.</span></th><td class=\"n\">..</td>"
            ))
    }

    @Test func theFollowUpHasItsGoalsActivitiesAndCosts() throws {
        var agreement = try Agreement.parse(json: Caseload.ostraSodertornDocument)
        agreement.subGoals = .init(recruitment: 0.5)
        agreement.costs = []
        let spans = (1...6).map { ActivitySpan(person: Int64($0), kind: "sfi", start: Self.day("2018-01-01"), end: Self.day("2018-01-07"), hoursPerWeek: 7) }
        let followUp = FollowUp(report: Self.report(), agreement: agreement, activities: spans)
        let html = ReportPage.html(ShownReport(Self.report(), suppression: nil, followUp: followUp), agreementTitle: "Östra Södertörn")
        // 1 of 2 ≥ 50 %: met.
        #expect(
            html.contains(
                "Delmål 1: rekryteringsträff<span class=\"def\">Andel av de aktiva deltagarna som var på en rekryteringsträff.</span></th><td class=\"n\">50\u{00A0}%</td><td class=\"nowrap\">minst 50\u{00A0}%</td><td>Uppfyllt"
            ))
        // Six people, 7 hours a week for 7 days each: 42 hours.
        #expect(html.contains("<tr><th scope=\"row\">Sfi</th><td class=\"n\">6</td><td class=\"n\">42,0</td></tr>"))
        #expect(html.contains("Inga kostnader är införda för året."))
    }

    /// Issue 26: the overall goal's outcome is its median against the goal, and a share that
    /// is hidden ("..") is told apart from one with nothing to measure ("–"). Values set by hand
    /// on the shown report: a median of 895 days against 730; one track whose meeting nobody
    /// attended (a shown zero), another whose attendance is itself hidden.
    @Test func theMedianAgainstTheGoalAndHiddenToldFromNotApplicable() {
        var shown = ShownReport(Self.report(), suppression: Suppression())
        shown.establishment.kmMedianDays = 895
        shown.establishment.kmShareWithinGoal = 0.4
        shown.establishment.overallGoalMet = false
        shown.establishment.overallGoalHidden = false
        var none = shown.tracks[0]
        none.events = TrackEventKind.allCases.map { _ in .value(0) }
        none.acceptanceShare = nil
        var hidden = none
        (hidden.code, hidden.name) = ("bygg", "Bygg")
        hidden.events = TrackEventKind.allCases.map { $0 == .attended ? .hidden("<5") : .value(0) }
        shown.tracks = [none, hidden]
        let html = ReportPage.html(shown, agreementTitle: "Östra Södertörn")
        #expect(html.contains("<td class=\"n\">median 895\u{00A0}dagar</td><td class=\"nowrap\">högst 730 dagar</td><td>Ej uppfyllt</td>"))
        #expect(html.contains("<td class=\"n\">895\u{00A0}dagar</td>"))
        #expect(
            html.contains(
                "Andel som tackade ja (delmål 2)<span class=\"def\">Av dem som var på spårets rekryteringsträff: andel som sedan tackade ja.</span></th><td class=\"n\">–</td><td class=\"n\">..</td>"
            ))
        // Without suppression a missing share can only mean nothing to measure.
        var open = ShownReport(Self.report(), suppression: nil)
        open.tracks = [hidden]
        open.tracks[0].events = TrackEventKind.allCases.map { $0 == .attended ? .value(3) : .value(0) }
        #expect(ReportPage.html(open, agreementTitle: "X").contains("andel som sedan tackade ja.</span></th><td class=\"n\">–</td>"))
    }
}
