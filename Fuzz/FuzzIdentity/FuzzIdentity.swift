import SamsparDomain

/// libFuzzer harness (issue 21): identity numbers, organisation numbers, kommunkoder, SSYK
/// codes and dates on any text. Whatever parses must print as something that parses again to
/// the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentity(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let text = String(decoding: bytes, as: UTF8.self)
    for year in [1950, 2026, 2099] {
        if let p = try? Personnummer(utf8: bytes[...], currentYear: year) {
            guard let again = try? Personnummer(p.description, currentYear: year), again == p else {
                fatalError("personnummer \(p) does not read back")
            }
            _ = (p.sex, p.birthDate, p.isSamordningsnummer)
        }
    }
    if let o = try? Organisationsnummer(text) {
        guard let again = try? Organisationsnummer(o.description), again == o else { fatalError("organisationsnummer \(o) does not read back") }
    }
    if let k = try? Kommunkod(text) {
        guard let again = try? Kommunkod(k.description), again == k else { fatalError("kommunkod \(k) does not read back") }
    }
    if let s = try? SSYKCode(text) {
        guard let again = try? SSYKCode(s.description), again == s else { fatalError("SSYK \(s) does not read back") }
    }
    if let d = try? Day(iso: text) {
        guard let again = try? Day(iso: d.description), again == d else { fatalError("date \(d) does not read back") }
    }
    _ = try? Day(isoBytes: bytes[...])
    _ = try? Day(plausibleISOBytes: bytes[...])
    return 0
}
