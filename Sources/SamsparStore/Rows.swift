import Crypto
import Foundation
import SamsparDomain

/// The row-at-a-time SQL of `samspar serve`, written once over ``SQLSession`` so both engines
/// run the same statements; every function takes the session of an open transaction, so a
/// write and its audit entry commit together. Internal to the store: everything above it asks
/// the store's intents (`Store+Intents.swift`). By concern: accounts, sessions and tokens
/// (`Accounts.swift`), registrations and what a party may see of them (`Participants.swift`),
/// consent (`Consents.swift`), idempotency keys and helpers (here). (It was called `Registry`,
/// which SPEC uses for the organisations: those are ``Organisations``.)
public enum Rows {
    // MARK: Idempotency keys

    public struct StoredResponse: Sendable, Equatable {
        public var fingerprint: String
        public var status: Int
        public var body: String

        public init(fingerprint: String, status: Int, body: String) {
            self.fingerprint = fingerprint
            self.status = status
            self.body = body
        }
    }

    static func storedResponse(principal: String, key: String, in s: any SQLSession) async throws -> StoredResponse? {
        try await s.query("SELECT fingerprint, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2", [.text(principal), .text(key)])
            .first.map { StoredResponse(fingerprint: $0["fingerprint"].text ?? "", status: Int($0["status"].int ?? 0), body: $0["body"].text ?? "") }
    }

    /// Stores the answer; false when another request with the same key stored one first
    /// (the caller then rolls its write back).
    static func storeResponse(principal: String, key: String, response: StoredResponse, now: Date, in s: any SQLSession) async throws -> Bool {
        let rows = try await s.query(
            """
            INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (principal, key) DO NOTHING RETURNING key
            """,
            [.text(principal), .text(key), .text(response.fingerprint), .int(response.status), .text(response.body), .text(timestamp(now))])
        return !rows.isEmpty
    }

    // MARK: Helpers

    static func digest(_ text: String) -> String { Digest.sha256(text) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`, by arithmetic: a formatter per call costs more than
    /// the rest of an audited read.
    public static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let rest = millis - days * 86_400_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = rest % 1000
        let clock = "\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60)):\(two(rest / 1000 % 60)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)Z"
        return "\(Day(ordinal: Int32(days)).description)T\(clock)"
    }

    static func day(_ v: SQLValue) -> Day? { v.int.map { Day(ordinal: Int32($0)) } }
    static func org(_ v: SQLValue) -> Organisationsnummer? { v.int.map(Organisationsnummer.init(storedValue:)) }
}

/// The values the store hands out of its rows, by the names the rest of Samspår uses.
public typealias UserAccount = Rows.User
public typealias APIToken = Rows.Token
public typealias UserSession = Rows.Session
public typealias SearchHit = Rows.SearchHit
public typealias StoredResponse = Rows.StoredResponse

/// SHA-256 as lowercase hex: how secrets (sessions, tokens) are kept and requests fingerprinted.
public enum Digest {
    public static func sha256(_ text: String) -> String { Rows.hex(SHA256.hash(data: Data(text.utf8))) }

    /// SHA-256 of bytes that arrive a piece at a time (a request body read as a stream).
    public struct Streaming {
        private var hasher = SHA256()
        public init() {}
        public mutating func update<Bytes: DataProtocol>(_ bytes: Bytes) { hasher.update(data: bytes) }
        public mutating func update(_ text: String) { hasher.update(data: Data(text.utf8)) }
        public func hex() -> String { Rows.hex(hasher.finalize()) }
    }
}

/// The answer to keep for an `Idempotency-Key` (issue 4): a write given one stores its answer
/// in its own transaction, so the same request sent again gets it back and nothing is done
/// twice. A parameter of the write, never a session handed out.
public struct IdempotentAnswer<Result: Sendable>: Sendable {
    /// Whose key it is (keys are per caller).
    public var principal: String
    public var key: String
    /// The request's digest: the same key with another request is refused.
    public var fingerprint: String
    /// The HTTP status of the answer.
    public var status: Int
    /// The answer's body, made from what the write did.
    public var body: @Sendable (Result) -> String

    public init(principal: String, key: String, fingerprint: String, status: Int, body: @escaping @Sendable (Result) -> String) {
        self.principal = principal
        self.key = key
        self.fingerprint = fingerprint
        self.status = status
        self.body = body
    }

    /// Stores the answer in the write's transaction; throws ``IdempotencyError/concurrent``
    /// (rolling the write back) when another request with the key stored one first.
    func store(_ result: Result, now: Date, in s: any SQLSession) async throws {
        let stored = try await Rows.storeResponse(
            principal: principal, key: key, response: .init(fingerprint: fingerprint, status: status, body: body(result)), now: now, in: s)
        guard stored else { throw IdempotencyError.concurrent }
    }
}

public enum IdempotencyError: Error, Equatable {
    /// Two requests with one key at once: the second is rolled back; sent again, it gets the
    /// first one's answer.
    case concurrent
}

public enum AccountError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    public var description: String {
        switch self {
        case .conflict(let m): m
        }
    }
}
