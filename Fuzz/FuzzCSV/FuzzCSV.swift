import SamsparDomain

/// libFuzzer harness (issue 21): the bulk files' CSV reader, header check and row parsers on
/// any bytes. The first byte picks the kind and the chunk size; the file is read twice, whole
/// and in chunks, and the two readings must agree (a difference is a bug: it traps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let control = start[0]
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    let kind = ImportKind.allCases[Int(control) % ImportKind.allCases.count]
    let chunk = 1 + Int(control >> 2)
    let whole = read(kind, CSVReader(bytes: bytes))
    var offset = 0
    let chunked = read(
        kind,
        CSVReader(refill: {
            guard offset < bytes.count else { return nil }
            let end = min(bytes.count, offset + chunk)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }))
    if whole != chunked { fatalError("whole and chunked readings differ: \(whole.prefix(5)) vs \(chunked.prefix(5))") }
    return 0
}

/// What a reading saw, compactly: each record's line and fields, each row's verdict (the
/// problems' lines, columns and reasons).
private func read(_ kind: ImportKind, _ reader: CSVReader) -> [String] {
    var reader = reader
    var record = CSVRecord()
    var out: [String] = []
    do {
        guard try reader.next(into: &record) else { return ["empty"] }
        let schema: ImportSchema
        do {
            schema = try ImportSchema(kind: kind, header: record, currentYear: 2026)
        } catch {
            let (kept, capped) = ProblemCap.apply(error.problems)
            if kept.count > ProblemCap.maxProblems + 1 { fatalError("the problem list is not capped") }
            return ["header \(capped)"] + kept.map(\.description)
        }
        var rows = 0
        while try reader.next(into: &record), rows < 10_000 {
            rows += 1
            var fields = "\(record.line):"
            for i in 0..<record.count { fields += String(decoding: record[i], as: UTF8.self) + "\u{1F}" }
            out.append(fields)
            switch kind {
            case .participants: out.append(verdict(schema.participant(record)))
            case .events: out.append(verdict(schema.event(record)))
            case .statuses: out.append(verdict(schema.status(record)))
            case .activities: out.append(verdict(schema.activity(record)))
            }
        }
    } catch {
        out.append("syntax: \(error)")
    }
    return out
}

private func verdict<T>(_ result: Result<T, ImportError>) -> String {
    switch result {
    case .success: return "ok"
    case .failure(let error):
        for p in error.problems where ProblemCap.bounded(p).reason.utf8.count > ProblemCap.maxField { fatalError("a reason is not cut") }
        return error.problems.map(\.description).joined(separator: "|")
    }
}
