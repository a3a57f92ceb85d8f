/// The roles of SPEC §1. A user has one role in one organisation; an API token acts as
/// `system` for its organisation.
public enum Role: String, CaseIterable, Sendable, Codable {
    case caseworker, coordinator, analyst, auditor, admin, system

    /// May read participants' personal data at all: its own organisation's registrations and
    /// records, and another party's where a valid consent names its organisation (SPEC §2).
    public var readsParticipants: Bool { Mutant.decide("role.readsParticipants", self == .caseworker || self == .coordinator || self == .system) }
    /// May register participants for its own organisation and record their consent, events,
    /// statuses and activities (its own registrations only, SPEC §2).
    public var writesParticipants: Bool { Mutant.decide("role.writesParticipants", self == .caseworker || self == .system) }
    /// May see live figures at all (SPEC §3): own figures, or a coordinator's joint ones; the
    /// other roles read the quarters' closes and the publications.
    public var seesLiveFigures: Bool { Mutant.decide("role.seesLiveFigures", readsParticipants) }
    /// May import and revise agreements (of its own organisation, SPEC §2) and see where
    /// registrations disagree.
    public var managesAgreements: Bool { Mutant.decide("role.managesAgreements", self == .coordinator) }
    /// May search the audit log and verify its chain.
    public var readsAuditLog: Bool { Mutant.decide("role.readsAuditLog", self == .auditor) }
    /// May manage users and API tokens.
    public var managesAccounts: Bool { Mutant.decide("role.managesAccounts", self == .admin) }

    /// Swedish first, English second (the interface's languages).
    public var label: String {
        switch self {
        case .caseworker: "handläggare (caseworker)"
        case .coordinator: "samordnare (coordinator)"
        case .analyst: "analytiker (analyst)"
        case .auditor: "granskare (auditor)"
        case .admin: "administratör (admin)"
        case .system: "verksamhetssystem (system)"
        }
    }
}

/// Who is asking: a signed-in user or a case system's token.
public struct Principal: Sendable, Equatable {
    /// The user's e-mail address, or `token:NAME` for an API token.
    public var actor: String
    public var role: Role
    public var organisation: Organisationsnummer
    /// The role the person holds, when they signed in with one factor and so act with less
    /// (SPEC §1: what an analyst gets); `nil` when `role` is the role they hold.
    public var heldRole: Role?

    public init(actor: String, role: Role, organisation: Organisationsnummer, heldRole: Role? = nil) {
        self.actor = actor
        self.role = role
        self.organisation = organisation
        self.heldRole = heldRole
    }
}

/// A consent record (*samtycke*): the participant lets `party` see the records that
/// `recordedBy` (the party whose records it opens) keeps of them, from `validFrom` through
/// `validUntil` (open-ended when `nil`), until withdrawn. A withdrawal takes effect on its
/// date. The server decides in SQL (`AccessSQL.visible` in the store, where the reads apply
/// it); this is the same rule in Swift, for the domain and its tests, which hold the two
/// together on every boundary day.
public struct Consent: Sendable, Equatable {
    public var id: Int64
    public var person: Personnummer
    public var party: Organisationsnummer
    public var validFrom: Day
    public var validUntil: Day?
    public var withdrawnOn: Day?
    public var recordedBy: Organisationsnummer

    public init(
        id: Int64, person: Personnummer, party: Organisationsnummer, validFrom: Day, validUntil: Day?, withdrawnOn: Day?,
        recordedBy: Organisationsnummer
    ) {
        self.id = id
        self.person = person
        self.party = party
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.withdrawnOn = withdrawnOn
        self.recordedBy = recordedBy
    }

    /// Why a withdrawal dated `day` is refused (SPEC §2, *Consent*): it is dated from the
    /// consent's first day through the day it is recorded (`today`, Europe/Stockholm), and a
    /// withdrawal can be moved earlier, never undone. `nil`: it may be recorded (the same date
    /// again changes nothing).
    public func withdrawalRefusal(on day: Day, today: Day) -> WithdrawalRefusal? {
        if Mutant.decide("consent.withdrawal.notAfterToday", day > today) { return .afterToday(today) }
        if day < validFrom { return .beforeFirstDay(validFrom) }
        if let withdrawnOn, Mutant.decide("consent.withdrawal.onlyEarlier", day > withdrawnOn) { return .notEarlier(withdrawnOn) }
        return nil
    }

    public func isValid(on day: Day) -> Bool {
        validFrom <= day && (validUntil.map { day <= $0 } ?? true) && (withdrawnOn.map { day < $0 } ?? true)
    }
}

/// Why a consent's withdrawal is refused; each names the bound it broke.
public enum WithdrawalRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dated after the day it is recorded.
    case afterToday(Day)
    /// Dated before the consent's first day.
    case beforeFirstDay(Day)
    /// Dated after the withdrawal already recorded: a withdrawal is never undone.
    case notEarlier(Day)

    public var description: String {
        switch self {
        case .afterToday(let today): "is after today, \(today): a withdrawal is dated no later than the day it is recorded"
        case .beforeFirstDay(let first): "is before the consent's first day, \(first)"
        case .notEarlier(let withdrawn):
            "is after the withdrawal already recorded (\(withdrawn)): a withdrawal can be moved earlier, never undone (record a new consent)"
        }
    }
}
