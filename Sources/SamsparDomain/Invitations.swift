/// Drafts are invitations (SPEC §2): only a version signed by every party binds anyone. A
/// draft belongs to its owners: the organisation that started a new agreement, every party
/// a draft the operator starts names, or the parties of the version a revision revises (who
/// keep seeing it even if it drops them). Every other organisation it names is invited: its
/// coordinators see it and may accept (then edit their own signatory, cost lines, decisions
/// and grants) or decline (off the draft).
public struct DraftMembers: Sendable, Equatable {
    public var owners: Set<Organisationsnummer>
    /// Invited organisations that accepted.
    public var accepted: Set<Organisationsnummer>

    public init(owners: Set<Organisationsnummer>, accepted: Set<Organisationsnummer> = []) {
        self.owners = owners
        self.accepted = accepted
    }

    public enum Standing: String, Sendable, Equatable {
        case owner, invited, accepted
    }

    /// `organisation`'s standing in `draft`; `nil` for one neither owning it nor named in it
    /// (to which the draft does not exist).
    public func standing(of organisation: Organisationsnummer, in draft: Agreement) -> Standing? {
        if owners.contains(organisation) { return .owner }
        guard Mutant.decide("draft.invited", draft.parties.contains { $0.orgNumber == organisation }) else { return nil }
        return accepted.contains(organisation) ? .accepted : .invited
    }

    /// Whether `organisation`'s coordinators see `draft`: its owners and every party it names.
    public func sees(_ organisation: Organisationsnummer, _ draft: Agreement) -> Bool {
        Mutant.decide("draft.visible", standing(of: organisation, in: draft) != nil)
    }
}

extension Agreement {
    /// The draft without `organisation`'s cost lines, decisions and grants, every signature
    /// cleared (any change clears them).
    private func clearingPartsOf(_ organisation: Organisationsnummer) -> Agreement {
        var a = self
        a.costs.removeAll { $0.orgNumber == organisation }
        a.decisions.removeAll { $0.orgNumber == organisation }
        a.grants.removeAll { $0.orgNumber == organisation }
        a.signatures = []
        a.status = .draft
        return a
    }

    /// The draft without what `organisation` edits of it once it has accepted: its signatory
    /// and title, its cost lines, decisions and grants. An accepted party's save must leave
    /// everything else as it was.
    public func withoutOwnParts(of organisation: Organisationsnummer) -> Agreement {
        var a = clearingPartsOf(organisation)
        for i in a.parties.indices where a.parties[i].orgNumber == organisation { (a.parties[i].signatory, a.parties[i].title) = (nil, nil) }
        return a
    }

    /// The draft after `organisation` declines it: off the parties, with its own parts.
    public func declined(by organisation: Organisationsnummer) -> Agreement {
        var a = clearingPartsOf(organisation)
        a.parties.removeAll { $0.orgNumber == organisation }
        return a
    }
}
