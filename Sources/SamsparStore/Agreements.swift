import Crypto
import Foundation
import SamsparDomain

/// Who is importing an agreement, which decides what the import may do to the registry and
/// to whose agreements (SPEC §2, issue 7).
public enum AgreementEditor: Sendable, Equatable {
    /// The operator's `samspar agreement import`: creates the organisations the registry does
    /// not have yet (the one exception of SPEC §2), and may revise any agreement.
    case operatorCommand
    /// A coordinator of an organisation: the organisation must be a party of the new version,
    /// and of the version in force if the agreement exists; every party must already be in
    /// the registry.
    case coordinator(Organisationsnummer)
}

/// Why an agreement import was refused beyond the document's own validation.
public enum AgreementStoreError: Error, Equatable, CustomStringConvertible {
    case partyMismatch(index: Int, Organisationsnummer, reason: String)
    case unknownParty(index: Int, Organisationsnummer)
    case notAParty(Organisationsnummer)
    case notAPartyOfExisting(String, Organisationsnummer)
    /// A revision was asked for while a draft is open (finish or sign that first).
    case draftOpen(String)
    /// A new draft in Samspår was asked for with an id that exists.
    case exists(String)
    /// Notice was asked for on an agreement that is not signed by every party.
    case notSigned(String)
    /// Notice has been given already.
    case terminated(String)
    /// A coordinator's document may not carry signatures or a signed status: each party signs.
    case signaturesBySigning
    /// A revision may not leave out a party of the signed agreement.
    case dropsParty(Organisationsnummer, String)
    /// The newest version is signed by every party: a change is a revision.
    case signedVersion(String)
    /// A notice dated before the last signature, or more than 30 days back.
    case noticeTooEarly(Day)
    /// The draft changed after the signatory read it.
    case textChanged(String)

    public var description: String {
        switch self {
        case .partyMismatch(let i, let n, let reason): "parties[\(i)] (\(n)): \(reason)"
        case .unknownParty(let i, let n): "parties[\(i)] (\(n)): the organisation is not in the registry; ask the operator to add it (`samspar org add`)"
        case .notAParty(let n): "your organisation \(n) is not a party to this agreement"
        case .notAPartyOfExisting(let id, let n): "agreement '\(id)' exists and your organisation \(n) is not a party to it"
        case .draftOpen(let id): "agreement '\(id)' has a draft being edited: sign it or go on editing it"
        case .exists(let id): "an agreement with the id '\(id)' exists already"
        case .notSigned(let id): "agreement '\(id)' is not signed by every party: a draft needs no notice"
        case .terminated(let id): "notice of termination has been given for agreement '\(id)' already"
        case .signaturesBySigning:
            "a coordinator saves drafts (status draft, no signatures); each party signs through Samspår (POST …/signatures), "
                + "and an agreement signed on paper is imported by the operator (samspar agreement import)"
        case .dropsParty(let n, let name): "\(name) (\(n)) is a party to the signed agreement: a revision keeps it; a party leaves by its own notice"
        case .signedVersion(let id): "the newest version of '\(id)' is signed by every party: start a revision to change it"
        case .noticeTooEarly(let day): "a notice cannot be dated before \(day) (the last signature, or 30 days back)"
        case .textChanged(let id): "the draft of '\(id)' has changed since it was read: read it again before signing"
        }
    }
}

/// Agreements and their versions, written once over ``SQLSession`` for both engines.
public enum Agreements {
    static func versions(id: String, in s: any SQLSession) async throws -> [StoredAgreement] {
        try await s.query(
            "SELECT version, document, imported_at FROM agreement_versions WHERE agreement_id = $1 AND deleted_at IS NULL ORDER BY version", [.text(id)]
        )
        .map { row in
            StoredAgreement(agreement: try parseStored(row["document"].text ?? ""), version: Int(row["version"].int ?? 0))
        }
    }

