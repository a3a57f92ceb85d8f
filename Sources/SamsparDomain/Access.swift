/// The roles of SPEC §1. A user has one role in one organisation; an API token acts as
/// `system` for its organisation.
public enum Role: String, CaseIterable, Sendable, Codable {
    case caseworker, coordinator, analyst, auditor, admin, system

    /// May read participants' personal data at all (subject to ``ParticipantAccess``).
    public var readsParticipants: Bool { self == .caseworker || self == .coordinator || self == .system }
    /// May register and change participants, consent and their records (their own
    /// organisation's, or another party's under a valid consent for events and outcomes).
    public var writesParticipants: Bool { self == .caseworker || self == .system }
    /// May see a report without suppression (a role with access to individual data).
    public var seesUnsuppressedReports: Bool { readsParticipants }
    /// May import and revise agreements.
    public var managesAgreements: Bool { self == .coordinator }
    /// May search the audit log and verify its chain.
    public var readsAuditLog: Bool { self == .auditor }
    /// May manage users and API tokens.
    public var managesAccounts: Bool { self == .admin }

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

    public init(actor: String, role: Role, organisation: Organisationsnummer) {
        self.actor = actor
        self.role = role
        self.organisation = organisation
    }
}

/// A consent record (*samtycke*): the participant lets `party` see their records held by
/// the other parties, from `validFrom` through `validUntil` (open-ended when `nil`), until
/// withdrawn. A withdrawal takes effect on its date.
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

    public func isValid(on day: Day) -> Bool {
        validFrom <= day && (validUntil.map { day <= $0 } ?? true) && (withdrawnOn.map { day < $0 } ?? true)
    }
}

/// What one organisation may see of one participant (SPEC §1 and §2, *Consent*): secrecy
/// between the parties is lifted only by the participant's consent.
public enum ParticipantAccess: Sendable, Equatable {
    /// Everything: the organisation registered them, or a valid consent covers it.
    case full
    /// Only the records the organisation itself made (no name, no other party's records).
    case ownRecordsOnly
    /// Nothing; the API answers as if the person did not exist.
    case none

    /// - Parameters:
    ///   - owner: the organisation the participant belongs to (`nil` when nobody does).
    ///   - consents: the participant's consent records.
    ///   - hasOwnRecords: the organisation has recorded events, outcomes or activities of them.
    public static func decide(
        viewer: Organisationsnummer, owner: Organisationsnummer?, consents: [Consent], hasOwnRecords: Bool, on day: Day
    ) -> ParticipantAccess {
        if owner == viewer { return .full }
        if consents.contains(where: { $0.party == viewer && $0.isValid(on: day) }) { return .full }
        return hasOwnRecords ? .ownRecordsOnly : .none
    }
}
