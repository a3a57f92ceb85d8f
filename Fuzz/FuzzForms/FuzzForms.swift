import Foundation
import SamsparWire

/// libFuzzer harness (issue 21): the page forms' decoders on any bytes. The multipart reader
/// is fed the body whole and in chunks of the size the first byte picks; the two readings must
/// give the same fields and files, or the same refusal (a difference traps). Spooled files are
/// removed after each input. The urlencoded decoder reads the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForms(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 1 else { return 0 }
    let control = Int(start[0])
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    _ = FormData.urlencoded(String(decoding: bytes, as: UTF8.self))
    // The boundary: the body's first line after "--", if it is one RFC 2046 allows.
    let firstLine = bytes.prefix { $0 != 13 && $0 != 10 }.dropFirst(2)
    let boundary = (try? MultipartReader.boundary(contentType: "multipart/form-data; boundary=\"\(String(decoding: firstLine, as: UTF8.self))\"")) ?? "B"
    let whole = read(bytes, boundary: boundary, chunk: bytes.count + 1)
    let chunked = read(bytes, boundary: boundary, chunk: 1 + control % 97)
    if whole != chunked { fatalError("whole and chunked readings differ:\n\(whole)\n\(chunked)") }
    return 0
}

private func read(_ bytes: [UInt8], boundary: String, chunk: Int) -> String {
    var reader = MultipartReader(boundary: boundary)
    var offset = 0
    do {
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try bytes[offset..<end].withUnsafeBytes { try reader.feed($0) }
            offset = end
        }
        let form = try reader.finish()
        defer { form.removeFiles() }
        let files = form.files.sorted { $0.key < $1.key }.map { key, part in
            "\(key)=\(part.name):\(part.file.size):\(part.file.lineBreaks):"
                + String(decoding: FileManager.default.contents(atPath: part.file.path) ?? Data(), as: UTF8.self)
        }
        return "fields \(form.fields.sorted { $0.key < $1.key }) files \(files)"
    } catch {
        reader.abandon()
        return "refused \(error)"
    }
}
