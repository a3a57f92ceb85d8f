import Foundation
import Hummingbird

/// Why no PDF came out.
public struct PDFError: Error, CustomStringConvertible {
    public var description: String
}

/// Prints HTML to PDF with headless Chromium, the real client (issue 9): the HTML goes to a
/// temporary file, Chromium prints it, and the PDF is read back only when it exists. Used by
/// `samspar agreement document`/`samspar report --format pdf` and by the pages' PDF downloads.
/// The HTML it is given is self-contained (inline styles, no scripts, no remote resources).
/// A print that takes longer than a minute is stopped.
public enum PDFPrinter {
    static var chromium: String { ProcessInfo.processInfo.environment["SAMSPAR_CHROMIUM"] ?? "/usr/bin/chromium" }

    /// The PDF's bytes (blocking: call from a thread that may wait, see ``pdf(html:)``).
    public static func render(html: String) throws -> Data {
        let chromium = Self.chromium
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw PDFError(description: "PDF needs Chromium at \(chromium) (Debian: apt-get install chromium), or SAMSPAR_CHROMIUM")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("samspar-pdf-\(UUID().uuidString)")
        // The page holds personal data: a folder only this process's user may read (issue 21).
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("document.html")
        let pdf = folder.appendingPathComponent("document.pdf")
        try Data(html.utf8).write(to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-pdf-header-footer",
            "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--print-to-pdf=\(pdf.path)", page.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: pdf.path), data.starts(with: Array("%PDF".utf8)) else {
            throw PDFError(description: "Chromium did not print the PDF (exit \(process.terminationStatus))")
        }
        return data
    }

    /// Writes the PDF to `output`, replacing what is there only once the PDF exists.
    public static func print(html: String, to output: String) throws {
        let data = try render(html: html)
        try data.write(to: URL(fileURLWithPath: output), options: .atomic)
    }

    /// The PDF, printed on a thread outside Swift's cooperative pool (Chromium takes a second
    /// or two, and the server has two cores' worth of cooperative threads).
    static func pdf(html: String) async throws -> Data {
        // At most two prints at once (the server has two cores); the rest wait their turn.
        try await printing.acquire()
        defer { Task { await printing.release() } }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                do { continuation.resume(returning: try render(html: html)) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}

/// A counting semaphore for Chromium prints: two at once, the rest in order.
actor PrintSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ slots: Int) { free = slots }

    func acquire() async throws {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

let printing = PrintSlots(2)

/// A PDF download: printed by ``PDFPrinter``; when Chromium is missing or fails, the page says
/// so (503) and nothing half-printed is sent.
enum PDFResponse {
    static func make(_ html: String, name: String) async throws -> Response {
        let data: Data
        do { data = try await PDFPrinter.pdf(html: html) } catch let error as PDFError {
            throw APIError(status: .serviceUnavailable, code: "pdf", message: "\(error.description) / PDF kunde inte skapas")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/pdf", .contentDisposition: "attachment; filename=\"\(name).pdf\""],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
