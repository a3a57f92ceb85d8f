import Foundation
import SamsparDomain
import SamsparStore

/// The figures (SPEC §3): the report and the dashboard, the people behind a figure, and the
/// publications of the year's follow-up. Who sees a report unsuppressed, who may see the people
/// behind a count, who publishes, what the store is asked, and what the audit log records.
public enum FigureOperations {
    /// The acts on figures that a role rule allows (SPEC §1); reading a report or a
    /// publication is for everyone signed in.
    enum Act: RoleRule {
        case seePeopleBehind, publish

        var rule: (Role) -> Bool {
            switch self {
            case .seePeopleBehind: \.readsParticipants
            case .publish: \.managesAgreements
            }
        }

        var what: String {
            switch self {
            case .seePeopleBehind: "see the participants behind a figure"
            case .publish: "publish follow-up reports"
            }
        }
    }

    /// How the caller's reports leave the server: suppressed for a role without access to
    /// individual data, always; for the others when they ask for it.
    static func suppression(for caller: Caller, asked: Bool = false, _ s: Services) -> Suppression? {
        let sees = caller.principal.map { $0.role.seesUnsuppressedReports } ?? true
        return sees && !asked ? nil : s.suppression
    }

    /// The version of agreement `id` in force on `day` (SPEC §2); `nil` when there is none.
    static func inForce(_ id: String, on day: Day, _ caller: Caller, _ s: Services) async throws -> StoredAgreement? {
        try await s.store.agreement(id: id, inForceOn: day)
    }

