import Crypto
import Foundation

/// The tests' own TOTP (RFC 6238: HMAC-SHA-1, 30-second steps, six digits), written apart
/// from the server's so that a test signing in with a code checks the server's reading of it.
struct OneTimeCodes {
    let key: [UInt8]

    /// From an `otpauth://totp/…?secret=BASE32…` URI, as `samspar user add` prints it.
    init?(uri: String) {
        guard uri.hasPrefix("otpauth://totp/"), let components = URLComponents(string: uri),
            let secret = components.queryItems?.first(where: { $0.name == "secret" })?.value
        else { return nil }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0
        var value = 0
        var bytes: [UInt8] = []
        for c in secret {
            guard let index = alphabet.firstIndex(of: c) else { return nil }
            value = (value << 5 | index) & 0xFFFF
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((value >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        key = bytes
    }

    func code(at date: Date) -> String {
        let counter = UInt64(date.timeIntervalSince1970) / 30
        let message = (0..<8).map { UInt8((counter >> (56 - 8 * UInt64($0))) & 0xFF) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        let offset = Int(mac[19] & 0x0F)
        let number = (UInt32(mac[offset]) & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        return String(format: "%06d", Int(number % 1_000_000))
    }

    func now() -> String { code(at: Date()) }
}
