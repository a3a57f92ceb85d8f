import Hummingbird
import HummingbirdCore
import SamsparWire

/// libFuzzer harness (issue 21): what a request's head brings from outside: the address and
/// its query string (Hummingbird's parser, as the routes read it), cookies, `Accept-Language`,
/// `X-Forwarded-For` and the sign-in page's return address. A return address judged local must
/// be a path on this site, and a client address is one address (a difference traps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaders(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    let uri = URI(text)
    _ = uri.path
    for (key, value) in uri.queryParameters { _ = (Int(String(value)), key.count) }
    let cookies = Cookies(from: [text])
    _ = cookies["samspar_session"]?.value
    _ = AcceptLanguage.prefersEnglish(text)
    let client = ForwardedFor.client(peer: "127.0.0.1", forwardedFor: text, trusted: ["127.0.0.1"])
    if client.contains(",") { fatalError("a client address holds a comma: \(client.debugDescription)") }
    if ReturnAddress.isLocal(text) {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count < 2 || (bytes[1] != UInt8(ascii: "/") && bytes[1] != UInt8(ascii: "\\")) else {
            fatalError("\(text.debugDescription) was judged a local address")
        }
    }
    return 0
}
