import Foundation
import SamsparDomain
import SamsparStore

/// Agreements and their life (SPEC §2, issue 9): who may import, draft, sign, revise and give
/// notice, what the store is asked, what the audit log records, and how a refusal reads. The
/// JSON routes, the agreement pages and the operator's `samspar agreement` commands all ask
/// here; each change writes its audit entry in the same transaction as the change.
public enum AgreementOperations {
    /// The acts on agreements, each with the role rule that allows it (SPEC §1–§2). Reading an
    /// agreement, its check and its document is for everyone signed in.
    enum Act: RoleRule {
        case importOrRevise, draft, sign, revise, terminate, answerInvitation

        var rule: (Role) -> Bool { \.managesAgreements }

        var what: String {
            switch self {
            case .importOrRevise: "import or revise agreements"
            case .draft: "draft agreements"
            case .sign: "sign agreements"
            case .revise: "revise agreements"
            case .terminate: "give notice of termination"
            case .answerInvitation: "accept, decline or delete drafts"
            }
        }
    }

    /// Who edits, as the store judges it: a coordinator for their organisation, or the
    /// operator, who may create the organisations the registry lacks (SPEC §2).
    static func editor(_ caller: Caller) -> AgreementEditor { caller.organisation.map { .coordinator($0) } ?? .operatorCommand }

    // MARK: Reading

    /// The versions of agreement `id` the caller may see, oldest first (SPEC §2, *Drafts are
    /// invitations*): every version signed by every party; the draft only to the coordinators
    /// of its owners and of the parties it names (and to the operator). Empty: to the caller
    /// there is no such agreement.
    static func visibleVersions(_ id: String, _ caller: Caller, _ s: Services) async throws -> [StoredAgreement] {
        let versions = try await s.store.agreementVersions(id: id)
        guard let principal = caller.principal else { return versions }
        guard let newest = versions.last, !newest.agreement.signedByAll else { return versions }
        let signed = Array(versions.dropLast().filter { $0.agreement.signedByAll })
        guard Act.draft.allows(principal),
            try await s.store.draftMembers(of: id, version: newest.version, draft: newest.agreement).sees(principal.organisation, newest.agreement)
        else { return signed }
        return signed + [newest]
    }

    /// Every agreement the caller may see, its newest version they may see.
    static func list(_ caller: Caller, _ s: Services) async throws -> [StoredAgreement] {
        var result: [StoredAgreement] = []
        for id in try await s.store.agreementIDs() {
            if let newest = try await visibleVersions(id, caller, s).last { result.append(newest) }
        }
        return result
    }

    /// Every version of one agreement the caller may see, oldest first; none when there is
    /// none (or none they may see).
    public static func allVersions(_ id: String, _ caller: Caller, _ s: Services) async throws -> [StoredAgreement] {
        try await visibleVersions(id, caller, s)
    }

    /// Every version of one agreement the caller may see, oldest first; `404` when there is none.
    public static func versions(_ id: String, _ caller: Caller, _ s: Services) async throws -> [StoredAgreement] {
        let versions = try await visibleVersions(id, caller, s)
        guard !versions.isEmpty else { throw APIError.notFound("no such agreement / avtalet finns inte") }
        return versions
    }

    /// The version asked for (`version`), or the newest the caller may see.
    static func version(_ id: String, _ number: String?, _ caller: Caller, _ s: Services) async throws -> (StoredAgreement, count: Int) {
        let versions = try await visibleVersions(id, caller, s)
        var chosen = versions.last
        if let number {
            guard let number = Int(number) else { throw APIError.badRequest("version must be a whole number") }
            chosen = versions.first { $0.version == number }
        }
        guard let stored = chosen else { throw APIError.notFound("no such agreement or version / avtalet finns inte") }
        return (stored, versions.count)
    }

    /// Who owns the draft of `id` and who accepted (the operator's `samspar agreement check`).
    public static func draftMembers(_ id: String, _ caller: Caller, _ s: Services) async throws -> DraftMembers? {
        guard caller.principal == nil else { return nil }
        return try await s.store.draft(of: id)?.1
    }

    /// The numbers of an agreement's deleted drafts (listed as deleted, never reused).
    public static func deletedVersions(_ id: String, _ caller: Caller, _ s: Services) async throws -> [Int] {
        try await s.store.deletedVersions(of: id)
    }

