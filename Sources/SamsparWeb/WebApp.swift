import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import SamsparDomain
import SamsparStore
import ServiceLifecycle

/// `samspar serve`: the application and how it runs.
public enum WebApp {
    /// The router with every route and middleware, and the list of routes (for the OpenAPI check).
    static func buildRouter(services: Services, metrics: PrometheusCollectorRegistry?) -> (Router<AppContext>, [(method: String, path: String)]) {
        let router = Router(context: AppContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ErrorMiddleware(services: services))
        if metrics != nil { router.add(middleware: MetricsMiddleware()) }
        router.add(middleware: AuthenticationMiddleware(services: services))

        var routes: [(method: String, path: String)] = [("GET", "/health"), ("GET", "/api/v1/openapi.json")]
        router.get("/health") { _, _ in
            try await services.store.ping()
            return JSONResponse.make(.object([("status", .string("ok"))]))
        }
        router.get("/api/v1/openapi.json") { _, _ in
            JSONResponse.text(OpenAPIDocument.text, contentType: "application/json; charset=utf-8")
        }
        var api = API(services: services, router: router)
        api.registerAll()
        routes += api.routes.map { ($0.method.rawValue, $0.path) }
        PageRoutes(services: services, router: router).registerAll()
        return (router, routes)
    }

    public static func application(
        services: Services, host: String, port: Int, metrics: PrometheusCollectorRegistry?, logger: Logger
    ) -> some ApplicationProtocol {
        let (router, _) = buildRouter(services: services, metrics: metrics)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Samspar"), logger: logger)
    }

    /// The metrics' own listener (issue 20): `/metrics` and nothing else, on the address the
    /// operator names (`serve --metrics-host/--metrics-port`, loopback by default), never on
    /// the port people and case systems reach.
    static func metricsRouter(_ registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return router
    }

    /// Runs until SIGTERM or SIGINT, then finishes the requests in flight and returns.
    /// `metrics`: where `/metrics` listens, or nil for nowhere.
    public static func run(
        services: Services, host: String, port: Int, metrics: (host: String, port: Int)? = nil, logger: Logger,
        onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let (router, _) = buildRouter(services: services, metrics: registry)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Samspar"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
        var services: [any Service] = [app, CloseKeeper(services: services, logger: logger)]
        if let metrics {
            services.append(
                Application(
                    router: metricsRouter(registry), configuration: .init(address: .hostname(metrics.host, port: metrics.port), serverName: "Samspar"),
                    onServerRunning: { channel in await onMetricsRunning(channel.localAddress?.port ?? metrics.port) }, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The OpenAPI 3.1 document, shipped as a resource and served as is.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }()
}
