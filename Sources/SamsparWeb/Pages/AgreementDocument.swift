import Foundation
import SamsparDomain
import SamsparStore

/// The agreement as the document the parties sign (issue 9, part 6), in the seed's own
/// structure: 1 Parter, 2 Syfte, 3 Mål, 4 Lokal modell, 5 Uppföljning, 6 Överenskommelsens
/// varaktighet och revidering, 7 Underskrifter. Swedish, with Swedish numbers ("40 %"). One
/// renderer for the command line (`samspar agreement document`, HTML or PDF through headless
/// Chromium), the web page and the API.
public enum AgreementDocument {
    struct Party: Sendable {
        var name: String
        var number: String
        var signatory: String
    }

    struct Goal: Sendable {
        var text: String
    }

    struct Part: Sendable {
        var heading: String
        var text: String
    }

    struct Track: Sendable {
        var name: String
        var kind: String
        var occupations: String
        var goal: String
    }

    struct Signature: Sendable {
        var placeAndDate: String
        var name: String
        var title: String
        var party: String
    }

    struct Model: Sendable {
        var title: String
        var area: String
        var version: String
        var parties: [Party]
        var purpose: String
        var overallGoal: String
        var localGoals: [Goal]
        var groupA: String
        var groupB: String
        var modelParts: [Part]
        var tracks: [Track]
        var validity: String
        var revision: String
        var signatures: [Signature]
        var unsigned: [Party]
        /// The stylesheet: a link when served, inline in a file (the CSS has no character
        /// that escaping changes, so it is placed escaped like every other value).
        var stylesheet: String?
        var inlineCSS: String?
    }

    static let monthNames = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"]

    /// "1 januari 2018", as the seed writes a date in prose.
    static func longDate(_ day: Day) -> String { "\(day.day) \(monthNames[day.month - 1]) \(day.year)" }

    static func model(_ stored: StoredAgreement, stylesheet: String?) -> Model {
        let a = stored.agreement
        let partyNames = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
        let years = a.maxEstablishmentDays % 365 == 0 ? a.maxEstablishmentDays / 365 : nil
        let yearWords = [1: "ett år", 2: "två år", 3: "tre år"]
        let overall =
            years.flatMap { yearWords[$0] }.map { "Att långsiktigt korta etableringstiden till \($0)." }
            ?? "Att långsiktigt korta etableringstiden till högst \(NumberText.integer(a.maxEstablishmentDays, .sv)) dagar."
        let signed = Set(a.signatures.map(\.orgNumber))
        return Model(
            title: a.title, area: a.area ?? "", version: "Version \(stored.version)",
            parties: a.parties.map {
                Party(name: $0.name, number: $0.orgNumber.description, signatory: [$0.signatory, $0.title].compactMap { $0 }.joined(separator: ", "))
            },
            purpose: a.purpose ?? "",
            overallGoal: overall + " Med etablering menas arbete med eller utan subvention och reguljära studier.",
            localGoals: a.tracks.compactMap { t in
                t.genderGoal.map {
                    Goal(text: "\(t.name) – \(NumberText.percent($0.minShare, .sv)) som fullföljer spåret ska vara \($0.sex == .male ? "män" : "kvinnor")")
                }
            } + subGoalTexts(a.subGoals).map(Goal.init(text:)),
            groupA:
                "A. Nyanlända som ska etablera sig på arbetsmarknaden, upp till \(a.targetGroups.monthsSinceFirstPermit) månader efter det första uppehållstillståndet.",
            groupB: "B. Unga nyanlända i åldern \(a.targetGroups.minAge)–\(a.targetGroups.maxAge) år som behöver fullfölja en gymnasieutbildning.",
            modelParts: Self.partOrder.compactMap { key, heading in a.modelParts[key].map { Part(heading: heading, text: $0) } }
                + a.modelParts.filter { k, _ in !Self.partOrder.contains { $0.0 == k } }.sorted { $0.key < $1.key }.map {
                    Part(heading: $0.key, text: $0.value)
                },
            tracks: a.tracks.map { t in
                Track(
                    name: t.name, kind: t.kind == .vocational ? "yrkesspår" : t.kind == .education ? "utbildningsspår" : "annat spår",
                    occupations: t.ssyk.map { "\($0) \($0.label)" }.joined(separator: "; ")
                        + (t.responsible.map { (t.ssyk.isEmpty ? "" : ". ") + "Ansvarig part: \(partyNames[$0] ?? $0.description)" } ?? ""),
                    goal: t.genderGoal.map { "minst \(NumberText.percent($0.minShare, .sv)) \($0.sex == .male ? "män" : "kvinnor")" } ?? "–")
            },
            validity: "Överenskommelsen gäller fr.o.m. \(longDate(a.validFrom)) och "
                + (a.periodMonths == 12 ? "ett år i taget." : "\(a.periodMonths) månader i taget.") + " Överenskommelsen revideras årligen.",
            revision: (a.nextRevision.map { "Nästa revidering sker \($0)." } ?? "Datum för nästa revidering är inte bestämt.")
                + (a.termination.map { t in
                    let last = a.lifecycle(on: t.date).lastDay ?? t.date
                    return
                        " Överenskommelsen är uppsagd av \(partyNames[t.orgNumber] ?? t.orgNumber.description) den \(t.date) och gäller till och med \(last)."
                } ?? ""),
            signatures: a.signatures.map { s in
                Signature(
                    placeAndDate: [s.place, s.date.description].compactMap { $0 }.joined(separator: " "), name: s.name, title: s.title ?? "",
                    party: "\(partyNames[s.orgNumber] ?? "") (\(s.orgNumber))")
            },
            unsigned: a.parties.filter { !signed.contains($0.orgNumber) }.map {
                Party(name: $0.name, number: $0.orgNumber.description, signatory: $0.signatory ?? "")
            },
            stylesheet: stylesheet, inlineCSS: stylesheet == nil ? css : nil)
    }

