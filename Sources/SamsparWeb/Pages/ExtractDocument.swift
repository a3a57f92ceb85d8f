import Foundation
import SamsparDomain
import SamsparStore

/// The register extract as a printable document in Swedish, in plain words, each field with
/// what it means (issue 23, part 1): the auditor's `/granskning/utdrag.html` and `.pdf`. The
/// same content as ``ExtractOperations/document(_:)``.
enum ExtractDocument {
    struct Field {
        var label: String
        var value: String
        var meaning: String
    }
    struct Row {
        var date = "", track = "", kind = "", reason = "", status = "", activity = "", start = "", end = "", hours = "", provider = ""
        var party = "", from = "", until = "", withdrawn = "", at = "", organisation = "", role = "", action = "", name = ""
    }
    struct Model {
        var css: String
        var organisation: String
        var number: String
        var person: String
        var madeOn: String
        var holds: Bool
        var summary: String
        var fields: [Field] = []
        // Stored, not computed: templates see a model's stored properties only (by reflection).
        var events: [Row] = []
        var statuses: [Row] = []
        var activities: [Row] = []
        var consents: [Row] = []
        var log: [Row] = []
        var recipients: [Row] = []
        var hasEvents = false
        var hasStatuses = false
        var hasActivities = false
        var hasConsents = false
        var hasLog = false
        var hasRecipients = false
        var purpose: String
        var jointFigures: String
        var retention: String
        var source: String
        var complaint: String
    }

    static func word(_ key: String, _ fallback: String) -> String { Strings.sv[key] ?? fallback }

    /// Print stylesheet, written into the page escaped like all text: so it holds none of
    /// `<>&"'` (font names unquoted).
    static let css = """
        body { font-family: DejaVu Serif, Georgia, serif; font-size: 11pt; line-height: 1.45; color: #111111; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.2rem; margin-top: 1.4rem; }
        h3 { font-size: 1.05rem; }
        table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
        th, td { border-bottom: 1px solid #777777; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
        caption { text-align: left; font-weight: bold; }
        .meta { color: #444444; }
        .nowrap { white-space: nowrap; }
        @page { size: A4; margin: 2cm; }
        @media print { body { margin: 0; max-width: none; } }
        """

    static func html(_ e: ExtractOperations.Extract, names: [Organisationsnummer: String]) -> String {
        typealias W = ExtractOperations.Words
        let name = { (o: Organisationsnummer?) in o.map { names[$0].map { n in "\(n) (\(o!))" } ?? $0.description } ?? "–" }
        var model = Model(
            css: css, organisation: e.organisation.name, number: e.organisation.number.description, person: e.person.description,
            madeOn: e.madeOn.description, holds: e.registration != nil,
            summary: e.registration == nil ? W.nothing(e.organisation) : W.source(e.organisation), purpose: W.purpose, jointFigures: W.jointFigures,
            retention: e.retention.map(W.retention) ?? W.noDecision, source: W.source(e.organisation), complaint: W.complaint)
        if let view = e.registration, let registration = view.registrations.first {
            let r = registration.record
            let day = { (d: Day?) in d?.description ?? "–" }
            model.fields = [
                Field(label: "Förnamn", value: r.givenName ?? "–", meaning: "Ditt förnamn som vi har registrerat det."),
                Field(label: "Efternamn", value: r.familyName ?? "–", meaning: "Ditt efternamn som vi har registrerat det."),
                Field(label: "Kön", value: word("sex." + r.sex.rawValue, r.sex.rawValue), meaning: "Används bara för att räkna målet om jämn könsfördelning."),
                Field(label: "Hemkommun", value: r.municipality.description, meaning: "Kommunkoden för den kommun där du är folkbokförd."),
                Field(
                    label: "Första uppehållstillstånd", value: day(r.firstPermitDate),
                    meaning: "Dagen då du fick ditt första uppehållstillstånd. Målen räknas från den."),
                Field(label: "Registrerad", value: day(r.registeredOn), meaning: "Dagen då du registrerades i samverkan."),
                Field(label: "Avslutad", value: day(r.exitedOn), meaning: "Dagen då du lämnade samverkan, om du har gjort det."),
                Field(label: "Orsak till avslut", value: r.exitReason ?? "–", meaning: "Varför du lämnade samverkan, om det är registrerat."),
                Field(
                    label: "Gymnasieutbildning", value: r.upperSecondaryCompleted ? "fullföljd" : "inte fullföljd",
                    meaning: "Om du har fullföljt gymnasiet. Avgör om du hör till målgruppen unga."),
                Field(label: "Utbildningsnivå", value: r.educationLevel ?? "–", meaning: "Din högsta utbildning, som den är registrerad."),
                Field(
                    label: "Skyddad identitet", value: registration.isProtected ? "ja" : "nej",
                    meaning:
                        "Ja betyder att vi har markerat att dina uppgifter är skyddade. Då visas ditt namn och personnummer bara för den som skriver varför, och andra parter ser inte var du bor eller var du är om dagarna."
                ),
            ]
            model.events = view.events.map {
                Row(
                    date: $0.value.date.description, track: $0.value.track, kind: word("event." + $0.value.kind.rawValue, $0.value.kind.rawValue),
                    reason: $0.value.reason ?? "")
            }
            model.statuses = view.statuses.map {
                Row(date: $0.value.date.description, status: word("status." + $0.value.status.rawValue, $0.value.status.rawValue))
            }
            model.activities = view.activities.map {
                Row(
                    activity: word("activity." + $0.value.activity.rawValue, $0.value.activity.rawValue), start: $0.value.start.description,
                    end: $0.value.end?.description ?? "pågår",
                    hours: $0.value.hoursPerWeek.map { String(format: "%.1f", $0).replacingOccurrences(of: ".", with: ",") } ?? "",
                    provider: $0.value.provider ?? "")
            }
            model.consents = view.consents.map {
                Row(
                    party: name($0.party), from: $0.validFrom.description, until: $0.validUntil?.description ?? "tills vidare",
                    withdrawn: $0.withdrawnOn?.description ?? "–")
            }
            model.recipients = view.consents.filter { $0.withdrawnOn == nil }.map { Row(name: name($0.party)) }
            model.log = e.accessLog.map {
                Row(
                    at: String($0.at.prefix(16)).replacingOccurrences(of: "T", with: " "), organisation: name($0.draft.organisation),
                    role: word("role." + $0.draft.role, $0.draft.role), action: word("audit.action." + $0.draft.action, $0.draft.action))
            }
        }
        model.hasEvents = !model.events.isEmpty
        model.hasStatuses = !model.statuses.isEmpty
        model.hasActivities = !model.activities.isEmpty
        model.hasConsents = !model.consents.isEmpty
        model.hasLog = !model.log.isEmpty
        model.hasRecipients = !model.recipients.isEmpty
        return Templates.shared.render(model, "extract-document")
    }
}
