import Foundation
import SamsparDomain

/// What the handlers and commands ask the store for, in the words of the domain (STYLE §4,
/// Hummingbird's repository pattern): "the participant as this organisation may see them",
/// "give consent", "append audit". Each is one transaction or one consistent read, written
/// once for both engines over the shared SQL (``Rows``, ``AuditLog``, ``Organisations``).
/// A write takes the audit entry that records it and commits both together, with the API's
/// idempotent answer (``IdempotentAnswer``) when it has one.
extension SamsparStore {
    /// The numbers of the migrations applied (empty for a new database).
    public func appliedMigrations() async throws -> [Int] {
        try await read { try await $0.query("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0["version"].int.map(Int.init) } }
    }

    /// One round trip to the database (`/health`).
    public func ping() async throws {
        _ = try await readOneStatement { try await $0.query("SELECT 1 AS ok") }
    }

    // MARK: Audit

    /// Appends entries in one transaction of their own.
    /// Chains the whole log anew with this store's key after the old key was lost
    /// (``AuditLog/rekey(_:in:at:)``); returns the old head, which `draft`'s entry records.
    public func rekeyAudit(_ draft: AuditDraft, at now: Date) async throws -> AuditLog.Head {
        try await transaction { try await AuditLog.rekey(draft, in: $0, at: now) }
    }

    public func appendAudit(_ drafts: [AuditDraft], at now: Date) async throws {
        guard !drafts.isEmpty else { return }
        try await transaction { try await AuditLog.append(drafts, at: now, in: $0) }
    }

    public func searchAudit(_ query: AuditLog.Query) async throws -> [AuditEntry] {
        try await read { try await AuditLog.search(query, in: $0) }
    }

    /// Walks the chain; with a head kept elsewhere, also finds entries cut off the end.
    public func verifyAudit(head: AuditLog.Head? = nil) async throws -> AuditLog.Verification {
        try await read { s in
            if let head { return try await AuditLog.verify(head: head, in: s) }
            return try await AuditLog.verify(in: s)
        }
    }

    public func auditHead() async throws -> AuditLog.Head {
        try await read { try await AuditLog.head(in: $0) }
    }

    /// Whether the log is empty, and whether any entry is chained with the key.
    public func auditState() async throws -> (empty: Bool, keyed: Bool) {
        try await read { (try await AuditLog.isEmpty(in: $0), try await AuditLog.isKeyed(in: $0)) }
    }

    // MARK: Organisations (the operator's registry)

    public func organisations() async throws -> [Organisation] {
        try await read { try await Organisations.all(in: $0) }
    }

    public func organisation(_ number: Organisationsnummer) async throws -> Organisation? {
        try await read { try await Organisations.find(number, in: $0) }
    }

    public func addOrganisation(_ organisation: Organisation, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await Organisations.add(organisation, in: s)
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    public func updateOrganisation(
        _ number: Organisationsnummer, name: String?, kind: OrganisationKind?, municipalityCode: Kommunkod??,
        audit: @escaping @Sendable (Organisation) -> AuditDraft, at now: Date
    ) async throws -> Organisation {
        try await transaction { s in
            let updated = try await Organisations.update(number, name: name, kind: kind, municipalityCode: municipalityCode, in: s)
            try await AuditLog.append([audit(updated)], at: now, in: s)
            return updated
        }
    }

    // MARK: Participants, as one organisation may see them

    /// The participant as `viewer` may see them on `day`: its own registration and records,
    /// and another party's under a valid consent that party recorded. `nil`: to `viewer`
    /// there is no such person, whether or not anyone else holds them.
    /// `organisation`'s own registration of `person`, with the records and consents it keeps and
    /// nothing of another party's, whatever consent says (a register extract, issue 23).
    public func registration(of person: Personnummer, heldBy organisation: Organisationsnummer) async throws -> ParticipantView? {
        try await read { s in
            try await Rows.views(where: "r.person_id = $1 AND r.org_number = $2", [.int(person.value), .int(organisation.value)], in: s).first
        }
    }

    public func participant(_ person: Personnummer, visibleTo viewer: Organisationsnummer, on day: Day) async throws -> ParticipantView? {
        try await readOneStatement { try await Rows.participant(person, visibleTo: viewer, on: day, in: $0) }
    }

    /// Every participant `viewer` may see on `day`, with the records it may see.
    public func caseload(visibleTo viewer: Organisationsnummer, on day: Day) async throws -> [ParticipantView] {
        try await read { try await Rows.caseload(viewer: viewer, on: day, in: $0) }
    }

    public func searchParticipants(
        visibleTo viewer: Organisationsnummer, person: Personnummer?, name: String?, on day: Day, limit: Int, offset: Int, ownProtectedNames: Bool = false
    ) async throws -> [SearchHit] {
        try await read {
            try await Rows.searchParticipants(
                viewer: viewer, person: person, name: name, on: day, limit: limit, offset: offset, ownProtectedNames: ownProtectedNames, in: $0)
        }
    }

    /// Sets or removes `organisation`'s mark on its registration of `person` (SPEC §2), with
    /// its audit entry in the same transaction. `nil` when it has not registered the person;
    /// `false` when the mark was already so (nothing written, nothing audited).
    public func setProtected(
        _ person: Personnummer, keptBy organisation: Organisationsnummer, marked: Bool, audit: AuditDraft, at now: Date
    ) async throws -> Bool? {
        try await transaction { s in
            let rows = try await s.query(
                "SELECT protected_ref FROM registrations WHERE person_id = $1 AND org_number = $2", [.int(person.value), .int(organisation.value)])
            guard let row = rows.first else { return nil }
            guard (row["protected_ref"].text != nil) != marked else { return false }
            try await s.query(
                "UPDATE registrations SET protected_ref = $3 WHERE person_id = $1 AND org_number = $2",
                [.int(person.value), .int(organisation.value), marked ? .text(ProtectedIdentityMigration.newReference()) : .null])
            try await AuditLog.append([audit], at: now, in: s)
            return true
        }
    }

    /// The person of `organisation`'s protected registration with reference `ref` (what its
    /// pages link with instead of the identity number, SPEC §2); `nil` for any other reference,
    /// another organisation's included.
    public func protectedPerson(ref: String, keptBy organisation: Organisationsnummer) async throws -> Personnummer? {
        try await read { s in
            try await s.query(
                "SELECT person_id FROM registrations WHERE protected_ref = $1 AND org_number = $2", [.text(ref), .int(organisation.value)]
            ).first?["person_id"].int.map(Personnummer.init(storedValue:))
        }
    }

    /// Whether `organisation` has registered `person` (what it takes to record anything of them).
    public func hasRegistered(_ person: Personnummer, organisation: Organisationsnummer) async throws -> Bool {
        try await read { try await Rows.hasRegistered(person, organisation: organisation, in: $0) }
    }

    /// The acts on `organisation`'s own records of `person`; `nil` when it has not registered them.
    public func accessLog(
        of person: Personnummer, keptBy organisation: Organisationsnummer, after: Int64, limit: Int, newestFirst: Bool = false
    ) async throws -> [AuditEntry]? {
        try await read { s in
            guard try await Rows.hasRegistered(person, organisation: organisation, in: s) else { return nil }
            var query = AuditLog.Query(person: person, after: after, limit: limit, touching: organisation)
            query.newestFirst = newestFirst
            return try await AuditLog.search(query, in: s)
        }
    }

    public func disagreements(visibleTo viewer: Organisationsnummer, on day: Day, withholdingProtected: Bool = true) async throws -> (
        counts: [String: Int], visible: [Disagreement]
    ) {
        try await read { try await Rows.disagreements(viewer: viewer, on: day, withholdingProtected: withholdingProtected, in: $0) }
    }

    // MARK: Consent

    /// The consents `viewer` may see (those recorded by the parties whose records it sees),
    /// with those parties; `nil` when it sees nothing of the person.
    public func consents(of person: Personnummer, visibleTo viewer: Organisationsnummer, on day: Day) async throws -> (
        consents: [Consent], parties: [Organisationsnummer]
    )? {
        try await read { s in
            let parties = try await Rows.visibleParties(of: person, to: viewer, on: day, in: s)
            guard !parties.isEmpty else { return nil }
            return (try await Rows.consents(of: person, recordedBy: parties, in: s), parties)
        }
    }

    /// Records that `person` lets `party` see `organisation`'s records of them. `nil` when
    /// `organisation` has not registered the person; throws ``OrganisationError/unknown(_:)``
    /// when `party` is not in the registry.
    public func giveConsent(
        _ person: Personnummer, by organisation: Organisationsnummer, to party: Organisationsnummer, from validFrom: Day, until validUntil: Day?,
        audit: @escaping @Sendable (Int64) -> AuditDraft, at now: Date, idempotency: IdempotentAnswer<Consent>? = nil
    ) async throws -> Consent? {
        try await transaction { s in
            guard try await Organisations.find(party, in: s) != nil else { throw OrganisationError.unknown(party) }
            guard
                let id = try await Rows.giveConsent(
                    person: person, organisation: organisation, party: party, validFrom: validFrom, validUntil: validUntil, now: now, in: s)
            else { return nil }
            try await AuditLog.append([audit(id)], at: now, in: s)
            let consent = Consent(
                id: id, person: person, party: party, validFrom: validFrom, validUntil: validUntil, withdrawnOn: nil, recordedBy: organisation)
            try await idempotency?.store(consent, now: now, in: s)
            return consent
        }
    }

    /// Withdraws one of `organisation`'s consents from `day`: `nil` when it has not registered
    /// the person, `false` when there is no such consent that is not already withdrawn.
    /// Withdraws `organisation`'s consent `id` of `person` from `day` (SPEC §2): `nil` when
    /// `organisation` has not registered the person; the audit entry only with a change.
    public func withdrawConsent(
        _ id: Int64, of person: Personnummer, by organisation: Organisationsnummer, on day: Day, today: Day, audit: AuditDraft, at now: Date
    ) async throws -> WithdrawalOutcome? {
        try await transaction { s in
            guard try await Rows.hasRegistered(person, organisation: organisation, in: s) else { return nil }
            let outcome = try await Rows.withdrawConsent(id: id, person: person, organisation: organisation, on: day, today: today, in: s)
            if outcome == .withdrawn { try await AuditLog.append([audit], at: now, in: s) }
            return outcome
        }
    }

    // MARK: Accounts, sessions and tokens

    /// Every user, or those of one organisation.
    public func users(of organisation: Organisationsnummer? = nil) async throws -> [UserAccount] {
        try await read { try await Rows.users(of: organisation, in: $0) }
    }

    public func user(email: String) async throws -> UserAccount? {
        try await read { try await Rows.user(email: email, in: $0) }
    }

    /// Adds a user of an organisation of the registry; throws ``OrganisationError/unknown(_:)``
    /// or ``AccountError/conflict(_:)``.
    public func addUser(
        email: String, organisation: Organisationsnummer, role: Role, passwordHash: String, totpSecret: String? = nil, recoveryDigests: [String] = [],
        audit: AuditDraft, at now: Date
    ) async throws -> Int64 {
        try await transaction { s in
            guard try await Organisations.find(organisation, in: s) != nil else { throw OrganisationError.unknown(organisation) }
            let id = try await Rows.addUser(email: email, organisation: organisation, role: role, passwordHash: passwordHash, now: now, in: s)
            if let totpSecret {
                _ = try await SignInRows.setSecondFactor(
                    secret: totpSecret, recoveryDigests: recoveryDigests, userID: id, organisation: organisation, keepingSession: nil, in: s)
            }
            try await AuditLog.append([audit], at: now, in: s)
            return id
        }
    }

    /// Disables or enables a user of `organisation` (any when `nil`: the operator); `nil` when
    /// there is no such user there.
    public func setUserDisabled(
        _ disabled: Bool, userID: Int64, of organisation: Organisationsnummer?, audit: @escaping @Sendable (UserAccount) -> AuditDraft, at now: Date
    ) async throws -> UserAccount? {
        try await transaction { s in
            guard let user = try await Rows.setDisabled(disabled, userID: userID, organisation: organisation, in: s) else { return nil }
            try await AuditLog.append([audit(user)], at: now, in: s)
            return user
        }
    }

    /// A new password for a user of `organisation` (any when `nil`); their sessions end.
    public func setPassword(
        hash: String, userID: Int64, of organisation: Organisationsnummer?, audit: @escaping @Sendable (UserAccount) -> AuditDraft, at now: Date
    ) async throws -> UserAccount? {
        try await transaction { s in
            guard let user = try await Rows.setPassword(hash: hash, userID: userID, organisation: organisation, in: s) else { return nil }
            try await AuditLog.append([audit(user)], at: now, in: s)
            return user
        }
    }

    public func tokens(of organisation: Organisationsnummer? = nil) async throws -> [APIToken] {
        try await read { try await Rows.tokens(of: organisation, in: $0) }
    }

    /// The live token with this secret.
    public func token(secret: String) async throws -> APIToken? {
        try await read { try await Rows.token(secret: secret, in: $0) }
    }

    /// A token for an organisation of the registry; throws ``OrganisationError/unknown(_:)``.
    public func createToken(
        organisation: Organisationsnummer, name: String, secret: String, audit: @escaping @Sendable (Int64) -> AuditDraft, at now: Date
    ) async throws -> Int64 {
        try await transaction { s in
            guard try await Organisations.find(organisation, in: s) != nil else { throw OrganisationError.unknown(organisation) }
            let id = try await Rows.createToken(organisation: organisation, name: name, secret: secret, now: now, in: s)
            try await AuditLog.append([audit(id)], at: now, in: s)
            return id
        }
    }

    /// Revokes a live token of `organisation` (any when `nil`); false when there is none.
    public func revokeToken(_ id: Int64, of organisation: Organisationsnummer?, audit: AuditDraft, at now: Date) async throws -> Bool {
        try await transaction { s in
            guard try await Rows.revokeToken(id: id, organisation: organisation, now: now, in: s) else { return false }
            try await AuditLog.append([audit], at: now, in: s)
            return true
        }
    }

    public func session(secret: String, now: Date) async throws -> UserSession? {
        try await read { try await Rows.session(secret: secret, now: now, in: $0) }
    }

    public func createSession(userID: Int64, secret: String, csrfToken: String, lifetime: TimeInterval, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await Rows.createSession(userID: userID, secret: secret, csrfToken: csrfToken, now: now, lifetime: lifetime, in: s)
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    public func deleteSession(secret: String) async throws {
        try await transaction { try await Rows.deleteSession(secret: secret, in: $0) }
    }

    // MARK: Idempotency keys

    public func storedResponse(principal: String, key: String) async throws -> StoredResponse? {
        try await read { try await Rows.storedResponse(principal: principal, key: key, in: $0) }
    }
}