    static func ids(in s: any SQLSession) async throws -> [String] {
        try await s.query("SELECT id FROM agreements ORDER BY id").compactMap { $0["id"].text }
    }

    /// The ids of the agreements `party` is a party to (its current version's parties).
    static func ids(party: Organisationsnummer, in s: any SQLSession) async throws -> [String] {
        try await s.query("SELECT agreement_id FROM agreement_parties WHERE org_number = $1 ORDER BY agreement_id", [.int(party.value)]).compactMap {
            $0["agreement_id"].text
        }
    }

    /// Stores a version (see ``SamsparStore/importAgreement(_:document:importedAt:editor:audit:)``).
    ///
    /// `replacingDraft`: a draft edited in Samspår (issue 9, part 2) is saved over the newest
    /// version while that version is itself a draft, so that a draft's many edits do not
    /// become versions; a signed version is never replaced (a change to it is a new version).
    ///
    /// `recorded`: the store's own signing and notice, which carry signatures they checked;
    /// any other write by a coordinator is a draft or nothing (issue 9: a party's signature is
    /// recorded by that party's coordinator signing, never asserted by another's document).
    static func store(
        _ agreement: Agreement, document: Data, importedAt: Date, editor: AgreementEditor, replacingDraft: Bool = false, recorded: Bool = false,
        in s: any SQLSession
    ) async throws -> AgreementImportResult {
        try await s.lock("agreement:\(agreement.id)")
        let versions = try await versions(id: agreement.id, in: s)
        if case .coordinator(let own) = editor {
            try requireParty(own, of: versions.last?.agreement, id: agreement.id)
            if Mutant.decide("agreement.party", !agreement.parties.contains(where: { $0.orgNumber == own })) { throw AgreementStoreError.notAParty(own) }
            let unchanged = versions.last.map { $0.agreement == agreement } ?? false
            if !recorded, !unchanged, Mutant.decide("agreement.signaturesBySigning", !agreement.isDraft || !agreement.signatures.isEmpty) {
                throw AgreementStoreError.signaturesBySigning
            }
            if !recorded { try await checkEdit(agreement, by: own, versions: versions, in: s) }
            // A revision keeps every party of the agreement signed before it: a party leaves by
            // its own notice, never by another party's draft.
            if let signed = versions.last(where: { $0.agreement.signedByAll })?.agreement {
                for party in signed.parties where Mutant.decide("agreement.keepsParties", !agreement.parties.contains { $0.orgNumber == party.orgNumber }) {
                    throw AgreementStoreError.dropsParty(party.orgNumber, party.name)
                }
            }
        }
        // The registry decides kind and kommunkod; an agreement never changes an organisation.
        var added: [Organisationsnummer] = []
        for (i, party) in agreement.parties.enumerated() {
            if let known = try await Organisations.find(party.orgNumber, in: s) {
                if Mutant.decide("agreement.registryKind", known.kind != party.kind) {
                    throw AgreementStoreError.partyMismatch(
                        index: i, party.orgNumber, reason: "the registry has kind \(known.kind.rawValue), the agreement says \(party.kind.rawValue)")
                }
                if Mutant.decide("agreement.registryKommunkod", known.municipalityCode != party.municipalityCode) {
                    throw AgreementStoreError.partyMismatch(
                        index: i, party.orgNumber,
                        reason: "the registry has kommunkod \(known.municipalityCode?.description ?? "none"), "
                            + "the agreement says \(party.municipalityCode?.description ?? "none")")
                }
            } else if Mutant.decide("agreement.operatorCreates", editor == .operatorCommand) {
                try await Organisations.add(
                    Organisation(number: party.orgNumber, name: party.name, kind: party.kind, municipalityCode: party.municipalityCode), in: s)
                added.append(party.orgNumber)
            } else {
                throw AgreementStoreError.unknownParty(index: i, party.orgNumber)
            }
        }
        if let newest = versions.last, newest.agreement == agreement {
            return AgreementImportResult(id: agreement.id, version: newest.version, change: .unchanged, addedOrganisations: added)
        }
        if replacingDraft, let newest = versions.last, newest.agreement.isDraft {
            try await s.query(
                "UPDATE agreement_versions SET valid_from = $1, document = $2, imported_at = $3 WHERE agreement_id = $4 AND version = $5",
                [
                    .int(Int(agreement.validFrom.ordinal)), .text(String(decoding: document, as: UTF8.self)),
                    .text(ISO8601DateFormatter().string(from: importedAt)), .text(agreement.id), .int(newest.version),
                ])
            // The parties of every version (a party dropped from a draft no longer sees it).
            var parties = Set(versions.dropLast().flatMap { $0.agreement.parties.map(\.orgNumber) })
            parties.formUnion(agreement.parties.map(\.orgNumber))
            try await s.query("DELETE FROM agreement_parties WHERE agreement_id = $1", [.text(agreement.id)])
            for party in parties.sorted() {
                try await s.query("INSERT INTO agreement_parties (agreement_id, org_number) VALUES ($1, $2)", [.text(agreement.id), .int(party.value)])
            }
            try await storeTracks(agreement, in: s)
            return AgreementImportResult(id: agreement.id, version: newest.version, change: .revised, addedOrganisations: added)
        }
        // A deleted draft's number is not reused (SPEC §2).
        let highest = try await s.query("SELECT max(version) AS v FROM agreement_versions WHERE agreement_id = $1", [.text(agreement.id)]).first?["v"].int
        let version = Int(highest ?? 0) + 1
        if highest == nil {
            try await s.query("INSERT INTO agreements (id, current_version) VALUES ($1, $2)", [.text(agreement.id), .int(version)])
        } else {
            try await s.query("UPDATE agreements SET current_version = $1 WHERE id = $2", [.int(version), .text(agreement.id)])
        }
        try await s.query(
            "INSERT INTO agreement_versions (agreement_id, version, valid_from, document, imported_at) VALUES ($1, $2, $3, $4, $5)",
            [
                .text(agreement.id), .int(version), .int(Int(agreement.validFrom.ordinal)), .text(String(decoding: document, as: UTF8.self)),
                .text(ISO8601DateFormatter().string(from: importedAt)),
            ])
        for party in agreement.parties {
            try await s.query(
                "INSERT INTO agreement_parties (agreement_id, org_number) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [.text(agreement.id), .int(party.orgNumber.value)])
        }
        try await storeTracks(agreement, in: s)
        if !agreement.signedByAll {
            // Who owns the new draft (SPEC §2): the parties of the version it revises; for a new
            // agreement, the coordinator's organisation, or every party the operator's names.
            let owners: [Organisationsnummer]
            if let revised = versions.last(where: { $0.agreement.signedByAll }) ?? versions.last {
                owners = revised.agreement.parties.map(\.orgNumber)
            } else if case .coordinator(let own) = editor {
                owners = [own]
            } else {
                owners = agreement.parties.map(\.orgNumber)
            }
            try await Drafts.setOwners(owners, of: agreement.id, version: version, in: s)
        }
        return AgreementImportResult(id: agreement.id, version: version, change: versions.isEmpty ? .created : .revised, addedOrganisations: added)
    }

    /// A draft is edited by its owners, and by an invited party that accepted, in its own parts
    /// only (SPEC §2); it carries no other party's notice: its notice is the one of the version
    /// in force, if any, copied in.
    static func checkEdit(_ agreement: Agreement, by own: Organisationsnummer, versions: [StoredAgreement], in s: any SQLSession) async throws {
        if let newest = versions.last, !newest.agreement.signedByAll {
            let members = try await Drafts.members(of: agreement.id, version: newest.version, draft: newest.agreement, in: s)
            switch members.standing(of: own, in: newest.agreement) {
            case nil: throw AgreementStoreError.notAPartyOfExisting(agreement.id, own)
            case .invited?: throw DraftError.notAccepted(agreement.id)
            case .accepted?:
                if Mutant.decide("draft.ownParts", agreement.withoutOwnParts(of: own) != newest.agreement.withoutOwnParts(of: own)) {
                    throw DraftError.notOwnParts(agreement.id)
                }
            case .owner?: break
            }
        }
        if agreement.termination != versions.last(where: { $0.agreement.signedByAll })?.agreement.termination {
            throw DraftError.notice(agreement.id)
        }
    }

    /// A coordinator acts on an existing agreement only for an organisation that is a party
    /// to its newest version. Checked before anything else is said about the agreement, so a
    /// stranger hears "not a party" (audited), never "a draft is open".
    static func requireParty(_ organisation: Organisationsnummer, of newest: Agreement?, id: String) throws {
        guard let newest else { return }
        if Mutant.decide("agreement.partyOfExisting", !newest.parties.contains(where: { $0.orgNumber == organisation })) {
            throw AgreementStoreError.notAPartyOfExisting(id, organisation)
        }
    }

    /// A version's tracks, once every party has signed it: a draft's tracks live with the
    /// draft (SPEC §2), so no event can name them.
    private static func storeTracks(_ agreement: Agreement, in s: any SQLSession) async throws {
        guard Mutant.decide("tracks.signedOnly", agreement.signedByAll) else { return }
        for track in agreement.tracks {
            try await s.query(
                "INSERT INTO tracks (agreement_id, code, name) VALUES ($1, $2, $3) ON CONFLICT (agreement_id, code) DO UPDATE SET name = excluded.name",
                [.text(agreement.id), .text(track.code), .text(track.name)])
        }
    }
}

/// Reads back a stored agreement document (validated when it was imported).
/// A plain function: the optimiser crashed on typed throws inside an async closure here.
func parseStored(_ document: String) throws -> Agreement {
    if let parsed = StoredDocuments.parsed.withLock({ $0.agreements[document] }) { return parsed }
    let agreement: Agreement
    do {
        agreement = try Agreement.parse(json: Data(document.utf8))
    } catch {
        throw error as any Error
    }
    StoredDocuments.parsed.withLock { StoredDocuments.keep(agreement, parsedFrom: document, in: &$0) }
    return agreement
}

/// The stored agreement documents this process has parsed, by their text. Reading a version
/// parses and checks its whole document (``Agreement/parse(json:)``), about 1.5 ms for a
/// national agreement's 4 KB, and every report, page and close reads the versions it needs:
/// the read of every report parsed 97 of them, 150 ms of its 2 s on PostgreSQL (issue 27,
/// tenth step). Parsing is a function of the text alone, so a text seen before gives the
/// agreement parsed then; a draft saved over its version has a new text and is parsed anew.
/// Texts of at most ``limit`` bytes in all are kept (a national database's 97 agreements are
/// 400 KB; a parsed agreement takes about as much again); past that the memory starts over.
enum StoredDocuments {
    static let limit = 8 << 20
    typealias Kept = (agreements: [String: Agreement], bytes: Int)
    static let parsed = Locked<Kept>(([:], 0))

