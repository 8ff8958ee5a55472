import Foundation

/// What the application may read, on whichever backend: the domain's queries bound to one session.
/// Handlers get one of these instead of a database connection; only `Feedback` sees the SQL.
public struct FeedbackReader {
    let session: any SQLSession
    let drops: DropCounter

    init(session: any SQLSession, drops: DropCounter) {
        self.session = session
        self.drops = drops
    }

    // MARK: Feedback rows

    public func feedback(_ filter: FeedbackFilter, limit: Int, after cursor: Int64?) throws -> FeedbackPage {
        try FeedbackQueries.list(filter, limit: limit, after: cursor, connection: session)
    }

    public func feedback(id: Int64) throws -> FeedbackRecord? {
        try FeedbackQueries.get(id, connection: session)
    }

    /// One page of an export: records with `id > afterID`, oldest first.
    public func exportPage(afterID: Int64, since: Int64?, until: Int64?, limit: Int) throws -> [FeedbackRecord] {
        try Transfer.exportPage(afterID: afterID, since: since, until: until, limit: limit, connection: session)
    }

    // MARK: Statistics

    public func summary(_ filter: AggregateFilter) throws -> (total: VoteCounts, pages: Int, bySource: [(source: String, counts: VoteCounts, pages: Int)]) {
        try AggregateQueries.summary(filter, connection: session)
    }

    public func pages(_ filter: AggregateFilter, sectionDepth: Int?) throws -> [(String, VoteCounts)] {
        try AggregateQueries.pages(filter, sectionDepth: sectionDepth, connection: session)
    }

    public func grouped(_ column: AggregateQueries.GroupColumn, _ filter: AggregateFilter) throws -> [(String, VoteCounts)] {
        try AggregateQueries.grouped(column, filter, connection: session)
    }

    public func pageVotes(_ filter: AggregateFilter) throws -> [(String, VoteCounts)] {
        try AggregateQueries.pageVotes(filter, connection: session)
    }

    public func pageSlices(_ pages: [String], _ filter: AggregateFilter, daysPerSlice: Int64) throws -> [String: [Int: VoteCounts]] {
        try AggregateQueries.pageSlices(pages, filter, daysPerSlice: daysPerSlice, connection: session)
    }

    public func series(_ filter: AggregateFilter, since: Int64, until: Int64, bucket: Bucket, timeZone: TimeZone) throws -> [SeriesPoint] {
        try Timeseries.series(filter, since: since, until: until, bucket: bucket, timeZone: timeZone, connection: session)
    }

    /// Submissions turned away per day and reason, stored and not yet stored.
    public func drops(sinceDay: Int64) throws -> [(day: Int64, reason: String, count: Int)] {
        try drops.counts(sinceDay: sinceDay, connection: session)
    }

    // MARK: Insights and alerts

    public func insights(_ filter: AggregateFilter, options: InsightOptions, now: Int64) throws -> InsightReport {
        try Insights.evaluate(filter, options: options, now: now, connection: session)
    }

    public func findings(_ filter: AggregateFilter, options: InsightOptions, now: Int64) throws -> [Finding] {
        try Insights.findings(filter, options: options, now: now, connection: session)
    }

    public func openEpisodes() throws -> [Episode] {
        try Episodes.openEpisodes(connection: session)
    }

    public func changes(since: Int64?, until: Int64?, now: Int64, options: Changes.Options = Changes.Options(), page: String? = nil,
                        pagePrefix: String? = nil) throws -> [Change] {
        try Changes.evaluate(since: since, until: until, now: now, options: options, page: page, pagePrefix: pagePrefix, connection: session)
    }

    /// Keys of the changes whose fix verdict was already announced.
    public func reportedFixes() throws -> Set<String> {
        try Digests.reportedFixes(connection: session)
    }

    public func digestWasSent(scheduledAt: Int64) throws -> Bool {
        try Digests.wasSent(scheduledAt: scheduledAt, connection: session)
    }

    public func digest(weekEnding end: Int64, now: Int64, changeOptions: Changes.Options = Changes.Options()) throws -> WeeklyDigest {
        try Digests.build(weekEnding: end, now: now, changeOptions: changeOptions, connection: session)
    }

    public func annotations(_ filter: AnnotationFilter, limit: Int, offset: Int = 0) throws -> [Annotation] {
        try Annotations.list(filter, limit: limit, offset: offset, connection: session)
    }

    // MARK: Webhooks

    public func webhooks() throws -> [Webhook] {
        try Webhooks.list(connection: session)
    }

    public func webhook(id: Int64) throws -> Webhook? {
        try Webhooks.get(id, connection: session)
    }

    public func deliveries(webhookID: Int64, limit: Int, before cursor: Int64?) throws -> [Delivery] {
        try Outbox.deliveries(webhookID: webhookID, limit: limit, before: cursor, connection: session)
    }

    public func attempts(deliveryID: Int64) throws -> [DeliveryAttempt] {
        try Outbox.attempts(deliveryID: deliveryID, connection: session)
    }

    /// Deliveries whose next attempt is due, with their webhooks.
    public func dueDeliveries(now: Int64, limit: Int) throws -> [(Delivery, Webhook)] {
        try Outbox.due(now: now, limit: limit, connection: session)
    }

    // MARK: Access

    public func tokens() throws -> [TokenInfo] {
        try Tokens.list(connection: session)
    }

    /// The token a secret belongs to; nil when unknown or revoked.
    public func authenticate(token: String) throws -> TokenInfo? {
        try Tokens.authenticate(token, connection: session)
    }

    public func dashboardSession(_ secret: String, now: Int64, lifetime: SessionLifetime) throws -> SessionInfo? {
        try Sessions.find(secret, now: now, lifetime: lifetime, connection: session)
    }
}
