import Foundation
import SamsparDomain
import SamsparStore

/// The agreement as the document the parties sign (issues 9 and 26), in the seed's own
/// structure and words: 1 Parter, 2 Syfte, 3 Mål, 4 Lokal modell, 5 Uppföljning,
/// 6 Överenskommelsens varaktighet och revidering, 7 Underskrifter, then the annexes that carry
/// what the parties wrote (Bilaga 1 Lokal modell, 2 Ekonomiska konsekvenser, 3 Perspektiv, and
/// the decisions and grants where there are any).
///
/// Where the agreement has its own wording (`texts`, SPEC §4) it is printed exactly as written;
/// a standard sentence stands only where it has none, and no standard sentence claims anything
/// the figures do not do. The signature page is made to be signed on paper: one block per
/// party (place and date, a line to sign on, the name and title beneath), never split from its
/// heading; a draft says UTKAST on every page and has empty lines. Every printed page has its
/// number in the Swedish form "1 (4)" and the version and date in its footer.
///
/// One renderer for the command line (`samspar agreement document`, HTML or PDF through
/// headless Chromium), the web page and the API.
public enum AgreementDocument {
    struct Party: Sendable {
        var name: String
        var number: String
        var signatory: String
    }

    struct Item: Sendable {
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
        var responsible: String
        var goal: String
    }

    /// A block to sign in: place and date as written (a line where there is no place or no
    /// date yet), a line to sign on, the name and title beneath.
    struct SignatureBlock: Sendable {
        var place: String?
        var date: String?
        var name: String?
        var title: String?
        var party: String
        var signed: Bool
    }

    /// A table cell; a date or an amount never breaks across lines.
    struct Cell: Sendable {
        var text: String
        var nowrap: Bool
    }

    struct Row: Sendable {
        var cells: [Cell]