    /// Keeps `agreement` by its text (once), first forgetting every text kept if the new one
    /// would take the texts past `limit` bytes.
    static func keep(_ agreement: Agreement, parsedFrom document: String, in kept: inout Kept, limit: Int = limit) {
        guard kept.agreements[document] == nil else { return }
        if kept.bytes + document.utf8.count > limit { kept = ([:], 0) }
        kept.agreements[document] = agreement
        kept.bytes += document.utf8.count
    }
}

extension SamsparStore {
    /// Stores an agreement. Re-importing the same id with a different document makes a new
    /// version (the earlier ones stay readable); the same document again changes nothing.
    /// The audit entry commits in the same transaction.
    public func importAgreement(
        _ agreement: Agreement, document: Data, importedAt: Date, editor: AgreementEditor = .operatorCommand,
        audit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
    ) async throws -> AgreementImportResult {
        try await transaction { s in
            let result = try await Agreements.store(agreement, document: document, importedAt: importedAt, editor: editor, in: s)
            if let audit { try await AuditLog.append([audit(result)], at: importedAt, in: s) }
            return result
        }
    }

    /// Saves a draft edited in Samspår (issue 9, part 2): over the newest version while it is
    /// a draft, else as a new version. The coordinator's organisation must be a party of both.
    public func saveAgreementDraft(
        _ agreement: Agreement, at: Date, editor: AgreementEditor, audit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
    ) async throws -> AgreementImportResult {
        try await transaction { s in
            try await s.lock("agreement:\(agreement.id)")
            let newest = try await Agreements.versions(id: agreement.id, in: s).last
            if case .coordinator(let own) = editor { try Agreements.requireParty(own, of: newest?.agreement, id: agreement.id) }
            // Checked under the lock: a save that arrives just after the last signature is no revision.
            if let newest, !newest.agreement.isDraft { throw AgreementStoreError.signedVersion(agreement.id) }
            if case .coordinator(let own) = editor {
                try await Agreements.checkEdit(agreement, by: own, versions: try await Agreements.versions(id: agreement.id, in: s), in: s)
            }
            // What the parties signed stays signed only while the text is unchanged.
            let previous = newest?.agreement
            let saved = agreement.savedOver(previous)
            let document = Data(saved.document.serialized().utf8)
            // The signatures `savedOver` kept are those recorded by signing this very text.
            let result = try await Agreements.store(
                saved, document: document, importedAt: at, editor: editor, replacingDraft: true, recorded: true, in: s)
            if let audit { try await AuditLog.append([audit(result)], at: at, in: s) }
            return result
        }
    }

