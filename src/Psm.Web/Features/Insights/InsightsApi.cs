using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Insights;

public sealed record ReviewMailRun(int Queued);

public static class InsightsApi
{
    public static RouteGroupBuilder MapInsightsApi(this RouteGroupBuilder api)
    {
        var insights = api.MapGroup("/insights").WithTags("Insights");
        insights.MapGet("/company", Company).WithName("GetCompanyView")
            .WithSummary("The company view over the last `days` days (7-366, default 90): active objectives, the KPI cards and what needs attention.")
            .WithDescription("Each card has its figure, the figure of the previous period of the same length, the change and a two-sided z-test where the " +
                "figure is a mean or a share, the target a key result sets, a monthly trend over the last twelve full months, and a link to the records behind it.");
        insights.MapGet("/home", Home).WithName("GetMyHome")
            .WithSummary("The caller's home: the company view for admins, product managers and stakeholders (with their concerns and decisions), " +
                "the queue and CSAT for support, campaigns and return on spend for marketers.");
        insights.MapGet("/business-review.pdf", Review).WithName("GetBusinessReviewPdf")
            .WithSummary("The quarterly business review as a PDF, for the company or one product (productId): objectives, KPIs against the quarter before with their trend, " +
                "top feedback themes, roadmap changes since the last review, decisions and open concerns. Year and quarter default to the last complete quarter.")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf");
        var mailings = insights.MapGroup("/business-review/subscriptions");
        mailings.MapGet("/", (ReviewMail mail, CancellationToken ct) => mail.MineAsync(ct)).WithName("ListReviewSubscriptions")
            .WithSummary("The business reviews you get by e-mail each quarter, and the last one sent.");
        mailings.MapPost("/", async (ReviewSubscriptionInput input, ReviewMail mail, CancellationToken ct) =>
            {
                var created = await mail.SubscribeAsync(input, ct);
                return TypedResults.Created($"/api/v1/insights/business-review/subscriptions/{created.Id}", created);
            }).WithName("SubscribeToReview").WithSummary("Mails you the company's (or a product's) review of each quarter once it is complete, as a PDF.");
        mailings.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, ReviewMail mail, CancellationToken ct) =>
            await mail.UnsubscribeAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).WithName("UnsubscribeFromReview")
            .WithSummary("Stops mailing you that review.");
        mailings.MapPost("/send", async (ReviewMail mail, CancellationToken ct) => TypedResults.Ok(new ReviewMailRun(await mail.SendDueAsync(ct))))
            .WithName("SendDueReviews").WithSummary("Queues the last quarter's review for every subscriber who has not had it (the job does this every few hours).")
            .RequireAuthorization(Permissions.AdminUsers);
        insights.MapGet("/drill/{key}", Drill).WithName("GetMetricRecords")
            .WithSummary("The records behind a figure for a period [from, to) and the cuts the metric takes, one page at a time, with the totals that make the figure.");

        var rules = api.MapGroup("/alert-rules").WithTags("Alerts").RequireAuthorization(Permissions.InsightsAlerts);
        rules.MapGet("/", (Alerts alerts, CancellationToken ct) => alerts.RulesAsync(ct)).WithName("ListAlertRules")
            .WithSummary("Your alert rules (an admin's list holds everyone's), with what each last saw and when it last fired.");
        rules.MapGet("/{id:guid}", (Guid id, Alerts alerts, CancellationToken ct) => ApiResults.Found(alerts.RuleAsync(id, ct))).WithName("GetAlertRule").WithSummary("One alert rule.");
        rules.MapPost("/", async (AlertRuleInput input, Alerts alerts, CancellationToken ct) =>
            {
                var rule = await alerts.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/alert-rules/{rule.Id}", rule);
            }).WithName("CreateAlertRule")
            .WithSummary("Sets an alert on a registry metric and its cuts: above or below a threshold, risen or fallen by at least it, or a significant change; checked on the last complete day, week or month.");
        rules.MapPut("/{id:guid}", (Guid id, AlertRuleInput input, Alerts alerts, CancellationToken ct) => ApiResults.Found(alerts.UpdateAsync(id, input, ct))).WithName("UpdateAlertRule").WithSummary("Changes an alert rule; send the version you read.");
        rules.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Alerts alerts, CancellationToken ct) => await alerts.DeleteAsync(id, ct)
            ? TypedResults.NoContent() : TypedResults.NotFound()).WithName("DeleteAlertRule").WithSummary("Deletes an alert rule and the alerts it raised.");
        rules.MapPost("/{id:guid}/check", (Guid id, Alerts alerts, CancellationToken ct) => ApiResults.Found(alerts.CheckAsync(id, ct))).WithName("CheckAlertRule")
            .WithSummary("Checks a rule now on its last complete period; fires it if the condition holds and it has not fired for that period yet.");

        var fired = api.MapGroup("/alerts").WithTags("Alerts").RequireAuthorization(Permissions.InsightsAlerts);
        fired.MapGet("/", async (Alerts alerts, Guid? ruleId, int? limit, string? cursor, CancellationToken ct) =>
                TypedResults.Ok(await alerts.FiredAsync(ruleId, PageRequest.Parse(limit, cursor), ct))).WithName("ListAlerts")
            .WithSummary("Alerts your rules raised, newest first, one page at a time.");
        fired.MapGet("/{id:guid}", (Guid id, Alerts alerts, CancellationToken ct) => ApiResults.Found(alerts.FiringAsync(id, ct))).WithName("GetAlert").WithSummary("One alert: the figure, the rule, the period and the way to the records behind it.");

        var churn = api.MapGroup("/churn").WithTags("Churn risk");
        churn.MapGet("/model", (ChurnRisk risk, CancellationToken ct) => ApiResults.Found(risk.LatestAsync(ct))).WithName("GetChurnModel")
            .WithSummary("The last training: when, on how many rows, AUC and top-decile precision of the model and of the baseline rule, and which one scores customers.")
            .WithDescription(ChurnRisk.Method);
        churn.MapPost("/model/train", async Task<Results<Ok<ChurnRunDto>, Conflict<string>>> (ChurnRisk risk, CancellationToken ct) =>
                await risk.TrainAsync(ct) is { } run ? TypedResults.Ok(run) : TypedResults.Conflict("Another instance is training the model; try again in a minute."))
            .WithName("TrainChurnModel").WithSummary("Retrains, measures and rescores now.").RequireAuthorization(Permissions.InsightsChurnTrain);
        churn.MapGet("/customers", async (ChurnRisk risk, int? limit, string? cursor, CancellationToken ct) =>
                TypedResults.Ok(await risk.AtRiskAsync(PageRequest.Parse(limit, cursor), ct))).WithName("ListCustomersAtRisk")
            .WithSummary("Customers by churn risk, riskiest first, with the signals that raised each score most.");
        churn.MapGet("/customers/{id:guid}", (Guid id, ChurnRisk risk, CancellationToken ct) => ApiResults.Found(risk.ForCustomerAsync(id, ct)))
            .WithName("GetCustomerRisk").WithSummary("One customer's churn risk, rank and signals.");
        churn.MapPost("/customers/{id:guid}/outreach", async Task<Results<Created<Psm.Web.Features.ServiceDesk.TicketDto>, NotFound>> (
                    Guid id, ChurnRisk risk, Psm.Web.Features.ServiceDesk.Tickets tickets, CancellationToken ct) =>
                await risk.OutreachAsync(id, tickets, ct) is { } ticket ? TypedResults.Created($"/api/v1/tickets/{ticket.Summary.Id}", ticket) : TypedResults.NotFound())
            .WithName("OpenChurnOutreach").WithSummary("Opens a proactive-outreach ticket for an at-risk customer, assigned to the person who handled most of their tickets.")
            .RequireAuthorization(Permissions.ServiceWork);
        return api;
    }

    private static async Task<Ok<CompanyView>> Company(CompanyDashboard dashboard, int? days, CancellationToken ct) =>
        TypedResults.Ok(await dashboard.BuildAsync(days ?? 90, ct));

    public static RouteGroupBuilder MapDashboardsApi(this RouteGroupBuilder api)
    {
        var boards = api.MapGroup("/dashboards").WithTags("Dashboards");
        boards.MapGet("/", (Dashboards d, CancellationToken ct) => d.ListAsync(ct)).WithName("ListDashboards")
            .WithSummary("Your dashboards and those shared with your role.");
        boards.MapPost("/", async (DashboardInput input, Dashboards d, CancellationToken ct) =>
        {
            var board = await d.CreateAsync(input, ct);
            return TypedResults.Created($"/api/v1/dashboards/{board.Id}", board);
        }).WithName("CreateDashboard").WithSummary("Creates a dashboard, optionally shared with roles.");
        boards.MapGet("/{id:guid}", (Guid id, Dashboards d, CancellationToken ct) => ApiResults.Found(d.GetAsync(id, ct))).WithName("GetDashboard")
            .WithSummary("A dashboard with every chart's data (registry series over whole periods ending with the current one).");
        boards.MapPut("/{id:guid}", (Guid id, DashboardInput input, Dashboards d, CancellationToken ct) => ApiResults.Found(d.UpdateAsync(id, input, ct)))
            .WithName("UpdateDashboard").WithSummary("Renames a dashboard or changes the roles it is shared with (its owner or an admin); send the version you read.");
        boards.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Dashboards d, CancellationToken ct) =>
            await d.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).WithName("DeleteDashboard").WithSummary("Deletes a dashboard.");
        boards.MapPost("/{id:guid}/charts", (Guid id, ChartInput input, Dashboards d, CancellationToken ct) => ApiResults.Found(d.AddChartAsync(id, input, ct)))
            .WithName("AddDashboardChart").WithSummary("Adds a chart: a metric, its cuts, how many months, by week, month or quarter, as a line, bars or one figure.");
        boards.MapDelete("/{id:guid}/charts/{chartId:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Guid chartId, Dashboards d, CancellationToken ct) =>
            await d.RemoveChartAsync(id, chartId, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).WithName("RemoveDashboardChart").WithSummary("Removes a chart.");
        boards.MapGet("/{id:guid}/charts/{chartId:guid}/data.csv", async Task<Results<EmptyHttpResult, NotFound>> (
                Guid id, Guid chartId, HttpContext http, Dashboards d, CancellationToken ct) =>
            {
                if (await d.GetAsync(id, ct) is not { } board || board.Charts.FirstOrDefault(c => c.Id == chartId) is not { } chart)
                {
                    return TypedResults.NotFound();
                }

                await Csv.WriteAsync(http.Response, $"{chart.MetricKey}.csv", ["period_start", chart.MetricKey], Dashboards.CsvRows(chart), ct);
                return TypedResults.Empty;
            }).WithName("ExportDashboardChart").ReadsFromReplica().WithSummary("A chart's data as CSV: one row per period with its value.").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        boards.MapPost("/{id:guid}/link", (Guid id, Dashboards d, CancellationToken ct) => ApiResults.Found(d.LinkAsync(id, ct))).WithName("LinkDashboard")
            .WithSummary("Makes the dashboard's read-only link (shareLink), readable without signing in until revoked.");
        boards.MapDelete("/{id:guid}/link", (Guid id, Dashboards d, CancellationToken ct) => ApiResults.Found(d.RevokeLinkAsync(id, ct))).WithName("RevokeDashboardLink")
            .WithSummary("Revokes the read-only link: it answers 404 from now on.");
        return api;
    }

    public static IEndpointRouteBuilder MapPublicDashboardsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/public/dashboards/{token}", async Task<Results<Ok<DashboardDto>, NotFound>> (string token, Dashboards d, CancellationToken ct) =>
                await d.SharedAsync(token, ct) is { } board ? TypedResults.Ok(board) : TypedResults.NotFound())
            .AllowAnonymous().WithTags("Public dashboards").WithName("GetSharedDashboard")
            .WithSummary("A dashboard through its read-only link, without signing in.")
            .RequireRateLimiting(Infrastructure.RateLimits.PublicLinks);
        return app;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Review(
        BusinessReviews reviews, int? year, int? quarter, Guid? productId, CancellationToken ct)
    {
        if (!DejaVuFonts.Available)
        {
            return TypedResults.Problem("The PDF needs the DejaVu fonts, which this server does not have: install Debian's fonts-dejavu-core.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var last = reviews.LastQuarter();
        var (y, q) = (year ?? last.Year, quarter ?? last.Quarter);
        var pdf = await reviews.RenderAsync(y, q, productId, ct);
        return TypedResults.File(pdf, "application/pdf", $"business-review-{y}-q{q}{(productId is null ? "" : "-product")}.pdf");
    }

    private static async Task<Ok<MyHome>> Home(HttpContext http, RoleHomes homes, int? days, CancellationToken ct) =>
        TypedResults.Ok(await homes.ForAsync(RoleHomes.RoleOf(http.User), http.User.UserId() ?? Guid.Empty, days ?? 90, ct));

    private static async Task<Ok<DrillDto>> Drill(
        string key, DrillDowns drills, DateOnly? from, DateOnly? to, [AsParameters] MetricCuts cuts, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await drills.PageAsync(key, StrategyApi.Query(from, to, cuts), PageRequest.Parse(limit, cursor), ct));
}
