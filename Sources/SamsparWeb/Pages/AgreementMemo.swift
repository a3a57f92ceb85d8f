import Foundation
import SamsparDomain
import SamsparStore

/// Why no decision memo came out.
public enum MemoError: Error, CustomStringConvertible, Equatable {
    case notAParty(String)
    case notAMunicipality(String)

    public var description: String {
        switch self {
        case .notAParty(let org): "\(org) is not a party to this version of the agreement / är inte part i den här versionen"
        case .notAMunicipality(let name):
            "\(name) is not a municipality: a decision memo (tjänsteskrivelse) is written for a municipal party's board / "
                + "\(name) är inte en kommun, och en tjänsteskrivelse skrivs till en kommunal nämnd"
        }
    }
}

/// A municipal party's decision memo (*tjänsteskrivelse*) to its board, made from a draft or a
/// version of the agreement (issue 26, part 3; SPEC §5 `samspar agreement memo`). It has a
/// tjänsteskrivelse's headings: Sammanfattning, Förslag till beslut, Ärendet, Ekonomiska
/// konsekvenser, the three perspectives, Tidplan (only when the agreement has a time plan) and
/// Bilagor. Seed 000, a short missiv, writes *Beslut* where this writes *Förslag till
/// beslut*, and has the rest as prose under *Ärendet*; this memo keeps each part under its own
/// heading, since a board reads the economic consequences and the perspectives apart.
///
/// It is addressed to the body named in the party's latest `decisions[]` entry, or has a line
/// to fill in, and ends as seed 000 does: the förvaltning, and its head's name and title, here
/// as lines to write on (Samspår does not know them). Decided: the memo's date is the day it
/// is printed, and its diarienummer is a line, since the registry, not Samspår, gives it.
public enum AgreementMemo {
    struct Item: Sendable {
        var text: String
    }

    struct CostLine: Sendable {
        var track: String
        var year: String
        var source: String
        var amount: String
    }

    struct Total: Sendable {
        var label: String
        var amount: String
    }

    struct Step: Sendable {
        var date: String
        var text: String
    }

    struct Section: Sendable {
        var heading: String
        var text: String
    }

    struct Model: Sendable {
        var party: String
        var date: String
        var footer: String
        var draft: Bool
        var body: String?
        var subject: String
        var summary: [Item]
        var decider: String
        var proposals: [Item]
        var matter: [Item]
        var tracks: [Item]
        var modelParts: [Section]
        var coordinator: String?
        var decisions: [Item]
        var hasDecisions: Bool
        var ownCosts: [CostLine]
        var hasOwnCosts: Bool
        var ownTotal: String
        var totals: [Total]
        var hasTotals: Bool
        var grants: [Item]
        var hasGrants: Bool
        var perspectives: [Section]
        var timePlan: [Step]
        var hasTimePlan: Bool
        var annexes: [Item]
        /// The stylesheet: a link when served (the pages' CSP allows no inline style), inline
        /// in a file or a PDF.
        var stylesheet: String?
        var inlineCSS: String?
    }

    /// "Syftet är att …" where the purpose begins "Att …", as the seed's does.
    static func purposeSentence(_ purpose: String) -> String {
        purpose.hasPrefix("Att ") ? "Syftet är att " + purpose.dropFirst(4) : "Syftet är: " + purpose
    }

    static func kronor(_ n: Int) -> String { AgreementDocument.kronor(n) }