    /// Records a party's signature on the newest version (issue 9, part 3), under the
    /// agreement's lock so that two parties signing at once both count. Throws
    /// ``SigningError`` when the agreement is not a draft, the party has signed or is not a
    /// party, or something is missing.
    ///
    /// `text`: the ``Agreement/textDigest`` of the text the signatory read (the sign form
    /// carries it); when the draft has changed since, nothing is signed.
    public func signAgreement(
        id: String, signature: Agreement.Signature, today: Day, at: Date, text: String? = nil,
        audit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
    ) async throws -> (AgreementImportResult, Agreement) {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            guard let newest = try await Agreements.versions(id: id, in: s).last else { throw StoreError.unknownAgreement(id) }
            if let text, newest.agreement.parties.contains(where: { $0.orgNumber == signature.orgNumber }), text != newest.agreement.textDigest {
                throw AgreementStoreError.textChanged(id)
            }
            let signed = try newest.agreement.signing(signature, today: today)
            let document = Data(signed.document.serialized().utf8)
            let result = try await Agreements.store(
                signed, document: document, importedAt: at, editor: .coordinator(signature.orgNumber), replacingDraft: true, recorded: true, in: s)
            if let audit { try await AuditLog.append([audit(result)], at: at, in: s) }
            return (result, signed)
        }
    }

