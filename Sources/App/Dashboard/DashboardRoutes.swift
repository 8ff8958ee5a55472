import Feedback
import HTTP

/// The dashboard's pages and forms. Pages need a session (else 303 to sign-in); forms also need the
/// session's CSRF token, the same origin and a scope that may change things.
struct DashboardRoutes {
    let access: DashboardAccess
    let rules: FeedbackRules

    func register(in router: inout Router) {
        DashboardAssets.register(in: &router)
        // The overview's two halves run on the two readers at once (see `DashboardAccess.page(first:second:render:)`).
        router.get("/dashboard", access.page(first: { request, db in
            let params = try QueryParameters(request, allowed: Period.names)
            return try OverviewPage.ranking(try Period(params), db)
        }, second: { request, db in
            let params = try QueryParameters(request, allowed: Period.names)
            return try OverviewPage.trends(try Period(params), now: params.now, db)
        }, render: { request, session, ranking, trends in
            let period = try Period(try QueryParameters(request, allowed: Period.names))
            let body = OverviewPage(rules: rules).render(period, trends, ranking)
            return DashboardPage.render(title: "Overview", current: .overview, session: session, body: body)
        }))
        router.get("/dashboard/pages", access.page { request, session, db in
            let body = try PagesPage(rules: rules).render(try QueryParameters(request, allowed: PagesPage.names), db)
            return DashboardPage.render(title: "Pages", current: .pages, session: session, body: body)
        })
        router.get("/dashboard/page", access.page { request, session, db in
            let params = try QueryParameters(request, allowed: PageDetailPage.names)
            let body = try PageDetailPage(rules: rules).render(params, session, db)
            return DashboardPage.render(title: params.string("page") ?? "Page", current: .pages, session: session, body: body)
        })
        router.get("/dashboard/inbox", access.page { request, session, db in
            let body = try InboxPage(rules: rules).render(try QueryParameters(request, allowed: InboxPage.names), session, db)
            return DashboardPage.render(title: "Inbox", current: .inbox, session: session, body: body)
        })
        router.post("/dashboard/inbox/triage", bodyLimit: 64 * 1024, access.action(.triage) { _, fields, _, db in
            try InboxTriage.apply(fields, db)
        })
        router.get("/dashboard/tokens", access.page(.admin) { _, session, db in
            DashboardPage.render(title: "Tokens", current: .tokens, session: session, body: try TokensPage.render(session, db))
        })
        router.post("/dashboard/tokens", bodyLimit: 8 * 1024, access.action(.admin) { _, fields, session, db in
            try TokensPage.create(fields, session, db)
        })
        router.post("/dashboard/tokens/revoke", bodyLimit: 8 * 1024, access.action(.admin) { _, fields, _, db in
            try TokensPage.revoke(fields, db)
        })
    }
}