    /// The sub-goals' targets the parties set (issue 9, part 2), in the words of the follow-up.
    static func subGoalTexts(_ g: Agreement.SubGoalTargets) -> [String] {
        func pct(_ d: Double) -> String { NumberText.percent(d, .sv) }
        var texts: [String] = []
        if let v = g.recruitment { texts.append("Delmål 1 – minst \(pct(v)) av deltagarna deltar i en rekryteringsträff under året.") }
        if let v = g.acceptance { texts.append("Delmål 2 – minst \(pct(v)) av dem som deltar i ett spårs rekryteringsträff tackar ja till spåret.") }
        if let v = g.completion { texts.append("Delmål 3 – minst \(pct(v)) av dem som avslutar ett spår fullföljer det.") }
        if let v = g.outcome {
            texts.append("Delmål 4 – minst \(pct(v)) av dem som fullföljer ett spår har arbete eller studerar 90 dagar efteråt.")
        }
        return texts
    }

    /// The five parts of the local model, in the seed's order and words.
    static let partOrder: [(String, String)] = [
        ("skillsNeed", "En kartläggning och en analys av det lokala kompetensförsörjningsbehovet"),
        ("targetGroup", "En kartläggning och en analys av målgruppens sammansättning och behov"),
        ("organisation", "En beskrivning av hur verksamheten i samverkan ska bedrivas och organiseras"),
        ("tracks", "En beskrivning av de (minst tre) lokala spår som den lokala modellen omfattar"),
        ("youth", "Hur kommunen och Arbetsförmedlingen gemensamt stödjer unga nyanlända utan fullföljd gymnasieutbildning"),
    ]

    /// The document as a standalone, printable HTML page.
    public static func html(_ stored: StoredAgreement, stylesheet: String? = nil) -> String {
        Templates.shared.render(model(stored, stylesheet: stylesheet), "agreement-document")
    }

    /// Print stylesheet of the document, placed inline in files. No `<>&"'` in it.
    static let css = """
        body { font-family: "DejaVu Serif", Georgia, serif; font-size: 11.5pt; line-height: 1.45; color: #111111; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.2rem; margin-top: 1.6rem; }
        h3 { font-size: 1.05rem; }
        table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
        th, td { border-bottom: 1px solid #777777; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
        caption { text-align: left; font-weight: bold; }
        .signatures { display: grid; grid-template-columns: 1fr 1fr; gap: 1.2rem 2rem; margin-top: 1rem; }
        .signature { border-top: 1px solid #111111; padding-top: 0.3rem; page-break-inside: avoid; }
        .meta { color: #444444; }
        @page { size: A4; margin: 2cm; }
        @media print { body { margin: 0; max-width: none; } }
        """
}