    /// "A, B och C".
    static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " och " + names.last!
    }

    static func model(_ stored: StoredAgreement, party orgNumber: Organisationsnummer, today: Day, stylesheet: String? = nil) throws(MemoError) -> Model {
        let a = stored.agreement
        guard let party = a.parties.first(where: { $0.orgNumber == orgNumber }) else { throw .notAParty(orgNumber.description) }
        guard party.kind == .municipality else { throw .notAMunicipality(party.name) }
        let names = Dictionary(a.parties.map { ($0.orgNumber, $0.name) }, uniquingKeysWith: { x, _ in x })
        func name(_ n: Organisationsnummer) -> String { names[n] ?? n.description }
        let others = a.parties.filter { $0.orgNumber != orgNumber }.map(\.name)
        let title = "överenskommelse om fördjupad samverkan om nyanländas etablering" + (a.area.map { " – \($0)" } ?? "")
        let body = a.decisions.filter { $0.orgNumber == orgNumber }.max { $0.date < $1.date }?.body
        let period = a.periodMonths == 12 ? "ett år i taget" : "\(a.periodMonths) månader i taget"
        let ownLines = a.costs.filter { $0.orgNumber == orgNumber }
        let ownSum = ownLines.reduce(0) { $0 + $1.amount }
        let totals = a.costTotals()
        let trackNames = Dictionary(a.tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { x, _ in x })
        let version = "version \(stored.version)" + (a.isDraft ? " (utkast)" : "")

        var summary = [
            Item(text: "\(party.name) föreslås ingå en \(title) med \(list(others)). \(a.purpose.map(purposeSentence) ?? "")"),
            Item(
                text: "Överenskommelsen gäller fr.o.m. \(AgreementDocument.longDate(a.validFrom)) och \(period). Den omfattar \(a.tracks.count) lokala spår: "
                    + list(a.tracks.map(\.name)) + "."),
        ]
        summary.append(
            Item(
                text: ownLines.isEmpty
                    ? "\(party.name) har inte fört in några kostnader i överenskommelsen."
                    : "\(party.name)s planerade kostnader är \(kronor(ownSum)), av överenskommelsens sammanlagt \(kronor(totals.total))."))

        var proposals = [
            Item(
                text: "godkänna överenskommelsen om fördjupad samverkan om nyanländas etablering\(a.area.map { " – \($0)" } ?? ""), \(version), enligt bilaga 1"
            )
        ]
        if let signatory = party.signatory {
            proposals.append(
                Item(text: "uppdra åt \([party.title?.lowercased(), signatory].compactMap { $0 }.joined(separator: " ")) att underteckna överenskommelsen"))
        } else {
            proposals.append(Item(text: "utse den som undertecknar överenskommelsen för \(party.name)"))
        }
        for g in a.grants where g.orgNumber == orgNumber && g.granted == nil {
            proposals.append(Item(text: "ansöka om statsbidrag med \(kronor(g.applied)) för \(g.purpose.prefix(1).lowercased() + g.purpose.dropFirst())"))
        }

        let days = a.maxEstablishmentDays
        let goal = days % 365 == 0 && days <= 3 * 365 ? ["", "ett år", "två år", "tre år"][days / 365] : "\(NumberText.integer(days, .sv)) dagar"
        let matter = [
            Item(
                text:
                    "Dua (Delegationen för unga och nyanlända till arbete) främjar samverkan mellan kommuner och Arbetsförmedlingen om nyanländas etablering i arbetslivet. En överenskommelse om fördjupad samverkan beskriver en lokal modell med gemensamma arbetsprocesser och lokala spår till arbete och utbildning."
            ),
            Item(text: "Parter i överenskommelsen är \(list(a.parties.map(\.name)))."),
            Item(
                text:
                    "Det övergripande målet är att långsiktigt korta etableringstiden till \(goal). Med etablering menas arbete med eller utan subvention och reguljära studier."
            ),
            Item(
                text:
                    "Överenskommelsen gäller nyanlända som ska etablera sig på arbetsmarknaden, upp till \(a.targetGroups.monthsSinceFirstPermit) månader efter det första uppehållstillståndet, och unga nyanlända i åldern \(a.targetGroups.minAge)–\(a.targetGroups.maxAge) år som behöver fullfölja en gymnasieutbildning."
            ),
        ]
        let tracks = a.tracks.map { t in
            Item(
                text: t.name + (t.responsible.map { ", ansvarig part \(name($0))" } ?? "")
                    + (t.genderGoal.map {
                        ", minst \(NumberText.percent($0.minShare, .sv)) av dem som fullföljer ska vara \($0.sex == .male ? "män" : "kvinnor")"
                    }
                        ?? ""))
        }
        let modelParts = AgreementDocument.partOrder.compactMap { key, heading in
            a.modelParts[key]?.trimmed.nilIfEmpty.map { Section(heading: heading, text: $0) }
        }
        let coordinator = a.coordinator.map { c in
            "Samordnare för samverkan är "
                + [c.name, c.title?.lowercased(), c.orgNumber.map(name)].compactMap { $0?.trimmed.nilIfEmpty }.joined(separator: ", ")
                + "."
        }
        let decisions = a.decisions.sorted { $0.date < $1.date }.map { Item(text: "\($0.date) \($0.body), \(name($0.orgNumber)): \($0.decision)") }
        let ownCosts = ownLines.map { c in
            CostLine(
                track: c.track.map { trackNames[$0] ?? $0 } ?? "Gemensamt", year: String(c.year),
                source: FundingSourceName.swedish[c.source.rawValue] ?? c.source.rawValue, amount: kronor(c.amount))
        }
        let totalRows =
            totals.byParty.map { Total(label: name($0.0), amount: kronor($0.1)) }
            + totals.bySource.map { Total(label: "Finansiering: \(FundingSourceName.swedish[$0.0.rawValue] ?? $0.0.rawValue)", amount: kronor($0.1)) }
            + [Total(label: "Summa för överenskommelsen", amount: kronor(totals.total))]
        let grants = a.grants.filter { $0.orgNumber == orgNumber }.map { g in
            Item(
                text: "Statsbidrag för \(g.purpose.prefix(1).lowercased() + g.purpose.dropFirst()): ansökt \(kronor(g.applied))"
                    + (g.granted.map { ", beviljat \(kronor($0))" } ?? ", inte beslutat") + (g.reportDue.map { ", redovisas senast \($0)" } ?? "") + ".")
        }
        let perspectives = AgreementDocument.perspectiveNames.map { key, heading in
            Section(heading: heading, text: a.perspectives[key]?.trimmed.nilIfEmpty ?? "Ingen bedömning är införd i överenskommelsen.")
        }
        let timePlan = a.timePlan.sorted { $0.date < $1.date }.map { Step(date: $0.date.description, text: $0.milestone) }
        return Model(
            party: party.name, date: today.description, footer: "Tjänsteskrivelse · \(today)", draft: false, body: body,
            subject: "Förslag till beslut om " + title, summary: summary, decider: body ?? "Nämnden", proposals: proposals, matter: matter,
            tracks: tracks, modelParts: modelParts, coordinator: coordinator, decisions: decisions, hasDecisions: !decisions.isEmpty,
            ownCosts: ownCosts, hasOwnCosts: !ownCosts.isEmpty, ownTotal: kronor(ownSum), totals: totalRows, hasTotals: !a.costs.isEmpty,
            grants: grants, hasGrants: !grants.isEmpty, perspectives: perspectives, timePlan: timePlan, hasTimePlan: !timePlan.isEmpty,
            annexes: [Item(text: "Överenskommelse om fördjupad samverkan om nyanländas etablering\(a.area.map { " – \($0)" } ?? ""), \(version)")],
            stylesheet: stylesheet, inlineCSS: stylesheet == nil ? AgreementDocument.css : nil)
    }

    /// The memo as a standalone, printable HTML page.
    public static func html(_ stored: StoredAgreement, party: Organisationsnummer, today: Day, stylesheet: String? = nil) throws(MemoError) -> String {
        Templates.shared.render(try model(stored, party: party, today: today, stylesheet: stylesheet), "agreement-memo")
    }
}
