import HTTPTypes
import Hummingbird

/// The session cookie a sign-in sets and a sign-out ends (the API's and the sign-in page's):
/// `Secure`, `HttpOnly`, `SameSite=Strict`, for the whole site.
enum SessionCookie {
    static func started(_ secret: String, _ s: Services) -> Cookie {
        Cookie(name: Services.sessionCookie, value: secret, maxAge: Int(s.sessionLifetime), path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }

    /// Signing out also tells the browser to forget what it kept of this site (ASVS 8.2.3).
    static let clearSiteData = HTTPField.Name("Clear-Site-Data")!
    static let clearEverything = "\"cache\", \"cookies\", \"storage\""

    static let ended = Cookie(name: Services.sessionCookie, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict)
}