    /// Starts a revision (issue 9, part 5): a new version copied from the newest, signatures
    /// cleared, as a draft. Refused while the newest version is a draft already.
    public func reviseAgreement(
        id: String, at: Date, editor: AgreementEditor, audit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
    ) async throws -> AgreementImportResult {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            guard let newest = try await Agreements.versions(id: id, in: s).last else { throw StoreError.unknownAgreement(id) }
            if case .coordinator(let own) = editor { try Agreements.requireParty(own, of: newest.agreement, id: id) }
            guard !newest.agreement.isDraft else { throw AgreementStoreError.draftOpen(id) }
            let draft = newest.agreement.revision()
            let result = try await Agreements.store(
                draft, document: Data(draft.document.serialized().utf8), importedAt: at, editor: editor, in: s)
            if let audit { try await AuditLog.append([audit(result)], at: at, in: s) }
            return result
        }
    }

    /// Records a party's notice of termination (issue 9, part 4) as a new version: the signed
    /// version as it was, with the notice. Refused while a draft is open, when the newest
    /// version is not signed by every party, or when notice has been given already.
    public func terminateAgreement(
        id: String, termination: Agreement.Termination, today: Day, at: Date, editor: AgreementEditor,
        audit: (@Sendable (AgreementImportResult) -> AuditDraft)? = nil
    ) async throws -> AgreementImportResult {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            let versions = try await Agreements.versions(id: id, in: s)
            guard versions.last != nil else { throw StoreError.unknownAgreement(id) }
            // A notice is one party's own act (SPEC §2): a revision being drafted does not stop it.
            guard let signed = versions.last(where: { $0.agreement.signedByAll }) else {
                if let newest = versions.last { try Agreements.requireParty(termination.orgNumber, of: newest.agreement, id: id) }
                throw AgreementStoreError.notSigned(id)
            }
            try Agreements.requireParty(termination.orgNumber, of: signed.agreement, id: id)
            guard signed.agreement.termination == nil else { throw AgreementStoreError.terminated(id) }
            // Decision: a notice may be recorded up to 30 days after its date (a letter takes
            // time to reach the coordinator), never before the agreement's last signature.
            let earliest = max(today.adding(days: -30), signed.agreement.signatures.map(\.date).max() ?? today)
            guard termination.date >= earliest else { throw AgreementStoreError.noticeTooEarly(earliest) }
            var ended = signed.agreement
            ended.termination = termination
            let result = try await Agreements.store(
                ended, document: Data(ended.document.serialized().utf8), importedAt: at, editor: editor, recorded: true, in: s)
            // A draft open meanwhile goes on after the notice, with the notice copied in (it
            // cannot be removed there): a new number, the old one kept as deleted.
            if let open = versions.last, !open.agreement.signedByAll {
                var draft = open.agreement.revision()
                draft.termination = termination
                let moved = try await Agreements.store(
                    draft, document: Data(draft.document.serialized().utf8), importedAt: at, editor: .operatorCommand, recorded: true, in: s)
                try await Drafts.copyMembers(of: id, from: open.version, to: moved.version, in: s)
                try await s.query(
                    "UPDATE agreement_versions SET deleted_at = $1 WHERE agreement_id = $2 AND version = $3",
                    [.text(ISO8601DateFormatter().string(from: at)), .text(id), .int(open.version)])
            }
            if let audit { try await AuditLog.append([audit(result)], at: at, in: s) }
            return result
        }
    }

    /// Every version of one agreement, oldest first (empty when there is no such agreement).
    public func agreementVersions(id: String) async throws -> [StoredAgreement] {
        try await read { try await Agreements.versions(id: id, in: $0) }
    }

    /// The newest version signed by every party of every agreement `party` is a party to in
    /// such a version, in id order: what its pages offer (its tracks, its target groups, "Att
    /// göra"). A draft binds nobody and has no effect outside its own pages (SPEC §2).
    public func agreements(withParty party: Organisationsnummer) async throws -> [StoredAgreement] {
        try await read { s in
            var result: [StoredAgreement] = []
            for id in try await Agreements.ids(party: party, in: s) {
                let signed = try await Agreements.versions(id: id, in: s).filter { $0.agreement.signedByAll }
                if let stored = signed.last, stored.agreement.parties.contains(where: { $0.orgNumber == party }) { result.append(stored) }
            }
            return result
        }
    }

    /// The ids of every agreement, in order.
    public func agreementIDs() async throws -> [String] {
        try await read { try await Agreements.ids(in: $0) }
    }
}

extension Agreement {
    /// SHA-256 of the text the parties sign: the document without its signatures and status.
    /// The sign form carries it, so a signature is given to the text its signatory read.
    public var textDigest: String {
        var text = self
        text.signatures = []
        text.status = .draft
        return SHA256.hash(data: Data(text.document.serialized(pretty: false).utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
