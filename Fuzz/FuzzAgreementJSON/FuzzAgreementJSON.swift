import Foundation
import SamsparDomain

/// libFuzzer harness (issue 21): the agreement document (SPEC §4) and the grant rounds on any
/// bytes. An agreement that is accepted must serialise to a document that is accepted again
/// as the same agreement.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgreementJSON(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    if let agreement = try? Agreement.parse(json: data) {
        let text = agreement.document.serialized(pretty: false)
        guard let again = try? Agreement.parse(json: Data(text.utf8)) else { fatalError("an accepted agreement does not read back: \(text.prefix(300))") }
        if again != agreement { fatalError("an accepted agreement reads back as another: \(text.prefix(300))") }
    }
    _ = try? GrantRounds.parse(json: data)
    return 0
}
