import Foundation

/// Where the sign-in page may send a reader back to: a path on this site, never another site's
/// address (`//host`, `/\\host` or anything with spaces or controls). Fuzzed (Fuzz/FuzzHeaders).
public enum ReturnAddress {
    public static func isLocal(_ target: String) -> Bool {
        target.hasPrefix("/") && !target.hasPrefix("//") && target.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E && $0 != UInt8(ascii: "\\") }
    }
}

/// The client's address for the sign-in limits: the peer's, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one (the header's earlier
/// entries are the client's own say and could be anything).
public enum ForwardedFor {
    public static func client(peer: String, forwardedFor: String?, trusted trustedProxies: Set<String>) -> String {
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last(where: { !trustedProxies.contains($0) }) ?? peer
    }
}

/// The reader's language from `Accept-Language`: the first language named that Samspår speaks
/// (Swedish, read also for Norwegian and Danish; or English); Swedish when none.
public enum AcceptLanguage {
    public static func prefersEnglish(_ header: String) -> Bool {
        for part in header.split(separator: ",") {
            guard let first = part.split(separator: ";").first else { continue }
            let tag = first.trimmingCharacters(in: .whitespaces).lowercased()
            if tag.hasPrefix("sv") || tag.hasPrefix("nb") || tag.hasPrefix("da") { return false }
            if tag.hasPrefix("en") { return true }
        }
        return false
    }
}
