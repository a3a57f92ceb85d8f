import Foundation
import SamsparDomain

/// Migration 4 (issue 9, part 7): published follow-up reports. Both engines run the same
/// statement with their own type names.
enum PublicationMigration {
    static func statements(bigint: String, identity: String) -> [String] {
        [
            """
            CREATE TABLE published_reports (
                id \(identity),
                agreement_id TEXT NOT NULL REFERENCES agreements(id),
                year INTEGER NOT NULL,
                as_of INTEGER NOT NULL,
                agreement_version INTEGER NOT NULL,
                content_hash TEXT NOT NULL UNIQUE,
                document TEXT NOT NULL,
                published_at TEXT NOT NULL,
                published_by TEXT NOT NULL,
                org_number \(bigint) NOT NULL
            )
            """,
            "CREATE INDEX published_by_agreement ON published_reports (agreement_id, id)",
        ]
    }
}

/// A follow-up report as it was published (issue 9, part 7): the document's exact text and
/// the SHA-256 of that text. Nothing ever changes or deletes one; what later imports add does
/// not reach it.
public struct PublishedReport: Sendable, Equatable {
    public var id: Int64
    public var agreementID: String
    public var year: Int
    public var asOf: Day
    public var agreementVersion: Int
    public var contentHash: String
    public var document: String
    public var publishedAt: String
    public var publishedBy: String
    public var organisation: Organisationsnummer
    /// The close it made public; `nil` for a publication made before closes existed, which
    /// was computed at its own as-of when it was published (README, issue 17).
    public var quarter: Quarter? = nil
}

extension SamsparStore {
    /// Makes the stored close of `quarter` public (SPEC §3): its suppressed form, byte for
    /// byte, with its hash; nothing is computed afresh. The same close published again is the
    /// same publication; `audit` is written with a new one. `nil`: no such close is stored.
    public func publishClose(
        agreementID: String, quarter: Quarter, by actor: String, organisation: Organisationsnummer,
        audit: @escaping @Sendable (PublishedReport) -> AuditDraft, at now: Date
    ) async throws -> (report: PublishedReport, made: Bool)? {
        try await transaction { s in
            guard let close = try await CloseRows.all(agreementID: agreementID, quarter: quarter, in: s).first else { return nil }
            if let existing = try await Publications.find(hash: close.suppressedHash, in: s) { return (existing, false) }
            let rows = try await s.query(
                """
                INSERT INTO published_reports (agreement_id, year, as_of, agreement_version, content_hash, document, published_at, published_by, org_number, quarter)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                [
                    .text(agreementID), .int(close.year), .int(Int(close.asOf.ordinal)), .int(close.agreementVersion), .text(close.suppressedHash),
                    .text(close.suppressed), .text(Rows.timestamp(now)), .text(actor), .int(organisation.value), .text(quarter.description),
                ])
            guard let id = rows.first?["id"].int else { throw StoreError.unknownAgreement(agreementID) }
            let published = PublishedReport(
                id: id, agreementID: agreementID, year: close.year, asOf: close.asOf, agreementVersion: close.agreementVersion,
                contentHash: close.suppressedHash, document: close.suppressed, publishedAt: Rows.timestamp(now), publishedBy: actor,
                organisation: organisation, quarter: quarter)
            try await AuditLog.append([audit(published)], at: now, in: s)
            return (published, true)
        }
    }

    /// Every publication of an agreement, newest first.
    public func publishedReports(agreementID: String) async throws -> [PublishedReport] {
        try await read { try await Publications.all(agreementID: agreementID, in: $0) }
    }

    public func publishedReport(agreementID: String, id: Int64) async throws -> PublishedReport? {
        try await read { try await Publications.all(agreementID: agreementID, id: id, in: $0).first }
    }
}

enum Publications {
    static let columns = "id, agreement_id, year, as_of, agreement_version, content_hash, document, published_at, published_by, org_number, quarter"

    static func row(_ r: SQLRow) -> PublishedReport? {
        guard let id = r["id"].int, let agreement = r["agreement_id"].text, let year = r["year"].int, let asOf = r["as_of"].int,
            let version = r["agreement_version"].int, let hash = r["content_hash"].text, let document = r["document"].text,
            let at = r["published_at"].text, let by = r["published_by"].text, let org = r["org_number"].int
        else { return nil }
        return PublishedReport(
            id: id, agreementID: agreement, year: Int(year), asOf: Day(ordinal: Int32(asOf)), agreementVersion: Int(version), contentHash: hash,
            document: document, publishedAt: at, publishedBy: by, organisation: Organisationsnummer(storedValue: org),
            quarter: r["quarter"].text.flatMap { Quarter($0) })
    }

    static func find(hash: String, in s: any SQLSession) async throws -> PublishedReport? {
        try await s.query("SELECT \(columns) FROM published_reports WHERE content_hash = $1", [.text(hash)]).compactMap(row).first
    }

    static func all(agreementID: String, id: Int64? = nil, in s: any SQLSession) async throws -> [PublishedReport] {
        if let id {
            return try await s.query(
                "SELECT \(columns) FROM published_reports WHERE agreement_id = $1 AND id = $2", [.text(agreementID), .int(id)]
            ).compactMap(row)
        }
        return try await s.query(
            "SELECT \(columns) FROM published_reports WHERE agreement_id = $1 ORDER BY id DESC", [.text(agreementID)]
        ).compactMap(row)
    }
}
