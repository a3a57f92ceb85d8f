import Foundation
import SamsparDomain

/// Migration 7 (issue 18): who owns a draft and who accepted its invitation, and drafts that
/// were deleted (their numbers are not reused and are listed as deleted).
enum DraftMigration {
    static func statements(bigint: String) -> [String] {
        [
            """
            CREATE TABLE draft_members (
                agreement_id TEXT NOT NULL REFERENCES agreements(id),
                version INTEGER NOT NULL,
                org_number \(bigint) NOT NULL,
                standing TEXT NOT NULL,
                PRIMARY KEY (agreement_id, version, org_number)
            )
            """,
            "ALTER TABLE agreement_versions ADD COLUMN deleted_at TEXT",
        ]
    }
}

/// Why an act on a draft's invitation was refused.
public enum DraftError: Error, Equatable, CustomStringConvertible {
    /// The organisation is not invited to the draft (or there is no draft): to it there is none.
    case notInvited(String)
    /// The newest version is signed by every party: there is no draft.
    case noDraft(String)
    /// Owners do not accept or decline: they edit, delete, or give notice.
    case owner(String)
    /// Only the draft's owners delete it.
    case notOwner(String)
    /// A party to the version in force gives notice instead of declining its revision.
    case partyInForce(String)
    /// Someone has signed it: it can no longer be deleted.
    case signed(String)
    /// An accepted party edited more than its own parts.
    case notOwnParts(String)
    /// Only owners and accepted parties edit a draft.
    case notAccepted(String)
    /// A draft carries no other party's notice.
    case notice(String)

    public var description: String {
        switch self {
        case .notInvited(let id): "there is no draft '\(id)' that your organisation is invited to"
        case .noDraft(let id): "agreement '\(id)' has no draft: its newest version is signed by every party"
        case .owner(let id): "your organisation owns the draft of '\(id)': edit it, delete it, or give notice"
        case .notOwner(let id): "only the organisations that own the draft of '\(id)' may delete it"
        case .partyInForce(let id): "your organisation is a party to the version of '\(id)' in force: give notice instead of declining its revision"
        case .signed(let id): "the draft of '\(id)' has been signed by a party: it can no longer be deleted"
        case .notOwnParts(let id):
            "an invited party edits only its own signatory, cost lines, decisions and grants in the draft of '\(id)'"
        case .notAccepted(let id): "accept the invitation to the draft of '\(id)' before editing it"
        case .notice(let id): "a notice of termination is one party's own act (POST …/termination), not part of the draft of '\(id)'"
        }
    }
}

enum Drafts {
    static func setOwners(_ owners: [Organisationsnummer], of id: String, version: Int, in s: any SQLSession) async throws {
        for owner in Set(owners).sorted() {
            try await s.query(
                "INSERT INTO draft_members (agreement_id, version, org_number, standing) VALUES ($1, $2, $3, 'owner') ON CONFLICT DO NOTHING",
                [.text(id), .int(version), .int(owner.value)])
        }
    }

    /// The owners and accepted parties of version `version` of agreement `id`. A draft made
    /// before migration 7 has no rows: it belongs to every party it names, as the operator's.
    static func members(of id: String, version: Int, draft: Agreement, in s: any SQLSession) async throws -> DraftMembers {
        let rows = try await s.query(
            "SELECT org_number, standing FROM draft_members WHERE agreement_id = $1 AND version = $2", [.text(id), .int(version)])
        guard !rows.isEmpty else { return DraftMembers(owners: Set(draft.parties.map(\.orgNumber))) }
        var members = DraftMembers(owners: [])
        for row in rows {
            guard let org = Rows.org(row["org_number"]) else { continue }
            switch row["standing"].text {
            case "owner": members.owners.insert(org)
            case "accepted": members.accepted.insert(org)
            default: break
            }
        }
        return members
    }

    /// The draft of `id` (its newest version, when not signed by every party) and its members.
    static func draft(_ id: String, in s: any SQLSession) async throws -> (StoredAgreement, DraftMembers)? {
        guard let newest = try await Agreements.versions(id: id, in: s).last, !newest.agreement.signedByAll else { return nil }
        return (newest, try await members(of: id, version: newest.version, draft: newest.agreement, in: s))
    }

    static func copyMembers(of id: String, from: Int, to: Int, in s: any SQLSession) async throws {
        try await s.query(
            """
            INSERT INTO draft_members (agreement_id, version, org_number, standing)
            SELECT agreement_id, $3, org_number, standing FROM draft_members WHERE agreement_id = $1 AND version = $2
            ON CONFLICT DO NOTHING
            """, [.text(id), .int(from), .int(to)])
    }
}