        init(cells: [String]) {
            self.cells = cells.map { Cell(text: $0, nowrap: $0.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9 \u{00A0}]+kr/) != nil) }
        }
    }

    struct Total: Sendable {
        var label: String
        var amount: String
    }

    struct Annex: Sendable {
        var heading: String
        var paragraphs: [Item]
        var parts: [Part]
        var tableCaption: String?
        var header: [String]
        var rows: [Row]
        var hasTable: Bool
        var totals: [Total]
        var hasTotals: Bool
    }

    struct Model: Sendable {
        var title: String
        var area: String
        var draft: Bool
        var footer: String
        var parties: [Party]
        var purpose: String
        var overallGoal: String
        var localGoalsLead: String
        var localGoals: [Item]
        var subGoalsLead: String
        var subGoals: [Item]
        var subGoalTargets: [Item]
        var hasSubGoalTargets: Bool
        var groupA: String
        var groupB: String
        var establishmentNote: String
        var groupANote: String
        var modelLead: String
        var modelHeadings: [Item]
        var followUp: String
        var duration: String
        var revision: String
        var termination: String?
        var signatures: [SignatureBlock]
        var annexes: [Annex]
        /// The stylesheet: a link when served, inline in a file (the CSS has no character
        /// that escaping changes, so it is placed escaped like every other value).
        var stylesheet: String?
        var inlineCSS: String?
    }

    static let monthNames = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"]

    /// "1 januari 2018", as the seed writes a date in prose.
    static func longDate(_ day: Day) -> String { "\(day.day) \(monthNames[day.month - 1]) \(day.year)" }

    /// The standard sentences, used only where the agreement has no words of its own. Each is
    /// true of what Samspår does: sub-goal 1 is the agreement's, sub-goals 2–4 each track's.
    enum Standard {
        static let localGoals = "Lokala mål för spåren:"
        static let subGoals = "Delmålen följs upp på samma sätt för alla parter: det första för hela överenskommelsen, de tre andra för varje spår."
        static let model = "Parterna åtar sig att arbeta enligt den lokala modell som beskrivs i bilaga 1."
        static let followUp =
            "Parterna åtar sig att följa upp den fördjupade samverkan. Varje part registrerar sina egna deltagare och deras insatser, och målen mäts på samma sätt för alla parter."
    }

    /// The four sub-goals as the seed words them.
    static let subGoalNames = [
        "Andel deltagare som deltar i rekryteringsträffar om yrkesspår", "Andel deltagare som tackar ja till att välja yrkesspår",
        "Andel deltagare som fullföljer yrkesspår", "Andel deltagare i jobb eller fortsatta studier efter avslutat yrkesspår",
    ]

    /// The version's date for the footer: the last signature's once every party has signed, else none (a draft).
    static func footer(_ stored: StoredAgreement) -> String {
        let a = stored.agreement
        if !a.isDraft, let last = a.signatures.map(\.date).max() { return "Version \(stored.version) · undertecknad \(last)" }
        return "Version \(stored.version) · utkast"
    }

    static func model(_ stored: StoredAgreement, stylesheet: String?) -> Model {
        let a = stored.agreement
        let partyNames = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
        func name(_ n: Organisationsnummer) -> String { partyNames[n] ?? n.description }
        let years = a.maxEstablishmentDays % 365 == 0 ? a.maxEstablishmentDays / 365 : nil
        let yearWords = [1: "ett år", 2: "två år", 3: "tre år"]
        let overall =
            years.flatMap { yearWords[$0] }.map { "Att långsiktigt korta etableringstiden till \($0)¹." }
            ?? "Att långsiktigt korta etableringstiden till högst \(NumberText.integer(a.maxEstablishmentDays, .sv)) dagar¹."
        let months = a.targetGroups.monthsSinceFirstPermit
        let draft = a.isDraft
        // Every party signs: in the order of `signatures[]`, then those who have not yet.
        let signedBy = Set(a.signatures.map(\.orgNumber))
        var blocks = a.signatures.map { s in
            SignatureBlock(
                place: s.place, date: draft ? nil : s.date.description, name: s.name, title: s.title, party: name(s.orgNumber), signed: !draft)
        }
        // A draft's signatures are cleared by any change and bind no one: its lines stay empty.
        if draft { blocks = [] }
        for p in a.parties where draft || !signedBy.contains(p.orgNumber) {
            blocks.append(SignatureBlock(place: nil, date: nil, name: p.signatory, title: p.title, party: p.name, signed: false))
        }
        return Model(
            title: a.title, area: a.area ?? "", draft: draft, footer: footer(stored),
            parties: a.parties.map {
                Party(name: $0.name, number: $0.orgNumber.description, signatory: [$0.signatory, $0.title].compactMap { $0 }.joined(separator: ", "))
            },
            purpose: a.purpose ?? "",
            overallGoal: overall,
            localGoalsLead: a.texts.localGoals ?? Standard.localGoals,
            localGoals: a.tracks.compactMap { t in
                t.genderGoal.map {
                    Item(text: "\(t.name) – \(NumberText.percent($0.minShare, .sv)) som fullföljer spåret ska vara \($0.sex == .male ? "män" : "kvinnor")")
                }
            },
            subGoalsLead: a.texts.subGoals ?? Standard.subGoals,
            subGoals: subGoalNames.map(Item.init(text:)),
            subGoalTargets: subGoalTexts(a.subGoals).map(Item.init(text:)), hasSubGoalTargets: !a.subGoals.isEmpty,
            groupA: "Nyanlända² som ska etablera sig på arbetsmarknaden.",
            groupB: "Unga nyanlända i åldern \(a.targetGroups.minAge)–\(a.targetGroups.maxAge) år som behöver fullfölja en gymnasieutbildning.",
            establishmentNote: "Med etablering menas arbete med eller utan subvention och reguljära studier",
            groupANote: "Upp till \(months) månader efter det första uppehållstillståndet.",
            modelLead: a.texts.model ?? Standard.model,
            modelHeadings: partOrder.map { Item(text: $0.1) },
            followUp: a.texts.followUp ?? Standard.followUp,
            duration: a.texts.duration
                ?? ("Fr.o.m. \(longDate(a.validFrom)) och " + (a.periodMonths == 12 ? "ett år i taget." : "\(a.periodMonths) månader i taget.")),
            revision: a.nextRevision.map { "Nästa revidering sker \($0)." } ?? "Datum för nästa revidering är inte bestämt.",
            termination: a.termination.map { t in
                let last = a.lifecycle(on: t.date).lastDay ?? t.date
                return "Överenskommelsen är uppsagd av \(name(t.orgNumber)) den \(t.date) och gäller till och med \(last)."
            },
            signatures: blocks, annexes: annexes(a, name: name),
            stylesheet: stylesheet, inlineCSS: stylesheet == nil ? css : nil)
    }

    static func kronor(_ n: Int) -> String { NumberText.integer(n, .sv) + "\u{00A0}kr" }

    /// The annexes: what the parties wrote, each on a page of its own.
    static func annexes(_ a: Agreement, name: (Organisationsnummer) -> String) -> [Annex] {
        func annex(_ heading: String) -> Annex {
            Annex(heading: heading, paragraphs: [], parts: [], tableCaption: nil, header: [], rows: [], hasTable: false, totals: [], hasTotals: false)
        }
        var model = annex("Lokal modell")
        model.parts = partOrder.map { key, heading in
            Part(heading: heading, text: a.modelParts[key]?.trimmed.nilIfEmpty ?? "Inte beskrivet ännu.")
        }
        let trackNames = Dictionary(a.tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { x, _ in x })
        model.tableCaption = "Lokala spår"
        model.header = ["Spår", "Slag", "Yrken (SSYK 2012)", "Ansvarig part", "Jämställdhetsmål"]
        model.rows = a.tracks.map { t in
            Row(cells: [
                t.name, t.kind == .vocational ? "yrkesspår" : t.kind == .education ? "utbildningsspår" : "annat spår",
                t.ssyk.map { "\($0) \($0.label)" }.joined(separator: "; ").nilIfEmpty ?? "–", t.responsible.map(name) ?? "–",
                t.genderGoal.map { "minst \(NumberText.percent($0.minShare, .sv)) \($0.sex == .male ? "män" : "kvinnor")" } ?? "–",
            ])
        }
        model.hasTable = !model.rows.isEmpty
        if let c = a.coordinator {
            let who = [c.name, c.title, c.orgNumber.map(name), c.email, c.phone].compactMap { $0?.trimmed.nilIfEmpty }.joined(separator: ", ")
            model.paragraphs = [Item(text: "Samordnare för samverkan: \(who).")]
        }

        var costs = annex("Ekonomiska konsekvenser")
        if a.costs.isEmpty {
            costs.paragraphs = [Item(text: "Parterna har inte fört in några kostnader i överenskommelsen.")]
        } else {
            costs.paragraphs = [Item(text: "Planerade kostnader för de insatser som sker i samverkan, per part och år.")]
            costs.tableCaption = "Kostnader"
            costs.header = ["Spår", "Part", "År", "Finansiering", "Planerat"]
            costs.rows = a.costs.map { c in
                Row(cells: [
                    c.track.map { trackNames[$0] ?? $0 } ?? "Gemensamt", name(c.orgNumber), String(c.year),
                    FundingSourceName.swedish[c.source.rawValue] ?? c.source.rawValue, kronor(c.amount),
                ])
            }
            costs.hasTable = true
            let totals = a.costTotals()
            costs.totals =
                totals.byParty.map { Total(label: "Summa för \(name($0.0))", amount: kronor($0.1)) }
                + totals.bySource.map { Total(label: "Finansiering: \(FundingSourceName.swedish[$0.0.rawValue] ?? $0.0.rawValue)", amount: kronor($0.1)) }
                + [Total(label: "Summa för överenskommelsen", amount: kronor(totals.total))]
            costs.hasTotals = true
        }

        var perspectives = annex("Perspektiv")
        perspectives.paragraphs = [Item(text: "Parternas bedömning av jämställdhets-, barnrätts- och folkhälsoperspektiven.")]
        perspectives.parts = perspectiveNames.map { key, heading in
            Part(heading: heading, text: a.perspectives[key]?.trimmed.nilIfEmpty ?? "Ingen bedömning är införd.")
        }
        var annexes = [model, costs, perspectives]
        if !a.decisions.isEmpty {
            var decisions = annex("Beslut")
            decisions.tableCaption = "Beslut bakom överenskommelsen"
            decisions.header = ["Part", "Organ", "Datum", "Beslut"]
            decisions.rows = a.decisions.map { Row(cells: [name($0.orgNumber), $0.body, $0.date.description, $0.decision]) }
            decisions.hasTable = true
            annexes.append(decisions)
        }
        if !a.grants.isEmpty {
            var grants = annex("Statsbidrag")
            grants.tableCaption = "Ansökta och beviljade statsbidrag"
            grants.header = ["Part", "Ändamål", "Ansökt", "Beviljat", "Redovisas senast"]
            grants.rows = a.grants.map {
                Row(cells: [name($0.orgNumber), $0.purpose, kronor($0.applied), $0.granted.map(kronor) ?? "–", $0.reportDue?.description ?? "–"])
            }
            grants.hasTable = true
            annexes.append(grants)
        }
        for i in annexes.indices { annexes[i].heading = "Bilaga \(i + 1) \(annexes[i].heading)" }
        return annexes
    }

    /// The three perspectives, as the first seed names them.
    static let perspectiveNames: [(String, String)] = [
        ("genderEquality", "Jämställdhetsperspektivet"), ("childRights", "Barnrättsperspektivet"), ("publicHealth", "Folkhälsoperspektivet"),
    ]

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
        (
            "youth",
            "En beskrivning av hur kommunen och Arbetsförmedlingen gemensamt avser att stödja de unga nyanlända som inte har en fullföljd gymnasieutbildning i syfte att fullfölja en gymnasieutbildning och att etablera sig på arbetsmarknaden"
        ),
    ]

    /// The document as a standalone, printable HTML page.
    public static func html(_ stored: StoredAgreement, stylesheet: String? = nil) -> String {
        Templates.shared.render(model(stored, stylesheet: stylesheet), "agreement-document")
    }

    /// Print stylesheet of the documents (agreement and decision memo), placed inline in
    /// files. No `<>&"'` in it.
    static let css = """
        body { font-family: DejaVu Serif, Georgia, serif; font-size: 11.5pt; line-height: 1.45; color: #111111; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.2rem; margin-top: 1.6rem; break-after: avoid; page-break-after: avoid; }
        h3 { font-size: 1.05rem; break-after: avoid; page-break-after: avoid; }
        table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
        thead { display: table-header-group; }
        tr, .keep { break-inside: avoid; page-break-inside: avoid; }
        th, td { border-bottom: 1px solid #777777; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
        td.n { text-align: right; white-space: nowrap; }
        caption { text-align: left; font-weight: bold; }
        .nowrap { white-space: nowrap; }
        .lead { font-size: 1.15rem; margin-top: 0; }
        .draft { border: 2px solid #9b1c1c; color: #9b1c1c; padding: 0.3rem 0.6rem; font-weight: bold; letter-spacing: 0.1em; display: inline-block; }
        .notes { font-size: 0.9rem; }
        ul.parts { list-style: none; padding-left: 0.5rem; }
        .signing { break-inside: avoid; page-break-inside: avoid; }
        .signatures { display: grid; grid-template-columns: 1fr 1fr; gap: 1.6rem 2.5rem; margin-top: 1rem; }
        .signature { break-inside: avoid; page-break-inside: avoid; }
        .signature .line { border-bottom: 1px solid #111111; min-height: 1.5rem; }
        .signature .sign { height: 3.2rem; }
        .signature .label { font-size: 0.75rem; color: #444444; margin: 0.1rem 0 0.5rem; }
        .signature p { margin: 0; }
        .annex { break-before: page; page-break-before: always; }
        .meta { color: #444444; }
        .fill { display: inline-block; min-width: 14rem; border-bottom: 1px solid #111111; }
        .memo-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 2rem; margin-bottom: 1.5rem; }
        .memo-head p { margin: 0.1rem 0; }
        .sign-off { margin-top: 3rem; break-inside: avoid; page-break-inside: avoid; max-width: 22rem; }
        .sign-off .line { border-bottom: 1px solid #111111; height: 2rem; }
        .sign-off .label { font-size: 0.75rem; color: #444444; margin: 0.1rem 0 0.6rem; }
        @page { size: A4; margin: 2cm 2cm 2.2cm; }
        @media print { body { margin: 0; max-width: none; padding: 0; } }
        """
}