    /// The agreements the caller's organisation is a party to in a version signed by every
    /// party, that version (every agreement, for the operator): what its tracks, target
    /// groups and lists are read from. A draft has no effect outside its own pages.
    static func withParty(_ caller: Caller, _ s: Services) async throws -> [StoredAgreement] {
        guard let own = caller.organisation else { return try await s.store.agreements() }
        return try await s.store.agreements(withParty: own)
    }

    /// The drafts the caller's organisation is invited to (or accepted), with its standing:
    /// the coordinator's "Inbjudningar".
    static func invitations(_ caller: Caller, _ s: Services) async throws -> [(StoredAgreement, DraftMembers.Standing)] {
        guard let own = caller.organisation else { return [] }
        var result: [(StoredAgreement, DraftMembers.Standing)] = []
        for id in try await s.store.agreementIDs() {
            guard let (draft, members) = try await s.store.draft(of: id), let standing = members.standing(of: own, in: draft.agreement),
                standing != .owner
            else { continue }
            result.append((draft, standing))
        }
        return result
    }

    /// The caller's organisation's standing in the draft of `id`; `nil` when it has none.
    static func standing(_ id: String, _ caller: Caller, _ s: Services) async throws -> DraftMembers.Standing? {
        guard let principal = caller.principal, Act.draft.allows(principal), let (draft, members) = try await s.store.draft(of: id) else { return nil }
        return members.standing(of: principal.organisation, in: draft.agreement)
    }

    /// Whether agreement `id` has any version (a new draft's id must be unused).
    static func exists(_ id: String, _ caller: Caller, _ s: Services) async throws -> Bool {
        !(try await s.store.agreementVersions(id: id)).isEmpty
    }

    /// The newest version of agreement `id`, which the caller's organisation must be a party
    /// of (the editor's); a refusal, audited, when it is not.
    static func newestOfParty(_ id: String, _ caller: Caller, _ s: Services) async throws -> StoredAgreement {
        guard let newest = try await visibleVersions(id, caller, s).last else {
            // An agreement, or a draft, the caller may not see does not exist to them (audited).
            var refusal = APIError.notFound("no such agreement / avtalet finns inte")
            refusal.refusal = caller.refusal("no agreement \(id) it may see")
            throw refusal
        }
        guard caller.organisation == nil || newest.agreement.parties.contains(where: { $0.orgNumber == caller.organisation }) else {
            var refusal = APIError.forbidden("your organisation is not a party to \(id) / din organisation är inte part i avtalet")
            refusal.refusal = caller.refusal("not a party to \(id)")
            throw refusal
        }
        return newest
    }

    // MARK: Writing

    /// Imports or revises an agreement from its whole document (the API's `PUT` and `samspar
    /// agreement import`): a coordinator works on their own organisation's agreements only and
    /// never changes the registry; the operator's import creates the organisations it lacks.
    public static func importDocument(_ agreement: Agreement, document: Data, _ caller: Caller, _ s: Services) async throws -> AgreementImportResult {
        do {
            return try await s.store.importAgreement(
                agreement, document: document, importedAt: s.now(), editor: editor(caller),
                audit: { result in
                    let added =
                        result.addedOrganisations.isEmpty
                        ? "" : "; added to the registry: " + result.addedOrganisations.map(\.description).joined(separator: ", ")
                    return caller.entry("agreement", detail: "\(result.id) version \(result.version)\(added)")
                })
        } catch let error as AgreementStoreError {
            throw refusal(error, caller)
        } catch let error as DraftError {
            throw refusal(error, caller)
        }
    }

    /// The error with the page text that says it (`agreementError.<key>`) and its field.
    static func tagged(_ error: APIError, _ key: String, field: String? = nil) -> APIError {
        var e = error
        e.pageText = "agreementError." + key
        e.field = field
        return e
    }

    /// Saves a draft for the principal's organisation, which must be a party of it (and of
    /// the agreement as it stands). A new agreement's id must be unused.
    static func saveDraft(_ agreement: Agreement, new: Bool = false, _ caller: Caller, _ s: Services) async throws
        -> AgreementImportResult
    {
        guard agreement.isDraft else {
            throw APIError.invalid(
                "a draft has the status draft / ett utkast har status utkast", problems: [.init(line: 0, column: "status", reason: "must be draft")])
        }
        if new, !(try await s.store.agreementVersions(id: agreement.id)).isEmpty {
            throw APIError.conflict(AgreementStoreError.exists(agreement.id).description)
        }
        do {
            return try await s.store.saveAgreementDraft(
                agreement, at: s.now(), editor: editor(caller), audit: { caller.entry("agreement", detail: "\($0.id) version \($0.version) draft saved") })
        } catch let error as AgreementStoreError {
            throw refusal(error, caller)
        } catch let error as DraftError {
            throw refusal(error, caller)
        }
    }