extension SamsparStore {
    /// The draft of agreement `id` and who owns it and accepted it; `nil` when its newest
    /// version is signed by every party (or there is none).
    public func draft(of id: String) async throws -> (StoredAgreement, DraftMembers)? {
        try await read { try await Drafts.draft(id, in: $0) }
    }

    /// The owners and accepted parties of `draft`, version `version` of agreement `id` (read
    /// by the caller already).
    public func draftMembers(of id: String, version: Int, draft: Agreement) async throws -> DraftMembers {
        try await read { try await Drafts.members(of: id, version: version, draft: draft, in: $0) }
    }

    /// The numbers of the deleted drafts of agreement `id`.
    public func deletedVersions(of id: String) async throws -> [Int] {
        try await read { s in
            try await s.query(
                "SELECT version FROM agreement_versions WHERE agreement_id = $1 AND deleted_at IS NOT NULL ORDER BY version", [.text(id)]
            ).compactMap { $0["version"].int.map(Int.init) }
        }
    }

    /// `organisation` accepts its invitation to the draft of `id`.
    public func acceptDraft(_ id: String, by organisation: Organisationsnummer, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            guard let (draft, members) = try await Drafts.draft(id, in: s) else { throw DraftError.notInvited(id) }
            switch members.standing(of: organisation, in: draft.agreement) {
            case nil: throw DraftError.notInvited(id)
            case .owner?: throw DraftError.owner(id)
            case .accepted?: return
            case .invited?:
                try await s.query(
                    "INSERT INTO draft_members (agreement_id, version, org_number, standing) VALUES ($1, $2, $3, 'accepted')",
                    [.text(id), .int(draft.version), .int(organisation.value)])
                try await AuditLog.append([audit], at: now, in: s)
            }
        }
    }

    /// `organisation` declines its invitation: it leaves the draft (with its cost lines,
    /// decisions and grants), and every signature is cleared.
    public func declineDraft(_ id: String, by organisation: Organisationsnummer, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            let versions = try await Agreements.versions(id: id, in: s)
            guard let (draft, members) = try await Drafts.draft(id, in: s) else { throw DraftError.notInvited(id) }
            switch members.standing(of: organisation, in: draft.agreement) {
            case nil: throw DraftError.notInvited(id)
            case .owner?: throw DraftError.owner(id)
            case .invited?, .accepted?: break
            }
            if let inForce = versions.last(where: { $0.agreement.signedByAll }),
                inForce.agreement.parties.contains(where: { $0.orgNumber == organisation })
            {
                throw DraftError.partyInForce(id)
            }
            let declined = draft.agreement.declined(by: organisation)
            try await s.query(
                "UPDATE agreement_versions SET document = $1, imported_at = $2 WHERE agreement_id = $3 AND version = $4",
                [.text(declined.document.serialized()), .text(ISO8601DateFormatter().string(from: now)), .text(id), .int(draft.version)])
            try await s.query(
                "DELETE FROM draft_members WHERE agreement_id = $1 AND version = $2 AND org_number = $3",
                [.text(id), .int(draft.version), .int(organisation.value)])
            // Still a party of another version (an earlier signed one)? It keeps that row.
            if !versions.dropLast().contains(where: { $0.agreement.parties.contains { $0.orgNumber == organisation } }) {
                try await s.query("DELETE FROM agreement_parties WHERE agreement_id = $1 AND org_number = $2", [.text(id), .int(organisation.value)])
            }
            try await AuditLog.append([audit], at: now, in: s)
        }
    }

    /// An owner deletes a draft nobody has signed: the version is kept as deleted, its number
    /// never reused. Answers ``DraftError/noDraft(_:)`` for a version signed by every party.
    public func deleteDraft(_ id: String, by organisation: Organisationsnummer?, audit: AuditDraft, at now: Date) async throws {
        try await transaction { s in
            try await s.lock("agreement:\(id)")
            guard let newest = try await Agreements.versions(id: id, in: s).last else { throw DraftError.notInvited(id) }
            guard let (draft, members) = try await Drafts.draft(id, in: s) else {
                if let organisation, !newest.agreement.parties.contains(where: { $0.orgNumber == organisation }) { throw DraftError.notInvited(id) }
                throw DraftError.noDraft(id)
            }
            if let organisation {
                switch members.standing(of: organisation, in: draft.agreement) {
                case nil: throw DraftError.notInvited(id)
                case .invited?, .accepted?: throw DraftError.notOwner(id)
                case .owner?: break
                }
            }
            guard draft.agreement.signatures.isEmpty else { throw DraftError.signed(id) }
            try await s.query(
                "UPDATE agreement_versions SET deleted_at = $1 WHERE agreement_id = $2 AND version = $3",
                [.text(ISO8601DateFormatter().string(from: now)), .text(id), .int(draft.version)])
            try await AuditLog.append([audit], at: now, in: s)
        }
    }
}
