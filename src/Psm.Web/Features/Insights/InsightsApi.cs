using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Insights;

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
        insights.MapGet("/drill/{key}", Drill).WithName("GetMetricRecords")
            .WithSummary("The records behind a figure for a period [from, to) and the cuts the metric takes, one page at a time, with the totals that make the figure.");
        return api;
    }

    private static async Task<Ok<CompanyView>> Company(CompanyDashboard dashboard, int? days, CancellationToken ct) =>
        TypedResults.Ok(await dashboard.BuildAsync(days ?? 90, ct));

    private static async Task<Ok<MyHome>> Home(HttpContext http, RoleHomes homes, int? days, CancellationToken ct) =>
        TypedResults.Ok(await homes.ForAsync(RoleHomes.RoleOf(http.User), http.User.UserId() ?? Guid.Empty, days ?? 90, ct));

    private static async Task<Ok<DrillDto>> Drill(
        string key, DrillDowns drills, DateOnly? from, DateOnly? to, [AsParameters] MetricCuts cuts, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await drills.PageAsync(key, StrategyApi.Query(from, to, cuts), PageRequest.Parse(limit, cursor), ct));
}