    /// The report of agreement `id` for `year` as of `asOf` (SPEC §3, §5).
    static func report(_ id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (Report, StoredAgreement) {
        do {
            return try await s.store.report(agreementID: id, year: year, asOf: asOf)
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
    }

    /// The report with the year's follow-up (the operator's `samspar report`): the store's own
    /// errors pass through, for the command line to say.
    public static func followUp(_ id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (Report, StoredAgreement, FollowUp) {
        try await s.store.followUp(agreementID: id, year: year, asOf: asOf)
    }

    /// What the dashboard reads at once, each on reader connections of its own: the facts of
    /// the report and its quarters (read once, issue 10) and the activity volume.
    static func dashboardFacts(_ stored: StoredAgreement, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (
        facts: [RegisteredFacts], activities: [ActivitySpan]
    ) {
        async let loaded = s.store.reportFacts(for: stored.agreement, asOf: asOf)
        async let activityVolume = s.store.activitySpans(for: stored.agreement, year: year, asOf: asOf)
        return (try await loaded, try await activityVolume)
    }

    /// The activity volume of the year (the follow-up for the boards).
    static func activities(_ stored: StoredAgreement, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> [ActivitySpan] {
        try await s.store.activitySpans(for: stored.agreement, year: year, asOf: asOf)
    }

    /// The people behind a count, among those the caller may see, each audited as a read
    /// (SPEC §3: a drill-down lists only people the reader may see and counts nobody else).
    /// Whether a person belongs to the figure is worked out from the visible registrations
    /// and records alone, so that no other party's record, seen without consent, puts a name
    /// on the list or moves its count.
    static func peopleBehind(_ figure: Report.Figure, of id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (
        stored: StoredAgreement, visible: [ParticipantView]
    ) {
        let inForce = try await s.store.agreement(id: id, inForceOn: asOf)
        let latest = try await s.store.agreementVersions(id: id).last
        guard let stored = inForce ?? latest, let viewer = caller.organisation else { throw APIError.notFound() }
        let views = try await s.store.caseload(visibleTo: viewer, on: s.today)
        let input =
            Mutant.flips("pages.drilldown.visibleOnly")
            ? try await s.store.reportInput(for: stored.agreement, asOf: asOf) : visibleInput(views, stored.agreement, asOf)
        let wanted = Set(Report.members(of: figure, for: stored.agreement, year: year, asOf: asOf, input: input))
        let visible = views.filter { wanted.contains($0.person) }
        try await ParticipantOperations.listed(visible.map { ($0.person, $0.parties) }, action: "search", caller, s)
        return (stored, visible)
    }

    /// The report input of what the reader may see: the visible registrations with the events
    /// (of this agreement's tracks) and statuses their parties recorded, merged as SPEC §2 says.
    static func visibleInput(_ views: [ParticipantView], _ agreement: Agreement, _ asOf: Day) -> ReportInput {
        var facts: [RegisteredFacts] = []
        for view in views {
            for registration in view.registrations {
                let events = view.events.filter { $0.recordedBy == registration.party }.compactMap { e -> TrackEventFact? in
                    guard e.value.agreement == nil || e.value.agreement == agreement.id,
                        let track = agreement.tracks.firstIndex(where: { $0.code == e.value.track })
                    else { return nil }
                    return TrackEventFact(person: view.person, track: track, kind: e.value.kind, date: e.value.date)
                }
                let statuses = view.statuses.filter { $0.recordedBy == registration.party }.map {
                    StatusFact(person: view.person, status: $0.value.status, date: $0.value.date)
                }
                facts.append(RegisteredFacts(registration: registration, events: events, statuses: statuses))
            }
        }
        return Registrations.reportInput(facts, asOf: asOf)
    }

    // MARK: Publications

    /// Publishes the year's follow-up (issue 9, part 7): a coordinator of a party; suppressed,
    /// as it goes to the parties' boards; stored with its content hash and never changed.
    static func publish(id: String, year: Int, asOf text: String?, _ caller: Caller, _ s: Services) async throws
        -> PublishedReport
    {
        guard (1900...2200).contains(year) else {
            throw APIError.invalid("nothing was published", problems: [.init(line: 0, column: "year", reason: "must be a year such as 2018")])
        }
        var asOf = s.today
        if let text {
            do { asOf = try Day(plausibleISO: text) } catch {
                throw APIError.invalid("nothing was published", problems: [.init(line: 0, column: "asOf", reason: error.description)])
            }
        }
        // What is published must be what the data can say: not as of a day still to come, nor
        // before the year begins (the same label must never name two documents by design).
        guard asOf <= s.today, asOf >= Day.firstOfYear(year) else {
            throw APIError.invalid(
                "nothing was published", problems: [.init(line: 0, column: "asOf", reason: "must be from \(year)-01-01 through today, \(s.today)")])
        }
        guard let inForce = try await s.store.agreement(id: id, inForceOn: min(Day.lastOfYear(year), asOf)) else {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
        // Only a coordinator of a party to the version in force publishes its follow-up, and
        // only of an agreement every party has signed (a draft may still change under it).
        guard Mutant.decide("publish.party", inForce.agreement.parties.contains(where: { $0.orgNumber == caller.organisation })) else {
            var refusal = APIError.forbidden("your organisation is not a party to \(id) / din organisation är inte part i avtalet")
            refusal.refusal = caller.refusal("not a party to \(id)")
            throw refusal
        }
        guard inForce.agreement.signedByAll else {
            throw APIError.conflict("no version of \(id) is signed by every party: a draft is not published / ett utkast publiceras inte")
        }
        let (year, day) = (year, asOf)
        guard let principal = caller.principal else { throw APIError.badRequest("a publication is made by a party's coordinator") }
        return try await s.store.publishReport(
            agreementID: id, year: year, asOf: day, suppression: s.suppression, by: principal.actor, organisation: principal.organisation,
            audit: { caller.entry("publish", detail: "\(id) \(year) as of \(day): \($0.contentHash)") }, at: s.now())
    }

    /// The publications of agreement `id` (anyone signed in).
    static func publications(_ id: String, _ caller: Caller, _ s: Services) async throws -> [PublishedReport] {
        try await s.store.publishedReports(agreementID: id)
    }

    /// One publication, byte for byte as it was published.
    static func publication(_ number: Int64, of id: String, _ caller: Caller, _ s: Services) async throws -> PublishedReport {
        guard let p = try await s.store.publishedReport(agreementID: id, id: number) else {
            throw APIError.notFound("no such publication / publiceringen finns inte")
        }
        return p
    }
}
