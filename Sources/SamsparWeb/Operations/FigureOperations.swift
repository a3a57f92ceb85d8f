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
        case seePeopleBehind, publish, readLive

        var rule: (Role) -> Bool {
            switch self {
            case .seePeopleBehind: \.readsParticipants
            case .publish: \.managesAgreements
            case .readLive: \.seesLiveFigures
            }
        }

        var what: String {
            switch self {
            case .seePeopleBehind: "see the participants behind a figure"
            case .publish: "publish follow-up reports"
            case .readLive: "see live figures"
            }
        }
    }

    /// Whose records a reader's live figures are of (SPEC §3, *Who sees which figures*).
    public enum Scope: String, Sendable {
        /// Every party's registrations and records, merged.
        case joint
        /// What the reader's organisation may see on the day of access.
        case own
    }

    /// The live figures a caller may see of agreement `id`: joint for the operator and for a
    /// coordinator of an organisation that holds no registrations and is a party to a
    /// version of the agreement signed by every party; own for every other coordinator, a
    /// caseworker and a token; none (`403 figures_not_live`, audited as a refusal) for an
    /// analyst, an auditor or an admin. Secrecy separates organisations, not roles: an
    /// organisation that registers people never sees joint figures live.
    static func scope(_ id: String, _ caller: Caller, _ s: Services) async throws -> Scope {
        guard let principal = caller.principal else { return .joint }
        guard Mutant.decide("figures.live", Act.readLive.allows(principal)) else {
            var refusal = APIError(
                status: .forbidden, code: "figures_not_live",
                message:
                    "the role \(principal.role.rawValue) sees no live figures: read the quarters' closes and the publications / rollen ser inga löpande siffror: läs kvartalsbokslut och publiceringar"
            )
            refusal.refusal = caller.refusal("no live figures for the role \(principal.role.rawValue)")
            throw refusal
        }
        return try await readsJoint(id, principal, s) ? .joint : .own
    }

    /// Whether `principal` reads agreement `id`'s joint figures: a coordinator of an
    /// organisation that holds no registrations, party to a version signed by every party.
    static func readsJoint(_ id: String, _ principal: Principal, _ s: Services) async throws -> Bool {
        guard principal.role == .coordinator else { return Mutant.flips("figures.scope.joint") }
        let versions = try await s.store.agreementVersions(id: id)
        let party = versions.contains { $0.agreement.signedByAll && $0.agreement.parties.contains { $0.orgNumber == principal.organisation } }
        let holds = try await s.store.holdsRegistrations(principal.organisation)
        return Mutant.decide("figures.scope.joint", party && !holds)
    }

    /// How the caller's live figures leave the server: unsuppressed, unless they ask for
    /// suppression (`?suppress=true`, `--suppress`).
    static func suppression(asked: Bool, _ s: Services) -> Suppression? { asked ? s.suppression : nil }

    /// The version of agreement `id` in force on `day` (SPEC §2); `nil` when there is none.
    static func inForce(_ id: String, on day: Day, _ caller: Caller, _ s: Services) async throws -> StoredAgreement? {
        try await s.store.agreement(id: id, inForceOn: day)
    }

    /// What live figures of one agreement, year and as-of are computed from, in the caller's
    /// scope, and the scope.
    struct Live: Sendable {
        var stored: StoredAgreement
        var scope: Scope
        var facts: [RegisteredFacts]
        var activities: [ActivitySpan]

        func report(year: Int, asOf: Day) -> Report {
            Report.compute(for: stored.agreement, year: year, asOf: asOf, input: Registrations.reportInput(facts, asOf: asOf))
        }
    }

    /// The facts of agreement `id`'s live figures for `year` as of `asOf`, as the caller may
    /// see them (``scope(_:_:_:)``). A joint read by a signed-in coordinator is audited with
    /// the agreement, year and as-of, and listed to the auditors of every party to the
    /// agreement (subjects without a person: person 0 and the party).
    static func live(_ id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> Live {
        let scope = try await scope(id, caller, s)
        guard let stored = try await s.store.agreement(id: id, inForceOn: min(Day.lastOfYear(year), asOf)) else {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
        async let loaded = s.store.reportFacts(for: stored.agreement, asOf: asOf)
        async let spans = s.store.activitySpans(for: stored.agreement, year: year, asOf: asOf)
        var (facts, activities) = (try await loaded, try await spans)
        switch scope {
        case .own:
            guard let viewer = caller.organisation else { throw APIError.unauthenticated }
            let visible = try await s.store.visibleRegistrations(to: viewer, on: s.today)
            let (positions, spans) = own(facts, activities, visible: visible)
            (facts, activities) = (positions.map { facts[$0] }, spans)
        case .joint:
            if caller.principal != nil {
                let parties = Set(try await s.store.agreementVersions(id: id).flatMap { $0.agreement.parties.map(\.orgNumber) }).sorted()
                try await s.auditBuffer.record([
                    caller.entry(
                        "read-joint-figures", detail: "\(id) \(year) as of \(asOf)", registrations: parties.map { PersonParty(person: 0, org: $0.value) })
                ])
            }
        }
        return Live(stored: stored, scope: scope, facts: facts, activities: activities)
    }

    /// One organisation's own share of the facts: the positions in `facts` of the
    /// registrations (with the records their party keeps), and the activities, that `visible`
    /// names (SPEC §3, *own* figures), for ``Registrations/reportInput(_:at:asOf:)``.
    static func own(_ facts: [RegisteredFacts], _ activities: [ActivitySpan], visible: Set<PersonParty>) -> (positions: [Int], spans: [ActivitySpan]) {
        if Mutant.flips("figures.own.visible") { return (Array(facts.indices), activities) }
        // Positions, so that no registration is copied (a close makes this for every
        // registering party of a national agreement, 35 quarters over).
        var kept: [Int] = []
        for i in facts.indices where visible.contains(PersonParty(person: facts[i].registration.record.person.value, org: facts[i].registration.party.value)) {
            kept.append(i)
        }
        // Activities come in person order, a person's mostly from one party: the answer for the
        // last registration asked is kept, so that most activities need no lookup (hashing was
        // a tenth of the national closes).
        var spans: [ActivitySpan] = []
        var last: (registration: PersonParty, kept: Bool)? = nil
        for i in activities.indices {
            let registration = PersonParty(person: activities[i].person, org: activities[i].party)
            let kept: Bool
            if let last, last.registration == registration {
                kept = last.kept
            } else {
                kept = visible.contains(registration)
                last = (registration, kept)
            }
            if kept { spans.append(activities[i]) }
        }
        return (kept, spans)
    }

    /// The report of agreement `id` for `year` as of `asOf` (SPEC §3, §5) in the caller's scope.
    static func report(_ id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (Report, StoredAgreement, Scope) {
        let live = try await live(id, year: year, asOf: asOf, caller, s)
        return (live.report(year: year, asOf: asOf), live.stored, live.scope)
    }

    /// The report with the year's follow-up (the operator's `samspar report`): the store's own
    /// errors pass through, for the command line to say.
    public static func followUp(_ id: String, year: Int, asOf: Day, _ caller: Caller, _ s: Services) async throws -> (Report, StoredAgreement, FollowUp) {
        try await s.store.followUp(agreementID: id, year: year, asOf: asOf)
    }

    /// The people behind a count, among those the caller may see, each audited as a read
    /// (SPEC §3: a drill-down lists only people the reader may see and counts nobody else).
    /// Whether a person belongs to the figure is worked out from the visible registrations
    /// and records alone, so that no other party's record, seen without consent, puts a name
    /// on the list or moves its count.
    ///
    /// The people are in identity-number order; `page` (1-based, `pageSize` a page) picks the
    /// ones shown, and only those are audited as read: `total` counts them all.
    static func peopleBehind(
        _ figure: Report.Figure, of id: String, year: Int, asOf: Day, page: Int, pageSize: Int, _ caller: Caller, _ s: Services
    ) async throws -> (stored: StoredAgreement, total: Int, page: Int, shown: [ParticipantView]) {
        // Only a version signed by every party has figures (SPEC §2): a draft-only agreement has
        // no people behind any figure, to anyone.
        guard let stored = try await s.store.agreement(id: id, inForceOn: asOf), let viewer = caller.organisation else { throw APIError.notFound() }
        let views = try await s.store.caseload(visibleTo: viewer, on: s.today)
        let input =
            Mutant.flips("pages.drilldown.visibleOnly")
            ? try await s.store.reportInput(for: stored.agreement, asOf: asOf) : visibleInput(views, stored.agreement, asOf)
        let wanted = Set(Report.members(of: figure, for: stored.agreement, year: year, asOf: asOf, input: input))
        let visible = views.filter { wanted.contains($0.person) }.sorted { $0.person < $1.person }
        let pages = max(1, (visible.count + pageSize - 1) / pageSize)
        let page = min(max(1, page), pages)
        // Who belongs is worked out above from what the registrations say; what a row shows of
        // a protected person is the shield's (SPEC §2), and a hidden person is never placed by
        // their identity number: they come last.
        let shielded = visible.map { ParticipantOperations.shield($0, caller) }
        let ordered =
            shielded.filter { !$0.identityHidden } + shielded.filter(\.identityHidden).sorted { ($0.ownProtectedRef ?? "") < ($1.ownProtectedRef ?? "") }
        let shown = Array(ordered.dropFirst((page - 1) * pageSize).prefix(pageSize))
        try await ParticipantOperations.listed(shown.map { ($0.person, $0.parties) }, action: "search", caller, s)
        return (stored, visible.count, page, shown)
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

    // MARK: Quarter closes

    /// The quarters' closes of agreement `id` (or of every agreement) that are due today and
    /// not yet stored, made now (SPEC §3); `quarter` names one, which must be due. A close
    /// another instance stored first is kept and this one's result discarded. Without
    /// `documents` each close comes back with its hashes and without its two documents (the
    /// server and `samspar close` print and log the hashes only: a national first start's
    /// 3,395 closes with their documents held 1 GB, issue 27).
    public static func makeCloses(_ id: String?, quarter: Quarter?, documents: Bool = true, _ caller: Caller, _ s: Services) async throws -> [(
        close: QuarterClose, made: Bool
    )] {
        let ids: [String]
        if let id {
            guard try await s.store.agreementVersions(id: id).isEmpty == false else { throw APIError.notFound("no such agreement / avtalet finns inte") }
            ids = [id]
        } else {
            ids = try await s.store.agreements().map(\.agreement.id)
        }
        // The agreements on every core at once (issue 27: a national database's first start
        // has 97 of them due, and a close is mostly computing), each agreement's in order.
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        return try await withThrowingTaskGroup(of: (Int, [(close: QuarterClose, made: Bool)]).self) { group in
            var next = 0
            func start() {
                guard next < ids.count else { return }
                let (index, id) = (next, ids[next])
                next += 1
                group.addTask {
                    let closes = try await closesDue(id, quarter: quarter, among: ids.count, caller, s)
                    return (index, documents ? closes : closes.map { ($0.close.withoutDocuments, $0.made) })
                }
            }
            for _ in 0..<width { start() }
            var done: [Int: [(close: QuarterClose, made: Bool)]] = [:]
            while let (index, closes) = try await group.next() {
                done[index] = closes
                start()
            }
            return ids.indices.flatMap { done[$0] ?? [] }
        }
    }

    /// The closes of one agreement that ``makeCloses(_:quarter:documents:_:_:)`` makes: those due and not
    /// yet stored, or the named `quarter`'s (`among`: how many agreements the call covers).
    static func closesDue(_ id: String, quarter: Quarter?, among: Int, _ caller: Caller, _ s: Services) async throws -> [(
        close: QuarterClose, made: Bool
    )] {
        let versions = try await s.store.agreementVersions(id: id)
        let due = Closes.dueQuarters(of: versions.map(\.agreement), today: s.today, delay: s.closeDelay)
        var wanted = due
        if let quarter {
            guard Closes.isDue(quarter, today: s.today, delay: s.closeDelay) else {
                throw APIError.conflict(
                    "the close of \(quarter) is not yet due: it is made from \(Closes.dueOn(quarter, delay: s.closeDelay)) / kvartalet stängs först \(Closes.dueOn(quarter, delay: s.closeDelay))"
                )
            }
            guard due.contains(quarter) else {
                if among > 1 { return [] }
                throw APIError.conflict("\(quarter) is not a quarter of \(id) signed by every party / kvartalet hör inte till avtalets undertecknade tid")
            }
            wanted = [quarter]
        }
        let stored = Set(try await s.store.closedQuarters(agreementID: id))
        if quarter != nil, let q = wanted.first, stored.contains(q), let existing = try await s.store.close(agreementID: id, quarter: q) {
            return [(existing, false)]
        }
        return try await makeCloses(id, versions, wanted.filter { !stored.contains($0) }, caller, s)
    }

    /// Computes and stores the closes of `quarters` (SPEC §3), oldest first: the quarters that
    /// one version of the agreement is in force for are read once, as of the last of them,
    /// and each is cut from that read (``SamsparStore/closeSnapshots(for:quarters:on:)``).
    /// `versions`: the agreement's, oldest first, read once (a national first start has 35
    /// quarters an agreement, and reading and parsing them again for each was 3% of the run).
    static func makeCloses(_ id: String, _ versions: [StoredAgreement], _ quarters: [Quarter], _ caller: Caller, _ s: Services) async throws -> [(
        close: QuarterClose, made: Bool
    )] {
        var runs: [(stored: StoredAgreement, quarters: [Quarter])] = []
        for q in quarters.sorted() {
            guard let stored = StoredAgreement.inForce(versions, on: q.lastDay) else {
                throw APIError.notFound("no such agreement / avtalet finns inte")
            }
            if let lastRun = runs.last, lastRun.stored.version == stored.version {
                runs[runs.count - 1].quarters.append(q)
            } else {
                runs.append((stored, [q]))
            }
        }
        var result: [(close: QuarterClose, made: Bool)] = []
        for run in runs {
            let snapshots = try await s.store.closeSnapshots(for: run.stored.agreement, quarters: run.quarters, on: s.today)
            for (q, snapshot) in zip(run.quarters, snapshots) { result.append(try await storeClose(id, q, run.stored, snapshot, caller, s)) }
        }
        return result
    }

    /// Computes one close from its snapshot and stores it.
    static func storeClose(_ id: String, _ quarter: Quarter, _ stored: StoredAgreement, _ snapshot: CloseSnapshot, _ caller: Caller, _ s: Services)
        async throws -> (close: QuarterClose, made: Bool)
    {
        let document = CloseDocument.make(stored: stored, quarter: quarter, snapshot: snapshot, suppression: s.suppression)
        let close = QuarterClose(
            agreementID: id, quarter: quarter, agreementVersion: stored.version, threshold: s.suppression.threshold,
            unsuppressed: document.unsuppressed, suppressed: document.suppressed, madeAt: Rows.timestamp(s.now()))
        return try await s.store.storeClose(
            close, audit: caller.entry("close", detail: "\(id) \(quarter): \(close.unsuppressedHash) \(close.suppressedHash)"), at: s.now())
    }

    /// Whether the caller reads closes unsuppressed (SPEC §3): the operator unless they ask
    /// for suppression, and a coordinator who reads joint figures live; everyone else reads
    /// the suppressed form.
    static func readsUnsuppressedCloses(_ id: String, _ caller: Caller, asked: Bool = false, _ s: Services) async throws -> Bool {
        guard let principal = caller.principal else { return !asked }
        return Mutant.decide("close.unsuppressed", try await readsJoint(id, principal, s) && Act.readLive.allows(principal) && !asked)
    }

    /// The stored closes of agreement `id`, and whether the caller gets their unsuppressed form.
    /// The days on which retention or erasure removed records that live figures of `year`
    /// counted, as far as the reader's scope goes: every party's for joint figures, the
    /// reader's own organisation's for its own (another party's weeding is not theirs to learn).
    static func retentionEffects(_ stored: StoredAgreement, year: Int, scope: Scope, _ caller: Caller, _ s: Services) async throws -> [Day] {
        let organisations: [Organisationsnummer]
        switch scope {
        case .joint: organisations = stored.agreement.parties.map(\.orgNumber)
        case .own:
            organisations =
                Mutant.flips("figures.retentionNoticeOwn") ? stored.agreement.parties.map(\.orgNumber) : caller.organisation.map { [$0] } ?? []
        }
        return try await s.store.retentionEffects(on: organisations, year: year)
    }

    static func closes(_ id: String, _ caller: Caller, _ s: Services) async throws -> (closes: [QuarterClose], unsuppressed: Bool) {
        try await requireVisible(id, caller, s)
        return (try await s.store.closes(agreementID: id), try await readsUnsuppressedCloses(id, caller, s))
    }

    /// The quarters with a stored close, and the latest close whole: what a page beside live
    /// figures shows, without reading every close's documents.
    static func latestClose(_ id: String, _ caller: Caller, _ s: Services) async throws -> (
        quarters: [Quarter], latest: QuarterClose?, unsuppressed: Bool
    ) {
        try await requireVisible(id, caller, s)
        let quarters = try await s.store.closedQuarters(agreementID: id)
        var latest: QuarterClose? = nil
        if let last = quarters.last { latest = try await s.store.close(agreementID: id, quarter: last) }
        return (quarters, latest, try await readsUnsuppressedCloses(id, caller, s))
    }

    /// An agreement the caller may not see (a draft of others) does not exist to them.
    private static func requireVisible(_ id: String, _ caller: Caller, _ s: Services) async throws {
        guard try await AgreementOperations.visibleVersions(id, caller, s).isEmpty == false else {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        }
    }

    /// One close in the caller's form, byte for byte as stored, with its SHA-256.
    public static func close(_ id: String, quarter: Quarter, asked: Bool = false, _ caller: Caller, _ s: Services) async throws -> (
        close: QuarterClose, document: String, hash: String
    ) {
        guard let close = try await s.store.close(agreementID: id, quarter: quarter) else {
            throw APIError.notFound("no close of \(quarter) is stored / kvartalet är inte stängt")
        }
        let form = close.form(suppressed: !(try await readsUnsuppressedCloses(id, caller, asked: asked, s)))
        return (close, form.document, form.hash)
    }

    // MARK: Publications

    /// Publishes a closed quarter (SPEC §3: a publication is a close made public): a
    /// coordinator of a party to the version in force, of an agreement every party has
    /// signed. Nothing is computed afresh: the close's suppressed form is what is published.
    /// The publication of `quarter`'s close, and whether this call made it (a close already
    /// published is the same publication, answered as it is).
    static func publish(id: String, quarter: Quarter, _ caller: Caller, _ s: Services) async throws -> (report: PublishedReport, made: Bool) {
        guard let inForce = try await s.store.agreement(id: id, inForceOn: quarter.lastDay) else {
            // A draft is not published: to its parties it says so; to anyone else it does not exist.
            let versions = try await AgreementOperations.visibleVersions(id, caller, s)
            guard versions.isEmpty else {
                throw APIError.conflict("no version of \(id) is signed by every party: a draft is not published / ett utkast publiceras inte")
            }
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
        guard let principal = caller.principal else { throw APIError.badRequest("a publication is made by a party's coordinator") }
        guard
            let published = try await s.store.publishClose(
                agreementID: id, quarter: quarter, by: principal.actor, organisation: principal.organisation,
                audit: { caller.entry("publish", detail: "\(id) \(quarter): \($0.contentHash)") }, at: s.now())
        else {
            throw APIError.conflict(
                "\(quarter) is not closed: only a closed quarter is published / bara ett stängt kvartal kan publiceras (stängs \(Closes.dueOn(quarter, delay: s.closeDelay)))"
            )
        }
        return published
    }

    /// The quarter a publication request names: `quarter` (`2018-Q2`), or a `year` and an
    /// `asOf` that is that quarter's last day (the request of earlier versions).
    static func quarter(named text: String?, year: Int?, asOf: String?) throws -> Quarter {
        func invalid(_ column: String, _ reason: String) -> APIError {
            APIError.invalid("nothing was published", problems: [.init(line: 0, column: column, reason: reason)])
        }
        if let text {
            guard let q = Quarter(text) else { throw invalid("quarter", "must be a quarter such as 2018-Q2") }
            return q
        }
        guard let year, (1900...2200).contains(year) else { throw invalid("year", "must be a year such as 2018") }
        guard let asOf else { throw invalid("quarter", "name the closed quarter, such as \(year)-Q2") }
        let day: Day
        do { day = try Day(plausibleISO: asOf) } catch { throw invalid("asOf", error.description) }
        let q = Quarter(containing: day)
        guard q.year == year, q.lastDay == day else {
            throw invalid("asOf", "must be the last day of a quarter of \(year) (a publication is a closed quarter), such as \(year)-06-30")
        }
        return q
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