    /// A party's signature: the caller's organisation's, or, for the operator, `party`'s on its
    /// behalf (an agreement signed on paper).
    public static func sign(
        id: String, party: Organisationsnummer? = nil, place: String?, date: String, name: String, title: String?, text: String? = nil, _ caller: Caller,
        _ s: Services
    ) async throws -> (AgreementImportResult, Agreement) {
        guard let party = caller.organisation ?? party else { throw APIError.badRequest("the signing party is required") }
        let day: Day
        do { day = try Day(plausibleISO: date) } catch {
            throw tagged(
                APIError.invalid(
                    "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "badDate", field: "date")
        }
        let signature = Agreement.Signature(
            orgNumber: party, place: place?.trimmed.nilIfEmpty, date: day, name: name.trimmed, title: title?.trimmed.nilIfEmpty)
        do {
            return try await s.store.signAgreement(
                id: id, signature: signature, today: s.today, at: s.now(), text: text,
                // The operator signs on a party's behalf, and says whose signature it is.
                audit: { caller.entry("agreement", detail: "\($0.id) version \($0.version) signed" + (caller.organisation == nil ? " by \(party)" : "")) })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, caller)
        } catch let error as SigningError {
            var refused = signingRefusal(error, caller)
            refused.reason = error.description
            throw refused
        }
    }

    /// How a refused signature reads.
    static func signingRefusal(_ error: SigningError, _ caller: Caller) -> APIError {
        switch error {
        case .notAParty:
            var refusal = APIError.forbidden("\(error.description) / din organisation är inte part i avtalet")
            refusal.refusal = caller.refusal(error.description)
            return refusal
        case .notADraft: return tagged(APIError.conflict(error.description), "notADraft")
        case .alreadySigned: return tagged(APIError.conflict(error.description), "alreadySigned")
        case .incomplete(let missing):
            return tagged(
                APIError.invalid(
                    "the agreement cannot be signed while something is missing / något saknas",
                    problems: missing.map { .init(line: 0, column: $0.path, reason: $0.reason) }), "incomplete")
        case .emptyName:
            return tagged(
                APIError.invalid(
                    "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "name", reason: "is empty")]),
                "emptyName", field: "name")
        case .futureDate:
            return tagged(
                APIError.invalid(
                    "the agreement was not signed / avtalet undertecknades inte", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "futureDate", field: "date")
        }
    }

    /// Starts a revision: a new draft version from the newest signed one.
    public static func revise(id: String, _ caller: Caller, _ s: Services) async throws -> AgreementImportResult {
        do {
            return try await s.store.reviseAgreement(
                id: id, at: s.now(), editor: editor(caller),
                audit: { caller.entry("agreement", detail: "\($0.id) version \($0.version) revision started") })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, caller)
        }
    }

    /// A party's notice of termination: the caller's organisation's, or, for the operator,
    /// `party`'s on its behalf.
    public static func terminate(id: String, party: Organisationsnummer? = nil, date: String, _ caller: Caller, _ s: Services) async throws
        -> AgreementImportResult
    {
        guard let party = caller.organisation ?? party else { throw APIError.badRequest("the party giving notice is required") }
        let day: Day
        do { day = try Day(plausibleISO: date) } catch {
            throw tagged(
                APIError.invalid(
                    "no notice was recorded / ingen uppsägning registrerades", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "badDate", field: "date")
        }
        do {
            return try await s.store.terminateAgreement(
                id: id, termination: .init(orgNumber: party, date: day), today: s.today, at: s.now(), editor: editor(caller),
                audit: { caller.entry("agreement", detail: "\($0.id) version \($0.version) notice from \(day)") })
        } catch StoreError.unknownAgreement {
            throw APIError.notFound("no such agreement / avtalet finns inte")
        } catch let error as AgreementStoreError {
            throw refusal(error, caller)
        }
    }

    // MARK: Invitations (SPEC §2, Drafts are invitations)

    /// The caller's organisation accepts its invitation to the draft of `id`.
    static func accept(_ id: String, _ caller: Caller, _ s: Services) async throws {
        guard let own = caller.organisation else { throw APIError.badRequest("an invitation is answered by a party's coordinator") }
        do {
            try await s.store.acceptDraft(id, by: own, audit: caller.entry("agreement", detail: "\(id) draft accepted"), at: s.now())
        } catch let error as DraftError {
            throw refusal(error, caller)
        }
    }

    /// The caller's organisation declines: it leaves the draft, whose signatures are cleared.
    static func decline(_ id: String, _ caller: Caller, _ s: Services) async throws {
        guard let own = caller.organisation else { throw APIError.badRequest("an invitation is answered by a party's coordinator") }
        do {
            try await s.store.declineDraft(id, by: own, audit: caller.entry("agreement", detail: "\(id) draft declined"), at: s.now())
        } catch let error as DraftError {
            throw refusal(error, caller)
        }
    }

    /// An owner (or the operator) deletes a draft nobody has signed.
    public static func deleteDraft(_ id: String, _ caller: Caller, _ s: Services) async throws {
        do {
            try await s.store.deleteDraft(id, by: caller.organisation, audit: caller.entry("agreement", detail: "\(id) draft deleted"), at: s.now())
        } catch let error as DraftError {
            throw refusal(error, caller)
        }
    }

    /// How a refusal of a draft's invitation reads: to an organisation that was not invited
    /// the draft does not exist (`404`, audited).
    static func refusal(_ error: DraftError, _ caller: Caller) -> APIError {
        var refused: APIError
        switch error {
        case .notInvited:
            refused = APIError.notFound("no such draft / utkastet finns inte")
            refused.refusal = caller.refusal(error.description)
        case .notOwner, .notAccepted, .notOwnParts:
            refused = APIError.forbidden("\(error.description) / din organisation får inte göra det i utkastet")
            refused.refusal = caller.refusal(error.description)
        case .owner, .partyInForce, .signed, .noDraft: refused = APIError.conflict(error.description)
        case .notice:
            refused = APIError.invalid(
                "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "termination", reason: error.description)])
        }
        refused.reason = error.description
        return refused
    }

    /// One mapping of the store's refusals of an agreement's change to answers, each keeping
    /// the store's own words (``APIError/reason``) for the command line.
    static func refusal(_ error: AgreementStoreError, _ caller: Caller) -> APIError {
        var refused = answer(error, caller)
        refused.reason = error.description
        return refused
    }

    private static func answer(_ error: AgreementStoreError, _ caller: Caller) -> APIError {
        switch error {
        case .notAParty, .notAPartyOfExisting:
            var refusal = APIError.forbidden("\(error.description) / din organisation är inte part i avtalet")
            refusal.refusal = caller.refusal(error.description)
            return refusal
        case .partyMismatch, .unknownParty:
            return APIError.invalid(
                "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)])
        case .draftOpen: return tagged(APIError.conflict(error.description), "draftOpen")
        case .exists: return tagged(APIError.conflict(error.description), "exists")
        case .notSigned: return tagged(APIError.conflict(error.description), "notSigned")
        case .terminated: return tagged(APIError.conflict(error.description), "terminated")
        case .signedVersion: return tagged(APIError.conflict(error.description), "signedVersion")
        case .textChanged: return tagged(APIError.conflict(error.description), "textChanged")
        case .signaturesBySigning:
            return tagged(
                APIError.invalid(
                    "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)]),
                "signaturesBySigning")
        case .dropsParty:
            return tagged(
                APIError.invalid(
                    "the agreement was not saved / avtalet sparades inte", problems: [.init(line: 0, column: "parties", reason: error.description)]),
                "dropsParty")
        case .noticeTooEarly(let day):
            var e = tagged(
                APIError.invalid(
                    "no notice was recorded / ingen uppsägning registrerades", problems: [.init(line: 0, column: "date", reason: error.description)]),
                "noticeTooEarly", field: "date")
            e.pageArgument = day.description
            return e
        }
    }

    /// The completeness check and the grant warnings, as JSON.
    static func check(_ a: Agreement, _ s: Services) -> JSONValue {
        let life = a.lifecycle(on: s.today)
        let signed = Set(a.signatures.map(\.orgNumber))
        return .object([
            ("status", .string(life.status.rawValue)), ("draft", .bool(a.isDraft)), ("text", .string(a.textDigest)),
            ("missing", .array(a.isDraft ? a.missingForSigning.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) } : [])),
            ("unsigned", .array(a.parties.filter { !signed.contains($0.orgNumber) }.map { .string($0.orgNumber.description) })),
            (
                "grantWarnings",
                .array(
                    a.grantsOverCap(s.grantRounds).map {
                        .object([("orgNumber", .string($0.grant.orgNumber.description)), ("applied", .int($0.grant.applied)), ("cap", .int($0.cap))])
                    })
            ),
        ])
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
