import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// Bulk files through the browser, as the signed-in person's organisation: each runs as a job
/// whose page shows its progress and, when a file is refused, every bad row.
enum ImportPages {
    struct KindOption: Sendable {
        var value: String
        var label: String
    }

    struct Model: Sendable {
        var kinds: [KindOption]
        var action = SiteURL.imports.path
        var error: String?
        var maxMiB = Limits.importBody >> 20
    }

    static func show(_ r: PageRequest, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try ParticipantOperations.Act.importFile.authorize(r.principal, on: r.channel)
        let model = Model(kinds: ImportKind.allCases.map { KindOption(value: $0.rawValue, label: r.t("kind." + $0.rawValue)) }, error: error)
        return r.render("import", title: r.t("import.title"), model, current: .imports, status: status)
    }

    /// Whether the reader may send a file at all: asked before the file is read.
    static func mayUpload(_ r: PageRequest) throws {
        _ = try ParticipantOperations.Act.importFile.authorize(r.principal, on: r.channel)
    }

    static func upload(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try ParticipantOperations.Act.importFile.authorize(r.principal, on: r.channel)
        guard let principal = caller.principal else { throw APIError.unauthenticated }
        guard let kind = form["kind"].flatMap(ImportKind.init(rawValue:)) else {
            form.removeFiles()
            return try await show(r, error: r.t("import.noKind"), status: .unprocessableContent)
        }
        guard let file = form.files["file"], file.file.size > 0 else {
            form.removeFiles()
            return try await show(r, error: r.t("import.noFile"), status: .unprocessableContent)
        }
        // The file was spooled to disk as it arrived; the job reads it from there in chunks and
        // removes it when done.
        let lines = max(1, file.file.lineBreaks)
        let job = await r.services.importJobs.start(owner: principal, kind: kind, file: file.name, rows: lines)
        let s = r.services
        let spooled = file.file
        let jobs = s.importJobs
        Task {
            defer { form.removeFiles() }
            do {
                let summary = try await ParticipantOperations.importFile(
                    kind, from: .file(path: spooled.path), caller, s, progress: { rows in Task { await jobs.progress(job, rows: rows) } })
                await jobs.finish(job, .done(summary.rows))
            } catch let error as APIError {
                await jobs.finish(job, .refused(error.problems.isEmpty ? [ImportProblem(line: 0, column: "", reason: error.message)] : error.problems))
            } catch {
                await jobs.finish(job, .refused([ImportProblem(line: 0, column: "", reason: "the file could not be read")]))
            }
        }
        return .redirect(SiteURL.importJob(job).path)
    }

    struct ProblemRow: Sendable {
        var line: String
        var column: String
        var reason: String
    }

    struct JobModel: Sendable {
        var kind: String
        var file: String
        var running: Bool
        var rowsRead: String
        var percent: String
        var percentValue: Int
        var done: String?
        var problems: [ProblemRow]
        var refused: Bool
        var again = SiteURL.imports.path
    }

    static func job(_ r: PageRequest) async throws -> Response {
        let caller = try ParticipantOperations.Act.importFile.authorize(r.principal, on: r.channel)
        guard let principal = caller.principal, let job = await r.services.importJobs.job(try r.context.parameter(.agreement), owner: principal) else {
            throw APIError.notFound()
        }
        var model = JobModel(
            kind: r.t("kind." + job.kind.rawValue), file: job.file, running: false, rowsRead: NumberText.integer(job.rowsRead, r.language), percent: "",
            percentValue: 0, done: nil, problems: [], refused: false)
        switch job.state {
        case .running:
            model.running = true
            let percent = min(99, job.rowsRead * 100 / max(1, job.rows))
            model.percentValue = percent
            model.percent = NumberText.percent(Double(percent) / 100, r.language)
        case .done(let rows):
            model.percentValue = 100
            model.done = String(format: r.t("import.done"), NumberText.integer(rows, r.language))
        case .refused(let problems):
            model.refused = true
            model.problems = problems.map {
                ProblemRow(
                    line: $0.line == 0 ? "–" : String($0.line), column: $0.column.isEmpty ? "–" : $0.column,
                    reason: Klarsprak.reason($0.reason, r.language, column: $0.column))
            }
        }
        var response = r.render("import-job", title: r.t("import.jobTitle"), model, current: .imports)
        // Refreshes itself until done, without script (the page also says so).
        if model.running { response.headers[HTTPField.Name("Refresh")!] = "1" }
        return response
    }
}
