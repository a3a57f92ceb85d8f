import Foundation
import SamsparDomain
import SamsparStore

/// The register extract (registerutdrag, GDPR art. 15; SPEC §2, issue 23): for one person and
/// one party, what that party holds of them and what it has done with it. Made by the party's
/// auditor or by the operator, and audited. It never shows another party's registration or
/// records, with consent or without; a person the party does not hold gets an extract saying
/// that the party holds nothing, worded the same whether another party holds them or nobody
/// does.
public enum ExtractOperations {
    /// The page's act: an auditor's (the operator has the command line).
    enum Act: RoleRule {
        case make
        var rule: (Role) -> Bool { { $0 == .auditor } }
        var what: String { "make a register extract" }
    }

    /// The party's own auditor, or the operator (`samspar extract`).
    static func mayMake(_ caller: Caller, for org: Organisationsnummer) -> Bool {
        Mutant.decide(
            "extract.ownAuditor", caller.organisation == nil || (caller.principal?.role == .auditor && caller.organisation == org))
    }

    /// One extract, as the JSON and the printed form both give it.
    public struct Extract: Sendable {
        public var organisation: Organisation
        public var person: Personnummer
        public var madeOn: Day
        /// The party's registration with its own records and consents; nil when it holds none.
        public var registration: ParticipantView?
        /// When, by which organisation and in which role the registration was read or changed.
        public var accessLog: [AuditEntry]
        public var retention: RetentionSetting?
    }

    public static func make(_ person: Personnummer, of org: Organisationsnummer, _ caller: Caller, _ s: Services) async throws -> Extract {
        guard mayMake(caller, for: org) else {
            var refusal = APIError.forbidden("a register extract is made by the organisation's auditor / registerutdrag görs av organisationens granskare")
            refusal.refusal = caller.refusal(person: person, "may not make a register extract for \(org)")
            throw refusal
        }
        guard let organisation = try await s.store.organisation(org) else { throw APIError.notFound("no such organisation / organisationen finns inte") }
        // The person's own copy: nothing of theirs is hidden from them, and the mark is said.
        let registration = try await s.store.registration(of: person, heldBy: org).map {
            $0.shielded(for: org, hidingOwn: false, withholdingOthers: true)
        }
        var log: [AuditEntry] = []
        if registration != nil {
            var query = AuditLog.Query(person: person, limit: 1000, touching: org)
            while true {
                let page = try await s.store.searchAudit(query)
                log += page
                guard page.count == query.limit, let last = page.last else { break }
                query.after = last.seq
            }
        }
        let extract = Extract(
            organisation: organisation, person: person, madeOn: s.today, registration: registration, accessLog: log,
            retention: try await s.store.retentionSetting(of: org))
        // The extract is itself an act on the registration: it is in the person's next extract.
        try await s.store.appendAudit(
            [
                caller.entry(
                    "extract", person: person, detail: "register extract of \(org)",
                    registrations: registration == nil ? [] : [PersonParty(person: person.value, org: org.value)])
            ], at: s.now())
        return extract
    }

    /// The words every extract carries (SPEC §2): purposes, recipients, source, the right to
    /// complain. Swedish, in plain words.
    enum Words {
        static let purpose =
            "Uppgifterna används för att följa upp den fördjupade samverkan om nyanländas etablering: vilka insatser du har tagit del av i de lokala spåren och hur det har gått, så att parterna kan mäta målen i sin överenskommelse."
        static let jointFigures =
            "Avtalets parter får sammanräknade siffror där ingen enskild person kan pekas ut. Små tal döljs."
        static func source(_ o: Organisation) -> String {
            "Uppgifterna har registrerats av \(o.name), från organisationens eget verksamhetssystem eller av dess handläggare."
        }
        static let complaint =
            "Du har rätt att begära rättelse av felaktiga uppgifter och att klaga hos Integritetsskyddsmyndigheten (IMY), www.imy.se, om du anser att uppgifterna behandlas felaktigt."
        static func nothing(_ o: Organisation) -> String { "\(o.name) har inga uppgifter om dig i Samspår." }
        static let noDecision = "Organisationen har inte angett något gallringsbeslut i Samspår: uppgifterna gallras inte automatiskt."
        static func retention(_ r: RetentionSetting) -> String {
            "Uppgifterna gallras \(r.years) år efter det år då de senast ändrades eller användes, enligt beslut \(r.decision)."
        }
    }

    /// The printed form (HTML for Chromium to print): Swedish, in plain words, each field with
    /// what it means; `names` gives the organisations' names.
    public static func printable(_ e: Extract, names: [Organisationsnummer: String]) -> String {
        ExtractDocument.html(e, names: names)
    }

    /// The extract as JSON: the same content as the printed form.
    public static func document(_ e: Extract) -> JSONValue {
        let consents = e.registration?.consents ?? []
        let recipients: [JSONValue] = consents.map { c in
            .object([
                ("organisation", .string(c.party.description)), ("from", .string(c.validFrom.description)),
                ("until", c.validUntil.map { .string($0.description) } ?? .null), ("withdrawnOn", c.withdrawnOn.map { .string($0.description) } ?? .null),
            ])
        }
        return .object([
            ("organisation", .object([("number", .string(e.organisation.number.description)), ("name", .string(e.organisation.name))])),
            ("personId", .string(e.person.description)), ("madeOn", .string(e.madeOn.description)), ("holds", .bool(e.registration != nil)),
            ("summary", .string(e.registration == nil ? Words.nothing(e.organisation) : Words.source(e.organisation))),
            ("registration", e.registration.map(Documents.participant) ?? .null),
            (
                "accessLog",
                .array(
                    e.accessLog.map { a in
                        .object([
                            ("at", .string(a.at)), ("organisation", a.draft.organisation.map { .string($0.description) } ?? .null),
                            ("role", .string(a.draft.role)), ("action", .string(a.draft.action)),
                        ])
                    })
            ),
            ("purpose", .string(Words.purpose)),
            ("recipients", .object([("underConsent", .array(recipients)), ("jointFigures", .string(Words.jointFigures))])),
            (
                "retention",
                .object([
                    ("years", e.retention.map { .int($0.years) } ?? .null), ("decision", e.retention.map { .string($0.decision) } ?? .null),
                    ("text", .string(e.retention.map(Words.retention) ?? Words.noDecision)),
                ])
            ),
            ("complaint", .string(Words.complaint)),
        ])
    }
}
