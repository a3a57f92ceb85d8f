import Crypto
import Foundation
import SamsparWire

/// Time-based one-time passwords (RFC 6238): HMAC-SHA-1 over the 30-second step since the
/// epoch, six digits, as every authenticator app reads an `otpauth://totp/` URI by default.
/// A code is accepted for the step before, the step and the step after (RFC 6238 §5.2, a
/// phone's clock a little off), and each step only once (``SignInOperations``).
public struct TOTP: Sendable, Equatable {
    public let secret: [UInt8]
    public static let period: Int64 = 30
    public static let digits = 6

    public init(secret: [UInt8]) { self.secret = secret }

    /// A new secret of 160 random bits (RFC 4226 §4 recommends 160).
    public static func generate() -> TOTP {
        var g = SystemRandomNumberGenerator()
        return TOTP(secret: (0..<20).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// The secret from its base32 text (as kept and as in the URI); `nil` when it is not base32.
    public init?(base32: String) {
        guard let bytes = Base32.decode(base32), !bytes.isEmpty else { return nil }
        secret = bytes
    }

    public var base32: String { Base32.encode(secret) }

    public static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down)) }

    /// The code of one time step (RFC 4226 §5.3, dynamic truncation).
    public func code(step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let value = binary % 1_000_000
        let text = String(value)
        return String(repeating: "0", count: Self.digits - text.count) + text
    }

    public func code(at date: Date) -> String { code(step: Self.step(at: date)) }

    /// The step whose code `code` is, among the step before, at and after `date`'s.
    public func matchingStep(_ code: String, at date: Date) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == Self.digits, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let now = Self.step(at: date)
        for step in [now - 1, now, now + 1] where FormData.constantTimeEqual(self.code(step: step), digits) { return step }
        return nil
    }

    /// The URI an authenticator app reads (Google Authenticator's *Key Uri Format*, which
    /// every app follows): `otpauth://totp/Samspår:EMAIL?secret=…&issuer=Samspår`.
    public func uri(account: String, issuer: String = "Samspår") -> String {
        var label = CharacterSet.urlPathAllowed
        label.remove(charactersIn: ":@/?#&=+")
        var query = CharacterSet.urlQueryAllowed
        query.remove(charactersIn: ":@/?#&=+")
        let i = issuer.addingPercentEncoding(withAllowedCharacters: label) ?? issuer
        let a = account.addingPercentEncoding(withAllowedCharacters: label) ?? account
        let iq = issuer.addingPercentEncoding(withAllowedCharacters: query) ?? issuer
        return "otpauth://totp/\(i):\(a)?secret=\(base32)&issuer=\(iq)&algorithm=SHA1&digits=\(Self.digits)&period=\(Self.period)"
    }

}

/// RFC 4648 base32 without padding, as TOTP secrets are written.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `nil` when `text` holds anything but base32 letters (spaces, `=` and case are forgiven).
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for c in text.uppercased().utf8 where c != UInt8(ascii: " ") && c != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: c) else { return nil }
            buffer = ((buffer << 5) | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out
    }
}
