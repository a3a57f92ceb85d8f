import Crypto
import Foundation
import SamsparDomain

/// How the audit chain names identities (issue 22, SPEC §2 *Personal data over time*): never
/// in the clear, always as a salted digest, so that retention and erasure can remove an
/// identity and its salt and leave the digest, and the chain still verifies.
///
/// - An entry's person: SHA-256 over a salt of its own (16 random bytes, stored in the entry's
///   row) and the identity number. Entries of one person have different salts, so a digest
///   left behind links to nothing.
/// - Each registration an entry touched (person and party): SHA-256 over a salt of its own
///   (stored in its `audit_subjects` row, derived as ``SubjectSalts`` says) and `person:org`. Each subject has its own salt: a
///   removed registration's digest cannot be recomputed from the salt of another subject of
///   the same entry that stays.
///
/// The salts are not secrets from someone who can write the database; they need not be. The
/// chain is an HMAC under the key kept outside the database, and it covers the digests, so a
/// changed number, salt or digest breaks it. What the salt prevents is finding a removed
/// identity again by trying every identity number against a digest left behind: once the salt
/// is gone, the digest names nobody.
public enum Chain {
    /// 16 bytes, drawn from the system's random source or derived (``SubjectSalts``).
    public struct Salt: Sendable, Equatable {
        let bytes: (UInt64, UInt64)

        public static func random() -> Salt {
            var generator = SystemRandomNumberGenerator()
            return Salt(bytes: (generator.next(), generator.next()))
        }

        init(bytes: (UInt64, UInt64)) { self.bytes = bytes }

        public init?(hex: String) {
            guard let raw = Chain.bytes(hex: hex), raw.count == 16 else { return nil }
            bytes = (Chain.word(raw, 0), Chain.word(raw, 8))
        }

        var raw: [UInt8] { Chain.raw([bytes.0, bytes.1]) }
        public var hex: String { Rows.hex(raw) }

        public static func == (a: Salt, b: Salt) -> Bool { a.bytes == b.bytes }
    }

    /// The salts of one entry's subjects, one for each position: the salt of the subject at
    /// position `i` is the first 16 bytes of HMAC-SHA-256 over `i` (8 bytes, big-endian) under
    /// a 32-byte key from the system's random source.
    ///
    /// The key exists only while the entry is written and is never stored. Without it, each
    /// salt is as unpredictable as 16 random bytes, and no salt tells anything of another: an
    /// erased subject's digest cannot be recomputed from the salts that stay. Derived rather
    /// than drawn one by one so that a bulk write's million salts need not be held between
    /// chaining the digests and storing the subjects beside them (16 MB of a national import's
    /// peak, issue 27), and so that they cost no system call each.
    struct SubjectSalts {
        private let mac: HMAC<SHA256>

        init() { mac = HMAC<SHA256>(key: SymmetricKey(size: .bits256)) }

        subscript(position: Int) -> Salt {
            var mac = self.mac
            withUnsafeBytes(of: UInt64(position).bigEndian) { mac.update(data: $0) }
            return mac.finalize().withUnsafeBytes { raw in
                Salt(bytes: (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian, raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian))
            }
        }
    }

    /// A SHA-256 digest, ordered by its bytes (the subjects of an entry are chained in that
    /// order, which depends on no identity).
    public struct Digest: Sendable, Hashable, Comparable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        init(_ digest: SHA256.Digest) {
            let raw = Array(digest)
            words = (Chain.word(raw, 0), Chain.word(raw, 8), Chain.word(raw, 16), Chain.word(raw, 24))
        }

        public init?(hex: String) {
            guard let raw = Chain.bytes(hex: hex), raw.count == 32 else { return nil }
            words = (Chain.word(raw, 0), Chain.word(raw, 8), Chain.word(raw, 16), Chain.word(raw, 24))
        }

        var raw: [UInt8] { Chain.raw([words.0, words.1, words.2, words.3]) }
        public var hex: String { Rows.hex(raw) }

        public static func == (a: Digest, b: Digest) -> Bool { a.words == b.words }
        public static func < (a: Digest, b: Digest) -> Bool {
            (a.words.0, a.words.1, a.words.2, a.words.3) < (b.words.0, b.words.1, b.words.2, b.words.3)
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    /// The digest of an entry's person.
    public static func person(_ person: Int64, salt: Salt) -> Digest {
        var hasher = SHA256()
        hasher.update(data: salt.raw)
        hasher.update(data: Array("p:\(person)".utf8))
        return Digest(hasher.finalize())
    }

    /// The digest of a registration an entry touched.
    public static func subject(_ subject: PersonParty, salt: Salt) -> Digest {
        var hasher = SHA256()
        hasher.update(data: salt.raw)
        hasher.update(data: Array("s:\(subject.person):\(subject.org)".utf8))
        return Digest(hasher.finalize())
    }

    /// The digest of a value an entry kept from before its write (a correction).
    public static func previous(_ value: PreviousValue, salt: Salt) -> Digest {
        var hasher = SHA256()
        hasher.update(data: salt.raw)
        hasher.update(data: Array("b:\(value.registration.person):\(value.registration.org):\(value.content)".utf8))
        return Digest(hasher.finalize())
    }

    /// Sorts digests where they are, with no second buffer (heapsort): `sort()` would take half
    /// the array again, 16 MB at the peak of a national import (issue 27).
    static func sortInPlace(_ digests: inout [Digest]) {
        digests.withUnsafeMutableBufferPointer { d in
            func siftDown(_ start: Int, _ end: Int) {
                var root = start
                while 2 * root + 1 < end {
                    var child = 2 * root + 1
                    if child + 1 < end && d[child] < d[child + 1] { child += 1 }
                    guard d[root] < d[child] else { return }
                    d.swapAt(root, child)
                    root = child
                }
            }
            for start in stride(from: d.count / 2 - 1, through: 0, by: -1) { siftDown(start, d.count) }
            for end in stride(from: d.count - 1, to: 0, by: -1) {
                d.swapAt(0, end)
                siftDown(0, end)
            }
        }
    }

    /// The subjects of one entry as one field of its chain hash: empty for none, else SHA-256
    /// over their digests in byte order.
    /// A caller with many digests sorts them first (``sortInPlace(_:)``): then nothing is copied.
    static func combined(_ digests: [Digest]) -> String {
        guard !digests.isEmpty else { return "" }
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        let inOrder = digests.indices.dropFirst().allSatisfy { digests[$0 - 1] <= digests[$0] }
        for digest in inOrder ? digests : digests.sorted() {
            buffer += digest.raw
            if buffer.count >= 1 << 16 {
                hasher.update(data: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(data: buffer)
        return Rows.hex(hasher.finalize())
    }

    static func word(_ raw: [UInt8], _ offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(raw[offset + i]) }
        return value
    }

    static func raw(_ words: [UInt64]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(words.count * 8)
        for w in words { for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(i))) } }
        return out
    }

    static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
