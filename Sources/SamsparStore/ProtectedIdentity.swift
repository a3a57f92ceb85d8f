import Foundation
import SamsparDomain

/// Migration 10 (issue 23): a party's mark on its registration of a person (SPEC §2,
/// *Protected identity*). `protected_ref` is `NULL` for a registration that is not marked, and
/// otherwise the party's own random reference to it, which its pages link with instead of the
/// identity number. The mark is the registration's, so retention and erasure remove it with
/// the row, and `db copy` copies it with the row.
enum ProtectedIdentityMigration {
    static let statements = [
        "ALTER TABLE registrations ADD COLUMN protected_ref TEXT",
        "CREATE INDEX registrations_protected_ref ON registrations (protected_ref) WHERE protected_ref IS NOT NULL",
    ]

    /// What an import runs after its upsert: a `no` staged for a person the party had not
    /// registered before went in as the empty text (an upsert's `excluded` row is what would
    /// be inserted, so the empty text is what tells `no` from "leave it"); it means "not marked".
    static let clearEmpty = "UPDATE registrations SET protected_ref = NULL WHERE protected_ref = ''"

    /// A fresh reference: 128 random bits as 32 hexadecimal digits.
    static func newReference() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// How a file row stages the mark: `NULL` leaves it (an absent or empty cell), an empty
    /// text removes it (`no`), a fresh reference sets it (`yes`; an existing mark keeps its own).
    static func staged(_ protected: Bool?) -> String? {
        switch protected {
        case nil: nil
        case false?: ""
        case true?: newReference()
        }
    }

    /// The marks a staged file is about to set or remove (each registration's last row that
    /// says `yes` or `no`), as `person_id`, `org_number` and `marked` (1 set, 0 removed): each
    /// becomes an audit entry. One pass over the staging table and a group of the rows that
    /// name a mark, never a lookup per row (a correlated "last row" subquery was quadratic in a
    /// national file that marks people).
    static func changes(staging: String) -> String {
        """
        SELECT s.person_id, s.org_number, CASE WHEN s.protected_ref = '' THEN 0 ELSE 1 END AS marked
        FROM (SELECT max(seq) AS seq FROM \(staging) WHERE protected_ref IS NOT NULL GROUP BY person_id, org_number) l
        JOIN \(staging) s ON s.seq = l.seq
        LEFT JOIN registrations t ON t.person_id = s.person_id AND t.org_number = s.org_number
        WHERE (s.protected_ref = '' AND t.protected_ref IS NOT NULL) OR (s.protected_ref <> '' AND t.protected_ref IS NULL)
        ORDER BY s.person_id, s.org_number
        """
    }
}

/// A mark set or removed by a write (the import's audit entries `protect` and `unprotect`).
public struct ProtectionChange: Sendable, Equatable {
    public var person: Personnummer
    public var organisation: Organisationsnummer
    public var marked: Bool

    init?(row: SQLRow) {
        guard let person = row["person_id"].int, let org = Rows.org(row["org_number"]), let marked = row["marked"].int else { return nil }
        self.person = Personnummer(storedValue: person)
        self.organisation = org
        self.marked = marked == 1
    }
}
